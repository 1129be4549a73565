package org.fedsum.aggregator.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
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
 * the caller. A caller that went away mid-request gets nothing (nobody is left to answer); the rest
 * of a refused upload is read and dropped, within a bound, so that its sender sees the refusal.
 */
final class ErrorResponder implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);

  private final long maxBodyBytes;
  private final long maxUploadBytes;
  private final Consumer<String> refusalCounter;

  /**
   * @param maxBodyBytes the configured body limit, quoted in {@code MESSAGE_TOO_LARGE} replies
   * @param maxUploadBytes the largest streamed body (vector frame, initial model) the service
   *     takes; of a refused upload, at most this much is read and dropped
   * @param refusalCounter told each refusal's code (metrics and the journal's counts); must not
   *     block, it runs on the event loop
   */
  ErrorResponder(long maxBodyBytes, long maxUploadBytes, Consumer<String> refusalCounter) {
    this.maxBodyBytes = maxBodyBytes;
    this.maxUploadBytes = maxUploadBytes;
    this.refusalCounter = Objects.requireNonNull(refusalCounter, "refusalCounter");
  }

  @Override
  public void handle(RoutingContext context) {
    Throwable failure = context.failure();
    HttpServerResponse response = context.response();
    if (callerWentAway(failure) && !response.ended()) {
      // The connection closed or the stream was reset mid-request: nobody is left to answer, and
      // a network that drops a silo is no fault of the aggregator's.
      LOG.info(
          "{} {} from {}: the caller went away ({})",
          context.request().method().name(),
          context.request().path(),
          caller(context),
          String.valueOf(failure));
      return;
    }
    ApiException error = classify(failure, context.statusCode());
    log(context, error, failure);
    refusalCounter.accept(error.code());
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      // A streamed reply already has its status; breaking the stream is the only honest signal.
      response.reset();
      return;
    }
    if (error.uploadOffset().isPresent()) {
      response.putHeader(
          UploadParts.UPLOAD_OFFSET, Long.toString(error.uploadOffset().getAsLong()));
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
              } else if (leftUnread(context.request())) {
                discardRest(context.request(), response);
              }
            });
  }

  /**
   * Whether the request streams its body itself (masked vectors, initial models) and was refused
   * before reading all of it: the rest will never be read.
   */
  private static boolean leftUnread(HttpServerRequest request) {
    return !request.isEnded()
        && (SiloRoutes.streamsBody(request) || OperatorRoutes.streamsBody(request));
  }

  /**
   * Reads and drops the rest of a refused upload, up to {@code maxUploadBytes} in all, and stops it
   * beyond: HTTP/2 resets the stream, HTTP/1.1 closes the connection.
   *
   * <p>Why read at all: a client that is still sending (the JDK's HTTP/2 client among them) may not
   * look at the response until its body is out; with nobody reading, flow control stalls it until
   * its request times out, and it never sees the refusal. Over HTTP/1.1 the unread bytes would also
   * be taken for its next request.
   */
  private void discardRest(HttpServerRequest request, HttpServerResponse response) {
    long[] discarded = {0};
    request.exceptionHandler(ignored -> {});
    request.endHandler(ignored -> {});
    request.handler(
        chunk -> {
          discarded[0] += chunk.length();
          if (discarded[0] > maxUploadBytes) {
            request.handler(null);
            stop(request, response);
          }
        });
    request.resume();
  }

  private static void stop(HttpServerRequest request, HttpServerResponse response) {
    if (request.version() == HttpVersion.HTTP_2) {
      response.reset(0);
    } else {
      request.connection().close();
    }
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

  private static boolean callerWentAway(Throwable failure) {
    return failure instanceof HttpClosedException || failure instanceof StreamResetException;
  }

  private static String caller(RoutingContext context) {
    return Access.identityIfAuthenticated(context)
        .map(SiteIdentity::uri)
        .orElseGet(() -> String.valueOf(context.request().remoteAddress()));
  }

  private static void log(RoutingContext context, ApiException error, Throwable failure) {
    String who = caller(context);
    String method = context.request().method().name();
    String path = context.request().path();
    if (error.code().equals(AggregatorErrorCode.STORAGE_FAILED.name())) {
      // The cause was logged once, with its stack, when the run failed; each silo asks again.
      LOG.warn("refused {} {} from {}: {}", method, path, who, error.code());
    } else if (error.httpStatus() >= 500) {
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
