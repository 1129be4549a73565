package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.PrivacyLedger;
import org.fedsum.protocol.privacy.RecordLevelLedger;
import org.fedsum.silo.training.RecordLevelDp;
import org.junit.jupiter.api.Test;

/** The silo's floor and budget decide whether it joins a round. */
class PrivacyPolicyTest {
  private static final List<String> ROSTER = List.of("a", "b", "c", "d", "e");
  private static final String RUN = "run-1";

  private static RoundConfig round(long number, int threshold, int minSurvivors) {
    return new RoundConfig(
        "fed",
        number,
        RoundConfig.PROTOCOL_VERSION,
        ROSTER,
        threshold,
        minSurvivors,
        32,
        100,
        SecurityModel.HONEST_BUT_CURIOUS,
        0);
  }

  private static EncodingParameters encoding(double noiseMultiplier, int threshold) {
    return EncodingParameters.builder()
        .setDimension(100)
        .setClipNorm(1)
        .setNoiseMultiplier(noiseMultiplier)
        .setThreshold(threshold)
        .setSilos(5)
        .setBits(32)
        .buildChoosingGamma();
  }

  private static PrivacyLedger emptyLedger() {
    return PrivacyLedger.empty(
        PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA));
  }

  private static PrivacyPolicy policy(
      boolean requireDp, double minZ, int minThreshold, int minSurvivors, double budget) {
    return new PrivacyPolicy(
        new SiloConfig.Privacy(
            new SiloConfig.Floor(requireDp, minZ, minThreshold, minSurvivors), budget, 1e-5));
  }

  @Test
  void roundMeetingEveryRule_joined() {
    assertThat(
            policy(true, 0.5, 3, 3, 0).refusal(RUN, round(1, 3, 3), encoding(1, 3), emptyLedger()))
        .isEmpty();
  }

  @Test
  void eachFloorViolation_refusedWithItsReason() {
    assertThat(policy(true, 0, 1, 3, 0).refusal(RUN, round(1, 3, 3), encoding(0, 3), emptyLedger()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("differential privacy is off"));
    assertThat(
            policy(false, 1.5, 1, 3, 0).refusal(RUN, round(1, 3, 3), encoding(1, 3), emptyLedger()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("noise multiplier 1.0"));
    assertThat(
            policy(false, 0, 4, 3, 0).refusal(RUN, round(1, 3, 3), encoding(1, 3), emptyLedger()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("threshold 3"));
    assertThat(
            policy(false, 0, 1, 4, 0).refusal(RUN, round(1, 3, 3), encoding(1, 3), emptyLedger()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("sums of 3 silos"));
  }

  @Test
  void budget_refusesTheRoundThatWouldExceedIt_andRoundsWithoutDp() {
    PrivacyPolicy policy = policy(false, 0, 1, 3, 5);
    PrivacyLedger ledger = emptyLedger();
    int joined = 0;
    for (long number = 1; number <= 200; number++) {
      RoundConfig round = round(number, 3, 3);
      EncodingParameters encoding = encoding(1, 3);
      if (policy.refusal(RUN, round, encoding, ledger).isPresent()) {
        break;
      }
      ledger = ledger.record(RUN, PrivacyPolicy.roundPrivacy(number, 3, encoding));
      joined++;
    }
    assertThat(joined).isBetween(1, 199);
    assertThat(ledger.spent(1e-5).enforcedEpsilon()).isLessThanOrEqualTo(5);
    assertThat(policy.refusal(RUN, round(500, 3, 3), encoding(0, 3), emptyLedger()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("unbounded"));
  }

  @Test
  void budget_spansRuns_aNewRunStartsFromWhatEarlierRunsSpent() {
    PrivacyPolicy policy = policy(false, 0, 1, 3, 5);
    PrivacyLedger ledger = emptyLedger();
    long number = 1;
    while (policy.refusal(RUN, round(number, 3, 3), encoding(1, 3), ledger).isEmpty()) {
      ledger = ledger.record(RUN, PrivacyPolicy.roundPrivacy(number, 3, encoding(1, 3)));
      number++;
    }
    // The next run numbers its rounds from 1 again, but the silo's data already spent the budget.
    assertThat(policy.refusal("run-2", round(1, 3, 3), encoding(1, 3), ledger))
        .hasValueSatisfying(reason -> assertThat(reason).contains("budget"));
    assertThat(policy.refusal("run-2", round(1, 3, 3), encoding(1, 3), emptyLedger())).isEmpty();
  }

  private static PrivacyPolicy recordLevelPolicy(
      double recordBudget, boolean required, double minZ) {
    return new PrivacyPolicy(
        new SiloConfig.Privacy(
            new SiloConfig.Floor(false, 0, 1, 3),
            0,
            1e-5,
            new SiloConfig.RecordLevelRules(recordBudget, required, minZ)));
  }

  /** A round of DP-SGD with an expected batch of 64 out of 6400 records, 2 local epochs. */
  private static Optional<RecordLevelLedger.Entry> dpSgd(String run, long number, double z) {
    RecordLevelDp dp = new RecordLevelPlan(z, 1.0, 64).forRecords(6400);
    return Optional.of(RecordLevelPlan.entry(run, number, dp, 2));
  }

  @Test
  void recordLevelBudget_refusesTheRoundThatWouldExceedIt_acrossRuns() {
    PrivacyPolicy policy = recordLevelPolicy(3, false, 0);
    RecordLevelLedger ledger = RecordLevelLedger.empty();
    PrivacyLedger siloLedger = emptyLedger();
    int joined = 0;
    Optional<String> refusal = Optional.empty();
    for (long number = 1; number <= 500; number++) {
      Optional<RecordLevelLedger.Entry> next = dpSgd(RUN, number, 1.1);
      assertThat(next.get().steps()).isEqualTo(200);
      refusal = policy.refusal(RUN, round(number, 3, 3), encoding(0, 3), siloLedger, next, ledger);
      if (refusal.isPresent()) {
        break;
      }
      ledger = ledger.record(next.get());
      joined++;
    }
    assertThat(joined).as("some rounds fit the budget, not all").isBetween(1, 499);
    assertThat(ledger.spent(1e-5).enforcedEpsilon()).isLessThanOrEqualTo(3);
    assertThat(ledger.record(dpSgd(RUN, joined + 1, 1.1).get()).spent(1e-5).enforcedEpsilon())
        .isGreaterThan(3);
    assertThat(refusal)
        .hasValueSatisfying(
            reason ->
                assertThat(reason)
                    .contains("record-level budget ε = 3.0", "δ = 1.0E-5", "one record"));
    // A new run on the same records starts from what the earlier run spent.
    assertThat(
            policy.refusal(
                "run-2",
                round(1, 3, 3),
                encoding(0, 3),
                siloLedger,
                dpSgd("run-2", 1, 1.1),
                ledger))
        .hasValueSatisfying(reason -> assertThat(reason).contains("record-level budget"));
    // More noise per step buys more rounds.
    assertThat(
            policy.refusal(
                "run-2",
                round(1, 3, 3),
                encoding(0, 3),
                siloLedger,
                dpSgd("run-2", 1, 1.1),
                RecordLevelLedger.empty()))
        .isEmpty();
  }

  @Test
  void recordLevelBudget_refusesRoundsWithoutDpSgd() {
    assertThat(
            recordLevelPolicy(3, false, 0)
                .refusal(
                    RUN,
                    round(1, 3, 3),
                    encoding(1, 3),
                    emptyLedger(),
                    Optional.empty(),
                    RecordLevelLedger.empty()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("unbounded record-level ε"));
  }

  @Test
  void recordLevelFloor_requiredAndMinimumNoise() {
    assertThat(
            recordLevelPolicy(0, true, 0)
                .refusal(
                    RUN,
                    round(1, 3, 3),
                    encoding(1, 3),
                    emptyLedger(),
                    Optional.empty(),
                    RecordLevelLedger.empty()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("requires it"));
    assertThat(
            recordLevelPolicy(0, false, 1.0)
                .refusal(
                    RUN,
                    round(1, 3, 3),
                    encoding(1, 3),
                    emptyLedger(),
                    dpSgd(RUN, 1, 0.8),
                    RecordLevelLedger.empty()))
        .hasValueSatisfying(
            reason -> assertThat(reason).contains("record-level noise multiplier 0.8"));
    assertThat(
            recordLevelPolicy(0, true, 1.0)
                .refusal(
                    RUN,
                    round(1, 3, 3),
                    encoding(0, 3),
                    emptyLedger(),
                    dpSgd(RUN, 1, 1.0),
                    RecordLevelLedger.empty()))
        .isEmpty();
  }

  @Test
  void floorRequiringDp_metByRecordLevelAlone_andASiloLevelBudgetStillRefusesIt() {
    PrivacyPolicy requireDp = policy(true, 0, 1, 3, 0);
    assertThat(
            requireDp.refusal(
                RUN,
                round(1, 3, 3),
                encoding(0, 3),
                emptyLedger(),
                dpSgd(RUN, 1, 1.0),
                RecordLevelLedger.empty()))
        .isEmpty();
    assertThat(
            policy(false, 0, 1, 3, 5)
                .refusal(
                    RUN,
                    round(1, 3, 3),
                    encoding(0, 3),
                    emptyLedger(),
                    dpSgd(RUN, 1, 1.0),
                    RecordLevelLedger.empty()))
        .hasValueSatisfying(reason -> assertThat(reason).contains("unbounded silo-level ε"));
  }

  @Test
  void recordLevelPlan_refusesAnExpectedBatchLargerThanTheData() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new RecordLevelPlan(1.0, 1.0, 64).forRecords(50))
        .hasMessageContaining("expected batch of 64 records is larger than this silo's 50");
    assertThat(new RecordLevelPlan(1.0, 1.0, 64).forRecords(6400).sampleRate()).isEqualTo(0.01);
  }
}
