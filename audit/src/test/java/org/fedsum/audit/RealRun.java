package org.fedsum.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.round.RunStatus;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.node.LocalTrainer;
import org.fedsum.silo.node.SiloConfig;
import org.fedsum.silo.node.SiloJournal;
import org.fedsum.silo.node.SiloNode;

/**
 * A short real run whose journals the audit tests read: the real aggregator over mutual TLS 1.3 on
 * 127.0.0.1 and four real silo nodes in this JVM (the real client, secure-aggregation session,
 * encoder, privacy policy and journal), with a small arithmetic {@link LocalTrainer} in place of
 * DJL. Three rounds with secure aggregation, silo-level and record-level DP (the fixture trainer
 * does not run DP-SGD, but the silos account for it as if it did); silo-4's privacy floor is above
 * the run's noise, so it refuses every round and the rounds go on with the other three.
 */
final class RealRun implements AutoCloseable {
  static final String FEDERATION = "audit-fed";
  static final String RUN_ID = "audit-run";
  static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3", "silo-4");
  static final String STRICT_SILO = "silo-4";
  static final int ROUNDS = 3;
  static final int PARAMETERS = 40;
  static final double DELTA = 1e-5;
  static final double RECORD_NOISE_MULTIPLIER = 1.1;
  static final int EXPECTED_BATCH = 50;

  private static final SecureRandom RANDOM = new SecureRandom();

  final Path directory;
  final FederationCa ca;
  final X509CRL crl;
  final FederationTrust trust;
  final Map<String, SiloNode> silos = new LinkedHashMap<>();
  final Map<String, Path> siloJournals = new LinkedHashMap<>();
  final Map<String, Party> parties = new LinkedHashMap<>();
  Path aggregatorJournal;
  Party aggregator;
  RunStatus status;

  // Drill hook per silo: it goes silent before its message of this stage, every round.
  private final Map<String, Stage> silentBefore;
  private final List<SiloJournal> journals = new ArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private AggregatorServer server;

  /** A party's certificate and key. */
  record Party(X509Certificate certificate, EcdsaP256SigningKey key) {}

  private RealRun(Path directory, Map<String, Stage> silentBefore) throws Exception {
    this.directory = directory;
    this.silentBefore = Map.copyOf(silentBefore);
    ca = FederationCa.create(FEDERATION, Duration.ofDays(2), RANDOM);
    crl = ca.emptyCrl(Instant.now(), Duration.ofDays(1));
    trust = FederationTrust.create(ca.certificate(), crl);
    Files.writeString(directory.resolve("ca.pem"), Pem.encodeCertificate(ca.certificate()));
    Files.writeString(directory.resolve("crl.pem"), Pem.encodeCrl(crl));
  }

  /** Runs the federation to its end; {@link #close()} it afterwards. */
  static RealRun complete(Path directory) throws Exception {
    RealRun run = new RealRun(directory, Map.of());
    try {
      run.play();
    } catch (Exception | Error e) {
      run.close();
      throw e;
    }
    return run;
  }

  /**
   * Starts the federation (aggregator, silo nodes, the run) without waiting for the run's end: for
   * tests that stop silos mid-run. {@link #close()} it afterwards.
   */
  static RealRun started(Path directory) throws Exception {
    return started(directory, Map.of());
  }

  /**
   * As {@link #started(Path)}, with silos that go silent before their message of a stage in every
   * round, as a silo that crashed there would.
   */
  static RealRun started(Path directory, Map<String, Stage> silentBefore) throws Exception {
    RealRun run = new RealRun(directory, silentBefore);
    try {
      run.start();
    } catch (Exception | Error e) {
      run.close();
      throw e;
    }
    return run;
  }

  /** The aggregator's journal of the run, once the run was created. */
  Path aggregatorRunJournal() {
    return directory
        .resolve("aggregator-data")
        .resolve("runs")
        .resolve(RUN_ID)
        .resolve("journal.jsonl");
  }

  /** Stops the aggregator: silos still running find it unreachable. */
  void stopAggregator() throws Exception {
    if (server != null) {
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      server = null;
    }
  }

  private void play() throws Exception {
    start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      status = server.federation().view(RUN_ID).status();
      if (status.phase() == RunStatus.Phase.COMPLETED
          || status.phase() == RunStatus.Phase.STOPPED) {
        break;
      }
      Thread.sleep(200);
    }
    finish();
  }

  private void start() throws Exception {
    aggregator = issue(SiteRole.AGGREGATOR, "aggregator", List.of("127.0.0.1"));
    Files.createDirectories(directory.resolve("aggregator-data"));
    Path aggregatorYaml = directory.resolve("aggregator.yaml");
    Files.writeString(
        aggregatorYaml,
        String.join(
            "\n",
            "federationId: " + FEDERATION,
            "listen: {host: 127.0.0.1, port: 0}",
            "tls: {certificate: aggregator.pem, privateKey: aggregator.key, ca: ca.pem, crl: crl.pem}",
            "dataDirectory: aggregator-data",
            "roster: [" + String.join(", ", ROSTER) + "]",
            ""));
    server =
        AggregatorServer.start(AggregatorConfig.load(aggregatorYaml))
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    for (int i = 0; i < ROSTER.size(); i++) {
      startSilo(ROSTER.get(i), i);
    }
    HttpClient operator = operatorClient();
    String run =
        String.join(
            "\n",
            "runId: " + RUN_ID,
            "roster: [" + String.join(", ", ROSTER) + "]",
            "rounds: " + ROUNDS,
            "threshold: 3",
            // silo-4 never advertises keys: every round waits out ADVERTISE_KEYS.
            "deadlines: {advertiseKeys: 4s, shareKeys: 20s, maskedInput: 20s,"
                + " consistencyCheck: 20s, unmask: 20s}",
            "model: {kind: test-vector, parameters: " + PARAMETERS + "}",
            "privacy: {clipNorm: 1.0, noiseMultiplier: 0.5, delta: "
                + DELTA
                + ", recordLevel: {noiseMultiplier: "
                + RECORD_NOISE_MULTIPLIER
                + ", clipNorm: 1.0, expectedBatchSize: "
                + EXPECTED_BATCH
                + "}}",
            "");
    send(operator, "/v1/runs", run, 201);
    send(operator, "/v1/runs/" + RUN_ID + "/start", "", 200);
  }

  private void finish() throws Exception {
    assertThat(status.phase()).as("%s", status).isEqualTo(RunStatus.Phase.COMPLETED);
    aggregatorJournal = aggregatorRunJournal();
    assertThat(aggregatorJournal).exists();
    // A silo writes its last records after the aggregator closed the round; then it waits for the
    // next run (an ended run is not announced to silos as over once it is released), so stop it.
    long settled = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < settled && !journalsComplete()) {
      Thread.sleep(200);
    }
    assertThat(journalsComplete()).as("every silo journaled every round").isTrue();
    for (SiloNode node : silos.values()) {
      assertThat(node.stop(Duration.ofSeconds(10))).as("silo node stops").isTrue();
    }
    threads.shutdown();
    assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).as("silo nodes end").isTrue();
  }

  private boolean journalsComplete() throws java.io.IOException {
    for (Map.Entry<String, Path> silo : siloJournals.entrySet()) {
      // A round's record-level spend is the last record the silo writes for it (in one write with
      // its outcome and its silo-level spend): the run's journals are read once every silo has it.
      String last =
          silo.getKey().equals(STRICT_SILO)
              ? "\"type\":\"round-refused\""
              : "\"unit\":\"" + PrivacySpend.UNIT_RECORD + "\"";
      long records =
          Files.readAllLines(silo.getValue()).stream()
              .filter(line -> line.contains(last))
              .filter(
                  line ->
                      silo.getKey().equals(STRICT_SILO)
                          || line.contains("\"type\":\"privacy-spent\""))
              .count();
      if (records < ROUNDS) {
        return false;
      }
    }
    return true;
  }

  private void startSilo(String siloId, int index) throws Exception {
    Party party = issue(SiteRole.SILO, siloId, List.of());
    parties.put(siloId, party);
    Path state = Files.createDirectories(directory.resolve(siloId + "-state"));
    double minNoise = siloId.equals(STRICT_SILO) ? 1.0 : 0.1;
    SiloConfig config =
        SiloConfig.parse(
            String.join(
                "\n",
                "siloId: " + siloId,
                "tls: {certificate: "
                    + siloId
                    + ".pem, privateKey: "
                    + siloId
                    + ".key,"
                    + " ca: ca.pem, crl: crl.pem}",
                "aggregator: {url: 'https://127.0.0.1:" + server.port() + "', pollWaitSeconds: 2}",
                "dataDirectory: " + state.getFileName(),
                "data: {format: synthetic, examples: 100, device: " + index + "}",
                "privacy:",
                "  floor: {requireDifferentialPrivacy: true, minNoiseMultiplier: " + minNoise + "}",
                "  epsilonBudget: 10000",
                "  recordLevel: {epsilonBudget: 10000}",
                ""),
            directory);
    SiloJournal journal =
        SiloJournal.open(
            state,
            FEDERATION,
            new SiteIdentity(SiteRole.SILO, siloId),
            party.certificate(),
            party.key(),
            Instant.now());
    journals.add(journal);
    siloJournals.put(siloId, journal.file());
    AggregatorClient client =
        AggregatorClient.create(
            URI.create("https://127.0.0.1:" + server.port()),
            MutualTls.clientContext(
                party.certificate(), party.key(), trust, SiteRole.AGGREGATOR, Clock.systemUTC()),
            Duration.ofSeconds(30));
    SiloContext context =
        new SiloContext(
            siloId, party.key(), party.certificate().getEncoded(), trust, new SecureRandom(), 3);
    SiloNode node =
        new SiloNode(
            config,
            client,
            context,
            journal,
            new ArithmeticTrainer(index),
            Clock.systemUTC(),
            Optional.ofNullable(silentBefore.get(siloId)));
    silos.put(siloId, node);
    Future<Integer> ignored = threads.submit(node::run);
  }

  private Party issue(SiteRole role, String siteId, List<String> hosts) throws Exception {
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    X509Certificate certificate =
        ca.issue(new SiteIdentity(role, siteId), key.verifyingKey(), Duration.ofDays(1), hosts);
    Files.writeString(directory.resolve(siteId + ".pem"), Pem.encodeCertificate(certificate));
    Path keyFile = directory.resolve(siteId + ".key");
    Files.writeString(keyFile, key.toPkcs8Pem(SecretAccess.GRANTED));
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    return new Party(certificate, key);
  }

  /** A certificate from this federation's CA for a site that is not in the run's roster. */
  Party outsider(String siteId) throws Exception {
    return issue(SiteRole.SILO, siteId, List.of());
  }

  private HttpClient operatorClient() throws Exception {
    Party operator = issue(SiteRole.OPERATOR, "ops", List.of());
    return HttpClient.newBuilder()
        .sslContext(
            MutualTls.clientContext(
                operator.certificate(),
                operator.key(),
                trust,
                SiteRole.AGGREGATOR,
                Clock.systemUTC()))
        .build();
  }

  private void send(HttpClient client, String path, String body, int expected) throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .header("Content-Type", "application/yaml")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("POST %s: %s", path, response.body()).isEqualTo(expected);
  }

  /** The run's privacy parameters, as the aggregator's run settings hold them. */
  org.fedsum.protocol.lineage.LineageManifest.Privacy lineagePrivacy() throws Exception {
    var settings = server.federation().view(RUN_ID).config().settings();
    return org.fedsum.protocol.lineage.LineageManifest.Privacy.of(settings.encoding(), DELTA);
  }

  /** The run's final global model, as the aggregator serves it. */
  float[] finalModel() throws Exception {
    return server.federation().model(RUN_ID).values();
  }

  /** The journals in audit order: the aggregator's, then the silos'. */
  List<Path> journalFiles() {
    List<Path> files = new ArrayList<>();
    files.add(aggregatorJournal);
    files.addAll(siloJournals.values());
    return files;
  }

  @Override
  public void close() throws Exception {
    for (SiloNode node : silos.values()) {
      node.stop(Duration.ofSeconds(10));
    }
    threads.shutdownNow();
    for (SiloJournal journal : journals) {
      journal.close();
    }
    if (server != null) {
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Local training without DJL: moves the model a fixed fraction of the way to a target vector
   * (each silo's slightly different), and evaluates a model by its squared distance to the common
   * target: the loss falls as the federation learns, and every number is reproducible.
   */
  static final class ArithmeticTrainer implements LocalTrainer {
    private final int silo;

    ArithmeticTrainer(int silo) {
      this.silo = silo;
    }

    static double target(int coordinate) {
      return 0.05 * Math.sin(coordinate + 1);
    }

    /** The record count the silo's DP-SGD sample rate is computed from. */
    static final int RECORDS = 1000;

    @Override
    public int trainingRecords(JsonNode model) {
      return RECORDS;
    }

    /**
     * Ignores {@code recordLevelDp}: this fixture does not train, so with record-level DP it checks
     * the silo's accounting and the audit's recomputation, not DP-SGD itself.
     */
    @Override
    public LocalUpdate train(
        long round,
        float[] globalModel,
        JsonNode model,
        JsonNode training,
        java.util.Optional<org.fedsum.silo.training.RecordLevelDp> recordLevelDp) {
      float[] local = new float[globalModel.length];
      for (int i = 0; i < local.length; i++) {
        double goal = target(i) + 0.002 * (silo - 1.5);
        local[i] = (float) (globalModel[i] + 0.8 * (goal - globalModel[i]));
      }
      return new LocalUpdate(
          local, 100, Map.of("lossBefore", loss(globalModel), "lossAfter", loss(local)));
    }

    @Override
    public Map<String, Double> evaluate(float[] model, JsonNode modelDescription) {
      double loss = loss(model);
      return Map.of("loss", loss, "accuracy", 1 / (1 + 100 * loss));
    }

    private static double loss(float[] model) {
      double sum = 0;
      for (int i = 0; i < model.length; i++) {
        double difference = model[i] - target(i);
        sum += difference * difference;
      }
      return sum;
    }

    @Override
    public void close() {}
  }
}
