package org.fedsum.aggregator.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator's HTTPS server (DESIGN.md §6): TLS 1.3 only, HTTP/2 and HTTP/1.1 by ALPN, client
 * certificates required and anchored in the federation CA and its CRL, which is re-read when the
 * file changes. Every request is authenticated again by {@link SiteAuthenticator} (certificate
 * against the CRL in force, roster, connection limit), has its body limited to {@code
 * limits.maxControlMessageBytes}, and every refusal is answered by the one {@link ErrorResponder}.
 *
 * <p>Routes: {@code GET /health} and {@code GET /v1/whoami} for any authenticated site, then the
 * {@link ApiRoutes} tables given to the constructor, in order.
 */
public final class AggregatorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorVerticle.class);
  private static final List<Integer> ROUTER_ERROR_STATUSES = List.of(400, 404, 405, 413, 500);

  private final AggregatorConfig config;
  private final List<ApiRoutes> routeTables;
  private final Clock clock;
  private TlsMaterial tls;
  private CrlReloader crlReloader;
  private HttpServer server;
  private long crlTimer = -1;

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
        .compose(this::listen)
        .onSuccess(this::watchCrl)
        .onSuccess(this::announce);
  }

  @Override
  public Future<?> stop() {
    if (crlTimer >= 0) {
      vertx.cancelTimer(crlTimer);
    }
    return server == null ? Future.succeededFuture() : server.close();
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

  private Future<HttpServer> listen(TlsMaterial material) {
    tls = material;
    crlReloader =
        new CrlReloader(
            vertx,
            config.tls().crl(),
            material.caCertificate(),
            material.initialCrl(),
            this::installCrl);
    server = vertx.createHttpServer(serverOptions()).requestHandler(router());
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
    ErrorResponder errors = new ErrorResponder(limits.maxControlMessageBytes());
    Router router = Router.router(vertx);
    router
        .route()
        .handler(
            new SiteAuthenticator(
                crlReloader::trust,
                Set.copyOf(config.roster()),
                new ConnectionLimiter(limits.maxConnectionsPerSite()),
                clock));
    // No file uploads: a body is only ever held in memory, up to the limit.
    router.route().handler(BodyHandler.create(false).setBodyLimit(limits.maxControlMessageBytes()));
    new StatusRoutes().mount(router);
    routeTables.forEach(table -> table.mount(router));
    router.route().failureHandler(errors);
    ROUTER_ERROR_STATUSES.forEach(status -> router.errorHandler(status, errors));
    return router;
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
