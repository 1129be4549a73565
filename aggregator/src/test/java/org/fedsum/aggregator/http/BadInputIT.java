package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.fedsum.aggregator.http.Calls.assertError;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.aggregator.http.SiloDriver.Played;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.fedsum.protocol.codec.VectorFrame;
import org.fedsum.protocol.lineage.LineageManifest;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.AggregatorRefusal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input on every endpoint over real mutual TLS, each answered with its documented error
 * (status, code, retry flag, round) while a run goes on: malformed, oversized, truncated, repeated,
 * replayed and out-of-stage silo messages and vector frames, bad task polls, and operator requests
 * that do not fit the run. None of them may change the run: the round still finishes with the sum
 * of the real updates, and the journal holds exactly the accepted messages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT {
  private static final List<String> ROSTER =
      List.of("silo-1", "silo-2", "silo-3", "silo-4", "silo-5");
  private static final int PARAMETERS = 2_000;
  private static final long MAX_BODY_BYTES = 16 << 10;

  @TempDir static Path directory;

  private FederationFixture fixture;
  private AggregatorServer server;
  private Vertx vertx;
  private OperatorCalls operator;
  private final List<SiloDriver> drivers = new ArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private Party operatorParty;
  private HttpClientAgent operatorClient;

  // The silo test's round, and what silo-1 sent at each stage.
  private RoundConfig round;
  private final Map<Stage, SiloMessage> sent = new EnumMap<>(Stage.class);

  @BeforeAll
  void start() throws Exception {
    fixture = FederationFixture.create(directory);
    server =
        await(
            AggregatorServer.start(
                fixture.config("bad-input", "crl.pem", ROSTER, MAX_BODY_BYTES, 32)));
    vertx = Vertx.vertx();
    operator =
        new OperatorCalls(
            vertx.createHttpClient(
                fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1)))),
            server::port);
    for (String silo : ROSTER) {
      drivers.add(
          new SiloDriver(
              fixture, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)), PARAMETERS));
    }
  }

  @AfterAll
  void stop() throws Exception {
    threads.shutdownNow();
    await(vertx.close());
    await(server.close());
  }

  // ----------------------------------------------------------------------------------------------
  // Silo endpoints
  // ----------------------------------------------------------------------------------------------

  @Test
  void siloEndpoints_badInput_refusedWithTheirCodes_roundFinishesWithTheCorrectSum()
      throws Exception {
    String run = "silo-input";
    operator.create(OperatorCalls.runYaml(run, ROSTER, 1, PARAMETERS, "120s", "120s", Map.of()));
    float[] initial = randomModel();
    operator.initialModel(run, initial);
    operator.change(run, "start");
    round =
        drivers.get(0).client(server.port()).pollTask(-1, 0, SiloDriver.POLL).round().orElseThrow();
    // silo-1 misbehaves first at every stage; the others wait until it is done, so every stage is
    // still open when it tries (and its duplicates meet the same stage, not the next one).
    Map<Stage, CountDownLatch> gates = new EnumMap<>(Stage.class);
    for (Stage stage : Stage.values()) {
      gates.put(stage, new CountDownLatch(1));
    }
    List<Future<Played>> futures = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      SiloDriver.SendHook hook =
          driver.siloId().equals("silo-1")
              ? (message, sender) -> misbehaveThenSend(run, driver, message, sender, gates)
              : (message, sender) -> {
                assertThat(gates.get(message.stage()).await(90, TimeUnit.SECONDS))
                    .as("silo-1 done with %s", message.stage())
                    .isTrue();
                if (message.stage() == Stage.ADVERTISE_KEYS && driver.siloId().equals("silo-2")) {
                  driver
                      .client(server.port())
                      .sendMetrics(1, 40, Map.of("loss", 0.9, "accuracy", 0.25));
                }
                sender.send(message);
                return true;
              };
      futures.add(threads.submit(() -> driver.play(server.port(), 0, hook)));
    }
    List<double[]> updates = new ArrayList<>();
    for (Future<Played> future : futures) {
      Played played = SiloDriver.join(future);
      assertThat(played.ending()).as("%s", played).isEqualTo(SiloDriver.Ending.FINISHED);
      updates.add(played.update());
    }

    JsonObject status = operator.waitForPhase(run, "COMPLETED");
    assertThat(status.getInteger("roundsFinished")).isEqualTo(1);
    assertThat(status.getInteger("roundsAborted")).isZero();
    double[] start = new double[PARAMETERS];
    for (int i = 0; i < PARAMETERS; i++) {
      start[i] = initial[i];
    }
    SiloDriver.assertModelClose(
        operator.model(run), SiloDriver.plus(start, SiloDriver.average(updates)), 1);
    // Exactly the accepted messages are journaled: one per silo and stage.
    List<String> accepted =
        OperatorCalls.bodies(operator.journal(run), "message-accepted").stream()
            .map(body -> body.getString("silo") + "/" + body.getString("stage"))
            .toList();
    assertThat(accepted).doesNotHaveDuplicates().hasSize(ROSTER.size() * Stage.values().length);
    // The refused requests are not journaled one by one, but counted by code in the round's end.
    JsonObject refusals =
        OperatorCalls.roundRecord(operator.journal(run), "round-finished", 1)
            .getJsonObject("refusals");
    assertThat(refusals.getLong("DUPLICATE_SUBMISSION")).isGreaterThanOrEqualTo(6);
    assertThat(refusals.getLong("BAD_REQUEST")).isGreaterThanOrEqualTo(8);
    assertThat(refusals.getLong("ROUND_MISMATCH")).isGreaterThanOrEqualTo(2);
    assertThat(spooled(run, 1)).as("spool files left").isEmpty();
    // The published model's lineage manifest: signed by the aggregator, naming the survivors.
    LineageManifest lineage = null;
    for (int attempt = 0; attempt < 100 && lineage == null; attempt++) {
      Calls.Reply reply = operator.get("/v1/runs/" + run + "/lineage/1");
      if (reply.status() == 200) {
        lineage =
            LineageManifest.verify(
                reply.body().toString(),
                FederationTrust.create(
                    fixture.ca.certificate(),
                    fixture.ca.emptyCrl(java.time.Instant.now(), java.time.Duration.ofDays(1))));
      } else {
        Thread.sleep(100);
      }
    }
    assertThat(lineage).as("lineage manifest of round 1").isNotNull();
    assertThat(lineage.modelSha256())
        .isEqualTo(org.fedsum.aggregator.round.GlobalModel.sha256Of(operator.model(run)));
    assertThat(lineage.manifest().path("rounds").get(0).path("survivors")).hasSize(ROSTER.size());
    assertError(operator.get("/v1/runs/" + run + "/lineage/2"), 404, "NOT_FOUND", false, null);
    assertError(operator.get("/v1/runs/" + run + "/lineage/x"), 400, "BAD_REQUEST", false, null);
    // The two silos that shared metrics: journaled once each, averaged by their examples.
    assertThat(OperatorCalls.bodies(operator.journal(run), "silo-metrics"))
        .extracting(body -> body.getString("silo"))
        .containsExactlyInAnyOrder("silo-1", "silo-2");
    JsonObject shared =
        operator
            .get("/v1/runs/" + run + "/rounds")
            .json()
            .getJsonArray("rounds")
            .getJsonObject(0)
            .getJsonObject("siloMetrics");
    assertThat(shared.getJsonArray("silos").getList()).containsExactly("silo-1", "silo-2");
    assertThat(shared.getLong("examples")).isEqualTo(160);
    assertThat(shared.getJsonObject("mean").getDouble("loss")).isCloseTo(0.6, within(1e-12));
    assertThat(shared.getJsonObject("mean").getDouble("accuracy")).isCloseTo(0.625, within(1e-12));
  }

  /** silo-1's metrics: each kind of bad report refused naming what is wrong, then one accepted. */
  private void sharedMetrics(SiloDriver driver, HttpClientAgent silo) throws Exception {
    String[][] cases = {
      {"not json", "not JSON"},
      {"[1]", "JSON object"},
      {"{\"round\":1,\"examples\":5,\"metrics\":{\"loss\":0.5},\"extra\":1}", "'extra'"},
      {"{\"round\":1,\"examples\":5,\"metrics\":{\"loss\":\"high\"}}", "metrics.loss"},
      {"{\"round\":1,\"examples\":-1,\"metrics\":{\"loss\":0.5}}", "examples"},
      {"{\"round\":1,\"examples\":5,\"metrics\":{}}", "1 to 16"},
      {"{\"round\":1,\"examples\":5,\"metrics\":{\"1bad\":0.5}}", "metric name"},
      {"{\"examples\":5,\"metrics\":{\"loss\":0.5}}", "round must be"},
    };
    for (String[] bad : cases) {
      Calls.Reply reply = postMetrics(silo, bad[0]);
      assertError(reply, 400, "BAD_REQUEST", false, null);
      assertThat(reply.json().getJsonObject("error").getString("message"))
          .as("refusal of %s", bad[0])
          .contains(bad[1]);
    }
    assertError(
        postMetrics(silo, "{\"round\":2,\"examples\":5,\"metrics\":{\"loss\":0.5}}"),
        409,
        "ROUND_MISMATCH",
        false,
        2L);
    driver.client(server.port()).sendMetrics(1, 120, Map.of("loss", 0.5, "accuracy", 0.75));
    AggregatorRefusal again =
        refused(() -> driver.client(server.port()).sendMetrics(1, 120, Map.of("loss", 0.5)));
    assertThat(again.code()).isEqualTo("DUPLICATE_SUBMISSION");
  }

  private Calls.Reply postMetrics(HttpClientAgent silo, String body) throws Exception {
    return await(
        Calls.send(silo, HttpMethod.POST, server.port(), "/v1/silo/metrics", Buffer.buffer(body)));
  }

  /** silo-1's hook: bad input first, then the real message, then the same message again. */
  private boolean misbehaveThenSend(
      String run,
      SiloDriver driver,
      SiloMessage message,
      SiloDriver.Sender sender,
      Map<Stage, CountDownLatch> gates)
      throws Exception {
    Stage stage = message.stage();
    HttpClientAgent silo = vertx.createHttpClient(fixture.clientOptions(driver.party()));
    try {
      switch (stage) {
        case ADVERTISE_KEYS -> {
          badAdvertisements(silo, message);
          sharedMetrics(driver, silo);
        }
        case SHARE_KEYS -> badShares(silo, message);
        case MASKED_INPUT -> badFrames(run, driver, silo, (MaskedInput) message);
        case CONSISTENCY_CHECK -> badSignatures(silo, message);
        case UNMASK -> badUnmaskShares(silo, message);
      }
      assertThat(OperatorCalls.participants(operator.status(run), stage))
          .as("participants of %s after the bad input", stage)
          .isEmpty();
      sender.send(message);
      sent.put(stage, message);
      // The same message again: the first one counts, the second is refused.
      if (message instanceof MaskedInput masked) {
        assertError(
            putFrame(
                silo,
                1,
                Buffer.buffer(frame(1, round.bits(), ((WordVector) masked.vector()).words()))),
            409,
            "DUPLICATE_SUBMISSION",
            false,
            1L);
        AggregatorRefusal again =
            refused(
                () ->
                    driver
                        .client(server.port())
                        .sendMaskedVector(1, round.bits(), (WordVector) masked.vector(), false));
        assertThat(again.code()).isEqualTo("DUPLICATE_SUBMISSION");
      } else {
        assertError(
            postMessage(silo, json(message, UnaryOperator.identity())),
            409,
            "DUPLICATE_SUBMISSION",
            false,
            1L);
      }
      assertThat(OperatorCalls.participants(operator.status(run), stage))
          .as("participants of %s", stage)
          .containsExactly("silo-1");
      return true;
    } finally {
      gates.get(stage).countDown();
      await(silo.close());
    }
  }

  private void badAdvertisements(HttpClientAgent silo, SiloMessage advertisement) throws Exception {
    // The task poll's query parameters.
    for (String query :
        List.of(
            "round=abc",
            "round=-2",
            "round=1&round=1",
            "after=-1",
            "after=x",
            "after=2147483648",
            "waitMillis=30001",
            "waitMillis=-5",
            "waitMillis=1e3")) {
      assertError(
          await(Calls.get(silo, server.port(), "/v1/silo/task?" + query)),
          400,
          "BAD_REQUEST",
          false,
          null);
    }
    // Not JSON, not an object, unknown type, an extra field, a missing field.
    for (String body :
        List.of(
            "{",
            "",
            "[1, 2]",
            "\"advertise-keys\"",
            json(advertisement, m -> m.put("type", "teleport")).toString(),
            json(advertisement, m -> m.put("extra", 1)).toString(),
            json(advertisement, m -> remove(m, "signature")).toString(),
            json(advertisement, m -> m.put("round", "one")).toString(),
            json(advertisement, m -> m.put("maskingPublicKey", "not base64!")).toString())) {
      assertError(postMessage(silo, Buffer.buffer(body)), 400, "MALFORMED_MESSAGE", false, null);
    }
    // Over the control message limit.
    String padding = "x".repeat((int) MAX_BODY_BYTES);
    assertError(
        postMessage(silo, json(advertisement, m -> m.put("padding", padding))),
        413,
        "MESSAGE_TOO_LARGE",
        false,
        null);
    // Claiming another sender.
    assertError(
        postMessage(silo, json(advertisement, m -> m.put("siloId", "silo-2"))),
        400,
        "MALFORMED_MESSAGE",
        false,
        1L);
    // Another round: a replay, or a silo that fell behind or ran ahead.
    assertError(
        postMessage(silo, json(advertisement, m -> m.put("round", 2))),
        409,
        "ROUND_MISMATCH",
        false,
        1L);
    assertError(
        postMessage(silo, json(advertisement, m -> m.put("round", 0))),
        409,
        "ROUND_MISMATCH",
        false,
        1L);
    // Messages of later stages while the round collects keys.
    JsonObject signature =
        new JsonObject()
            .put("type", "consistency-signature")
            .put("siloId", "silo-1")
            .put("round", 1)
            .put("signature", "AAAA");
    assertError(postMessage(silo, signature.toBuffer()), 409, "STAGE_OUT_OF_ORDER", false, 1L);
    assertError(
        putFrame(silo, 1, Buffer.buffer(frame(1, round.bits(), new int[round.vectorLength()]))),
        409,
        "STAGE_OUT_OF_ORDER",
        false,
        1L);
  }

  private void badShares(HttpClientAgent silo, SiloMessage shares) throws Exception {
    // Shares for fewer peers than advertised keys.
    assertError(
        postMessage(
            silo,
            json(
                shares,
                m -> {
                  JsonObject ciphertexts = m.getJsonObject("ciphertexts");
                  ciphertexts.remove(ciphertexts.fieldNames().iterator().next());
                  return m;
                })),
        400,
        "MALFORMED_MESSAGE",
        false,
        1L);
    // The advertisement again, now that the round is past it.
    assertError(
        postMessage(silo, json(sent.get(Stage.ADVERTISE_KEYS), UnaryOperator.identity())),
        409,
        "STAGE_OUT_OF_ORDER",
        false,
        1L);
  }

  private void badFrames(String run, SiloDriver driver, HttpClientAgent silo, MaskedInput masked)
      throws Exception {
    int[] words = ((WordVector) masked.vector()).words();
    int length = words.length;
    int bits = round.bits();
    assertThat(length).isEqualTo(round.vectorLength());
    // The body as it goes on the wire: the words packed at the round's bits.
    byte[] whole = frame(1, bits, words);
    byte[] body = Arrays.copyOfRange(whole, VectorFrame.HEADER_BYTES, whole.length);

    // A header declaring far more words than the round has: refused from the header alone, with
    // the declared body never sent.
    byte[] huge = header(1, bits, length + 1_000_000, WordVector.sha256(words));
    assertError(
        putHeaderOnly(driver.party(), 1, huge, VectorFrame.frameBytes(bits, length + 1_000_000L)),
        422,
        "VECTOR_LENGTH_MISMATCH",
        false,
        1L);
    // A whole, self-consistent frame of the wrong length, raw and through the silo client.
    int[] shorter = Arrays.copyOf(words, length - 1);
    assertError(
        putFrame(silo, 1, Buffer.buffer(frame(1, bits, shorter))),
        422,
        "VECTOR_LENGTH_MISMATCH",
        false,
        1L);
    AggregatorClient client = driver.client(server.port());
    AggregatorRefusal longer =
        refused(
            () -> client.sendMaskedVector(1, bits, WordVector.wrap(new int[2 * length]), false));
    assertThat(longer.code()).isEqualTo("VECTOR_LENGTH_MISMATCH");
    assertThat(longer.httpStatus()).isEqualTo(422);
    // A large wrong-length vector is refused without the aggregator reading (or the silo waiting
    // for) its 16 MiB.
    long before = System.nanoTime();
    AggregatorRefusal large =
        refused(() -> client.sendMaskedVector(1, bits, WordVector.wrap(new int[4 << 20]), false));
    assertThat(large.code()).isEqualTo("VECTOR_LENGTH_MISMATCH");
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(20));

    // Body longer than its header declares; truncated body; truncated or empty header.
    byte[] header = header(1, bits, length, WordVector.sha256(words));
    for (Buffer frame :
        List.of(
            Buffer.buffer(header).appendBytes(body).appendIntLE(0),
            Buffer.buffer(header).appendBytes(body, 0, body.length - 4),
            Buffer.buffer(header).appendBytes(body, 0, body.length / 2 + 1),
            Buffer.buffer(header),
            Buffer.buffer(Arrays.copyOf(header, 30)),
            Buffer.buffer())) {
      assertError(putFrame(silo, 1, frame), 400, "MALFORMED_MESSAGE", false, 1L);
    }
    // Wrong hash, bad magic, wrong word width, version 1 (unpacked words) or unknown, reserved
    // bytes set.
    int[] other = words.clone();
    other[0] ^= 1;
    List<byte[]> badHeaders =
        List.of(
            header(1, bits, length, WordVector.sha256(other)),
            patched(header, 0, (byte) 'X'),
            patched(header, 5, (byte) (bits == 32 ? 31 : 32)),
            patched(header, 4, (byte) 1),
            patched(header, 4, (byte) 3),
            patched(header, 6, (byte) 1));
    for (byte[] badHeader : badHeaders) {
      assertError(
          putFrame(silo, 1, Buffer.buffer(badHeader).appendBytes(body)),
          400,
          "MALFORMED_MESSAGE",
          false,
          1L);
    }
    // Another round, in the header or in the path.
    assertError(
        putFrame(silo, 1, Buffer.buffer(frame(2, bits, words))), 409, "ROUND_MISMATCH", false, 1L);
    assertError(
        putFrame(silo, 2, Buffer.buffer(frame(2, bits, words))), 409, "ROUND_MISMATCH", false, 2L);
    // A masked vector is not a control message.
    assertError(
        postMessage(
            silo,
            new JsonObject()
                .put("type", "masked-input")
                .put("siloId", "silo-1")
                .put("round", 1)
                .toBuffer()),
        400,
        "MALFORMED_MESSAGE",
        false,
        null);
    // No refused upload left a spool file behind, and none counts.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!spooled(run, 1).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(spooled(run, 1)).as("spool files after refused uploads").isEmpty();
    // An upload abandoned halfway: the connection closes under it. A network fault of the silo's,
    // not an internal error of the aggregator's; its bytes stay for the silo to resume (a PUT,
    // as the silo's real upload below, starts over instead), and they do not count.
    try (CapturedLog log = CapturedLog.of(ErrorResponder.class)) {
      abandonUpload(driver.party(), Buffer.buffer(header).appendBytes(body, 0, body.length / 2));
      log.awaitMessage("the caller went away");
      assertThat(log.messages()).noneMatch(message -> message.startsWith("ERROR"));
    }
    assertThat(spooled(run, 1))
        .as("spool files after an abandoned upload")
        .extracting(path -> path.getFileName().toString())
        .containsExactly("silo-1.vec");
  }

  private void badSignatures(HttpClientAgent silo, SiloMessage signature) throws Exception {
    assertError(
        postMessage(silo, json(signature, m -> m.put("signature", "%%%"))),
        400,
        "MALFORMED_MESSAGE",
        false,
        null);
    assertError(
        postMessage(silo, json(sent.get(Stage.SHARE_KEYS), UnaryOperator.identity())),
        409,
        "STAGE_OUT_OF_ORDER",
        false,
        1L);
  }

  private void badUnmaskShares(HttpClientAgent silo, SiloMessage unmask) throws Exception {
    // Revealing nothing is not a valid answer: a silo reveals one share per peer.
    assertError(
        postMessage(
            silo,
            json(
                unmask,
                m ->
                    m.put("selfMaskSeedShares", new JsonObject())
                        .put("maskingKeyShares", new JsonObject()))),
        400,
        "MALFORMED_MESSAGE",
        false,
        1L);
    assertError(
        postMessage(silo, json(sent.get(Stage.CONSISTENCY_CHECK), UnaryOperator.identity())),
        409,
        "STAGE_OUT_OF_ORDER",
        false,
        1L);
  }

  // ----------------------------------------------------------------------------------------------
  // Operator endpoints
  // ----------------------------------------------------------------------------------------------

  @Test
  void operatorEndpoints_badInput_refusedWithTheirCodes_runUnchanged() throws Exception {
    String valid = OperatorCalls.runYaml("ops-1", ROSTER, 1, PARAMETERS, "60s", "60s", Map.of());
    List<String> runsBefore = runIds();

    // Invalid run configurations, each naming its key.
    Map<String, String> invalid = new LinkedHashMap<>();
    invalid.put("roundz", valid + "roundz: 3\n");
    invalid.put("threshold", valid.replace("threshold: 3", "threshold: 9"));
    invalid.put("deadlines.shareKeys", valid.replace("shareKeys: 60s", "shareKeys: soon"));
    invalid.put("roster", valid.replace("silo-5]", "silo-9]"));
    invalid.put("model.parameters", valid.replace("parameters: 2000", "parameters: 0"));
    invalid.put("privacy.clipNorm", valid.replace("  clipNorm: 10\n", ""));
    invalid.put("runId", valid.replace("runId: ops-1", "runId: ../evil"));
    invalid.put("rounds", valid.replace("rounds: 1", "rounds: many"));
    for (Map.Entry<String, String> entry : invalid.entrySet()) {
      Calls.Reply reply = operator.post("/v1/runs", entry.getValue());
      assertError(reply, 422, "INVALID_RUN_CONFIG", false, null);
      assertThat(reply.json().getJsonObject("error").getString("message"))
          .as("the refusal names the key")
          .contains(entry.getKey());
    }
    assertError(
        operator.post("/v1/runs", "runId: [unclosed"), 422, "INVALID_RUN_CONFIG", false, null);
    assertError(
        await(
            Calls.send(
                operatorClient(),
                HttpMethod.POST,
                server.port(),
                "/v1/runs",
                Buffer.buffer(new byte[] {'r', 'u', 'n', (byte) 0xC3, (byte) 0x28}))),
        422,
        "INVALID_RUN_CONFIG",
        false,
        null);
    assertError(
        operator.post("/v1/runs", valid + "#" + "x".repeat((int) MAX_BODY_BYTES) + "\n"),
        413,
        "MESSAGE_TOO_LARGE",
        false,
        null);
    assertThat(runIds()).as("runs after refused creations").isEqualTo(runsBefore);

    // One run is active at a time; ids are never reused.
    operator.create(valid);
    assertError(
        operator.post("/v1/runs", valid.replace("runId: ops-1", "runId: ops-2")),
        409,
        "RUN_ACTIVE",
        false,
        null);
    assertError(operator.post("/v1/runs", valid), 409, "RUN_EXISTS", false, null);

    // Unknown runs, on every route that names one.
    for (Calls.Reply reply :
        List.of(
            operator.get("/v1/runs/ghost"),
            operator.get("/v1/runs/ghost/model"),
            operator.get("/v1/runs/ghost/journal"),
            operator.post("/v1/runs/ghost/start", ""),
            operator.post("/v1/runs/ghost/pause", ""),
            operator.post("/v1/runs/ghost/resume", ""),
            operator.post("/v1/runs/ghost/stop", ""),
            operator.put(
                "/v1/runs/ghost/initial-model", OperatorCalls.floats(new float[PARAMETERS])),
            operator.get("/v1/runs/no%2E%2E"))) {
      assertError(reply, 404, "RUN_NOT_FOUND", false, null);
    }

    // Initial models of the wrong size, or not finite, or larger than the limit allows.
    String model = "/v1/runs/ops-1/initial-model";
    float[] values = randomModel();
    float[] withNaN = values.clone();
    withNaN[7] = Float.NaN;
    float[] withInfinity = values.clone();
    withInfinity[PARAMETERS - 1] = Float.NEGATIVE_INFINITY;
    for (Buffer bad :
        List.of(
            OperatorCalls.floats(Arrays.copyOf(values, PARAMETERS - 1)),
            OperatorCalls.floats(Arrays.copyOf(values, PARAMETERS + 1)),
            OperatorCalls.floats(values).appendByte((byte) 0),
            Buffer.buffer(),
            OperatorCalls.floats(withNaN),
            OperatorCalls.floats(withInfinity))) {
      assertError(operator.put(model, bad), 422, "INVALID_MODEL", false, null);
    }
    assertThat(
            operator
                .put(model, OperatorCalls.floats(withNaN))
                .json()
                .getJsonObject("error")
                .getString("message"))
        .contains("parameter 7");
    assertError(
        putHeaderOnly(operatorParty(), model, new byte[4], 4L * 100_000_000 + 4),
        422,
        "INVALID_MODEL",
        false,
        null);
    assertError(
        putChunked(operatorClient(), model, OperatorCalls.floats(values)),
        400,
        "BAD_REQUEST",
        false,
        null);
    assertThat(operator.model("ops-1")).containsOnly(0f);
    operator.initialModel("ops-1", values);
    assertThat(operator.model("ops-1")).containsExactly(values);

    // Operations that do not fit the run's phase.
    assertError(operator.post("/v1/runs/ops-1/pause", ""), 409, "RUN_STATE_CONFLICT", false, null);
    assertError(operator.post("/v1/runs/ops-1/resume", ""), 409, "RUN_STATE_CONFLICT", false, null);
    operator.change("ops-1", "start");
    assertError(operator.post("/v1/runs/ops-1/start", ""), 409, "RUN_STATE_CONFLICT", false, null);
    assertError(
        operator.put(model, OperatorCalls.floats(values)), 409, "RUN_STATE_CONFLICT", false, null);
    assertError(operator.post("/v1/runs/ops-1/resume", ""), 409, "RUN_STATE_CONFLICT", false, null);
    JsonObject running = operator.status("ops-1");
    assertThat(running.getString("phase")).isEqualTo("COLLECTING");
    assertThat(running.getLong("currentRound")).isEqualTo(1);
    assertThat(running.getBoolean("pauseRequested")).isFalse();

    // Stopped: over for good.
    operator.change("ops-1", "stop");
    for (String action : List.of("start", "pause", "resume", "stop")) {
      assertError(
          operator.post("/v1/runs/ops-1/" + action, ""), 409, "RUN_STATE_CONFLICT", false, null);
    }
    assertThat(operator.model("ops-1")).containsExactly(values);
  }

  // ----------------------------------------------------------------------------------------------
  // Pause, resume, stop
  // ----------------------------------------------------------------------------------------------

  @Test
  void pauseResumeStop_pauseFinishesTheRound_resumeStartsTheNext_stopAbortsIt() throws Exception {
    String run = "lifecycle";
    operator.create(OperatorCalls.runYaml(run, ROSTER, 3, PARAMETERS, "120s", "120s", Map.of()));
    float[] initial = randomModel();
    operator.initialModel(run, initial);
    operator.change(run, "start");

    // Pause while round 1 collects shares: the round runs to its end, then nothing starts.
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch sharing = new CountDownLatch(ROSTER.size());
    List<Future<Played>> round1 = playAll(0, Stage.SHARE_KEYS, sharing, paused);
    assertThat(sharing.await(90, TimeUnit.SECONDS)).as("every silo at SHARE_KEYS").isTrue();
    operator.waitForStage(run, 1, Stage.SHARE_KEYS, 0);
    JsonObject pausing = operator.change(run, "pause");
    assertThat(pausing.getBoolean("pauseRequested")).isTrue();
    assertThat(pausing.getString("phase")).isEqualTo("COLLECTING");
    assertError(
        operator.post("/v1/runs/" + run + "/pause", ""), 409, "RUN_STATE_CONFLICT", false, null);
    paused.countDown();
    double[] expected = new double[PARAMETERS];
    for (int i = 0; i < PARAMETERS; i++) {
      expected[i] = initial[i];
    }
    expected = SiloDriver.plus(expected, SiloDriver.average(updates(round1)));
    JsonObject status = operator.waitForPhase(run, "PAUSED");
    assertThat(status.getInteger("roundsFinished")).isEqualTo(1);
    Thread.sleep(1_500);
    status = operator.status(run);
    assertThat(status.getString("phase")).isEqualTo("PAUSED");
    assertThat(status.getLong("currentRound")).isEqualTo(1);
    assertThat(status.getValue("stage")).isNull();
    var idle = drivers.get(0).client(server.port()).pollTask(1, 0, Duration.ZERO);
    assertThat(idle.round()).as("a round while paused").isEmpty();
    assertThat(idle.runOver()).isFalse();
    SiloDriver.assertModelClose(operator.model(run), expected, 1);

    // Resume: the next round starts at once.
    JsonObject resumed = operator.change(run, "resume");
    assertThat(resumed.getBoolean("pauseRequested")).isFalse();
    assertThat(resumed.getLong("currentRound")).isEqualTo(2);
    assertThat(resumed.getString("phase")).isEqualTo("COLLECTING");
    assertError(
        operator.post("/v1/runs/" + run + "/resume", ""), 409, "RUN_STATE_CONFLICT", false, null);

    // Stop while round 2 collects masked vectors: the round is aborted, the model stays.
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch masking = new CountDownLatch(ROSTER.size());
    List<Future<Played>> round2 = playAll(1, Stage.MASKED_INPUT, masking, stopped);
    assertThat(masking.await(90, TimeUnit.SECONDS)).as("every silo at MASKED_INPUT").isTrue();
    operator.waitForStage(run, 2, Stage.MASKED_INPUT, 0);
    JsonObject stopping = operator.change(run, "stop");
    assertThat(stopping.getString("phase")).isEqualTo("STOPPED");
    assertThat(stopping.getBoolean("active")).isFalse();
    stopped.countDown();
    for (Future<Played> future : round2) {
      Played played = SiloDriver.join(future);
      assertThat(played.ending()).as("%s", played).isEqualTo(SiloDriver.Ending.REFUSED);
      AggregatorRefusal refusal = played.refusal().orElseThrow();
      assertThat(refusal.code()).isEqualTo("ROUND_CLOSED");
      assertThat(refusal.httpStatus()).isEqualTo(410);
      assertThat(refusal.retryable()).isFalse();
    }
    List<JsonObject> journal = operator.journal(run);
    JsonObject aborted = OperatorCalls.roundRecord(journal, "round-aborted", 2);
    assertThat(aborted.getString("reason")).isEqualTo("OPERATOR_STOPPED");
    assertThat(aborted.getString("stage")).isEqualTo("MASKED_INPUT");
    assertThat(OperatorCalls.bodies(journal, "run-stopped"))
        .singleElement()
        .satisfies(body -> assertThat(body.getString("reason")).isEqualTo("OPERATOR_STOPPED"));
    assertThat(OperatorCalls.bodies(journal, "run-paused")).hasSize(1);
    assertThat(OperatorCalls.bodies(journal, "run-resumed")).hasSize(1);
    assertThat(OperatorCalls.bodies(journal, "round-started")).hasSize(2);
    status = operator.status(run);
    assertThat(status.getInteger("roundsFinished")).isEqualTo(1);
    assertThat(status.getInteger("roundsAborted")).isEqualTo(1);
    SiloDriver.assertModelClose(operator.model(run), expected, 1);
    // A silo that was in a round of the stopped run learns at once that the run is over; a silo
    // waiting for a run is held for the wait, then told the same.
    var over = drivers.get(0).client(server.port()).pollTask(2, 0, Duration.ofSeconds(20));
    assertThat(over.runOver()).isTrue();
    assertThat(over.runId()).contains(run);
    assertThat(over.round()).isEmpty();
    long waitStarted = System.nanoTime();
    var waiting = drivers.get(0).client(server.port()).pollTask(-1, 0, Duration.ofMillis(700));
    assertThat(System.nanoTime() - waitStarted).isGreaterThanOrEqualTo(600_000_000L);
    assertThat(waiting.runOver()).isTrue();
    assertThat(waiting.runId()).contains(run);
    for (String action : List.of("start", "pause", "resume", "stop")) {
      assertError(
          operator.post("/v1/runs/" + run + "/" + action, ""),
          409,
          "RUN_STATE_CONFLICT",
          false,
          null);
    }
    // The stopped run no longer blocks a new one.
    operator.create(
        OperatorCalls.runYaml("after-stop", ROSTER, 1, PARAMETERS, "60s", "60s", Map.of()));
    operator.change("after-stop", "stop");
  }

  /**
   * Every silo plays the next round, holding its message of {@code stage} until {@code gate} opens;
   * {@code arrived} counts the silos holding.
   */
  private List<Future<Played>> playAll(
      long afterRound, Stage stage, CountDownLatch arrived, CountDownLatch gate) {
    List<Future<Played>> futures = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      SiloDriver.SendHook hook =
          (message, sender) -> {
            if (message.stage() == stage) {
              arrived.countDown();
              assertThat(gate.await(90, TimeUnit.SECONDS)).isTrue();
            }
            sender.send(message);
            return true;
          };
      futures.add(threads.submit(() -> driver.play(server.port(), afterRound, hook)));
    }
    return futures;
  }

  private static List<double[]> updates(List<Future<Played>> futures) throws Exception {
    List<double[]> updates = new ArrayList<>();
    for (Future<Played> future : futures) {
      Played played = SiloDriver.join(future);
      assertThat(played.ending()).as("%s", played).isEqualTo(SiloDriver.Ending.FINISHED);
      updates.add(played.update());
    }
    return updates;
  }

  // ----------------------------------------------------------------------------------------------
  // Requests
  // ----------------------------------------------------------------------------------------------

  private Party operatorParty() {
    if (operatorParty == null) {
      operatorParty = fixture.issue(SiteRole.OPERATOR, "ops-2", Duration.ofDays(1));
    }
    return operatorParty;
  }

  private HttpClientAgent operatorClient() {
    if (operatorClient == null) {
      operatorClient = vertx.createHttpClient(fixture.clientOptions(operatorParty()));
    }
    return operatorClient;
  }

  private Calls.Reply postMessage(HttpClientAgent silo, Buffer body) throws Exception {
    return await(Calls.send(silo, HttpMethod.POST, server.port(), "/v1/silo/messages", body));
  }

  private Calls.Reply putFrame(HttpClientAgent silo, long pathRound, Buffer frame)
      throws Exception {
    return await(
        Calls.send(
            silo,
            HttpMethod.PUT,
            server.port(),
            "/v1/silo/rounds/" + pathRound + "/masked-input",
            frame));
  }

  private Calls.Reply putHeaderOnly(Party silo, long pathRound, byte[] header, long contentLength)
      throws Exception {
    return putHeaderOnly(
        silo, "/v1/silo/rounds/" + pathRound + "/masked-input", header, contentLength);
  }

  /**
   * Sends the head of a PUT with {@code contentLength} and only {@code prefix} of its body, and
   * returns the reply the server gives without waiting for the rest. Its own connection, closed
   * after, since the request never ends.
   */
  private Calls.Reply putHeaderOnly(Party party, String path, byte[] prefix, long contentLength)
      throws Exception {
    HttpClientAgent client = vertx.createHttpClient(fixture.clientOptions(party));
    try {
      return await(
          client
              .request(request(HttpMethod.PUT, path))
              .compose(
                  request -> {
                    // Listening before sending: see Calls.exchange.
                    var reply =
                        request
                            .response()
                            .compose(
                                response ->
                                    response.body().map(bytes -> Calls.reply(response, bytes)));
                    request.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(contentLength));
                    request.write(Buffer.buffer(prefix));
                    return reply;
                  }));
    } finally {
      await(client.close());
    }
  }

  /**
   * Starts a PUT of a whole frame of the round's length, sends {@code prefix} of it, and closes the
   * connection once the aggregator has started spooling it.
   */
  private void abandonUpload(Party silo, Buffer prefix) throws Exception {
    HttpClientAgent client = vertx.createHttpClient(fixture.clientOptions(silo));
    try {
      await(
          client
              .request(request(HttpMethod.PUT, "/v1/silo/rounds/1/masked-input"))
              .compose(
                  request -> {
                    request.putHeader(
                        HttpHeaders.CONTENT_LENGTH,
                        Long.toString(VectorFrame.frameBytes(round.bits(), round.vectorLength())));
                    return request.write(prefix);
                  }));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (spooled("silo-input", 1).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(spooled("silo-input", 1)).as("the abandoned upload is being spooled").isNotEmpty();
    } finally {
      await(client.close());
    }
  }

  /** A PUT with a chunked body: no Content-Length. */
  private Calls.Reply putChunked(HttpClientAgent client, String path, Buffer body)
      throws Exception {
    return await(
        client
            .request(request(HttpMethod.PUT, path))
            .compose(
                request -> {
                  request.setChunked(true);
                  request.write(body.slice(0, body.length() / 2));
                  return Calls.exchange(request, body.slice(body.length() / 2, body.length()));
                }));
  }

  private RequestOptions request(HttpMethod method, String path) {
    return new RequestOptions()
        .setMethod(method)
        .setHost(FederationFixture.HOST)
        .setPort(server.port())
        .setURI(path);
  }

  private List<String> runIds() throws Exception {
    List<String> ids = new ArrayList<>();
    operator
        .get("/v1/runs")
        .json()
        .getJsonArray("runs")
        .forEach(run -> ids.add(((JsonObject) run).getString("runId")));
    return ids;
  }

  // ----------------------------------------------------------------------------------------------
  // Payloads
  // ----------------------------------------------------------------------------------------------

  /** {@code message}'s wire JSON, edited. */
  private static Buffer json(SiloMessage message, UnaryOperator<JsonObject> edit) {
    return edit.apply(new JsonObject(Buffer.buffer(JsonMessageCodec.encode(message)))).toBuffer();
  }

  private static JsonObject remove(JsonObject object, String field) {
    object.remove(field);
    return object;
  }

  private static byte[] frame(long round, int bits, int[] words) {
    return VectorFrame.encode(round, bits, WordVector.wrap(words));
  }

  private static byte[] header(long round, int bits, int length, byte[] sha256) {
    return VectorFrame.encodeHeader(new VectorFrame.Header(bits, round, length, sha256));
  }

  private static byte[] patched(byte[] bytes, int index, byte value) {
    byte[] copy = bytes.clone();
    copy[index] = value;
    return copy;
  }

  private static float[] randomModel() {
    SecureRandom random = new SecureRandom();
    float[] model = new float[PARAMETERS];
    for (int i = 0; i < PARAMETERS; i++) {
      model[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return model;
  }

  /** The spool files of {@code round} of {@code run} on disk. */
  private List<Path> spooled(String run, long round) throws Exception {
    Path folder =
        directory
            .resolve("data")
            .resolve("runs")
            .resolve(run)
            .resolve("spool")
            .resolve("round-" + round);
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (var files = Files.list(folder)) {
      return files.toList();
    }
  }

  @FunctionalInterface
  private interface Call {
    void run() throws Exception;
  }

  private static AggregatorRefusal refused(Call call) throws Exception {
    try {
      call.run();
    } catch (AggregatorRefusal refusal) {
      return refusal;
    }
    throw new AssertionError("the call was accepted");
  }
}
