package org.fedsum.aggregator.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import org.fedsum.aggregator.metrics.AggregatorMetrics;
import org.fedsum.aggregator.service.Federation;
import org.fedsum.crypto.SiteRole;

/**
 * {@code GET /metrics}: every metric of {@link AggregatorMetrics} in the Prometheus text format,
 * for operator certificates only. The metrics name the silos (the {@code site} label of the traffic
 * counters) and show when each one sends what; a silo must not learn that about its peers, so a
 * Prometheus server scrapes with an operator certificate like any other operator client.
 */
final class MetricsRoutes implements ApiRoutes {
  private final Vertx vertx;
  private final Federation federation;
  private final AggregatorMetrics metrics;

  MetricsRoutes(Vertx vertx, Federation federation, AggregatorMetrics metrics) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.federation = Objects.requireNonNull(federation, "federation");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  @Override
  public void mount(Router router) {
    router.get("/metrics").handler(Access.only(SiteRole.OPERATOR)).handler(this::scrape);
  }

  private void scrape(RoutingContext context) {
    // The run's status waits for the coordinator's lock, which a journal fsync may hold.
    vertx
        .executeBlocking(
            () -> metrics.scrape(federation.active().map(run -> run.coordinator().status())), false)
        .onSuccess(
            text ->
                context
                    .response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, AggregatorMetrics.CONTENT_TYPE)
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .end(text))
        .onFailure(context::fail);
  }
}
