package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Blocking, time-bounded helpers for driving Vert.x clients from JUnit threads. */
final class Calls {
  static final long TIMEOUT_SECONDS = 20;

  private Calls() {}

  /** One HTTP reply with what the tests look at. */
  record Reply(
      int status, HttpVersion version, String tlsProtocol, String contentType, Buffer body) {
    JsonObject json() {
      return body.toJsonObject();
    }

    @Override
    public String toString() {
      return status + " " + version + " " + body;
    }
  }

  static <T> T await(Future<T> future) throws Exception {
    try {
      return future
          .toCompletionStage()
          .toCompletableFuture()
          .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
    }
  }

  /** Waits for {@code future} to fail and returns the cause; fails the test if it succeeds. */
  static Throwable awaitFailure(Future<?> future) throws InterruptedException, TimeoutException {
    try {
      Object result =
          future.toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return fail("expected a failure, got " + result);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  static Future<Reply> get(HttpClient client, int port, String path) {
    return send(client, HttpMethod.GET, port, path, null);
  }

  static Future<Reply> send(
      HttpClient client, HttpMethod method, int port, String path, Buffer body) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(method)
            .setHost(FederationFixture.HOST)
            .setPort(port)
            .setURI(path);
    return client
        .request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(bytes -> reply(response, bytes)));
  }

  private static Reply reply(HttpClientResponse response, Buffer body) {
    return new Reply(
        response.statusCode(),
        response.version(),
        response.request().connection().sslSession().getProtocol(),
        response.getHeader("Content-Type"),
        body);
  }

  /** Asserts the documented error body and that the code's status matches the catalog. */
  static void assertError(Reply reply, int status, String code, boolean retryable, Long round) {
    assertThat(reply.status()).as("status of %s", reply).isEqualTo(status);
    assertThat(reply.contentType()).startsWith("application/json");
    JsonObject body = reply.json();
    assertThat(body.fieldNames()).containsExactly("error");
    JsonObject error = body.getJsonObject("error");
    assertThat(error.fieldNames())
        .containsExactlyInAnyOrder("code", "message", "round", "retryable");
    assertThat(error.getString("code")).isEqualTo(code);
    assertThat(error.getString("message")).isNotBlank();
    assertThat(error.getBoolean("retryable")).isEqualTo(retryable);
    assertThat(error.getValue("round") == null ? null : error.getLong("round")).isEqualTo(round);
    assertThat(
            ErrorCatalog.all().stream()
                .filter(entry -> entry.code().equals(code))
                .map(ErrorCatalog.Entry::httpStatus))
        .containsExactly(status);
  }
}
