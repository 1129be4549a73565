package org.fedsum.aggregator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.http.AggregatorVerticle;
import org.fedsum.aggregator.http.ApiRoutes;

/**
 * A running aggregator service: its own Vert.x instance with the {@link AggregatorVerticle}
 * deployed. The entry point for the CLI, {@link AggregatorMain} and tests.
 */
public final class AggregatorServer {
  private final Vertx vertx;
  private final AggregatorVerticle verticle;

  private AggregatorServer(Vertx vertx, AggregatorVerticle verticle) {
    this.vertx = vertx;
    this.verticle = verticle;
  }

  /**
   * Starts the service and completes once it accepts connections. Fails, with nothing left running,
   * if the TLS files are unusable (an {@link
   * org.fedsum.aggregator.config.AggregatorConfigException} naming the key) or the port is taken.
   */
  public static Future<AggregatorServer> start(AggregatorConfig config) {
    return start(config, List.of());
  }

  /**
   * As {@link #start(AggregatorConfig)}, with further route tables mounted after the status routes.
   */
  public static Future<AggregatorServer> start(
      AggregatorConfig config, List<? extends ApiRoutes> routeTables) {
    Objects.requireNonNull(config, "config");
    Vertx vertx = Vertx.vertx();
    AggregatorVerticle verticle = new AggregatorVerticle(config, routeTables);
    // A promise without a context: on failure it completes after Vert.x has closed, when no event
    // loop is left to run listeners on.
    Promise<AggregatorServer> started = Promise.promise();
    vertx
        .deployVerticle(verticle)
        .onComplete(
            deployed -> {
              if (deployed.succeeded()) {
                started.complete(new AggregatorServer(vertx, verticle));
              } else {
                vertx.close().onComplete(closed -> started.fail(deployed.cause()));
              }
            });
    return started.future();
  }

  /** The federation the service serves (its runs, for in-process callers and tests). */
  public org.fedsum.aggregator.service.Federation federation() {
    return verticle.federation();
  }

  /** The port the service listens on. */
  public int port() {
    return verticle.actualPort();
  }

  /** Stops the service: closes the server, its connections and its Vert.x instance. */
  public Future<Void> close() {
    return vertx.close();
  }

  /**
   * Closes the service when the JVM is asked to stop (SIGTERM, Ctrl-C), waiting up to 30 s, so the
   * journal and checkpoints are closed cleanly; for processes that run only this service.
   *
   * @param onFailure told why the service did not stop cleanly
   * @return counted down once the service is closed (or gave up): the main thread waits on it
   */
  public CountDownLatch closeOnShutdown(Consumer<Exception> onFailure) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  } catch (ExecutionException | TimeoutException e) {
                    onFailure.accept(e);
                  }
                  stopped.countDown();
                },
                "fedsum-aggregator-shutdown"));
    return stopped;
  }
}
