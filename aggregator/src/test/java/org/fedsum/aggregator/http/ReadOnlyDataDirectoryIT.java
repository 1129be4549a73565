package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;
import static org.fedsum.aggregator.http.DataDirectoryFaults.assertJournalWhole;
import static org.fedsum.aggregator.http.DataDirectoryFaults.mountCommand;
import static org.fedsum.aggregator.http.DataDirectoryFaults.refused;
import static org.fedsum.aggregator.http.DataDirectoryFaults.updates;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator's data directory turns read-only mid-run: a real aggregator (in this JVM, real
 * mutual TLS) whose data directory is a 4 MiB tmpfs mounted by the test (root only; skipped with a
 * stated reason where mounting is not permitted, as {@link DiskFullIT}).
 *
 * <p>After round 1 the test mounts the same tmpfs again, read-only, over the data directory ({@code
 * mount --bind -o ro data data}): every file the aggregator opens there from then on is on a
 * read-only mount and every write to it fails with {@code EROFS} ("Read-only file system"). (A
 * plain {@code mount -o remount,ro} of the tmpfs is refused by the kernel, {@code EBUSY}, as long
 * as a file on it is open for writing, and the aggregator keeps its journal open; the files it
 * holds open stay writable under the read-only mount on top, as they would not after the kernel's
 * own emergency remount.) The run must stop with an error naming the read-only file system, the
 * journal must stay whole, and silos must be told {@code 503 STORAGE_FAILED}, retryable. Then the
 * test remounts the top mount read-write ({@code mount -o remount,bind,rw data}); the same
 * aggregator, not restarted, must reopen the run by itself and finish it with the right model and
 * an unbroken journal.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReadOnlyDataDirectoryIT {
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3", "silo-4");
  private static final String RUN = "read-only";
  private static final int ROUNDS = 3;
  private static final int PARAMETERS = 1000;

  @TempDir Path directory;

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private Vertx vertx;
  private AggregatorServer server;
  private volatile int port;

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

  @Test
  void dataDirectoryTurnsReadOnly_runFailsNamingIt_afterRemountReadWriteItResumesWithoutARestart()
      throws Exception {
    FederationFixture fixture = FederationFixture.create(directory);
    Path data = directory.resolve("data");
    DataDirectoryFaults.mountSmallTmpfs(data);
    boolean[] readOnlyMount = {false};
    try {
      run(fixture, data, readOnlyMount);
    } finally {
      if (server != null) {
        await(server.close());
        server = null;
      }
      if (readOnlyMount[0]) {
        DataDirectoryFaults.unmountQuietly(data);
      }
      DataDirectoryFaults.unmountQuietly(data);
    }
  }

  private void run(FederationFixture fixture, Path data, boolean[] readOnlyMount) throws Exception {
    AggregatorConfig config =
        fixture.config(
            "aggregator",
            "crl.pem",
            ROSTER,
            1 << 20,
            16,
            yaml -> yaml + "storageRecoveryIntervalSeconds: 1\n");
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
            RUN, ROSTER, ROUNDS, PARAMETERS, "30s", "20s", Map.of("maxConsecutiveAborts", "5")));
    operator.change(RUN, "start");
    double[] expected = new double[PARAMETERS];

    // Round 1 on a writable directory.
    expected = SiloDriver.plus(expected, SiloDriver.average(updates(playRound(drivers, 0))));
    operator.waitFor(RUN, "round 1 finished", status -> status.getInteger("roundsFinished") == 1);

    // The data directory turns read-only; the silos play round 2.
    mountCommand("mount", "--bind", "-o", "ro", data, data);
    readOnlyMount[0] = true;
    assertThat(Files.isWritable(data)).as("the data directory, mounted read-only").isFalse();
    List<Future<Played>> during = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      during.add(threads.submit(() -> driver.play(port, 1, SiloDriver.SEND)));
    }
    JsonObject failed = operator.waitForPhase(RUN, "FAILED");
    System.out.println("ReadOnlyDataDirectoryIT: run status " + failed);
    assertThat(failed.getString("failure"))
        .contains("Read-only file system")
        .doesNotContainIgnoringCase("space")
        .doesNotContainIgnoringCase("full");
    assertThat(failed.getInteger("roundsFinished")).isEqualTo(1);
    List<String> silosSaw = new ArrayList<>();
    for (Future<Played> future : during) {
      try {
        silosSaw.add(future.get(60, TimeUnit.SECONDS).toString());
      } catch (ExecutionException e) {
        silosSaw.add("threw " + e.getCause());
      }
    }
    System.out.println("ReadOnlyDataDirectoryIT: the silos in round 2: " + silosSaw);
    assertThat(silosSaw).allSatisfy(saw -> assertThat(saw).contains("STORAGE_FAILED"));
    AggregatorRefusal whileFailed =
        refused(() -> drivers.get(0).client(port).pollTask(2, 0, Duration.ofSeconds(1)));
    System.out.println("ReadOnlyDataDirectoryIT: a silo's poll: " + whileFailed);
    assertThat(whileFailed.httpStatus()).isEqualTo(503);
    assertThat(whileFailed.code()).isEqualTo("STORAGE_FAILED");
    assertThat(whileFailed.retryable()).isTrue();
    Path journal = data.resolve("runs").resolve(RUN).resolve("journal.jsonl");
    assertJournalWhole(fixture, journal, "on the read-only directory");

    // While the directory stays read-only, the attempts to reopen the run (one a second) fail
    // whole: nothing a silo or the journal could see changes.
    Thread.sleep(3500);
    JsonObject stillFailed = operator.status(RUN);
    assertThat(stillFailed.getString("phase")).isEqualTo("FAILED");
    assertThat(stillFailed.getString("failure")).contains("Read-only file system");
    assertThat(
            refused(() -> drivers.get(0).client(port).pollTask(2, 0, Duration.ofSeconds(1))).code())
        .isEqualTo("STORAGE_FAILED");
    assertJournalWhole(fixture, journal, "the directory still read-only");

    // Writable again; the same aggregator, not restarted, reopens the run from its directory.
    AggregatorServer serverBefore = server;
    Instant writable = Instant.now();
    mountCommand("mount", "-o", "remount,bind,rw", data);
    JsonObject reopened =
        operator.waitFor(
            RUN, "run reopened", status -> !status.getString("phase").equals("FAILED"));
    System.out.println(
        "ReadOnlyDataDirectoryIT: reopened "
            + Duration.between(writable, Instant.now()).toMillis()
            + " ms after the remount read-write: "
            + reopened);
    assertThat(server).isSameAs(serverBefore);
    long round = 2;
    int finished = 1;
    while (finished < ROUNDS) {
      List<Played> played = playRound(drivers, round);
      expected = SiloDriver.plus(expected, SiloDriver.average(updates(played)));
      round = played.get(0).round();
      finished++;
      int target = finished;
      operator.waitFor(RUN, "round finished", s -> s.getInteger("roundsFinished") == target);
    }
    JsonObject done = operator.waitForPhase(RUN, "COMPLETED");
    assertThat(done.getInteger("roundsFinished")).isEqualTo(ROUNDS);
    SiloDriver.assertModelClose(operator.model(RUN), expected, ROUNDS);

    assertJournalWhole(fixture, journal, "after the run");
    JournalVerification verification = DataDirectoryFaults.verify(fixture, journal);
    var closings = DataDirectoryFaults.roundClosings(verification);
    System.out.println("ReadOnlyDataDirectoryIT: round closings " + closings);
    DataDirectoryFaults.assertClosedOnceEach(closings, 2, ROUNDS);
  }

  private List<Played> playRound(List<SiloDriver> drivers, long afterRound) throws Exception {
    return DataDirectoryFaults.playRound(threads, drivers, () -> port, afterRound);
  }
}
