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
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
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
import org.fedsum.silo.client.SecureRound;
import org.fedsum.silo.client.SiloTask;

/**
 * A running aggregator over real mutual TLS with an operator client and silos that play rounds
 * through the real silo client, as in {@link SecureAggregationIT}: for the tests of what operators
 * see (metrics, the rounds endpoint, the dashboard). {@link #close()} it at the end of each test.
 */
final class FederationRun {
  private static final Duration POLL = Duration.ofSeconds(2);

  final FederationFixture fixture;
  final AggregatorServer server;
  final List<String> roster;
  final FederationFixture.Party operatorParty;
  final HttpClient operator;
  final Map<String, FederationFixture.Party> silos = new TreeMap<>();

  /**
   * The ADVERTISE_KEYS deadline of runs created from now on: the time a silo has, once the round
   * opens, to download the model, make its update and advertise its keys.
   */
  String advertiseDeadline = "60s";

  /**
   * Whether runs created from now on close a stage early once its quorum has answered (the run
   * config's default); off, every stage waits for every silo up to its deadline.
   */
  boolean earlyClose = true;

  private final Vertx vertx;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  FederationRun(Path directory, List<String> roster) throws Exception {
    this.roster = List.copyOf(roster);
    fixture = FederationFixture.create(directory);
    AggregatorConfig config = fixture.config("aggregator", "crl.pem", roster, 1 << 20, 16);
    server = await(AggregatorServer.start(config));
    vertx = Vertx.vertx();
    operatorParty = fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1));
    operator = vertx.createHttpClient(fixture.clientOptions(operatorParty));
    for (String silo : roster) {
      silos.put(silo, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)));
    }
  }

  /** A Vert.x client presenting {@code party}'s certificate. */
  HttpClient clientFor(FederationFixture.Party party) {
    return vertx.createHttpClient(fixture.clientOptions(party));
  }

  int port() {
    return server.port();
  }

  /** Creates and starts a run; {@code privacy} holds the lines under {@code privacy:}. */
  void createAndStart(
      String runId, int rounds, int parameters, String stageDeadline, String... privacy)
      throws Exception {
    create(runId, rounds, parameters, stageDeadline, privacy);
    start(runId);
  }

  /** Starts a created run. */
  void start(String runId) throws Exception {
    Calls.Reply started =
        await(
            Calls.send(
                operator,
                HttpMethod.POST,
                port(),
                "/v1/runs/" + runId + "/start",
                Buffer.buffer()));
    assertThat(started.status()).as("%s", started).isEqualTo(200);
  }

  /** Creates a run without starting it. */
  void create(String runId, int rounds, int parameters, String stageDeadline, String... privacy)
      throws Exception {
    List<String> lines = new ArrayList<>();
    lines.add("runId: " + runId);
    lines.add("roster: [" + String.join(", ", roster) + "]");
    lines.add("rounds: " + rounds);
    // The smallest threshold an active aggregator allows, and never below 3.
    lines.add("threshold: " + Math.max(3, roster.size() / 2 + 1));
    lines.add("deadlines:");
    // Long: a test may look at one round's results before its silos play the next.
    lines.add("  advertiseKeys: " + advertiseDeadline);
    for (String stage : List.of("shareKeys", "maskedInput", "consistencyCheck", "unmask")) {
      lines.add("  " + stage + ": " + stageDeadline);
    }
    if (!earlyClose) {
      lines.add("earlyClose:");
      lines.add("  enabled: false");
    }
    lines.add("model:");
    lines.add("  kind: test-vector");
    lines.add("  parameters: " + parameters);
    lines.add("privacy:");
    for (String line : privacy) {
      lines.add("  " + line);
    }
    lines.add("");
    Calls.Reply created =
        await(
            Calls.send(
                operator,
                HttpMethod.POST,
                port(),
                "/v1/runs",
                Buffer.buffer(String.join("\n", lines))));
    assertThat(created.status()).as("%s", created).isEqualTo(201);
  }

  /**
   * Every silo plays the open round on its own thread, {@code dropouts} going silent before the
   * named stage; returns when all are done.
   */
  void playRound(Map<String, Stage> dropouts) throws Exception {
    List<Future<Void>> results = new ArrayList<>();
    for (String silo : roster) {
      results.add(threads.submit(siloRound(silo, Optional.ofNullable(dropouts.get(silo)))));
    }
    for (Future<Void> result : results) {
      result.get(90, TimeUnit.SECONDS);
    }
  }

  private Callable<Void> siloRound(String siloId, Optional<Stage> stopBefore) {
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
      int parameters = client.downloadModel(task.modelSha256()).values().length;
      SecureRandom random = new SecureRandom();
      double[] update = new double[parameters];
      for (int i = 0; i < parameters; i++) {
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
      return null;
    };
  }

  private AggregatorClient client(FederationFixture.Party party) throws Exception {
    return AggregatorClient.create(
        URI.create("https://" + FederationFixture.HOST + ":" + port()),
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

  /** GET {@code path} as the operator; asserts 200 and returns the JSON body. */
  JsonObject operatorJson(String path) throws Exception {
    Calls.Reply reply = await(Calls.get(operator, port(), path));
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    return reply.json();
  }

  /** Polls the run's view until {@code done} holds, for at most 60 s. */
  JsonObject waitFor(String runId, Predicate<JsonObject> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    JsonObject status = null;
    while (System.nanoTime() < deadline) {
      status = operatorJson("/v1/runs/" + runId);
      if (done.test(status)) {
        return status;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("run " + runId + " did not get there: " + status);
  }

  /** Stops the silos' threads, the operator's client and the aggregator. */
  void close() throws Exception {
    threads.shutdownNow();
    await(vertx.close());
    await(server.close());
  }
}
