package org.fedsum.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.journal.JournalVerifier;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.silo.node.SiloNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Silo nodes stopped mid-run ({@link SiloNode#stop}, what the silo's SIGTERM hook calls) in a real
 * run ({@link RealRun}: the real aggregator over mutual TLS, real silo nodes with silo-level and
 * record-level DP): silo-1 the moment its first {@code round-outcome} reaches its journal file, so
 * while it journals that round (its outcome, then its two privacy spends); silo-2 and silo-3 after
 * the aggregator has gone away, while they wait and retry. Each must stop within 10 s, and leave a
 * journal that verifies in which every round has both spend records (silo-level and record-level)
 * if its outcome says the masked input left the silo, and none otherwise.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SiloStopIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STOP_LIMIT = Duration.ofSeconds(10);

  @TempDir Path directory;

  @Test
  void siloStoppedWhileJournalingARound_journalVerifies_bothSpendsOrNone_stopsWithinTenSeconds()
      throws Exception {
    try (RealRun run = RealRun.started(directory)) {
      Path firstJournal = run.siloJournals.get("silo-1");
      long sawOutcomeAt = waitForRecord(firstJournal, "\"type\":\"round-outcome\"");
      Duration first = stop(run.silos.get("silo-1"));
      System.out.println(
          "SiloStopIT: silo-1 stopped "
              + first.toMillis()
              + " ms after the stop, "
              + TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sawOutcomeAt)
              + " µs after its round-outcome reached the file");

      // The aggregator goes away: the other silos wait for it (polls, retries) when stopped.
      run.stopAggregator();
      Thread.sleep(3000);
      Map<String, Duration> unreachable = new TreeMap<>();
      for (String silo : List.of("silo-2", "silo-3")) {
        unreachable.put(silo, stop(run.silos.get(silo)));
      }
      System.out.println("SiloStopIT: stopped with the aggregator gone: " + unreachable);

      for (String silo : List.of("silo-1", "silo-2", "silo-3")) {
        List<String> lines = Files.readAllLines(run.siloJournals.get(silo), StandardCharsets.UTF_8);
        assertThat(JournalVerifier.verify(lines, run.trust, Instant.now()).problem())
            .as("%s's journal", silo)
            .isEmpty();
        Map<Long, String> rounds = spendsByRound(lines);
        System.out.println("SiloStopIT: " + silo + " rounds " + rounds);
        assertThat(rounds)
            .as("%s: per round, masked input sent → silo and record spend, else neither", silo)
            .allSatisfy(
                (round, spends) -> assertThat(spends).isIn("sent: silo+record", "not sent: none"));
      }
      assertThat(spendsByRound(Files.readAllLines(firstJournal, StandardCharsets.UTF_8)))
          .as("silo-1 was stopped while journaling round 1, whose input it had sent")
          .containsEntry(1L, "sent: silo+record");
    }
  }

  /**
   * The aggregator goes away for good after silo-1 and silo-2 sent their masked inputs and their
   * consistency signatures in round 1 (silo-3 goes silent before CONSISTENCY_CHECK, so the stage
   * waits for its deadline and the round cannot end first). Each of the two silos retries until
   * {@code TransportRetry} gives up (about 31 s), and must then journal the round: its outcome,
   * saying the masked input left and the aggregator was lost, with both privacy spends. Before the
   * fix the transport failure escaped the round, and the round whose input had left the silo had no
   * outcome and no spend.
   */
  @Test
  void aggregatorGoneAfterMaskedInputs_silosJournalTheRoundWithBothSpends() throws Exception {
    try (RealRun run = RealRun.started(directory, Map.of("silo-3", Stage.CONSISTENCY_CHECK))) {
      waitForAcceptedMessages(
          run.aggregatorRunJournal(), 1, "CONSISTENCY_CHECK", "silo-1", "silo-2");
      run.stopAggregator();
      long stoppedAt = System.nanoTime();
      for (String silo : List.of("silo-1", "silo-2")) {
        JsonNode outcome = waitForOutcome(run.siloJournals.get(silo), 1);
        System.out.println(
            "SiloStopIT: "
                + silo
                + " journaled round 1 "
                + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stoppedAt)
                + " s after the aggregator stopped: "
                + outcome);
        assertThat(outcome.path("maskedInputSent").asBoolean()).as("%s", outcome).isTrue();
        assertThat(outcome.path("finished").asBoolean()).as("%s", outcome).isFalse();
        assertThat(outcome.path("lostAggregator").asText()).as("%s", outcome).isNotEmpty();
        List<String> lines = Files.readAllLines(run.siloJournals.get(silo), StandardCharsets.UTF_8);
        assertThat(JournalVerifier.verify(lines, run.trust, Instant.now()).problem())
            .as("%s's journal", silo)
            .isEmpty();
        assertThat(spendsByRound(lines)).as(silo).containsEntry(1L, "sent: silo+record");
      }
      for (String silo : List.of("silo-1", "silo-2", "silo-3")) {
        stop(run.silos.get(silo));
      }
    }
  }

  /**
   * Waits until the aggregator's journal accepted {@code stage}'s message of each of {@code silos}.
   */
  private static void waitForAcceptedMessages(
      Path journal, long round, String stage, String... silos) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() < deadline) {
      java.util.Set<String> accepted = new java.util.TreeSet<>();
      if (Files.exists(journal)) {
        for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
          JsonNode record = JSON.readTree(line);
          JsonNode body = record.path("body");
          if (record.path("type").asText().equals("message-accepted")
              && body.path("round").asLong() == round
              && body.path("stage").asText().equals(stage)) {
            accepted.add(body.path("silo").asText());
          }
        }
      }
      if (accepted.containsAll(List.of(silos))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the aggregator did not accept " + stage + " from " + List.of(silos));
  }

  /** The body of {@code journal}'s round-outcome of {@code round}, waiting up to 90 s for it. */
  private static JsonNode waitForOutcome(Path journal, long round) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
        JsonNode record = JSON.readTree(line);
        if (record.path("type").asText().equals("round-outcome")
            && record.path("body").path("round").asLong() == round) {
          return record.path("body");
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no round-outcome of round " + round + " in " + journal + " in 90 s");
  }

  /** Stops {@code node}; it must end within {@link #STOP_LIMIT}. */
  private static Duration stop(SiloNode node) throws InterruptedException {
    long start = System.nanoTime();
    boolean stopped = node.stop(STOP_LIMIT);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(stopped).as("the node left its round loop within %s (took %s)", STOP_LIMIT, took);
    assertThat(took).isLessThanOrEqualTo(STOP_LIMIT);
    return took;
  }

  /**
   * Watches {@code journal} closely (every ~0.1 ms) until a record containing {@code marker} is in
   * it; returns when it saw it (System.nanoTime).
   */
  private static long waitForRecord(Path journal, String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    long seen = -1;
    while (System.nanoTime() < deadline) {
      long size = Files.exists(journal) ? Files.size(journal) : 0;
      if (size != seen) {
        seen = size;
        if (Files.readString(journal, StandardCharsets.UTF_8).contains(marker)) {
          return System.nanoTime();
        }
      }
      LockSupport.parkNanos(100_000);
    }
    throw new AssertionError("no " + marker + " in " + journal + " within 2 minutes");
  }

  /**
   * Per round with an outcome: whether the outcome says the masked input was sent, and which spend
   * records the round has ("silo+record", "silo", "record", "none").
   */
  private static Map<Long, String> spendsByRound(List<String> lines) throws Exception {
    Map<Long, Boolean> sent = new TreeMap<>();
    Map<Long, String> spends = new TreeMap<>();
    for (String line : lines) {
      JsonNode record = JSON.readTree(line);
      JsonNode body = record.path("body");
      long round = body.path("round").asLong(-1);
      switch (record.path("type").asText()) {
        case "round-outcome" -> sent.put(round, body.path("maskedInputSent").asBoolean());
        case "privacy-spent" -> {
          String unit = body.path("unit").asText();
          spends.merge(
              round,
              unit.equals(PrivacySpend.UNIT_SILO) ? "silo" : unit,
              (earlier, later) -> earlier + "+" + later);
        }
        default -> {
          // Other records do not matter here.
        }
      }
    }
    Map<Long, String> rounds = new TreeMap<>();
    for (Map.Entry<Long, Boolean> outcome : sent.entrySet()) {
      rounds.put(
          outcome.getKey(),
          (outcome.getValue() ? "sent: " : "not sent: ")
              + spends.getOrDefault(outcome.getKey(), "none"));
    }
    // A spend without an outcome would be a broken round too.
    for (Long round : spends.keySet()) {
      rounds.putIfAbsent(round, "no outcome: " + spends.get(round));
    }
    return rounds;
  }
}
