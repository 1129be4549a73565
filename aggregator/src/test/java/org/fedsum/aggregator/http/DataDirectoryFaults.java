package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.IntSupplier;
import org.fedsum.aggregator.http.SiloDriver.Played;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.protocol.journal.JournalRecord;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalVerifier;
import org.fedsum.silo.client.AggregatorRefusal;
import org.junit.jupiter.api.Assumptions;

/**
 * What the tests of a failing data directory ({@link DiskFullIT}, {@link ReadOnlyDataDirectoryIT})
 * share: a small tmpfs mounted as the aggregator's data directory (root only; the test is skipped
 * with the reason where mounting is not permitted), the silos' rounds, and the checks of the
 * journal on the failing disk.
 */
final class DataDirectoryFaults {
  private DataDirectoryFaults() {}

  /** Mounts a 4 MiB tmpfs, owner-only, on {@code data}; skips the test if that is not permitted. */
  static void mountSmallTmpfs(Path data) throws Exception {
    Command mount = Command.run("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", data);
    Assumptions.assumeTrue(
        mount.exitCode() == 0,
        "this test mounts a small tmpfs as the data directory, which needs root and a kernel that"
            + " permits it: "
            + mount.output());
  }

  /** Runs {@code mount} or {@code umount} with {@code arguments}; asserts it succeeded. */
  static void mountCommand(Object... arguments) throws Exception {
    Command command = Command.run(arguments);
    assertThat(command.exitCode()).as("%s: %s", command.line(), command.output()).isZero();
  }

  /** Unmounts {@code data} once, reporting (not throwing) a failure: for finally blocks. */
  static void unmountQuietly(Path data) throws Exception {
    Command umount = Command.run("umount", data);
    if (umount.exitCode() != 0) {
      System.err.println("could not unmount " + data + ": " + umount.output());
    }
  }

  /** A finished command: its line, exit code and merged output. */
  record Command(String line, int exitCode, String output) {
    static Command run(Object... arguments) throws Exception {
      List<String> words = new ArrayList<>();
      for (Object argument : arguments) {
        words.add(argument.toString());
      }
      Process process = new ProcessBuilder(words).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Command(String.join(" ", words), process.waitFor(), output);
    }
  }

  /** Every silo plays the first round after {@code afterRound}; each must finish it. */
  static List<Played> playRound(
      ExecutorService threads, List<SiloDriver> drivers, IntSupplier port, long afterRound)
      throws Exception {
    List<Future<Played>> futures = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      futures.add(threads.submit(() -> driver.play(port.getAsInt(), afterRound, SiloDriver.SEND)));
    }
    List<Played> played = new ArrayList<>();
    for (Future<Played> future : futures) {
      Played one = SiloDriver.join(future);
      assertThat(one.ending()).as("%s", one).isEqualTo(SiloDriver.Ending.FINISHED);
      played.add(one);
    }
    assertThat(played).extracting(Played::round).containsOnly(played.get(0).round());
    return played;
  }

  static List<double[]> updates(List<Played> played) {
    return played.stream().map(Played::update).toList();
  }

  /** The refusal {@code call} ends with; fails if it returns. */
  static AggregatorRefusal refused(Callable<?> call) throws Exception {
    try {
      throw new AssertionError("expected a refusal, got " + call.call());
    } catch (AggregatorRefusal refusal) {
      return refusal;
    }
  }

  static JournalVerification verify(FederationFixture fixture, Path journal) throws Exception {
    return JournalVerifier.verify(
        Files.readAllLines(journal, StandardCharsets.UTF_8),
        FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl),
        Instant.now());
  }

  /** No half record: the journal ends with a whole line and verifies line by line. */
  static void assertJournalWhole(FederationFixture fixture, Path journal, String when)
      throws Exception {
    byte[] bytes = Files.readAllBytes(journal);
    assertThat(bytes[bytes.length - 1])
        .as("the journal's last byte, %s", when)
        .isEqualTo((byte) '\n');
    assertThat(verify(fixture, journal).problem()).as("the journal, %s", when).isEmpty();
  }

  /** How each round was closed, in journal order: "finished" or the abort's reason. */
  static Map<Long, List<String>> roundClosings(JournalVerification verification) {
    Map<Long, List<String>> closings = new LinkedHashMap<>();
    for (JournalRecord record : verification.verifiedRecords()) {
      JsonObject body = new JsonObject(record.body().toString());
      if (record.type().equals("round-finished")) {
        closings.computeIfAbsent(body.getLong("round"), r -> new ArrayList<>()).add("finished");
      } else if (record.type().equals("round-aborted")) {
        closings
            .computeIfAbsent(body.getLong("round"), r -> new ArrayList<>())
            .add(body.getString("reason"));
      }
    }
    return closings;
  }

  /**
   * The closings of a run of {@code rounds} rounds that storage interrupted in {@code interrupted}
   * (after round 1 finished) and that reopened by itself: each round closed once, the interrupted
   * one by the reopening, never by a restart.
   */
  static void assertClosedOnceEach(Map<Long, List<String>> closings, long interrupted, int rounds) {
    assertThat(closings)
        .as("each round closed once; the round storage interrupted by the reopening")
        .containsEntry(1L, List.of("finished"))
        .containsEntry(interrupted, List.of("STORAGE_RECOVERED"));
    // Every round closed exactly once: finished, or (if an attempt to reopen found the directory
    // writable for a record or two, and it then refused again) interrupted by storage and closed
    // by the next reopening.
    assertThat(closings.values()).allSatisfy(closed -> assertThat(closed).hasSize(1));
    assertThat(closings.values().stream().map(closed -> closed.get(0)))
        .containsOnly("finished", "STORAGE_RECOVERED")
        .filteredOn("finished"::equals)
        .hasSize(rounds);
  }
}
