package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Vertx;
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
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.SecureRound;
import org.fedsum.silo.client.SiloTask;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection that stalls instead of breaking: one silo reaches the aggregator through {@link
 * StallingTcpProxy}, which stops forwarding its connection mid-stream without closing it. In round
 * 1 the stall comes in the middle of the silo's masked-vector upload; in round 2 on its next bytes
 * after the round opened (a poll or a control message, mid-stage). The silo (the real {@link
 * SecureRound} and {@link AggregatorClient}, a 5 s request timeout) must give up on the stalled
 * connection, retry on a new TCP connection ({@code TransportRetry}) and finish the round; the
 * round must end within its deadlines with every silo counted exactly once: the model moves by the
 * average of the four updates.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StallIT {
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3", "silo-4");
  private static final String STALLED = "silo-4";
  private static final String RUN = "stalls";
  private static final int PARAMETERS = 50_000;
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final Duration STALLED_SILO_TIMEOUT = Duration.ofSeconds(5);

  @TempDir Path directory;

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private Vertx vertx;
  private AggregatorServer server;
  private StallingTcpProxy proxy;

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      await(server.close());
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  /** One silo's round: its update before encoding and how its session ended. */
  private record Played(String siloId, double[] update, SecureRound.Outcome outcome) {}

  @Test
  void stalledConnections_siloRetriesOnANewConnection_roundsFinishWithEverySiloCountedOnce()
      throws Exception {
    FederationFixture fixture = FederationFixture.create(directory);
    server =
        await(AggregatorServer.start(fixture.config("aggregator", "crl.pem", ROSTER, 1 << 20, 16)));
    proxy = new StallingTcpProxy(server.port());
    vertx = Vertx.vertx();
    OperatorCalls operator =
        new OperatorCalls(
            vertx.createHttpClient(
                fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1)))),
            server::port);
    Map<String, Party> parties = new java.util.TreeMap<>();
    for (String silo : ROSTER) {
      parties.put(silo, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)));
    }
    operator.create(OperatorCalls.runYaml(RUN, ROSTER, 2, PARAMETERS, "60s", "60s", Map.of()));
    double[] expected = toDoubles(operator.model(RUN));
    operator.change(RUN, "start");

    // Round 1: the stalled silo's connection stops 64 KiB into its 200 KB masked vector.
    proxy.armAfter(64 << 10);
    long started = System.nanoTime();
    List<Played> first = playRound(fixture, parties, 0, () -> {});
    expected = SiloDriver.plus(expected, SiloDriver.average(updates(first)));
    JsonObject afterFirst =
        operator.waitFor(RUN, "round 1 finished", s -> s.getInteger("roundsFinished") == 1);
    assertThat(proxy.stalls()).as("connections stalled").isEqualTo(1);
    assertThat(proxy.connections())
        .as("connections the stalled silo opened")
        .isGreaterThanOrEqualTo(2);
    assertThat(afterFirst.getInteger("roundsAborted")).isZero();
    SiloDriver.assertModelClose(operator.model(RUN), expected, 1);
    System.out.printf(
        "StallIT: round 1 with a stalled upload took %d s, %d connections relayed%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), proxy.connections());

    // Round 2: the stall comes on the silo's next bytes once its keys are in: mid-stage.
    int connectionsBefore = proxy.connections();
    started = System.nanoTime();
    List<Played> second =
        playRound(
            fixture,
            parties,
            1,
            () -> {
              operator.waitFor(
                  RUN,
                  "the stalled silo's keys in round 2",
                  s ->
                      s.getLong("currentRound") == 2
                          && OperatorCalls.participants(s, Stage.ADVERTISE_KEYS).contains(STALLED));
              proxy.armAfter(1);
            });
    expected = SiloDriver.plus(expected, SiloDriver.average(updates(second)));
    JsonObject done = operator.waitForPhase(RUN, "COMPLETED");
    assertThat(proxy.stalls()).as("connections stalled").isEqualTo(2);
    assertThat(proxy.connections()).isGreaterThan(connectionsBefore);
    assertThat(done.getInteger("roundsFinished")).isEqualTo(2);
    assertThat(done.getInteger("roundsAborted")).isZero();
    SiloDriver.assertModelClose(operator.model(RUN), expected, 2);
    System.out.printf(
        "StallIT: round 2 with a stall mid-stage took %d s, %d connections relayed%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), proxy.connections());
  }

  /** Something the test does while the silos play. */
  @FunctionalInterface
  private interface MidRound {
    void run() throws Exception;
  }

  private List<Played> playRound(
      FederationFixture fixture, Map<String, Party> parties, long after, MidRound midRound)
      throws Exception {
    List<Future<Played>> futures = new ArrayList<>();
    for (String silo : ROSTER) {
      futures.add(threads.submit(siloRound(fixture, silo, parties.get(silo), after)));
    }
    midRound.run();
    List<Played> played = new ArrayList<>();
    for (Future<Played> future : futures) {
      Played one = future.get(150, TimeUnit.SECONDS);
      assertThat(one.outcome().finished()).as("%s: %s", one.siloId(), one.outcome()).isTrue();
      assertThat(one.outcome().state().stage()).isNotNull();
      played.add(one);
    }
    return played;
  }

  private Callable<Played> siloRound(
      FederationFixture fixture, String siloId, Party party, long after) {
    return () -> {
      boolean stalled = siloId.equals(STALLED);
      FederationTrust trust = FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl);
      EcdsaP256SigningKey key = EcdsaP256SigningKey.fromPkcs8Pem(party.privateKeyPem());
      AggregatorClient client =
          AggregatorClient.create(
              URI.create(
                  "https://"
                      + FederationFixture.HOST
                      + ":"
                      + (stalled ? proxy.port() : server.port())),
              MutualTls.clientContext(
                  party.certificate(), key, trust, SiteRole.AGGREGATOR, Clock.systemUTC()),
              stalled ? STALLED_SILO_TIMEOUT : Duration.ofSeconds(30));
      SiloTask task = client.pollTask(after, 0, POLL);
      for (int i = 0;
          i < 30 && (task.round().isEmpty() || task.round().get().round() <= after);
          i++) {
        task = client.pollTask(after, 0, POLL);
      }
      RoundConfig config = task.round().orElseThrow();
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
          new SiloContext(siloId, key, party.certificate().getEncoded(), trust, random, 3);
      SecureRound.Outcome outcome =
          new SecureRound(client, context, Clock.systemUTC(), POLL, Optional.empty())
              .run(config, words);
      return new Played(siloId, update, outcome);
    };
  }

  private static List<double[]> updates(List<Played> played) {
    return played.stream().map(Played::update).toList();
  }

  private static double[] toDoubles(float[] values) {
    double[] doubles = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      doubles[i] = values[i];
    }
    return doubles;
  }
}
