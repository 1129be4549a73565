package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;
import static org.fedsum.aggregator.http.DataDirectoryFaults.assertJournalWhole;
import static org.fedsum.aggregator.http.DataDirectoryFaults.refused;
import static org.fedsum.aggregator.http.DataDirectoryFaults.updates;
import static org.fedsum.aggregator.http.DataDirectoryFaults.verify;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
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
 * The aggregator's data directory fills up mid-run: a real aggregator (in this JVM, real mutual
 * TLS) whose data directory is a 4 MiB tmpfs mounted by the test (root only; skipped with a stated
 * reason where mounting is not permitted), filled with a filler file after the first round. The run
 * must stop with a clear error rather than journal half a record (run phase {@code FAILED}, the
 * failure naming the full disk, every silo request answered {@code 503 STORAGE_FAILED}, retryable,
 * the journal on disk verifying line by line), keep refusing while the disk stays full although it
 * tries to reopen the run every second, and once the filler is deleted the same aggregator (no
 * restart) must reopen the run from its directory by itself and finish it with an unbroken journal,
 * the interrupted round closed once ({@code STORAGE_RECOVERED}) and the right model.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DiskFullIT {
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3", "silo-4");
  private static final String RUN = "disk-full";
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
  void dataDirectoryFull_runFailsCleanly_afterSpaceReturnsItResumesWithoutARestart()
      throws Exception {
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
      DataDirectoryFaults.unmountQuietly(data);
    }
  }

  private void run(FederationFixture fixture, Path data) throws Exception {
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
    startAggregator(config);
    operator.create(
        OperatorCalls.runYaml(
            RUN, ROSTER, ROUNDS, PARAMETERS, "30s", "20s", Map.of("maxConsecutiveAborts", "5")));
    operator.change(RUN, "start");
    double[] expected = new double[PARAMETERS];

    // Round 1 on an empty disk.
    expected = SiloDriver.plus(expected, SiloDriver.average(updates(playRound(drivers, 0))));
    operator.waitFor(RUN, "round 1 finished", status -> status.getInteger("roundsFinished") == 1);

    // The disk fills up; the silos play round 2.
    Path filler = data.resolve("filler");
    long filled = fill(filler);
    List<Future<Played>> during = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      during.add(threads.submit(() -> driver.play(port, 1, SiloDriver.SEND)));
    }
    JsonObject failed = operator.waitForPhase(RUN, "FAILED");
    System.out.println("DiskFullIT: filled " + filled + " bytes; run status " + failed);
    assertThat(failed.getString("failure")).contains("No space left on device");
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
    System.out.println("DiskFullIT: the silos in round 2: " + silosSaw);
    assertThat(silosSaw).allSatisfy(saw -> assertThat(saw).contains("STORAGE_FAILED"));
    // A silo asking for its task while the run is failed: not "run over" (it is not), but 503.
    AggregatorRefusal whileFailed =
        refused(() -> drivers.get(0).client(port).pollTask(2, 0, Duration.ofSeconds(1)));
    assertThat(whileFailed.httpStatus()).isEqualTo(503);
    assertThat(whileFailed.code()).isEqualTo("STORAGE_FAILED");
    assertThat(whileFailed.retryable()).isTrue();
    // No half record: the journal on the full disk ends with a whole line and verifies.
    Path journal = data.resolve("runs").resolve(RUN).resolve("journal.jsonl");
    assertJournalWhole(fixture, journal, "while the disk is full");

    // While the disk stays full, the aggregator's attempts to reopen the run (one a second) change
    // nothing a silo or the journal could see.
    Thread.sleep(3500);
    JsonObject stillFailed = operator.status(RUN);
    System.out.println("DiskFullIT: 3.5 s later, the disk still full: " + stillFailed);
    assertThat(stillFailed.getString("phase")).isEqualTo("FAILED");
    AggregatorRefusal stillRefused =
        refused(() -> drivers.get(0).client(port).pollTask(2, 0, Duration.ofSeconds(1)));
    assertThat(stillRefused.code()).isEqualTo("STORAGE_FAILED");
    assertJournalWhole(fixture, journal, "the disk still full");

    // Space returns; the same aggregator, not restarted, reopens the run from its directory.
    int portBefore = port;
    AggregatorServer serverBefore = server;
    Instant spaceReturned = Instant.now();
    Files.delete(filler);
    JsonObject reopened =
        operator.waitFor(
            RUN, "run reopened", status -> !status.getString("phase").equals("FAILED"));
    System.out.println(
        "DiskFullIT: reopened "
            + Duration.between(spaceReturned, Instant.now()).toMillis()
            + " ms after the space returned: "
            + reopened);
    assertThat(server).isSameAs(serverBefore);
    assertThat(port).isEqualTo(portBefore);
    // Round 2 was interrupted by the full disk; the silos play the rounds after it.
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

    JournalVerification verification = verify(fixture, journal);
    assertThat(verification.problem()).as("journal after the run").isEmpty();
    Map<Long, List<String>> closings = DataDirectoryFaults.roundClosings(verification);
    System.out.println("DiskFullIT: round closings " + closings);
    DataDirectoryFaults.assertClosedOnceEach(closings, 2, ROUNDS);
  }

  private void startAggregator(AggregatorConfig config) throws Exception {
    server = await(AggregatorServer.start(config));
    port = server.port();
  }

  private List<Played> playRound(List<SiloDriver> drivers, long afterRound) throws Exception {
    return DataDirectoryFaults.playRound(threads, drivers, () -> port, afterRound);
  }

  /** Writes {@code filler} until the file system refuses; returns the bytes written. */
  private static long fill(Path filler) throws IOException {
    byte[] chunk = new byte[64 << 10];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        try {
          out.write(chunk);
          written += chunk.length;
        } catch (IOException full) {
          assertThat(full.getMessage()).contains("No space left on device");
          break;
        }
      }
      // Whatever part of a chunk still fits.
      try {
        for (int i = 0; i < chunk.length; i++) {
          out.write(0);
          written++;
        }
      } catch (IOException full) {
        // Full to the byte.
      }
    } catch (IOException closing) {
      // The buffered stream's last flush also hits the full disk.
    }
    return written;
  }
}
