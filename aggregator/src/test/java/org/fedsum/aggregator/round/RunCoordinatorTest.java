package org.fedsum.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedsum.aggregator.store.Checkpoint;
import org.fedsum.aggregator.store.SpooledVector;
import org.fedsum.protocol.AdvertiseKeys;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.SiloProtocol;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCoordinatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;

  /** Records of the journal with this type, bodies only, in order. */
  private static List<JsonNode> records(RoundFixture fixture, String type) throws IOException {
    List<JsonNode> bodies = new ArrayList<>();
    for (String line : fixture.journalLines()) {
      JsonNode record = JSON.readTree(line);
      if (record.path("type").asText().equals(type)) {
        bodies.add(record.path("body"));
      }
    }
    return bodies;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  /** Each coordinate of the model moved by the mean update, within the quantization bound γ. */
  private static void assertModelMovedByMean(
      RoundFixture fixture, double[] before, double[] after, double[] mean) {
    // Mean of s encodings is within γ of the true mean; float32 rounding adds a little.
    double bound = fixture.encoding.gamma() + 1e-5;
    for (int i = 0; i < before.length; i++) {
      assertThat(after[i] - before[i])
          .as("coordinate %d", i)
          .isCloseTo(mean[i], org.assertj.core.data.Offset.offset(bound));
    }
  }

  @Test
  void run_threeRoundsFourSilos_finishesWithTheMeanOfEachRound() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 3, 3)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      List<double[]> models = new ArrayList<>();
      models.add(coordinator.globalModel());
      for (int round = 1; round <= 3; round++) {
        Map<String, double[]> updates = fixture.randomUpdates();
        fixture.playRound(updates, Map.of());
        double[] model = coordinator.globalModel();
        assertModelMovedByMean(
            fixture,
            models.get(models.size() - 1),
            model,
            RoundFixture.mean(updates, fixture.roster));
        models.add(model);
      }

      RunStatus status = coordinator.status();
      assertThat(status.phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      assertThat(status.roundsFinished()).isEqualTo(3);
      assertThat(status.roundsAborted()).isZero();
      assertThat(fixture.time.pendingTasks()).isZero();
      assertThat(coordinator.poll("silo-00").runOver()).isTrue();

      List<JsonNode> finished = records(fixture, "round-finished");
      assertThat(finished).hasSize(3);
      assertThat(fixture.stores.checkpoints().rounds()).containsExactly(1L, 2L, 3L);
      for (int round = 1; round <= 3; round++) {
        JsonNode body = finished.get(round - 1);
        assertThat(body.path("round").asLong()).isEqualTo(round);
        assertThat(strings(body.path("survivors"))).isEqualTo(fixture.roster);
        assertThat(strings(body.path("dropouts").path("MASKED_INPUT"))).isEmpty();
        Checkpoint checkpoint = fixture.stores.checkpoints().load(round);
        assertThat(ModelCheckpoints.sha256(checkpoint.model()))
            .isEqualTo(body.path("modelSha256").asText());
        assertThat(ModelCheckpoints.widen(checkpoint.model())).isEqualTo(models.get(round));
      }
      assertThat(records(fixture, "run-completed")).hasSize(1);
      assertThat(status.lastModelSha256()).contains(finished.get(2).path("modelSha256").asText());
      // Every accepted message is journaled: 4 silos × 5 stages × 3 rounds.
      assertThat(records(fixture, "message-accepted")).hasSize(60);

      assertThat(fixture.verifyJournal().isValid()).isTrue();
      String journal = Files.readString(fixture.directory.journalFile());
      assertThat(fixture.secretsSent).hasSizeGreaterThan(3 * 4 * 4);
      for (String secret : fixture.secretsSent) {
        assertThat(journal).doesNotContain(secret);
      }
      // The spool is emptied as vectors are summed.
      try (var files = Files.walk(fixture.stores.spool().directory())) {
        assertThat(files.filter(Files::isRegularFile)).isEmpty();
      }
    }
  }

  /**
   * Running out of memory while a round is aggregated aborts that round (AGGREGATION_FAILED, said
   * in the journal) and the run goes on; before, the error escaped the round's future and left the
   * run FINISHING for good (seen with a 4-vector heap at n = 50, m = 10^7).
   */
  @Test
  void round_outOfMemoryWhileAggregating_abortedAndTheRunGoesOn() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 2, 3)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.observeUnmaskedSums(
          (round, sum) -> {
            if (round == 1) {
              throw new OutOfMemoryError("simulated: Java heap space");
            }
          });
      coordinator.startRound();
      double[] before = coordinator.globalModel();
      fixture.playRound(fixture.randomUpdates(), Map.of());
      assertThat(coordinator.status().roundsAborted()).isEqualTo(1);
      assertThat(coordinator.globalModel()).isEqualTo(before);
      List<JsonNode> aborted = records(fixture, "round-aborted");
      assertThat(aborted).hasSize(1);
      assertThat(aborted.get(0).path("reason").asText())
          .isEqualTo(RunCoordinator.REASON_AGGREGATION_FAILED);
      assertThat(aborted.get(0).path("detail").asText()).contains("out of memory");

      Map<String, double[]> updates = fixture.randomUpdates();
      fixture.playRound(updates, Map.of());
      assertThat(coordinator.status().roundsFinished()).isEqualTo(1);
      assertModelMovedByMean(
          fixture, before, coordinator.globalModel(), RoundFixture.mean(updates, fixture.roster));
      assertThat(fixture.verifyJournal().isValid()).isTrue();
    }
  }

  @Test
  void globalModelSnapshot_oneArrayPerModel_sharedByDownloads_newAfterARound() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      GlobalModel first = coordinator.globalModelSnapshot("silo-00");
      GlobalModel again = coordinator.globalModelSnapshot("silo-01");
      // Concurrent downloads of one model must not each hold a copy (memory would grow with n).
      assertThat(again.vector()).isSameAs(first.vector());
      assertThat(again.sha256()).isEqualTo(first.sha256());
      assertThat(GlobalModel.sha256Of(first.values())).isEqualTo(first.sha256());

      fixture.playRound(fixture.randomUpdates(), Map.of());
      GlobalModel after = coordinator.globalModelSnapshot("silo-02");
      assertThat(after.vector()).isNotSameAs(first.vector());
      assertThat(after.roundsFinished()).isEqualTo(1);
      assertThat(GlobalModel.sha256Of(after.values())).isEqualTo(after.sha256());
      assertThat(after.sha256()).isEqualTo(coordinator.status().lastModelSha256().orElseThrow());
      double[] model = coordinator.globalModel();
      float[] served = after.values();
      for (int i = 0; i < model.length; i++) {
        assertThat((double) served[i]).isEqualTo(model[i]);
      }
      assertThat(coordinator.globalModelSnapshot("silo-00").vector()).isSameAs(after.vector());
    }
  }

  @Test
  void round_siloDropsAtMaskedInput_deadlineFiresAndThreeSurvive() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      double[] before = coordinator.globalModel();
      Map<String, double[]> updates = fixture.randomUpdates();
      fixture.playRound(updates, Map.of("silo-03", Stage.MASKED_INPUT));

      assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      JsonNode finished = records(fixture, "round-finished").get(0);
      List<String> survivors = List.of("silo-00", "silo-01", "silo-02");
      assertThat(strings(finished.path("survivors"))).isEqualTo(survivors);
      assertThat(strings(finished.path("dropouts").path("MASKED_INPUT")))
          .containsExactly("silo-03");
      assertThat(strings(finished.path("participants").path("SHARE_KEYS")))
          .isEqualTo(fixture.roster);
      JsonNode closedByDeadline =
          records(fixture, "stage-closed").stream()
              .filter(body -> body.path("stage").asText().equals("MASKED_INPUT"))
              .findFirst()
              .orElseThrow();
      assertThat(closedByDeadline.path("closedBy").asText()).isEqualTo("deadline");
      assertThat(strings(closedByDeadline.path("participants"))).isEqualTo(survivors);
      assertModelMovedByMean(
          fixture, before, coordinator.globalModel(), RoundFixture.mean(updates, survivors));
      assertThat(fixture.verifyJournal().isValid()).isTrue();
    }
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(
      value = Stage.class,
      names = {"SHARE_KEYS", "MASKED_INPUT", "UNMASK"})
  void round_siloSilentAtStage_stageClosesAfterItsGrace(Stage stage) throws Exception {
    EarlyClose earlyClose = new EarlyClose(true, java.time.Duration.ofSeconds(2), 1.0);
    try (RoundFixture fixture =
        new RoundFixture(
            root,
            1,
            3,
            org.fedsum.aggregator.strategy.StrategyConfig.defaults("fedavg"),
            null,
            earlyClose)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      fixture.playRound(fixture.randomUpdates(), Map.of("silo-03", stage));
      assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      JsonNode closed =
          records(fixture, "stage-closed").stream()
              .filter(body -> body.path("stage").asText().equals(stage.name()))
              .findFirst()
              .orElseThrow();
      // UNMASK's quorum is one share above the threshold (4 of the 4 signers): with one silent,
      // the three shares that came are a bare threshold, so the stage waits for its deadline.
      assertThat(closed.path("closedBy").asText())
          .isEqualTo(stage == Stage.UNMASK ? "deadline" : RunCoordinator.CLOSED_BY_GRACE);
    }
  }

  @Test
  void round_siloSilentAtConsistencyCheck_stageClosesAfterItsGraceNotItsDeadline()
      throws Exception {
    EarlyClose earlyClose = new EarlyClose(true, java.time.Duration.ofSeconds(2), 1.0);
    try (RoundFixture fixture =
        new RoundFixture(
            root,
            1,
            3,
            org.fedsum.aggregator.strategy.StrategyConfig.defaults("fedavg"),
            null,
            earlyClose)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      Map<String, double[]> updates = fixture.randomUpdates();
      fixture.playRound(updates, Map.of("silo-03", Stage.CONSISTENCY_CHECK));

      assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      JsonNode consistency =
          records(fixture, "stage-closed").stream()
              .filter(body -> body.path("stage").asText().equals("CONSISTENCY_CHECK"))
              .findFirst()
              .orElseThrow();
      assertThat(consistency.path("closedBy").asText()).isEqualTo(RunCoordinator.CLOSED_BY_GRACE);
      // The quorum came at once (the fixture's time stands still), so the grace is the minimum.
      assertThat(consistency.path("graceMillis").asLong()).isEqualTo(2000);
      assertThat(strings(consistency.path("participants")))
          .containsExactly("silo-00", "silo-01", "silo-02");
      // Every other stage had every answer and closed at once.
      assertThat(records(fixture, "stage-closed"))
          .filteredOn(body -> !body.path("stage").asText().equals("CONSISTENCY_CHECK"))
          .allSatisfy(body -> assertThat(body.path("closedBy").asText()).isEqualTo("all-answered"));
      // The silo stopped after its masked vector: its input is in the mean.
      JsonNode finished = records(fixture, "round-finished").get(0);
      assertThat(strings(finished.path("survivors"))).isEqualTo(fixture.roster);
      // Neither the grace timer nor a deadline is left behind.
      assertThat(fixture.time.pendingTasks()).isZero();
      JsonNode roundStarted = records(fixture, "round-started").get(0);
      assertThat(roundStarted.path("earlyClose").path("minimumGraceMillis").asLong())
          .isEqualTo(2000);
      assertThat(fixture.verifyJournal().isValid()).isTrue();
    }
  }

  @Test
  void round_tooManyDropouts_abortsKeepsModelAndNextRoundFinishes() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      double[] before = coordinator.globalModel();
      fixture.playRound(
          fixture.randomUpdates(),
          Map.of("silo-02", Stage.SHARE_KEYS, "silo-03", Stage.SHARE_KEYS));

      List<JsonNode> aborted = records(fixture, "round-aborted");
      assertThat(aborted).hasSize(1);
      assertThat(aborted.get(0).path("round").asLong()).isEqualTo(1);
      assertThat(aborted.get(0).path("stage").asText()).isEqualTo("SHARE_KEYS");
      assertThat(aborted.get(0).path("reason").asText()).isEqualTo("THRESHOLD_NOT_MET");
      RunStatus status = coordinator.status();
      assertThat(status.roundsAborted()).isEqualTo(1);
      assertThat(status.consecutiveAborts()).isEqualTo(1);
      assertThat(status.currentRound()).isEqualTo(2);
      assertThat(status.phase()).isEqualTo(RunStatus.Phase.COLLECTING);
      assertThat(status.stage()).contains(Stage.ADVERTISE_KEYS);
      assertThat(coordinator.globalModel()).isEqualTo(before);
      assertThat(fixture.stores.checkpoints().rounds()).isEmpty();

      Map<String, double[]> updates = fixture.randomUpdates();
      fixture.playRound(updates, Map.of());
      assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      assertThat(coordinator.status().consecutiveAborts()).isZero();
      assertThat(records(fixture, "round-finished").get(0).path("round").asLong()).isEqualTo(2);
      assertModelMovedByMean(
          fixture, before, coordinator.globalModel(), RoundFixture.mean(updates, fixture.roster));
      assertThat(fixture.verifyJournal().isValid()).isTrue();
    }
  }

  /** Records each event and whether its own journal record was durable when it arrived. */
  private static final class RecordingEvents implements RoundEvents {
    final List<String> events = new ArrayList<>();
    private final RoundFixture fixture;

    RecordingEvents(RoundFixture fixture) {
      this.fixture = fixture;
    }

    /**
     * Records {@code event} and whether its record ({@code type} of {@code round}, of {@code stage}
     * if given) was durable when the event came: with group commit, later records may be durable
     * too, so the check is that the event's own record is, not that it is the last one.
     */
    private void add(String event, String type, long round, Stage stage) {
      try {
        boolean durable = false;
        for (String line : fixture.durableJournalLines()) {
          JsonNode record = JSON.readTree(line);
          JsonNode body = record.path("body");
          durable |=
              record.path("type").asText().equals(type)
                  && body.path("round").asLong() == round
                  && (stage == null || body.path("stage").asText().equals(stage.name()));
        }
        events.add(event + (durable ? " after " : " before ") + type);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    @Override
    public void roundStarted(long round) {
      add("started " + round, "round-started", round, null);
    }

    @Override
    public void stageClosed(
        long round, Stage stage, java.time.Duration duration, int participants) {
      add(
          "closed " + round + " " + stage + " " + duration + " " + participants,
          "stage-closed",
          round,
          stage);
    }

    @Override
    public void roundFinished(long round, int survivors, java.time.Duration duration) {
      add("finished " + round + " " + survivors + " " + duration, "round-finished", round, null);
    }

    @Override
    public void roundAborted(long round, Stage stage, String reason, java.time.Duration duration) {
      add(
          "aborted " + round + " " + stage + " " + reason + " " + duration,
          "round-aborted",
          round,
          stage);
    }
  }

  @Test
  void roundEvents_eachAfterItsJournalRecord_withDurationsOfTheClock() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 2, 3)) {
      RunCoordinator coordinator = fixture.open();
      RecordingEvents recording = new RecordingEvents(fixture);
      coordinator.onRoundEvents(recording);
      coordinator.startRound();
      fixture.playRound(fixture.randomUpdates(), Map.of("silo-03", Stage.MASKED_INPUT));
      fixture.playRound(
          fixture.randomUpdates(),
          Map.of("silo-02", Stage.SHARE_KEYS, "silo-03", Stage.SHARE_KEYS));

      // Silos answer at once; only the deadline the dropouts leave open takes time (30 s).
      assertThat(recording.events)
          .containsExactly(
              "started 1 after round-started",
              "closed 1 ADVERTISE_KEYS PT0S 4 after stage-closed",
              "closed 1 SHARE_KEYS PT0S 4 after stage-closed",
              "closed 1 MASKED_INPUT PT30S 3 after stage-closed",
              "closed 1 CONSISTENCY_CHECK PT0S 3 after stage-closed",
              "closed 1 UNMASK PT0S 3 after stage-closed",
              "finished 1 3 PT30S after round-finished",
              "started 2 after round-started",
              "closed 2 ADVERTISE_KEYS PT0S 4 after stage-closed",
              "aborted 2 SHARE_KEYS THRESHOLD_NOT_MET PT30S after round-aborted",
              "started 3 after round-started");
    }
  }

  @Test
  void run_consecutiveAbortsReachTheLimit_stops() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 3, 2)) {
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      Map<String, Stage> twoDrop = Map.of("silo-00", Stage.ADVERTISE_KEYS, "silo-01", Stage.UNMASK);
      fixture.playRound(fixture.randomUpdates(), twoDrop);
      fixture.playRound(
          fixture.randomUpdates(),
          Map.of("silo-00", Stage.MASKED_INPUT, "silo-01", Stage.MASKED_INPUT));

      RunStatus status = coordinator.status();
      assertThat(status.phase()).isEqualTo(RunStatus.Phase.STOPPED);
      assertThat(status.roundsAborted()).isEqualTo(2);
      assertThat(records(fixture, "run-stopped")).hasSize(1);
      assertThat(
              records(fixture, "round-aborted").stream().map(body -> body.path("stage").asText()))
          .containsExactly("UNMASK", "MASKED_INPUT");
      assertThatThrownBy(coordinator::startRound).isInstanceOf(IllegalStateException.class);
      assertThat(coordinator.poll("silo-02").runOver()).isTrue();
      assertThat(fixture.time.pendingTasks()).isZero();
    }
  }

  private static void assertRefused(
      RoundFixture fixture, ErrorCode code, ThrowingSubmission submission) throws Exception {
    RunStatus before = fixture.coordinator.status();
    List<String> journal = fixture.journalLines();
    assertThatThrownBy(submission::run)
        .isInstanceOfSatisfying(
            ProtocolException.class, refused -> assertThat(refused.code()).isEqualTo(code));
    assertThat(fixture.coordinator.status()).isEqualTo(before);
    assertThat(fixture.journalLines()).isEqualTo(journal);
  }

  private interface ThrowingSubmission {
    void run() throws Exception;
  }

  @Test
  void decline_beforeAdvertising_roundGoesOnWithoutWaitingForTheDeadline() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      RunCoordinator coordinator = fixture.open();
      assertRefused(fixture, ErrorCode.NOT_READY, () -> coordinator.decline("silo-03", 1, "no"));
      coordinator.startRound();
      assertRefused(fixture, ErrorCode.UNKNOWN_SILO, () -> coordinator.decline("silo-99", 1, "no"));
      assertRefused(
          fixture, ErrorCode.ROUND_MISMATCH, () -> coordinator.decline("silo-03", 2, "no"));
      assertRefused(
          fixture,
          ErrorCode.MALFORMED_MESSAGE,
          () ->
              coordinator.decline("silo-03", 1, "x".repeat(RunCoordinator.MAX_DECLINE_REASON + 1)));
      Instant started = fixture.time.instant();
      coordinator.decline("silo-03", 1, "noise multiplier 0.3 is below this silo's floor 1.0");
      assertRefused(
          fixture,
          ErrorCode.DUPLICATE_SUBMISSION,
          () -> coordinator.decline("silo-03", 1, "again"));
      // Having declined, the silo cannot advertise keys in the round after all.
      RoundConfig config = fixture.settings.roundConfig(1);
      int[] words =
          UpdateEncoder.create(fixture.encoding)
              .encode(fixture.randomUpdates().get("silo-03"), fixture.random)
              .words();
      SiloMessage advertisement =
          SiloProtocol.start(fixture.contexts.get("silo-03"), config, WordVector.wrap(words))
              .outbound()
              .get(0);
      assertRefused(
          fixture, ErrorCode.NOT_A_PARTICIPANT, () -> coordinator.submit("silo-03", advertisement));

      double[] before = coordinator.globalModel();
      Map<String, double[]> updates = fixture.randomUpdates();
      fixture.playRound(updates, Map.of("silo-03", Stage.ADVERTISE_KEYS));

      assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      List<String> survivors = List.of("silo-00", "silo-01", "silo-02");
      assertThat(strings(records(fixture, "round-finished").get(0).path("survivors")))
          .isEqualTo(survivors);
      JsonNode advertiseClosed =
          records(fixture, "stage-closed").stream()
              .filter(body -> body.path("stage").asText().equals("ADVERTISE_KEYS"))
              .findFirst()
              .orElseThrow();
      assertThat(advertiseClosed.path("closedBy").asText()).isEqualTo("all-answered-or-declined");
      assertThat(records(fixture, "round-declined"))
          .singleElement()
          .satisfies(
              body -> {
                assertThat(body.path("silo").asText()).isEqualTo("silo-03");
                assertThat(body.path("reason").asText()).contains("below this silo's floor");
              });
      // No deadline had to pass: the clock only moves when the fixture waits for one.
      assertThat(fixture.time.instant()).isEqualTo(started);
      assertModelMovedByMean(
          fixture, before, coordinator.globalModel(), RoundFixture.mean(updates, survivors));
      assertThat(fixture.verifyJournal().isValid()).isTrue();
      assertRefused(
          fixture, ErrorCode.ROUND_CLOSED, () -> coordinator.decline("silo-03", 1, "late"));
    }
  }

  @Test
  void submit_refusedMessages_getTheirCodesAndChangeNothing() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      RunCoordinator coordinator = fixture.open();
      RoundConfig config = fixture.settings.roundConfig(1);
      int[] words =
          UpdateEncoder.create(fixture.encoding)
              .encode(fixture.randomUpdates().get("silo-00"), fixture.random)
              .words();
      SiloMessage advertisement =
          SiloProtocol.start(
                  fixture.contexts.get("silo-00"), config, WordVector.wrap(words.clone()))
              .outbound()
              .get(0);
      assertRefused(
          fixture, ErrorCode.NOT_READY, () -> coordinator.submit("silo-00", advertisement));

      coordinator.startRound();
      coordinator.submit("silo-00", advertisement);
      assertRefused(
          fixture,
          ErrorCode.DUPLICATE_SUBMISSION,
          () -> coordinator.submit("silo-00", advertisement));
      assertRefused(
          fixture, ErrorCode.MALFORMED_MESSAGE, () -> coordinator.submit("silo-01", advertisement));
      SiloMessage otherRound =
          SiloProtocol.start(
                  fixture.contexts.get("silo-01"),
                  config.withRound(7),
                  WordVector.wrap(words.clone()))
              .outbound()
              .get(0);
      assertRefused(
          fixture, ErrorCode.ROUND_MISMATCH, () -> coordinator.submit("silo-01", otherRound));
      SpooledVector early = fixture.spool("silo-01", 1, WordVector.wrap(words.clone()));
      assertRefused(
          fixture,
          ErrorCode.STAGE_OUT_OF_ORDER,
          () -> coordinator.submitMaskedVector("silo-01", 1, early));
      assertThat(early.path()).doesNotExist();
      assertThatThrownBy(() -> coordinator.poll("silo-99"))
          .isInstanceOfSatisfying(
              ProtocolException.class,
              refused -> assertThat(refused.code()).isEqualTo(ErrorCode.UNKNOWN_SILO));

      assertThat(coordinator.status().participants().get(Stage.ADVERTISE_KEYS))
          .containsExactly("silo-00");
      assertThat(records(fixture, "message-accepted")).hasSize(1);
      assertThat(((AdvertiseKeys) advertisement).siloId()).isEqualTo("silo-00");
    }
  }

  @Test
  void resume_afterCrashMidRound_abortsThatRoundAndContinuesFromTheCheckpoint() throws Exception {
    try (RoundFixture fixture = new RoundFixture(root, 2, 3)) {
      RunCoordinator first = fixture.open();
      first.startRound();
      fixture.playRound(fixture.randomUpdates(), Map.of());
      double[] afterRoundOne = first.globalModel();
      // Round 2 gets as far as the masked inputs, then the aggregator dies.
      fixture.startSilos(fixture.randomUpdates(), Map.of());
      assertThat(first.status().stage()).contains(Stage.SHARE_KEYS);
      // As if the aggregator died after checkpointing round 2 but before journaling it finished:
      // that checkpoint must not be taken for the model.
      float[] stale = new float[RoundFixture.DIMENSION];
      java.util.Arrays.fill(stale, 9f);
      fixture.stores.checkpoints().write(Checkpoint.of(2, stale, List.of()));
      fixture.crash();

      RunCoordinator resumed = fixture.open();
      RunStatus status = resumed.status();
      assertThat(status.phase()).isEqualTo(RunStatus.Phase.IDLE);
      assertThat(status.roundsFinished()).isEqualTo(1);
      assertThat(status.roundsAborted()).isEqualTo(1);
      assertThat(status.lastModelSha256())
          .contains(records(fixture, "round-finished").get(0).path("modelSha256").asText());
      assertThat(resumed.globalModel()).isEqualTo(afterRoundOne);
      JsonNode aborted = records(fixture, "round-aborted").get(0);
      assertThat(aborted.path("round").asLong()).isEqualTo(2);
      assertThat(aborted.path("stage").asText()).isEqualTo("SHARE_KEYS");
      assertThat(aborted.path("reason").asText()).isEqualTo(RunCoordinator.REASON_RESTARTED);

      resumed.startRound();
      assertThat(resumed.status().currentRound()).isEqualTo(3);
      Map<String, double[]> updates = fixture.randomUpdates();
      fixture.playRound(updates, Map.of());
      assertThat(resumed.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      assertModelMovedByMean(
          fixture,
          afterRoundOne,
          resumed.globalModel(),
          RoundFixture.mean(updates, fixture.roster));
      assertThat(
              records(fixture, "round-finished").stream().map(body -> body.path("round").asLong()))
          .containsExactly(1L, 3L);
      assertThat(fixture.stores.checkpoints().rounds()).contains(1L, 3L);
      assertThat(fixture.verifyJournal().isValid()).isTrue();

      // A completed run stays completed across another restart, and is not journaled twice.
      fixture.crash();
      RunCoordinator again = fixture.open();
      assertThat(again.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      assertThat(again.globalModel()).isEqualTo(resumed.globalModel());
      assertThat(records(fixture, "run-completed")).hasSize(1);
    }
  }

  @Test
  void round_blockingWorkOnAPool_finishesOffTheCallingThread() throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      fixture.executor = pool;
      RunCoordinator coordinator = fixture.open();
      coordinator.startRound();
      double[] before = coordinator.globalModel();
      Map<String, double[]> updates = fixture.randomUpdates();
      fixture.playRound(updates, Map.of());
      long waitUntil = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      while (coordinator.status().phase() != RunStatus.Phase.COMPLETED
          && System.nanoTime() < waitUntil) {
        Thread.sleep(10);
      }
      assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.COMPLETED);
      assertModelMovedByMean(
          fixture, before, coordinator.globalModel(), RoundFixture.mean(updates, fixture.roster));
      assertThat(fixture.verifyJournal().isValid()).isTrue();
    } finally {
      pool.shutdownNow();
    }
  }
}
