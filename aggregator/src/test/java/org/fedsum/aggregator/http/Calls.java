package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;

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
    return client.request(options).compose(request -> exchange(request, body));
  }

  /**
   * Sends {@code request} with {@code body} (none if null) and reads the whole reply. The reply's
   * listener is in place before the request goes out: a listener added from a test thread to a
   * response that has already arrived runs on that thread while the event loop goes on delivering
   * the body, so on a busy machine the body can pass before {@code body()} asks for it, and the
   * call then never completes.
   */
  static Future<Reply> exchange(HttpClientRequest request, Buffer body) {
    Future<Reply> reply =
        request
            .response()
            .compose(response -> response.body().map(bytes -> reply(response, bytes)));
    // A server may answer before it has read the body, and close: the reply is what counts. A
    // request that could not be sent is reset, which fails the reply rather than leaving it open.
    (body == null ? request.end() : request.end(body))
        .onFailure(failure -> request.reset(0, failure));
    return reply;
  }

  static Reply reply(HttpClientResponse response, Buffer body) {
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

  /** Asserts that {@code code} has its row in docs/ERRORS.md, the list clients program against. */
  static void assertDocumented(String code) throws IOException {
    // Failsafe runs in the module folder; docs/ is at the repository root.
    String errors = Files.readString(Path.of("..", "docs", "ERRORS.md"));
    assertThat(errors).as("docs/ERRORS.md").contains("| `" + code + "` |");
  }

  /**
   * Asserts that the call got no HTTP reply because the server ended the TLS handshake with a
   * certificate alert (in TLS 1.3 the alert may arrive with the client's first read).
   */
  static void assertHandshakeRefused(Future<?> call) throws Exception {
    Throwable failure = awaitFailure(call);
    StringBuilder chain = new StringBuilder();
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      chain.append(cause.getClass().getName()).append(": ").append(cause.getMessage()).append('\n');
    }
    assertThat(chain.toString())
        .as("failure chain")
        .contains(SSLHandshakeException.class.getName())
        .containsAnyOf(
            "bad_certificate",
            "certificate_unknown",
            "certificate_required",
            "certificate_revoked",
            "certificate_expired");
  }
}
