package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;
import static org.fedsum.aggregator.http.DataDirectoryFaults.assertJournalWhole;
import static org.fedsum.aggregator.http.DataDirectoryFaults.refused;
import static org.fedsum.aggregator.http.DataDirectoryFaults.updates;
import static org.fedsum.aggregator.http.DataDirectoryFaults.verify;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
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
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.http.SiloDriver.Played;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.silo.client.AggregatorRefusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * One scenario for every way the aggregator's data directory can fail mid-run, with the fault left
 * to the subclass: a real aggregator (in this JVM, real mutual TLS) whose data directory is a 4 MiB
 * tmpfs mounted by the test (root only; skipped with a stated reason where mounting is not
 * permitted). Round 1 runs on a healthy directory; the fault comes; the silos play round 2. The run
 * must stop with an error naming the fault rather than journal half a record (phase {@code FAILED},
 * every silo request answered {@code 503 STORAGE_FAILED}, retryable, the journal on disk verifying
 * line by line), keep refusing while the fault stays although it tries to reopen the run every
 * second, and once the fault is repaired the same aggregator (no restart) must reopen the run from
 * its directory by itself and finish it with an unbroken journal, the interrupted round closed once
 * ({@code STORAGE_RECOVERED}) and the right model.
 */
abstract class DataDirectoryFaultScenario {
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3", "silo-4");
  private static final int ROUNDS = 3;
  private static final int PARAMETERS = 1000;

  @TempDir Path directory;

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private Vertx vertx;
  private AggregatorServer server;
  private volatile int port;

  /** The name printed with the figures, and the run's id. */
  abstract String name();

  /** Makes the mounted data directory fail writes. */
  abstract void breakDirectory(Path data) throws Exception;

  /** Asserts that the run's failure names this fault. */
  abstract void assertFailureNamesTheFault(String failure);

  /** Makes the data directory writable again, as an operator would. */
  abstract void repairDirectory(Path data) throws Exception;

  /** Undoes whatever the fault left mounted, before the tmpfs is unmounted; quiet. */
  void removeFault(Path data) throws Exception {}

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    if (server != null) {
      await(server.close());
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  /** Runs the scenario; the subclass's test method calls it. */
  void runScenario() throws Exception {
    FederationFixture fixture = FederationFixture.create(directory);
    Path data = directory.resolve("data");
    DataDirectoryFaults.mountSmallTmpfs(data);
    try {
      run(fixture, data);
    } finally {
      if (server != null) {
        await(server.close());
        server = null;
      }
      removeFault(data);
      DataDirectoryFaults.unmountQuietly(data);
    }
  }

  private void run(FederationFixture fixture, Path data) throws Exception {
    String run = name();
    AggregatorConfig config =
        fixture.config(
            "aggregator",
            "crl.pem",
            ROSTER,
            1 << 20,
            16,
            yaml -> yaml + "storageRecoveryIntervalSeconds: 1\n");
    assertThat(config.storageRecoveryInterval()).isEqualTo(Duration.ofSeconds(1));
    vertx = Vertx.vertx();
    OperatorCalls operator =
        new OperatorCalls(
            vertx.createHttpClient(
                fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1)))),
            () -> port);
    List<SiloDriver> drivers = new ArrayList<>();
    for (String silo : ROSTER) {
      drivers.add(
          new SiloDriver(
              fixture, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)), PARAMETERS));
    }
    server = await(AggregatorServer.start(config));
    port = server.port();
    operator.create(
        OperatorCalls.runYaml(
            run, ROSTER, ROUNDS, PARAMETERS, "30s", "20s", Map.of("maxConsecutiveAborts", "5")));
    operator.change(run, "start");
    double[] expected = new double[PARAMETERS];

    // Round 1 on a healthy directory.
    expected = SiloDriver.plus(expected, SiloDriver.average(updates(playRound(drivers, 0))));
    operator.waitFor(run, "round 1 finished", status -> status.getInteger("roundsFinished") == 1);

    // The fault comes; the silos play round 2.
    breakDirectory(data);
    List<Future<Played>> during = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      during.add(threads.submit(() -> driver.play(port, 1, SiloDriver.SEND)));
    }
    JsonObject failed = operator.waitForPhase(run, "FAILED");
    System.out.println(name() + ": run status " + failed);
    assertFailureNamesTheFault(failed.getString("failure"));
    assertThat(failed.getInteger("roundsFinished")).isEqualTo(1);
    // What the silos were told: the run failed writing its data directory, ask again later.
    List<String> silosSaw = new ArrayList<>();
    for (Future<Played> future : during) {
      try {
        silosSaw.add(future.get(60, TimeUnit.SECONDS).toString());
      } catch (ExecutionException e) {
        silosSaw.add("threw " + e.getCause());
      }
    }
    System.out.println(name() + ": the silos in round 2: " + silosSaw);
    assertThat(silosSaw).allSatisfy(saw -> assertThat(saw).contains("STORAGE_FAILED"));
    // A silo asking for its task while the run is failed: not "run over" (it is not), but 503.
    AggregatorRefusal whileFailed =
        refused(() -> drivers.get(0).client(port).pollTask(2, 0, Duration.ofSeconds(1)));
    assertThat(whileFailed.httpStatus()).isEqualTo(503);
    assertThat(whileFailed.code()).isEqualTo("STORAGE_FAILED");
    assertThat(whileFailed.retryable()).isTrue();
    // No half record: the journal ends with a whole line and verifies.
    Path journal = data.resolve("runs").resolve(run).resolve("journal.jsonl");
    assertJournalWhole(fixture, journal, "with the fault");

    // While the fault stays, the aggregator's attempts to reopen the run (one a second) change
    // nothing a silo or the journal could see.
    Thread.sleep(3500);
    JsonObject stillFailed = operator.status(run);
    System.out.println(name() + ": 3.5 s later, the fault still there: " + stillFailed);
    assertThat(stillFailed.getString("phase")).isEqualTo("FAILED");
    assertFailureNamesTheFault(stillFailed.getString("failure"));
    AggregatorRefusal stillRefused =
        refused(() -> drivers.get(0).client(port).pollTask(2, 0, Duration.ofSeconds(1)));
    assertThat(stillRefused.code()).isEqualTo("STORAGE_FAILED");
    assertJournalWhole(fixture, journal, "the fault still there");

    // Repaired; the same aggregator, not restarted, reopens the run from its directory.
    int portBefore = port;
    AggregatorServer serverBefore = server;
    Instant repaired = Instant.now();
    repairDirectory(data);
    JsonObject reopened =
        operator.waitFor(
            run, "run reopened", status -> !status.getString("phase").equals("FAILED"));
    System.out.println(
        name()
            + ": reopened "
            + Duration.between(repaired, Instant.now()).toMillis()
            + " ms after the repair: "
            + reopened);
    assertThat(server).isSameAs(serverBefore);
    assertThat(port).isEqualTo(portBefore);
    // Round 2 was interrupted by the fault; the silos play the rounds after it.
    long round = 2;
    int finished = 1;
    while (finished < ROUNDS) {
      List<Played> played = playRound(drivers, round);
      expected = SiloDriver.plus(expected, SiloDriver.average(updates(played)));
      round = played.get(0).round();
      finished++;
      int target = finished;
      operator.waitFor(run, "round finished", s -> s.getInteger("roundsFinished") == target);
    }
    JsonObject done = operator.waitForPhase(run, "COMPLETED");
    assertThat(done.getInteger("roundsFinished")).isEqualTo(ROUNDS);
    SiloDriver.assertModelClose(operator.model(run), expected, ROUNDS);

    JournalVerification verification = verify(fixture, journal);
    assertThat(verification.problem()).as("journal after the run").isEmpty();
    Map<Long, List<String>> closings = DataDirectoryFaults.roundClosings(verification);
    System.out.println(name() + ": round closings " + closings);
    DataDirectoryFaults.assertClosedOnceEach(closings, 2, ROUNDS);
  }

  private List<Played> playRound(List<SiloDriver> drivers, long afterRound) throws Exception {
    return DataDirectoryFaults.playRound(threads, drivers, () -> port, afterRound);
  }
}
