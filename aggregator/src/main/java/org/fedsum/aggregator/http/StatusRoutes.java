package org.fedsum.aggregator.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.fedsum.crypto.SiteIdentity;

/**
 * Routes any authenticated site may call: {@code GET /health} and {@code GET /v1/whoami}, which
 * tells a silo or operator client how the aggregator sees its certificate.
 */
final class StatusRoutes implements ApiRoutes {
  @Override
  public void mount(Router router) {
    router.get("/health").handler(this::health);
    router.get("/v1/whoami").handler(this::whoami);
  }

  private void health(RoutingContext context) {
    context.json(new JsonObject().put("status", "ok"));
  }

  private void whoami(RoutingContext context) {
    SiteIdentity caller = Access.identity(context);
    context.json(
        new JsonObject()
            .put("role", caller.role().uriSegment())
            .put("siteId", caller.siteId())
            .put("uri", caller.uri()));
  }
}
