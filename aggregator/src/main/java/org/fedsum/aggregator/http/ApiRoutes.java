package org.fedsum.aggregator.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;

/**
 * One route table of the aggregator's API, grouped by concern (STYLE.md, Services). The verticle
 * mounts each table after its own handlers, so every request that reaches a route has an
 * authenticated caller ({@link Access#identity}) and, unless the table {@link #streamsRequestBody
 * streams it}, a body already read within {@code limits.maxControlMessageBytes}; refusals go
 * through the verticle's one failure handler, so a handler fails its context with an {@link
 * ApiException} (or a {@link org.fedsum.protocol.ProtocolException}) and never writes an error
 * reply itself.
 */
@FunctionalInterface
public interface ApiRoutes {
  /** Adds this table's routes to {@code router}. */
  void mount(Router router);

  /**
   * Whether one of this table's routes streams {@code request}'s body itself, in which case the
   * verticle's body handler leaves it unread (and unlimited by {@code
   * limits.maxControlMessageBytes}): the route must then bound what it accepts on its own.
   */
  default boolean streamsRequestBody(HttpServerRequest request) {
    return false;
  }
}
