package org.fedsum.aggregator.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.fedsum.aggregator.metrics.AggregatorMetrics;
import org.fedsum.aggregator.round.RefusalCounts;
import org.fedsum.aggregator.round.Scheduler;
import org.fedsum.aggregator.service.Federation;
import org.fedsum.protocol.codec.VectorFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator's HTTPS server (DESIGN.md §6): TLS 1.3 only, HTTP/2 and HTTP/1.1 by ALPN, client
 * certificates required and anchored in the federation CA and its CRL, which is re-read when the
 * file changes. Every request is authenticated again by {@link SiteAuthenticator} (certificate
 * against the CRL in force, roster, connection limit), has its body limited to {@code
 * limits.maxControlMessageBytes}, and every refusal is answered by the one {@link ErrorResponder}.
 *
 * <p>Routes: {@code GET /health} and {@code GET /v1/whoami} for any authenticated site, the silo
 * and operator APIs, {@code GET /metrics} and the {@code /dashboard} (operators), then the {@link
 * ApiRoutes} tables given to the constructor, in order.
 *
 * <p>Metrics: the first handler of every request counts it, with the body bytes it read and wrote,
 * when its response ends or its stream closes (so streamed masked vectors, models and journals
 * count too, as do refused requests); {@link ErrorResponder} counts refusals by code; the run's
 * coordinator reports its rounds ({@link AggregatorMetrics}).
 */
public final class AggregatorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorVerticle.class);
  private static final List<Integer> ROUTER_ERROR_STATUSES = List.of(400, 404, 405, 413, 500);

  private final AggregatorConfig config;
  private final List<ApiRoutes> routeTables;
  private final Clock clock;
  private TlsMaterial tls;
  private CrlReloader crlReloader;
  private SiteAuthenticator siteAuthenticator;
  private HttpServer server;
  private long crlTimer = -1;
  private ExecutorService roundWork;
  private Federation federation;
  // Refused requests by code, journaled at each round's end for offline audits.
  private final RefusalCounts refusals = new RefusalCounts();
  private final AggregatorMetrics metrics = AggregatorMetrics.create();
  private DashboardRoutes dashboard;

  /**
   * @param config a validated configuration ({@link AggregatorConfig#load})
   * @param routeTables further route tables, mounted after the status routes
   */
  public AggregatorVerticle(AggregatorConfig config, List<? extends ApiRoutes> routeTables) {
    this.config = Objects.requireNonNull(config, "config");
    this.routeTables = List.copyOf(routeTables);
    this.clock = Clock.systemUTC();
  }

  @Override
  public Future<?> start() {
    return vertx
        .executeBlocking(this::loadTls)
        .compose(material -> vertx.executeBlocking(() -> openFederation(material)))
        .compose(this::listen)
        .onSuccess(this::watchCrl)
        .onSuccess(this::announce);
  }

  @Override
  public Future<?> stop() {
    if (crlTimer >= 0) {
      vertx.cancelTimer(crlTimer);
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.compose(
        ignored ->
            vertx.executeBlocking(
                () -> {
                  if (federation != null) {
                    federation.close();
                  }
                  if (roundWork != null) {
                    roundWork.shutdownNow();
                  }
                  return null;
                }));
  }

  /**
   * The federation this server serves.
   *
   * @throws IllegalStateException before the verticle has started
   */
  public Federation federation() {
    if (federation == null) {
      throw new IllegalStateException("the aggregator has not started yet");
    }
    return federation;
  }

  /**
   * The port the server listens on (the chosen one when {@code listen.port} is 0).
   *
   * @throws IllegalStateException before the verticle has started
   */
  public int actualPort() {
    if (server == null) {
      throw new IllegalStateException("the aggregator is not listening yet");
    }
    return server.actualPort();
  }

  private TlsMaterial loadTls() throws AggregatorConfigException {
    return TlsMaterial.load(config, clock.instant());
  }

  private TlsMaterial openFederation(TlsMaterial material) throws Exception {
    // Round work (adding vectors, unmasking, checkpoints) gets its own threads: it is long and
    // must not starve the worker pool that serves requests.
    roundWork =
        Executors.newFixedThreadPool(
            2,
            runnable -> {
              Thread thread = new Thread(runnable, "fedsum-round-work");
              thread.setDaemon(true);
              return thread;
            });
    federation =
        Federation.open(config, material.journalOwner(), this::schedule, roundWork, clock, metrics);
    federation.countRefusalsIn(refusals);
    dashboard = new DashboardRoutes();
    return material;
  }

  private Scheduler.Cancellable schedule(Duration delay, Runnable task) {
    long timer =
        vertx.setTimer(
            Math.max(1, delay.toMillis()),
            fired ->
                vertx.executeBlocking(
                    () -> {
                      task.run();
                      return null;
                    },
                    false));
    return () -> vertx.cancelTimer(timer);
  }

  private Future<HttpServer> listen(TlsMaterial material) {
    tls = material;
    crlReloader =
        new CrlReloader(
            vertx,
            config.tls().crl(),
            material.caCertificate(),
            material.initialCrl(),
            this::installCrl);
    siteAuthenticator =
        new SiteAuthenticator(
            crlReloader::trust,
            Set.copyOf(config.roster()),
            new ConnectionLimiter(vertx, config.limits().maxConnectionsPerSite()),
            clock);
    server =
        vertx
            .createHttpServer(serverOptions())
            .connectionHandler(siteAuthenticator::connectionOpened)
            .requestHandler(router());
    return server.listen();
  }

  private HttpServerOptions serverOptions() {
    ServerSSLOptions ssl = tls.sslOptions(tls.initialCrl());
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.listen().host())
            .setPort(config.listen().port())
            .setSsl(true)
            .setUseAlpn(true)
            .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
            .setClientAuth(ssl.getClientAuth());
    options.setKeyCertOptions(ssl.getKeyCertOptions());
    options.setTrustOptions(ssl.getTrustOptions());
    options.setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols());
    ssl.getCrlValues().forEach(options::addCrlValue);
    return options;
  }

  private Router router() {
    AggregatorConfig.Limits limits = config.limits();
    ErrorResponder errors =
        new ErrorResponder(
            limits.maxControlMessageBytes(),
            // A vector is the model's parameters plus the rotation's padding (below 1/64 of them,
            // RandomizedHadamard) and, when weighted, the weight word; its frame is largest at the
            // widest words, b = 32 (narrower ones are packed smaller).
            VectorFrame.frameBytes(
                32, limits.maxModelParameters() + limits.maxModelParameters() / 64 + 1),
            code -> {
              metrics.requestRefused(code);
              refusals.count(code);
            });
    Router router = Router.router(vertx);
    router.route().handler(this::countTraffic);
    router.route().handler(siteAuthenticator);
    // No file uploads: a body is only ever held in memory, up to the limit. The masked vectors and
    // the initial model are streamed by their own handlers instead.
    BodyHandler bodies = BodyHandler.create(false).setBodyLimit(limits.maxControlMessageBytes());
    router
        .route()
        .handler(
            context -> {
              HttpServerRequest request = context.request();
              if (SiloRoutes.streamsBody(request)
                  || OperatorRoutes.streamsBody(request)
                  || routeTables.stream().anyMatch(table -> table.streamsRequestBody(request))) {
                context.next();
              } else {
                bodies.handle(context);
              }
            });
    new StatusRoutes().mount(router);
    new SiloRoutes(vertx, federation).mount(router);
    new OperatorRoutes(vertx, federation, 4L * limits.maxModelParameters()).mount(router);
    new MetricsRoutes(vertx, federation, metrics).mount(router);
    dashboard.mount(router);
    routeTables.forEach(table -> table.mount(router));
    router.route().failureHandler(errors);
    ROUTER_ERROR_STATUSES.forEach(status -> router.errorHandler(status, errors));
    return router;
  }

  /** Counts the request once its exchange is over, whichever way it ends. */
  private void countTraffic(RoutingContext context) {
    context.addEndHandler(
        ended ->
            metrics.requestServed(
                Access.identityIfAuthenticated(context),
                context.request().bytesRead(),
                context.response().bytesWritten()));
    context.next();
  }

  private Future<?> installCrl(CrlSnapshot crl) {
    return server.updateSSLOptions(tls.sslOptions(crl), true);
  }

  private void watchCrl(HttpServer listening) {
    crlTimer =
        vertx.setPeriodic(config.tls().crlCheckInterval().toMillis(), timer -> crlReloader.check());
  }

  private void announce(HttpServer listening) {
    String host = config.listen().host();
    String urlHost = host.contains(":") ? "[" + host + "]" : host;
    LOG.info(
        "federation {}: listening on https://{}:{} (TLS 1.3, client certificates required,"
            + " roster of {} silos)",
        config.federationId(),
        urlHost,
        listening.actualPort(),
        config.roster().size());
  }
}
