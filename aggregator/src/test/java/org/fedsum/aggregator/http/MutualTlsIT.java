package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.assertError;
import static org.fedsum.aggregator.http.Calls.await;
import static org.fedsum.aggregator.http.Calls.awaitFailure;
import static org.fedsum.aggregator.http.Calls.get;
import static org.fedsum.aggregator.http.Calls.send;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLHandshakeException;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.http.Calls.Reply;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator over real mutual TLS on 127.0.0.1, with certificates from the project's own PKI:
 * who gets in, who is refused at the handshake, who is refused per request and with which JSON
 * error.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutualTlsIT {
  private static final long MAX_BODY_BYTES = 4096;
  private static final List<String> ROSTER =
      List.of("silo-a", "silo-b", "silo-c", "silo-expiring", "silo-revoked", "silo-busy");

  @TempDir static Path directory;

  private static Vertx vertx;
  private static FederationFixture federation;
  private static Party siloA;
  private static Party operator;
  private static Party outsider;
  private static Party otherAggregator;
  private static AggregatorServer server;

  private final List<HttpClientAgent> clients = new ArrayList<>();
  private final List<AggregatorServer> extraServers = new ArrayList<>();

  @BeforeAll
  static void startServer(Vertx testVertx) throws Exception {
    vertx = testVertx;
    federation = FederationFixture.create(directory);
    siloA = federation.issue(SiteRole.SILO, "silo-a", Duration.ofDays(1));
    operator = federation.issue(SiteRole.OPERATOR, "ops-1", Duration.ofDays(1));
    outsider = federation.issue(SiteRole.SILO, "silo-outsider", Duration.ofDays(1));
    otherAggregator = federation.issue(SiteRole.AGGREGATOR, "aggregator-2", Duration.ofDays(1));
    AggregatorConfig config = federation.config("main", "crl.pem", ROSTER, MAX_BODY_BYTES, 8);
    server =
        await(
            AggregatorServer.start(
                config, List.<ApiRoutes>of(MutualTlsIT::testRoutes, new StreamingTestRoutes())));
    // The first TLS connection of a JVM loads the security providers, which can take seconds on a
    // busy machine; pay for it here rather than inside a test's time bound.
    HttpClientAgent warmUp = vertx.createHttpClient(federation.clientOptions(siloA));
    await(get(warmUp, server.port(), "/health"));
    await(warmUp.close());
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      await(server.close());
    }
  }

  @AfterEach
  void closeClientsAndExtraServers() throws Exception {
    for (HttpClientAgent client : clients) {
      await(client.close());
    }
    for (AggregatorServer extra : extraServers) {
      await(extra.close());
    }
  }

  /** Routes that exist only in this test, to reach the role gates and the failure handler. */
  private static void testRoutes(Router router) {
    router
        .get("/test/silo-only")
        .handler(Access.only(SiteRole.SILO))
        .handler(context -> context.json(new JsonObject().put("ok", true)));
    router
        .get("/test/operator-only")
        .handler(Access.only(SiteRole.OPERATOR))
        .handler(context -> context.json(new JsonObject().put("ok", true)));
    router
        .get("/test/protocol-refusal")
        .handler(
            context ->
                context.fail(
                    new ProtocolException(
                        ErrorCode.ROUND_MISMATCH, 42, "round 42 is not the current round")));
    router
        .get("/test/crash")
        .handler(
            context -> {
              throw new IllegalStateException("secret-detail-7f3a at a place only we know");
            });
    router
        .post("/test/body-size")
        .handler(context -> context.json(new JsonObject().put("bytes", context.body().length())));
  }

  /** A route table that reads its own request bodies, as the benchmark's plain-sum harness does. */
  private static final class StreamingTestRoutes implements ApiRoutes {
    @Override
    public void mount(Router router) {
      router
          .put("/test/streamed")
          .handler(Access.only(SiteRole.SILO))
          .handler(
              context -> {
                long[] bytes = {0};
                context.request().handler(chunk -> bytes[0] += chunk.length());
                context
                    .request()
                    .endHandler(end -> context.json(new JsonObject().put("bytes", bytes[0])));
              });
    }

    @Override
    public boolean streamsRequestBody(io.vertx.core.http.HttpServerRequest request) {
      return request.method() == HttpMethod.PUT && request.path().equals("/test/streamed");
    }
  }

  private HttpClientAgent client(HttpClientOptions options) {
    HttpClientAgent client = vertx.createHttpClient(options);
    clients.add(client);
    return client;
  }

  private HttpClientAgent client(Party party) {
    return client(federation.clientOptions(party));
  }

  private HttpClientConnection connect(HttpClientAgent client, int port) throws Exception {
    return await(
        client.connect(new HttpConnectOptions().setHost(FederationFixture.HOST).setPort(port)));
  }

  /**
   * Asserts that the call got no HTTP reply because the server ended the TLS handshake with a
   * certificate alert (in TLS 1.3 the client's side may already have finished, so the alert arrives
   * with the first read).
   */
  private static void assertHandshakeRefused(Future<?> call) throws Exception {
    Throwable failure = awaitFailure(call);
    String chain = describeChain(failure);
    assertThat(chain).as("failure chain").contains(SSLHandshakeException.class.getName());
    assertThat(chain)
        .as("failure chain")
        .containsAnyOf(
            "bad_certificate",
            "certificate_unknown",
            "certificate_required",
            "certificate_revoked",
            "certificate_expired");
  }

  private static String describeChain(Throwable failure) {
    StringBuilder chain = new StringBuilder();
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      chain.append(cause.getClass().getName()).append(": ").append(cause.getMessage()).append('\n');
    }
    return chain.toString();
  }

  @Test
  void siloInRoster_health_okOverTls13() throws Exception {
    Reply reply = await(get(client(siloA), server.port(), "/health"));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.json()).isEqualTo(new JsonObject().put("status", "ok"));
    assertThat(reply.tlsProtocol()).isEqualTo("TLSv1.3");
    assertThat(reply.version()).isEqualTo(HttpVersion.HTTP_1_1);
  }

  @Test
  void siloInRoster_whoami_returnsItsIdentity() throws Exception {
    Reply reply = await(get(client(siloA), server.port(), "/v1/whoami"));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.json())
        .isEqualTo(
            new JsonObject()
                .put("role", "silo")
                .put("siteId", "silo-a")
                .put("uri", "urn:fedsum:silo:silo-a"));
  }

  @Test
  void operator_healthAndWhoami_ok() throws Exception {
    HttpClientAgent client = client(operator);

    Reply health = await(get(client, server.port(), "/health"));
    Reply whoami = await(get(client, server.port(), "/v1/whoami"));

    assertThat(health.status()).isEqualTo(200);
    assertThat(whoami.status()).isEqualTo(200);
    assertThat(whoami.json().getString("role")).isEqualTo("operator");
    assertThat(whoami.json().getString("siteId")).isEqualTo("ops-1");
  }

  @Test
  void http2Client_whoami_negotiatedByAlpn() throws Exception {
    HttpClientOptions options =
        federation.clientOptions(siloA).setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(true);

    Reply reply = await(get(client(options), server.port(), "/v1/whoami"));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(reply.tlsProtocol()).isEqualTo("TLSv1.3");
    assertThat(reply.json().getString("siteId")).isEqualTo("silo-a");
  }

  @Test
  void clientWithoutCertificate_handshakeRefused() throws Exception {
    assertHandshakeRefused(
        get(client(federation.trustingClientOptions()), server.port(), "/health"));
  }

  @Test
  void certificateFromAnotherCa_handshakeRefused() throws Exception {
    // Same silo id as a roster member, but issued by another federation's CA.
    Party impostor = FederationFixture.foreign(SiteRole.SILO, "silo-a");

    assertHandshakeRefused(get(client(impostor), server.port(), "/health"));
  }

  @Test
  void tls12Client_handshakeRefused() throws Exception {
    HttpClientOptions options =
        federation.clientOptions(siloA).setEnabledSecureTransportProtocols(Set.of("TLSv1.2"));

    Throwable failure = awaitFailure(get(client(options), server.port(), "/health"));

    assertThat(describeChain(failure))
        .contains(SSLHandshakeException.class.getName())
        .contains("protocol_version");
  }

  @Test
  void siloNotInRoster_unknownSilo403() throws Exception {
    Reply reply = await(get(client(outsider), server.port(), "/health"));

    assertError(reply, 403, "UNKNOWN_SILO", false, null);
    assertThat(reply.json().getJsonObject("error").getString("message")).contains("silo-outsider");
  }

  @Test
  void siloOnOperatorRoute_wrongRole403() throws Exception {
    Reply reply = await(get(client(siloA), server.port(), "/test/operator-only"));

    assertError(reply, 403, "WRONG_ROLE", false, null);
  }

  @Test
  void operatorOnSiloRoute_wrongRole403() throws Exception {
    HttpClientAgent client = client(operator);

    Reply refused = await(get(client, server.port(), "/test/silo-only"));
    Reply allowed = await(get(client, server.port(), "/test/operator-only"));

    assertError(refused, 403, "WRONG_ROLE", false, null);
    assertThat(allowed.status()).isEqualTo(200);
  }

  @Test
  void aggregatorCertificateAsClient_wrongRoleOnEveryRestrictedRoute() throws Exception {
    HttpClientAgent client = client(otherAggregator);

    assertError(
        await(get(client, server.port(), "/test/silo-only")), 403, "WRONG_ROLE", false, null);
    assertError(
        await(get(client, server.port(), "/test/operator-only")), 403, "WRONG_ROLE", false, null);
  }

  @Test
  void unknownPath_notFound404() throws Exception {
    assertError(
        await(get(client(siloA), server.port(), "/v1/nothing-here")),
        404,
        "NOT_FOUND",
        false,
        null);
  }

  @Test
  void wrongMethod_methodNotAllowed405() throws Exception {
    Reply reply =
        await(send(client(siloA), HttpMethod.POST, server.port(), "/health", Buffer.buffer("{}")));

    assertError(reply, 405, "METHOD_NOT_ALLOWED", false, null);
  }

  @Test
  void bodyOverLimit_messageTooLarge413_bodyAtLimitAccepted() throws Exception {
    HttpClientAgent client = client(siloA);
    Buffer atLimit = Buffer.buffer(new byte[(int) MAX_BODY_BYTES]);
    Buffer overLimit = Buffer.buffer(new byte[(int) MAX_BODY_BYTES + 1]);

    Reply accepted =
        await(send(client, HttpMethod.POST, server.port(), "/test/body-size", atLimit));
    Reply refused =
        await(send(client, HttpMethod.POST, server.port(), "/test/body-size", overLimit));

    assertThat(accepted.status()).isEqualTo(200);
    assertThat(accepted.json().getInteger("bytes")).isEqualTo(MAX_BODY_BYTES);
    assertError(refused, 413, "MESSAGE_TOO_LARGE", false, null);
    assertThat(refused.json().getJsonObject("error").getString("message"))
        .contains(Long.toString(MAX_BODY_BYTES));
  }

  @Test
  void routeTableStreamingItsBody_getsItUnbufferedPastTheLimit_stillBehindTheRoleGate()
      throws Exception {
    Buffer large = Buffer.buffer(new byte[(int) (16 * MAX_BODY_BYTES)]);

    Reply streamed =
        await(send(client(siloA), HttpMethod.PUT, server.port(), "/test/streamed", large));
    Reply wrongRole =
        await(send(client(operator), HttpMethod.PUT, server.port(), "/test/streamed", large));
    Reply buffered =
        await(send(client(siloA), HttpMethod.POST, server.port(), "/test/body-size", large));

    assertThat(streamed.status()).as("%s", streamed).isEqualTo(200);
    assertThat(streamed.json().getLong("bytes")).isEqualTo(16 * MAX_BODY_BYTES);
    assertError(wrongRole, 403, "WRONG_ROLE", false, null);
    assertError(buffered, 413, "MESSAGE_TOO_LARGE", false, null);
  }

  @Test
  void protocolRefusal_mappedToItsStatusWithRound() throws Exception {
    Reply reply = await(get(client(siloA), server.port(), "/test/protocol-refusal"));

    assertError(reply, 409, "ROUND_MISMATCH", false, 42L);
    assertThat(reply.json().getJsonObject("error").getString("message"))
        .isEqualTo("round 42 is not the current round");
  }

  @Test
  void unexpectedException_internalError500_leaksNothing() throws Exception {
    Reply reply = await(get(client(siloA), server.port(), "/test/crash"));

    assertError(reply, 500, "INTERNAL_ERROR", true, null);
    assertThat(reply.body().toString())
        .doesNotContain("secret-detail-7f3a")
        .doesNotContain("IllegalStateException")
        .doesNotContain("at org.");
  }

  @Test
  void connectionsPerSite_overLimitRefusedThenFreedOnClose() throws Exception {
    AggregatorServer limited =
        startExtraServer(federation.config("limited", "crl.pem", ROSTER, MAX_BODY_BYTES, 1));
    Party busy = federation.issue(SiteRole.SILO, "silo-busy", Duration.ofDays(1));
    HttpClientAgent client = client(busy);

    HttpClientConnection first = connect(client, limited.port());
    Reply firstReply = await(get(first, limited.port(), "/health"));
    HttpClientConnection second = connect(client, limited.port());
    Reply secondReply = await(get(second, limited.port(), "/health"));
    await(first.close());
    Reply afterClose =
        pollUntil(() -> get(client, limited.port(), "/health"), r -> r.status() == 200);

    assertThat(firstReply.status()).isEqualTo(200);
    assertError(secondReply, 429, "TOO_MANY_CONNECTIONS", true, null);
    assertThat(afterClose.status()).isEqualTo(200);
  }

  @Test
  void certificateExpiringDuringConnection_refusedPerRequestThenAtHandshake() throws Exception {
    Party expiring = federation.issue(SiteRole.SILO, "silo-expiring", Duration.ofSeconds(3));
    Instant notAfter = expiring.certificate().getNotAfter().toInstant();
    HttpClientAgent client = client(expiring);
    HttpClientConnection connection = connect(client, server.port());
    Reply beforeExpiry = await(get(connection, server.port(), "/health"));

    sleepUntil(notAfter.plusMillis(1_200));
    Reply afterExpiry = await(get(connection, server.port(), "/health"));

    assertThat(beforeExpiry.status()).isEqualTo(200);
    assertError(afterExpiry, 403, "CERTIFICATE_REJECTED", false, null);
    assertThat(afterExpiry.json().getJsonObject("error").getString("message")).contains("expired");
    assertHandshakeRefused(get(client(expiring), server.port(), "/health"));
  }

  @Test
  void certificateRevokedDuringConnection_refusedAfterCrlReloadWithoutRestart() throws Exception {
    federation.writeCrl("revocation-crl.pem", federation.emptyCrl);
    AggregatorServer revoking =
        startExtraServer(
            federation.config("revocation", "revocation-crl.pem", ROSTER, MAX_BODY_BYTES, 8));
    Party revoked = federation.issue(SiteRole.SILO, "silo-revoked", Duration.ofDays(1));
    HttpClientConnection connection = connect(client(revoked), revoking.port());
    Reply beforeRevocation = await(get(connection, revoking.port(), "/health"));

    X509CRL crl =
        federation.ca.revoke(
            federation.emptyCrl,
            revoked.certificate().getSerialNumber(),
            Instant.now(),
            Duration.ofDays(1));
    federation.writeCrl("revocation-crl.pem", crl);
    Reply afterRevocation =
        pollUntil(() -> get(connection, revoking.port(), "/health"), r -> r.status() != 200);

    assertThat(beforeRevocation.status()).isEqualTo(200);
    assertError(afterRevocation, 403, "CERTIFICATE_REJECTED", false, null);
    assertThat(afterRevocation.json().getJsonObject("error").getString("message"))
        .contains("revoked");
    // The TLS layer got the new CRL before the per-request check did.
    assertHandshakeRefused(get(client(revoked), revoking.port(), "/health"));
    assertThat(await(get(client(siloA), revoking.port(), "/health")).status()).isEqualTo(200);
  }

  private AggregatorServer startExtraServer(AggregatorConfig config) throws Exception {
    AggregatorServer extra = await(AggregatorServer.start(config));
    extraServers.add(extra);
    return extra;
  }

  /** Repeats {@code call} every 100 ms until {@code done} holds, for at most 15 seconds. */
  private static Reply pollUntil(Supplier<Future<Reply>> call, Predicate<Reply> done)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    Reply last = null;
    while (System.nanoTime() < deadline) {
      last = await(call.get());
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("condition not reached within 15 s; last reply " + last);
  }

  private static void sleepUntil(Instant moment) throws InterruptedException {
    long millis = Duration.between(Instant.now(), moment).toMillis();
    if (millis > 0) {
      Thread.sleep(millis);
    }
  }
}
