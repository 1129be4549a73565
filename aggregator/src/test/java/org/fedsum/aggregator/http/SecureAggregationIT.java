package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.GlobalModelDownload;
import org.fedsum.silo.client.SecureRound;
import org.fedsum.silo.client.SiloTask;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole rounds over real mutual TLS on 127.0.0.1: an aggregator service and five silos driven by
 * the protocol core through the real silo client, each silo on its own thread. The model after a
 * round must be the initial model plus the average of the surviving silos' updates, within the
 * encoding's rounding bound.
 */
class SecureAggregationIT {
  private static final List<String> ROSTER =
      List.of("silo-1", "silo-2", "silo-3", "silo-4", "silo-5");
  private static final int PARAMETERS = 2_000;
  private static final Duration POLL = Duration.ofSeconds(2);

  @TempDir Path directory;

  private FederationFixture fixture;
  private AggregatorServer server;
  private Vertx vertx;
  private HttpClient operator;
  private final Map<String, FederationFixture.Party> silos = new java.util.TreeMap<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeEach
  void start() throws Exception {
    fixture = FederationFixture.create(directory);
    AggregatorConfig config = fixture.config("aggregator", "crl.pem", ROSTER, 1 << 20, 16);
    server = await(AggregatorServer.start(config));
    vertx = Vertx.vertx();
    operator =
        vertx.createHttpClient(
            fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1))));
    for (String silo : ROSTER) {
      silos.put(silo, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)));
    }
  }

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    await(vertx.close());
    await(server.close());
  }

  @Test
  void twoRounds_allSilos_modelMovesByTheAverageUpdate() throws Exception {
    createAndStart("full", 2, "5s", "5s");
    float[] initial = downloadAs("silo-1").values();
    assertThat(initial).containsOnly(0f);

    List<Future<double[]>> round1 = playRound(Map.of());
    double[] expected = average(collect(round1));
    JsonObject status = waitForRoundsFinished("full", 1);
    assertThat(status.getInteger("roundsAborted")).isZero();
    assertModelClose(downloadAs("silo-2").values(), expected);

    List<Future<double[]>> round2 = playRound(Map.of());
    double[] second = average(collect(round2));
    for (int i = 0; i < expected.length; i++) {
      expected[i] += second[i];
    }
    status = waitForPhase("full", "COMPLETED");
    assertThat(status.getInteger("roundsFinished")).isEqualTo(2);
    assertModelClose(operatorModel("full"), expected);
  }

  @ParameterizedTest
  @EnumSource(
      value = Stage.class,
      names = {"ADVERTISE_KEYS", "SHARE_KEYS", "MASKED_INPUT", "CONSISTENCY_CHECK", "UNMASK"})
  void oneSiloDropsAtStage_roundFinishesWithTheOthers(Stage stage) throws Exception {
    createAndStart("drop", 1, "3s", "3s");
    List<Future<double[]>> round = playRound(Map.of("silo-4", stage));
    List<double[]> updates = collect(round);
    JsonObject status = waitForPhase("drop", "COMPLETED");
    assertThat(status.getInteger("roundsFinished")).isEqualTo(1);
    // A silo that dropped before its masked vector counted is not in the sum; later ones are.
    boolean counted = stage == Stage.CONSISTENCY_CHECK || stage == Stage.UNMASK;
    List<double[]> summed = new ArrayList<>();
    for (int i = 0; i < ROSTER.size(); i++) {
      if (!ROSTER.get(i).equals("silo-4") || counted) {
        summed.add(updates.get(i));
      }
    }
    assertModelClose(operatorModel("drop"), average(summed));
  }

  @ParameterizedTest
  @ValueSource(ints = {16, 20})
  void narrowWords_packedOnTheWire_modelMovesByTheAverageUpdate(int bits) throws Exception {
    createAndStart("bits-" + bits, 1, "5s", "5s", bits);
    List<Future<double[]>> round = playRound(Map.of());
    double[] expected = average(collect(round));
    JsonObject status = waitForPhase("bits-" + bits, "COMPLETED");
    assertThat(status.getInteger("roundsFinished")).isEqualTo(1);
    assertModelClose(operatorModel("bits-" + bits), expected);
    // The aggregator takes nothing but a body of exactly ceil(b·m/8) bytes, so the round
    // finishing with the right sum shows the silos' client packed and the aggregator unpacked.
  }

  @Test
  void oneSiloSilentAtConsistencyCheck_stageClosesAfterItsGrace_longBeforeItsDeadline()
      throws Exception {
    // A minute of deadline per stage: a round that waited for it would take over 60 s.
    createAndStart(
        "early", 1, "60s", "60s", "earlyClose:", "  minimumGrace: 3s", "  graceFactor: 1");
    long started = System.nanoTime();
    List<Future<double[]>> round = playRound(Map.of("silo-4", Stage.CONSISTENCY_CHECK));
    List<double[]> updates = collect(round);
    JsonObject status = waitForPhase("early", "COMPLETED");
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(status.getInteger("roundsFinished")).isEqualTo(1);
    // The silo stopped right after its masked vector: its input is in the sum.
    assertModelClose(operatorModel("early"), average(updates));

    Calls.Reply reply = await(Calls.get(operator, server.port(), "/v1/runs/early/rounds"));
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    io.vertx.core.json.JsonArray stages =
        reply.body().toJsonObject().getJsonArray("rounds").getJsonObject(0).getJsonArray("stages");
    Map<String, JsonObject> byStage = new java.util.LinkedHashMap<>();
    stages.forEach(
        stage -> byStage.put(((JsonObject) stage).getString("stage"), (JsonObject) stage));
    JsonObject consistency = byStage.get("CONSISTENCY_CHECK");
    assertThat(consistency.getString("closedBy")).isEqualTo("grace-after-quorum");
    assertThat(consistency.getJsonArray("dropouts").stream().map(String::valueOf).toList())
        .containsExactly("silo-4");
    // Generous: the grace is about 3 s; the deadline is 60 s.
    assertThat(consistency.getLong("durationMillis")).isLessThan(30_000);
    assertThat(took).isLessThan(Duration.ofSeconds(45));
  }

  @Test
  void tooManyDropouts_roundAbortsWithTheReason_modelKept() throws Exception {
    createAndStart("abort", 1, "2s", "2s");
    List<Future<double[]>> round =
        playRound(
            Map.of(
                "silo-3", Stage.SHARE_KEYS,
                "silo-4", Stage.SHARE_KEYS,
                "silo-5", Stage.SHARE_KEYS));
    collect(round);
    JsonObject status = waitFor("abort", s -> s.getInteger("roundsAborted") >= 1);
    assertThat(status.getInteger("roundsFinished")).isZero();
    assertThat(operatorModel("abort")).containsOnly(0f);
    String journal =
        await(Calls.get(operator, server.port(), "/v1/runs/abort/journal")).body().toString();
    assertThat(journal).contains("\"round-aborted\"").contains("THRESHOLD_NOT_MET");
  }

  // ---------------------------------------------------------------------------------------------

  private void createAndStart(
      String runId, int rounds, String advertise, String stage, String... extraLines)
      throws Exception {
    createAndStart(runId, rounds, advertise, stage, 32, extraLines);
  }

  private void createAndStart(
      String runId, int rounds, String advertise, String stage, int bits, String... extraLines)
      throws Exception {
    String yaml =
        String.join(
            "\n",
            "runId: " + runId,
            String.join("\n", extraLines),
            "roster: [" + String.join(", ", ROSTER) + "]",
            "rounds: " + rounds,
            "threshold: 3",
            "deadlines:",
            "  advertiseKeys: " + advertise,
            "  shareKeys: " + stage,
            "  maskedInput: " + stage,
            "  consistencyCheck: " + stage,
            "  unmask: " + stage,
            "model:",
            "  kind: test-vector",
            "  parameters: " + PARAMETERS,
            "privacy:",
            "  clipNorm: 10",
            "  noiseMultiplier: 0",
            "  bits: " + bits,
            "");
    Calls.Reply created =
        await(
            Calls.send(operator, HttpMethod.POST, server.port(), "/v1/runs", Buffer.buffer(yaml)));
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    Calls.Reply started =
        await(
            Calls.send(
                operator,
                HttpMethod.POST,
                server.port(),
                "/v1/runs/" + runId + "/start",
                Buffer.buffer()));
    assertThat(started.status()).as("%s", started).isEqualTo(200);
  }

  /** Every silo plays the open round on its own thread; each returns the update it encoded. */
  private List<Future<double[]>> playRound(Map<String, Stage> dropouts) {
    List<Future<double[]>> results = new ArrayList<>();
    for (String silo : ROSTER) {
      Optional<Stage> stopBefore = Optional.ofNullable(dropouts.get(silo));
      results.add(threads.submit(siloRound(silo, stopBefore)));
    }
    return results;
  }

  private Callable<double[]> siloRound(String siloId, Optional<Stage> stopBefore) {
    return () -> {
      FederationFixture.Party party = silos.get(siloId);
      AggregatorClient client = client(party);
      SiloTask task = client.pollTask(-1, 0, POLL);
      for (int i = 0; i < 20 && task.round().isEmpty(); i++) {
        task = client.pollTask(-1, 0, POLL);
      }
      var config = task.round().orElseThrow();
      EncodingParameters encoding =
          EncodingParametersCodec.fromJson(task.plan().orElseThrow().get("encoding"));
      GlobalModelDownload model = client.downloadModel(task.modelSha256());
      assertThat(model.values()).hasSize(PARAMETERS);
      double[] update = new double[PARAMETERS];
      SecureRandom random = new SecureRandom();
      for (int i = 0; i < PARAMETERS; i++) {
        update[i] = (random.nextDouble() - 0.5) * 0.1;
      }
      WordVector words =
          WordVector.wrap(UpdateEncoder.create(encoding).encode(update, random).words());
      SiloContext context =
          new SiloContext(
              siloId,
              EcdsaP256SigningKey.fromPkcs8Pem(party.privateKeyPem()),
              party.certificate().getEncoded(),
              trust(),
              random,
              3);
      new SecureRound(client, context, Clock.systemUTC(), POLL, stopBefore).run(config, words);
      return update;
    };
  }

  private AggregatorClient client(FederationFixture.Party party) throws Exception {
    return AggregatorClient.create(
        URI.create("https://" + FederationFixture.HOST + ":" + server.port()),
        MutualTls.clientContext(
            party.certificate(),
            EcdsaP256SigningKey.fromPkcs8Pem(party.privateKeyPem()),
            trust(),
            SiteRole.AGGREGATOR,
            Clock.systemUTC()),
        Duration.ofSeconds(30));
  }

  private FederationTrust trust() throws Exception {
    return FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl);
  }

  private GlobalModelDownload downloadAs(String siloId) throws Exception {
    return client(silos.get(siloId)).downloadModel(Optional.empty());
  }

  /** The run's model through the operator API (also after the run is over). */
  private float[] operatorModel(String runId) throws Exception {
    Calls.Reply reply = await(Calls.get(operator, server.port(), "/v1/runs/" + runId + "/model"));
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    java.nio.ByteBuffer bytes =
        java.nio.ByteBuffer.wrap(reply.body().getBytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  private static List<double[]> collect(List<Future<double[]>> futures) throws Exception {
    List<double[]> values = new ArrayList<>();
    for (Future<double[]> future : futures) {
      values.add(future.get(60, TimeUnit.SECONDS));
    }
    return values;
  }

  private static double[] average(List<double[]> updates) {
    double[] mean = new double[PARAMETERS];
    for (double[] update : updates) {
      for (int i = 0; i < PARAMETERS; i++) {
        mean[i] += update[i] / updates.size();
      }
    }
    return mean;
  }

  private static void assertModelClose(float[] model, double[] expected) {
    assertThat(model).hasSize(expected.length);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(model[i] - expected[i]));
    }
    // Updates are ±0.05 per coordinate; a wrong or missing summand moves coordinates by ~0.01.
    assertThat(worst).as("largest coordinate error").isLessThan(2e-3);
  }

  private JsonObject waitForRoundsFinished(String runId, int rounds) throws Exception {
    return waitFor(runId, status -> status.getInteger("roundsFinished") >= rounds);
  }

  private JsonObject waitForPhase(String runId, String phase) throws Exception {
    return waitFor(runId, status -> status.getString("phase").equals(phase));
  }

  private JsonObject waitFor(String runId, java.util.function.Predicate<JsonObject> done)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    JsonObject status = null;
    while (System.nanoTime() < deadline) {
      status = await(Calls.get(operator, server.port(), "/v1/runs/" + runId)).json();
      if (done.test(status)) {
        return status;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("run " + runId + " did not get there: " + status);
  }
}
