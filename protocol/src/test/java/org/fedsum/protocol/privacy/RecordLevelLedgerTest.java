package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RecordLevelLedgerTest {
  private static final double DELTA = 1e-5;

  @Test
  void emptyLedgerHasSpentNothing() {
    PrivacySpend spent = RecordLevelLedger.empty().spent(DELTA);
    assertThat(spent.enforcedEpsilon()).isZero();
    assertThat(spent.unit()).isEqualTo(PrivacySpend.UNIT_RECORD);
  }

  @Test
  void roundsOfOneMechanismComposeLikeTheirStepsTogether() {
    RecordLevelLedger ledger =
        RecordLevelLedger.empty()
            .record(new RecordLevelLedger.Entry("run-a", 0, 0.02, 1.1, 150))
            .record(new RecordLevelLedger.Entry("run-a", 1, 0.02, 1.1, 150))
            .record(new RecordLevelLedger.Entry("run-b", 0, 0.02, 1.1, 200));
    double expected = RecordLevelAccountant.epsilon(0.02, 1.1, 500, DELTA).epsilon();
    assertThat(ledger.spent(DELTA).enforcedEpsilon()).isCloseTo(expected, within(1e-9 * expected));
    assertThat(ledger.spent(DELTA).unit()).isEqualTo("record");
    assertThat(ledger.entries()).hasSize(3);
  }

  @Test
  void roundsOfDifferentMechanismsAddTheirCurvesOrderByOrder() {
    RecordLevelLedger ledger =
        RecordLevelLedger.empty()
            .record(new RecordLevelLedger.Entry("run-a", 0, 0.01, 1.5, 100))
            .record(new RecordLevelLedger.Entry("run-b", 0, 0.05, 0.9, 40));
    double[] composed = ledger.renyiDivergences();
    SampledGaussian first = SampledGaussian.create(0.01, 1.5);
    SampledGaussian second = SampledGaussian.create(0.05, 0.9);
    for (int i = 0; i < composed.length; i++) {
      double order = RecordLevelAccountant.ORDERS.get(i);
      double expected = 100 * first.renyiDivergence(order) + 40 * second.renyiDivergence(order);
      assertThat(composed[i]).isCloseTo(expected, within(1e-12 + 1e-12 * expected));
    }
    double alone = RecordLevelAccountant.epsilon(0.05, 0.9, 40, DELTA).epsilon();
    double together = ledger.spent(DELTA).enforcedEpsilon();
    // Composition costs more than either part, and no more than the two spent separately.
    assertThat(together).isGreaterThan(alone);
    assertThat(together)
        .isLessThanOrEqualTo(
            alone + RecordLevelAccountant.epsilon(0.01, 1.5, 100, DELTA).epsilon());
  }

  @Test
  void aRoundThatLandsOnTheBudgetDoesNotExceedItAndOneAboveDoes() {
    RecordLevelLedger ledger =
        RecordLevelLedger.empty().record(new RecordLevelLedger.Entry("run", 0, 0.02, 1.0, 100));
    RecordLevelLedger.Entry next = new RecordLevelLedger.Entry("run", 1, 0.02, 1.0, 100);
    double withNext = ledger.record(next).spent(DELTA).enforcedEpsilon();
    assertThat(withNext).isGreaterThan(ledger.spent(DELTA).enforcedEpsilon());
    assertThat(ledger.wouldExceed(next, withNext, DELTA)).isFalse();
    assertThat(ledger.wouldExceed(next, Math.nextDown(withNext), DELTA)).isTrue();
  }

  @Test
  void refusesARoundCountedTwiceAndInvalidEntries() {
    RecordLevelLedger ledger =
        RecordLevelLedger.empty().record(new RecordLevelLedger.Entry("run", 3, 0.02, 1.0, 10));
    assertThatThrownBy(() -> ledger.record(new RecordLevelLedger.Entry("run", 3, 0.02, 1.0, 10)))
        .hasMessageContaining("round must be after the last recorded round 3 of run 'run'");
    assertThat(ledger.record(new RecordLevelLedger.Entry("other", 3, 0.02, 1.0, 10)).entries())
        .hasSize(2);
    assertThatThrownBy(() -> new RecordLevelLedger.Entry("run", 0, 1.5, 1.0, 10))
        .hasMessageContaining("sampleRate");
    assertThatThrownBy(() -> new RecordLevelLedger.Entry("run", 0, 0.1, 0, 10))
        .hasMessageContaining("noiseMultiplier");
    assertThatThrownBy(() -> new RecordLevelLedger.Entry("run", 0, 0.1, 1, 0))
        .hasMessageContaining("steps");
    assertThatThrownBy(
            () ->
                ledger.wouldExceed(
                    new RecordLevelLedger.Entry("run", 4, 0.02, 1.0, 10), Double.NaN, DELTA))
        .hasMessageContaining("epsilonBudget");
  }
}
