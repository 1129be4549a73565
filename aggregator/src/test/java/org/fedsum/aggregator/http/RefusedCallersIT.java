package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.assertError;
import static org.fedsum.aggregator.http.Calls.assertHandshakeRefused;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.http.SiloDriver.Played;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.SiloProtocol;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.fedsum.protocol.codec.VectorFrame;
import org.fedsum.silo.client.AggregatorRefusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Callers the aggregator must refuse, against the silo and operator routes of a run whose round is
 * open: no certificate, another federation's certificate, the wrong role, a silo outside the
 * federation's roster, a federation silo outside the run's roster, and a roster silo whose
 * certificate is revoked in the middle of the round. None of them may change the run: the round
 * finishes with the others and the model is their average.
 */
class RefusedCallersIT {
  private static final List<String> RUN_ROSTER =
      List.of("silo-1", "silo-2", "silo-3", "silo-4", "silo-revoked");
  private static final List<String> FEDERATION_ROSTER =
      List.of("silo-1", "silo-2", "silo-3", "silo-4", "silo-revoked", "silo-spare");
  private static final int PARAMETERS = 2_000;
  private static final String RUN = "refusals";

  @TempDir Path directory;

  private FederationFixture fixture;
  private AggregatorServer server;
  private Vertx vertx;
  private OperatorCalls operator;
  private HttpClient operatorClient;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeEach
  void start() throws Exception {
    fixture = FederationFixture.create(directory);
    fixture.writeCrl("refusals-crl.pem", fixture.emptyCrl);
    server =
        await(
            AggregatorServer.start(
                fixture.config("refusals", "refusals-crl.pem", FEDERATION_ROSTER, 16 << 10, 16)));
    vertx = Vertx.vertx();
    operatorClient =
        vertx.createHttpClient(
            fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1))));
    operator = new OperatorCalls(operatorClient, server::port);
  }

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    await(vertx.close());
    await(server.close());
  }

  @Test
  void refusedCallers_duringARound_changeNothing_roundFinishesWithTheOthers() throws Exception {
    operator.create(OperatorCalls.runYaml(RUN, RUN_ROSTER, 1, PARAMETERS, "30s", "6s", Map.of()));
    operator.change(RUN, "start");
    operator.waitForStage(RUN, 1, Stage.ADVERTISE_KEYS, 0);
    List<SiloDriver> drivers = new ArrayList<>();
    for (String silo : RUN_ROSTER) {
      drivers.add(
          new SiloDriver(
              fixture, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)), PARAMETERS));
    }
    // A real message and a real frame of this round, to be sent by the wrong callers.
    RoundConfig round =
        drivers.get(0).client(server.port()).pollTask(-1, 0, SiloDriver.POLL).round().orElseThrow();
    Buffer advertisement = advertisementJson(drivers.get(0), round, "silo-1");
    Buffer frame = frame(round, new int[round.vectorLength()]);
    String masked = "/v1/silo/rounds/1/masked-input";

    // No certificate, or one of another federation's CA: no TLS session, so no HTTP at all.
    HttpClientAgent anonymous = vertx.createHttpClient(fixture.trustingClientOptions());
    assertHandshakeRefused(Calls.get(anonymous, server.port(), "/v1/silo/task?waitMillis=0"));
    assertHandshakeRefused(
        Calls.send(anonymous, HttpMethod.POST, server.port(), "/v1/silo/messages", advertisement));
    HttpClientAgent impostor =
        vertx.createHttpClient(
            fixture.clientOptions(FederationFixture.foreign(SiteRole.SILO, "silo-1")));
    assertHandshakeRefused(Calls.get(impostor, server.port(), "/v1/silo/task?waitMillis=0"));
    assertHandshakeRefused(
        Calls.send(impostor, HttpMethod.POST, server.port(), "/v1/silo/messages", advertisement));
    assertHandshakeRefused(Calls.send(impostor, HttpMethod.PUT, server.port(), masked, frame));

    // An operator on every silo route.
    assertError(operator.get("/v1/silo/task?waitMillis=0"), 403, "WRONG_ROLE", false, null);
    assertError(
        operator.post("/v1/silo/messages", advertisement.toString()),
        403,
        "WRONG_ROLE",
        false,
        null);
    assertError(operator.put(masked, frame), 403, "WRONG_ROLE", false, null);
    assertError(operator.get("/v1/silo/model"), 403, "WRONG_ROLE", false, null);

    // A roster silo on every operator route.
    HttpClientAgent silo = vertx.createHttpClient(fixture.clientOptions(drivers.get(0).party()));
    String other = OperatorCalls.runYaml("other", RUN_ROSTER, 1, PARAMETERS, "5s", "5s", Map.of());
    List<Calls.Reply> siloOnOperatorRoutes =
        List.of(
            await(Calls.get(silo, server.port(), "/v1/runs")),
            await(Calls.get(silo, server.port(), "/v1/runs/" + RUN)),
            await(Calls.get(silo, server.port(), "/v1/runs/" + RUN + "/model")),
            await(Calls.get(silo, server.port(), "/v1/runs/" + RUN + "/journal")),
            await(
                Calls.send(silo, HttpMethod.POST, server.port(), "/v1/runs", Buffer.buffer(other))),
            await(
                Calls.send(
                    silo,
                    HttpMethod.PUT,
                    server.port(),
                    "/v1/runs/" + RUN + "/initial-model",
                    OperatorCalls.floats(new float[PARAMETERS]))),
            post(silo, "/v1/runs/" + RUN + "/start"),
            post(silo, "/v1/runs/" + RUN + "/pause"),
            post(silo, "/v1/runs/" + RUN + "/resume"),
            post(silo, "/v1/runs/" + RUN + "/stop"));
    for (Calls.Reply reply : siloOnOperatorRoutes) {
      assertError(reply, 403, "WRONG_ROLE", false, null);
    }

    // A silo of this CA that is not in the federation's roster: refused before any route.
    HttpClientAgent outsider =
        vertx.createHttpClient(
            fixture.clientOptions(
                fixture.issue(SiteRole.SILO, "silo-outsider", Duration.ofDays(1))));
    List<Calls.Reply> outsiderReplies =
        List.of(
            await(Calls.get(outsider, server.port(), "/v1/silo/task?waitMillis=0")),
            await(
                Calls.send(
                    outsider,
                    HttpMethod.POST,
                    server.port(),
                    "/v1/silo/messages",
                    advertisementJson(drivers.get(0), round, "silo-outsider"))),
            await(Calls.send(outsider, HttpMethod.PUT, server.port(), masked, frame)),
            await(Calls.get(outsider, server.port(), "/v1/silo/model")));
    for (Calls.Reply reply : outsiderReplies) {
      assertError(reply, 403, "UNKNOWN_SILO", false, null);
      assertThat(reply.json().getJsonObject("error").getString("message"))
          .contains("silo-outsider");
    }

    // A silo of the federation's roster that is not in this run's roster.
    HttpClientAgent spare =
        vertx.createHttpClient(
            fixture.clientOptions(fixture.issue(SiteRole.SILO, "silo-spare", Duration.ofDays(1))));
    assertError(
        await(Calls.get(spare, server.port(), "/v1/silo/task?waitMillis=0")),
        403,
        "UNKNOWN_SILO",
        false,
        1L);
    assertError(
        await(
            Calls.send(
                spare,
                HttpMethod.POST,
                server.port(),
                "/v1/silo/messages",
                advertisementJson(drivers.get(0), round, "silo-spare"))),
        403,
        "UNKNOWN_SILO",
        false,
        1L);
    assertError(
        await(Calls.send(spare, HttpMethod.PUT, server.port(), masked, frame)),
        403,
        "UNKNOWN_SILO",
        false,
        1L);
    assertError(
        await(Calls.get(spare, server.port(), "/v1/silo/model")), 403, "UNKNOWN_SILO", false, 1L);

    // Nothing of that reached the run.
    JsonObject untouched = operator.status(RUN);
    assertThat(untouched.getString("phase")).isEqualTo("COLLECTING");
    assertThat(untouched.getBoolean("pauseRequested")).isFalse();
    assertThat(untouched.getString("stage")).isEqualTo("ADVERTISE_KEYS");
    assertThat(untouched.getJsonObject("participants").fieldNames()).isEmpty();
    assertThat(operator.journal(RUN))
        .extracting(record -> record.getString("type"))
        .containsExactly("journal-opened", "run-privacy", "round-started");

    // The round, with silo-revoked's certificate revoked just before its masked vector.
    List<Future<Played>> round1 = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      SiloDriver.SendHook hook =
          driver.siloId().equals("silo-revoked")
              ? (message, sender) -> revokedBeforeMaskedInput(driver, message, sender)
              : SiloDriver.SEND;
      round1.add(threads.submit(() -> driver.play(server.port(), 0, hook)));
    }
    List<Played> played = new ArrayList<>();
    for (Future<Played> future : round1) {
      played.add(SiloDriver.join(future));
    }

    JsonObject done = operator.waitForPhase(RUN, "COMPLETED");
    assertThat(done.getInteger("roundsFinished")).isEqualTo(1);
    assertThat(played.subList(0, 4))
        .allSatisfy(p -> assertThat(p.ending()).as("%s", p).isEqualTo(SiloDriver.Ending.FINISHED));
    assertThat(played.get(4).ending()).isEqualTo(SiloDriver.Ending.SILENT);
    SiloDriver.assertModelClose(
        operator.model(RUN),
        SiloDriver.average(played.subList(0, 4).stream().map(Played::update).toList()),
        1);
    List<JsonObject> journal = operator.journal(RUN);
    JsonObject finished = OperatorCalls.roundRecord(journal, "round-finished", 1);
    assertThat(finished.getJsonArray("survivors").getList())
        .containsExactly("silo-1", "silo-2", "silo-3", "silo-4");
    JsonObject dropouts = finished.getJsonObject("dropouts");
    assertThat(dropouts.getJsonArray("MASKED_INPUT").getList()).containsExactly("silo-revoked");
    assertThat(dropouts.getJsonArray("ADVERTISE_KEYS").getList()).isEmpty();
    // One accepted message per silo and stage: none from the refused callers.
    List<String> accepted =
        OperatorCalls.bodies(journal, "message-accepted").stream()
            .map(body -> body.getString("silo") + "/" + body.getString("stage"))
            .toList();
    assertThat(accepted)
        .doesNotHaveDuplicates()
        .hasSize(4 * 5 + 2)
        .contains("silo-revoked/ADVERTISE_KEYS", "silo-revoked/SHARE_KEYS")
        .noneMatch(entry -> entry.startsWith("silo-revoked/MASKED_INPUT"))
        .noneMatch(entry -> entry.startsWith("silo-spare") || entry.startsWith("silo-outsider"));
    assertThat(OperatorCalls.bodies(journal, "run-paused")).isEmpty();
    assertThat(OperatorCalls.bodies(journal, "run-completed")).hasSize(1);
  }

  /**
   * silo-revoked's hook: its certificate is revoked before it sends its masked vector; once the
   * aggregator has reloaded the CRL, the upload is refused and the silo gives up.
   */
  private boolean revokedBeforeMaskedInput(
      SiloDriver driver, SiloMessage message, SiloDriver.Sender sender) throws Exception {
    if (!(message instanceof MaskedInput)) {
      sender.send(message);
      return true;
    }
    X509CRL crl =
        fixture.ca.revoke(
            fixture.emptyCrl,
            driver.party().certificate().getSerialNumber(),
            Instant.now(),
            Duration.ofDays(1));
    fixture.writeCrl("refusals-crl.pem", crl);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    boolean refused = false;
    while (!refused && System.nanoTime() < deadline) {
      // A new connection each time: the handshake sees the CRL in force.
      HttpClientAgent fresh = vertx.createHttpClient(fixture.clientOptions(driver.party()));
      refused = handshakeFails(Calls.get(fresh, server.port(), "/health"));
      await(fresh.close());
      Thread.sleep(100);
    }
    assertThat(refused).as("the aggregator reloaded the CRL").isTrue();
    // The silo's own client may reuse its open connection (refused per request) or open a new one
    // (refused at the handshake); either way nothing is accepted.
    try {
      sender.send(message);
      throw new AssertionError("the revoked silo's masked vector was accepted");
    } catch (AggregatorRefusal refusal) {
      assertThat(refusal.code()).isEqualTo("CERTIFICATE_REJECTED");
      assertThat(refusal.httpStatus()).isEqualTo(403);
    } catch (IOException handshake) {
      assertThat(handshake).hasStackTraceContaining("SSLHandshakeException");
    }
    return false;
  }

  /** Whether {@code call} failed in the TLS handshake (false if it got a reply). */
  private static boolean handshakeFails(io.vertx.core.Future<?> call) throws Exception {
    try {
      call.toCompletionStage().toCompletableFuture().get(Calls.TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return false;
    } catch (ExecutionException e) {
      assertThat(e.getCause()).hasStackTraceContaining("SSLHandshakeException");
      return true;
    }
  }

  private Calls.Reply post(HttpClient client, String path) throws Exception {
    return await(Calls.send(client, HttpMethod.POST, server.port(), path, Buffer.buffer()));
  }

  /** A well-formed advertisement of {@code round}, claiming {@code siloId} as its sender. */
  private static Buffer advertisementJson(SiloDriver driver, RoundConfig round, String siloId)
      throws Exception {
    var context =
        new SiloContext(
            driver.siloId(),
            EcdsaP256SigningKey.fromPkcs8Pem(driver.party().privateKeyPem()),
            driver.party().certificate().getEncoded(),
            driver.trust(),
            new SecureRandom(),
            3);
    var step = SiloProtocol.start(context, round, WordVector.wrap(new int[round.vectorLength()]));
    JsonObject json =
        new JsonObject(Buffer.buffer(JsonMessageCodec.encode(step.outbound().get(0))));
    return json.put("siloId", siloId).toBuffer();
  }

  private static Buffer frame(RoundConfig round, int[] words) {
    return Buffer.buffer(VectorFrame.encode(round.round(), round.bits(), WordVector.wrap(words)));
  }
}
