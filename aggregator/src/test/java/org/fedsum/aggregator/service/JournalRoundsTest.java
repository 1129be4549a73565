package org.fedsum.aggregator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedsum.aggregator.service.RoundReport.Outcome;
import org.fedsum.aggregator.service.RoundReport.StageReport;
import org.fedsum.aggregator.service.RoundReport.StageStatus;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RoundPrivacy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalRoundsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ROSTER = List.of("a", "b", "c", "d");
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  private static final double DELTA = 1e-5;

  /**
   * d = 1001 rotated to d' = 1008 (a multiple of the smallest block, 8), C = 1, z = 1.2, t = 3 of
   * 4; 16 bits, so that the rounding allowance (which grows with d') is large enough in Δ₂ for a
   * wrong d to show.
   */
  private static final EncodingParameters PRIVATE =
      EncodingParameters.builder()
          .setDimension(1001)
          .setClipNorm(1)
          .setNoiseMultiplier(1.2)
          .setThreshold(3)
          .setSilos(4)
          .setRotationSeed(new byte[32])
          .setBits(16)
          .buildChoosingGamma();

  private static final EncodingParameters PLAIN =
      EncodingParameters.builder()
          .setDimension(1000)
          .setClipNorm(1)
          .setNoiseMultiplier(0)
          .setThreshold(3)
          .setSilos(4)
          .setBits(32)
          .buildChoosingGamma();

  @TempDir Path directory;

  private final List<String> lines = new ArrayList<>();

  private void record(String type, long seconds, Map<String, ?> body) {
    ObjectNode node = JSON.createObjectNode();
    node.put("type", type);
    node.put("time", T0.plusSeconds(seconds).toString());
    node.set("body", JSON.valueToTree(body));
    lines.add(node.toString());
  }

  private void started(long round, long at) {
    record("round-started", at, Map.of("round", round, "roster", ROSTER));
  }

  private void closed(long round, Stage stage, long at, List<String> participants, String by) {
    record(
        "stage-closed",
        at,
        Map.of(
            "round", round, "stage", stage.name(), "participants", participants, "closedBy", by));
  }

  /** Round {@code round} from {@code at}: d drops before SHARE_KEYS; a, b, c finish. */
  private void finishedRoundWithoutD(long round, long at) {
    List<String> abc = List.of("a", "b", "c");
    started(round, at);
    closed(round, Stage.ADVERTISE_KEYS, at + 2, ROSTER, "all-answered");
    closed(round, Stage.SHARE_KEYS, at + 7, abc, "deadline");
    closed(round, Stage.MASKED_INPUT, at + 8, abc, "all-answered");
    closed(round, Stage.CONSISTENCY_CHECK, at + 9, abc, "all-answered");
    closed(round, Stage.UNMASK, at + 10, abc, "all-answered");
    record(
        "round-finished",
        at + 12,
        Map.of(
            "round",
            round,
            "survivors",
            abc,
            "participants",
            Map.of(
                "ADVERTISE_KEYS", ROSTER,
                "SHARE_KEYS", abc,
                "MASKED_INPUT", abc,
                "CONSISTENCY_CHECK", abc,
                "UNMASK", abc),
            "dropouts",
            Map.of(
                "ADVERTISE_KEYS", List.of(),
                "SHARE_KEYS", List.of("d"),
                "MASKED_INPUT", List.of(),
                "CONSISTENCY_CHECK", List.of(),
                "UNMASK", List.of()),
            "totalWeight",
            3,
            "outerBandCount",
            2,
            "noiseStandardDeviation",
            "0.125",
            "modelSha256",
            "ab".repeat(32),
            "strategy",
            "fedavg"));
  }

  private RoundHistory read(EncodingParameters encoding) throws IOException {
    JournalRounds rounds = new JournalRounds("run-1", encoding, DELTA);
    for (String line : lines) {
      rounds.accept(line);
    }
    return rounds.snapshot();
  }

  private static PrivacySpend expectedSpend(int... survivorsPerRound) {
    List<RoundPrivacy> rounds = new ArrayList<>();
    for (int i = 0; i < survivorsPerRound.length; i++) {
      rounds.add(
          new RoundPrivacy(
              i + 1L,
              survivorsPerRound[i],
              PRIVATE.clipNorm(),
              PRIVATE.noiseMultiplier(),
              PRIVATE.gamma(),
              PRIVATE.threshold(),
              1008));
    }
    return PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA)
        .spend(rounds, DELTA);
  }

  private static void assertSpend(PrivacySpend actual, PrivacySpend expected) {
    assertThat(actual.epsilonRdp()).isCloseTo(expected.epsilonRdp(), offsetOf(expected));
    assertThat(actual.epsilonGdp())
        .isCloseTo(expected.epsilonGdp(), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(actual.delta()).isEqualTo(DELTA);
    assertThat(actual.unit()).isEqualTo(PrivacySpend.UNIT_SILO);
  }

  private static org.assertj.core.data.Offset<Double> offsetOf(PrivacySpend expected) {
    // ρ is summed as the accountant sums it; only the ε solver's last digits may differ.
    return org.assertj.core.data.Offset.offset(1e-12 * expected.epsilonRdp());
  }

  @Test
  void finishedRound_stagesDropoutsDurationsAggregateAndPrivacy() throws Exception {
    finishedRoundWithoutD(1, 0);

    RoundHistory history = read(PRIVATE);

    assertThat(history.differentialPrivacy()).isTrue();
    assertThat(history.roundsAccounted()).isEqualTo(1);
    RoundReport round = history.rounds().get(0);
    assertThat(round.outcome()).isEqualTo(Outcome.FINISHED);
    assertThat(round.startedAt()).isEqualTo(T0);
    assertThat(round.endedAt()).contains(T0.plusSeconds(12));
    assertThat(round.survivors()).containsExactly("a", "b", "c");
    assertThat(round.stages()).extracting(StageReport::stage).containsExactly(Stage.values());
    StageReport shares = round.stages().get(1);
    assertThat(shares.dropouts()).containsExactly("d");
    assertThat(shares.duration()).contains(Duration.ofSeconds(5));
    assertThat(shares.closedBy()).contains("deadline");
    assertThat(round.stages().get(0).duration()).contains(Duration.ofSeconds(2));
    assertThat(round.stages().get(0).dropouts()).isEmpty();
    var aggregate = round.aggregate().orElseThrow();
    assertThat(aggregate.totalWeight()).isEqualTo(3);
    assertThat(aggregate.outerBandCount()).isEqualTo(2);
    assertThat(aggregate.noiseStandardDeviation()).isEqualTo(0.125);
    assertThat(aggregate.aggregationDuration()).isEqualTo(Duration.ofSeconds(2));
    // Accounted with its three real survivors and the padded length d' = 1008.
    assertSpend(round.privacySpent().orElseThrow(), expectedSpend(3));
    assertSpend(history.privacySpent().orElseThrow(), expectedSpend(3));
  }

  @Test
  void abortedThenFinished_abortSpendsNothingAndRoundsCompose() throws Exception {
    finishedRoundWithoutD(1, 0);
    started(2, 20);
    closed(2, Stage.ADVERTISE_KEYS, 21, ROSTER, "all-answered");
    record(
        "round-aborted",
        30,
        Map.of(
            "round", 2L,
            "stage", "SHARE_KEYS",
            "reason", "THRESHOLD_NOT_MET",
            "detail", "2 of 4 answered, threshold 3",
            "participants", List.of("a", "b")));
    finishedRoundWithoutD(3, 60);

    RoundHistory history = read(PRIVATE);

    assertThat(history.rounds())
        .extracting(RoundReport::outcome)
        .containsExactly(Outcome.FINISHED, Outcome.ABORTED, Outcome.FINISHED);
    RoundReport aborted = history.rounds().get(1);
    assertThat(aborted.abort().orElseThrow().reason()).isEqualTo("THRESHOLD_NOT_MET");
    assertThat(aborted.abort().orElseThrow().stage()).isEqualTo(Stage.SHARE_KEYS);
    assertThat(aborted.stages()).hasSize(2);
    StageReport abortedStage = aborted.stages().get(1);
    assertThat(abortedStage.status()).isEqualTo(StageStatus.ABORTED);
    assertThat(abortedStage.participants()).containsExactly("a", "b");
    assertThat(abortedStage.dropouts()).containsExactly("c", "d");
    assertThat(abortedStage.duration()).contains(Duration.ofSeconds(9));
    assertThat(aborted.survivors()).isEmpty();
    assertThat(aborted.aggregate()).isEmpty();
    assertSpend(aborted.privacySpent().orElseThrow(), expectedSpend(3));
    assertSpend(history.rounds().get(2).privacySpent().orElseThrow(), expectedSpend(3, 3));
    assertThat(history.roundsAccounted()).isEqualTo(2);
    assertThat(history.privacySpent().orElseThrow().enforcedEpsilon())
        .isGreaterThan(aborted.privacySpent().orElseThrow().enforcedEpsilon());
  }

  @Test
  void runningRound_openStageListsTheMessagesAcceptedSoFar() throws Exception {
    started(1, 0);
    closed(1, Stage.ADVERTISE_KEYS, 1, ROSTER, "all-answered");
    closed(1, Stage.SHARE_KEYS, 2, ROSTER, "all-answered");
    for (String silo : List.of("c", "a")) {
      record(
          "message-accepted",
          3,
          Map.of("round", 1L, "silo", silo, "stage", "MASKED_INPUT", "type", "masked-input"));
    }

    RoundReport round = read(PRIVATE).rounds().get(0);

    assertThat(round.outcome()).isEqualTo(Outcome.RUNNING);
    assertThat(round.endedAt()).isEmpty();
    assertThat(round.stages()).hasSize(3);
    StageReport open = round.stages().get(2);
    assertThat(open.stage()).isEqualTo(Stage.MASKED_INPUT);
    assertThat(open.status()).isEqualTo(StageStatus.OPEN);
    assertThat(open.participants()).containsExactly("a", "c");
    assertThat(open.duration()).isEmpty();
    assertThat(round.privacySpent().orElseThrow().enforcedEpsilon()).isZero();
  }

  @Test
  void failedAggregation_abortsInUnmaskWithoutASecondUnmaskStage() throws Exception {
    finishedRoundWithoutD(1, 0);
    lines.remove(lines.size() - 1);
    record(
        "round-aborted",
        15,
        Map.of(
            "round", 1L,
            "stage", "UNMASK",
            "reason", "AGGREGATION_FAILED",
            "detail", "disk full",
            "participants", List.of("a", "b", "c")));

    RoundReport round = read(PRIVATE).rounds().get(0);

    assertThat(round.outcome()).isEqualTo(Outcome.ABORTED);
    assertThat(round.stages()).extracting(StageReport::stage).containsExactly(Stage.values());
    assertThat(round.stages().get(4).status()).isEqualTo(StageStatus.CLOSED);
    assertThat(round.abort().orElseThrow().detail()).isEqualTo("disk full");
  }

  @Test
  void withoutDifferentialPrivacy_noEpsilonAtAll() throws Exception {
    finishedRoundWithoutD(1, 0);

    RoundHistory history = read(PLAIN);

    assertThat(history.differentialPrivacy()).isFalse();
    assertThat(history.privacySpent()).isEmpty();
    assertThat(history.rounds().get(0).privacySpent()).isEmpty();
    assertThat(history.roundsAccounted()).isZero();
  }

  @Test
  void readNew_partialLastLine_waitsForItsEnd_andAShorterFileIsRefused() throws Exception {
    finishedRoundWithoutD(1, 0);
    Path journal = directory.resolve("journal.jsonl");
    String text = String.join("\n", lines) + "\n";
    int cut = text.length() - 40;
    Files.writeString(journal, text.substring(0, cut), StandardCharsets.UTF_8);
    JournalRounds rounds = new JournalRounds("run-1", PRIVATE, DELTA);

    assertThat(rounds.readNew(journal)).isTrue();
    assertThat(rounds.snapshot().rounds().get(0).outcome()).isEqualTo(Outcome.RUNNING);

    Files.writeString(
        journal, text.substring(cut), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    assertThat(rounds.readNew(journal)).isTrue();
    assertThat(rounds.snapshot().rounds().get(0).outcome()).isEqualTo(Outcome.FINISHED);
    assertThat(rounds.readNew(journal)).isTrue();
    assertThat(rounds.snapshot().rounds()).hasSize(1);

    Files.writeString(journal, lines.get(0) + "\n", StandardCharsets.UTF_8);
    assertThat(rounds.readNew(journal)).isFalse();
  }
}
