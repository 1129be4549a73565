package org.fedsum.aggregator.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.fedsum.aggregator.metrics.AggregatorMetrics;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one failure handler of the aggregator's router (STYLE.md, Services): every refusal and every
 * unexpected exception becomes the JSON body {@code
 * {"error":{"code":…,"message":…,"round":…,"retryable":…}}} with the status from {@link
 * ErrorCatalog}, counted by code in {@link AggregatorMetrics}. Unknown exceptions become {@code
 * INTERNAL_ERROR} with an incident id; their message and stack trace go to the log only, never to
 * the caller.
 */
final class ErrorResponder implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);

  private final long maxBodyBytes;
  private final AggregatorMetrics metrics;

  /**
   * @param maxBodyBytes the configured body limit, quoted in {@code MESSAGE_TOO_LARGE} replies
   * @param metrics counts every refusal by its code
   */
  ErrorResponder(long maxBodyBytes, AggregatorMetrics metrics) {
    this.maxBodyBytes = maxBodyBytes;
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  @Override
  public void handle(RoutingContext context) {
    Throwable failure = context.failure();
    ApiException error = classify(failure, context.statusCode());
    log(context, error, failure);
    metrics.requestRefused(error.code());
    HttpServerResponse response = context.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      // A streamed reply already has its status; breaking the stream is the only honest signal.
      response.reset();
      return;
    }
    response
        .setStatusCode(error.httpStatus())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(body(error).toBuffer())
        .onComplete(
            written -> {
              // The connection itself is the problem: answer once, then free the slot.
              if (error.code().equals(AggregatorErrorCode.TOO_MANY_CONNECTIONS.name())) {
                context.request().connection().close();
              }
            });
  }

  /** The JSON body of an error. */
  static JsonObject body(ApiException error) {
    JsonObject details =
        new JsonObject().put("code", error.code()).put("message", error.getMessage());
    if (error.round().isPresent()) {
      details.put("round", error.round().getAsLong());
    } else {
      details.putNull("round");
    }
    details.put("retryable", error.retryable());
    return new JsonObject().put("error", details);
  }

  private ApiException classify(Throwable failure, int statusCode) {
    if (failure instanceof ApiException) {
      return (ApiException) failure;
    }
    if (failure instanceof ProtocolException) {
      return ApiException.from((ProtocolException) failure);
    }
    if (failure instanceof DecodeException) {
      return ApiException.of(ErrorCode.MALFORMED_MESSAGE, "the request body is not valid JSON");
    }
    if (failure == null || failure instanceof HttpException) {
      int status = failure == null ? statusCode : ((HttpException) failure).getStatusCode();
      switch (status) {
        case 400:
          return ApiException.of(ErrorCode.MALFORMED_MESSAGE, "the request is malformed");
        case 404:
          return ApiException.of(AggregatorErrorCode.NOT_FOUND, "no route for this path");
        case 405:
          return ApiException.of(
              AggregatorErrorCode.METHOD_NOT_ALLOWED, "this path does not accept this method");
        case 413:
          return ApiException.of(
              AggregatorErrorCode.MESSAGE_TOO_LARGE,
              "the request body exceeds the limit of " + maxBodyBytes + " bytes");
        default:
          break;
      }
    }
    return ApiException.of(
        AggregatorErrorCode.INTERNAL_ERROR,
        "internal error, incident " + incidentId() + "; the aggregator's log has the details");
  }

  private static void log(RoutingContext context, ApiException error, Throwable failure) {
    String who =
        Access.identityIfAuthenticated(context)
            .map(SiteIdentity::uri)
            .orElseGet(() -> String.valueOf(context.request().remoteAddress()));
    String method = context.request().method().name();
    String path = context.request().path();
    if (error.httpStatus() >= 500) {
      LOG.error(
          "{} on {} {} from {}: {}", error.code(), method, path, who, error.getMessage(), failure);
    } else if (error.retryable()) {
      LOG.debug(
          "refused {} {} from {}: {} {}", method, path, who, error.code(), error.getMessage());
    } else {
      LOG.info("refused {} {} from {}: {} {}", method, path, who, error.code(), error.getMessage());
    }
  }

  private static String incidentId() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  }
}
