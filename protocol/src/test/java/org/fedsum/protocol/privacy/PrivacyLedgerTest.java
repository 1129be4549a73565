package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrivacyLedgerTest {
  private static final double DELTA = 1e-5;
  private static final PrivacyAccountant ACCOUNTANT = PrivacyAccountant.create(Math.exp(-0.5));

  /** t = 3, but the aggregator reports 8 survivors. σ_local ≈ 1155, so τ = 0. */
  private static RoundPrivacy round(long number) {
    return new RoundPrivacy(number, 8, 1.0, 2.0, 1e-3, 3, 10_000);
  }

  @Test
  void empty_spendsNothing() {
    PrivacySpend spent = PrivacyLedger.empty(ACCOUNTANT).spent(DELTA);
    assertThat(spent).isEqualTo(new PrivacySpend(0, 0, DELTA, "silo"));
  }

  @Test
  void record_unverifiedSurvivors_accountedAtThreshold() {
    PrivacyLedger ledger = PrivacyLedger.empty(ACCOUNTANT).record(round(1)).record(round(2));
    PrivacySpend worstCase =
        ACCOUNTANT.spend(
            List.of(round(1).assumingThreshold(), round(2).assumingThreshold()), DELTA);
    PrivacySpend spent = ledger.spent(DELTA);
    assertThat(spent.epsilonGdp()).isCloseTo(worstCase.epsilonGdp(), within(1e-12));
    assertThat(spent.epsilonRdp()).isCloseTo(worstCase.epsilonRdp(), within(1e-12));
    assertThat(ledger.entries())
        .extracting(PrivacyLedger.Entry::accountedSurvivors)
        .containsExactly(3, 3);
  }

  @Test
  void recordVerified_usesReportedSurvivors_andSpendsLess() {
    PrivacyLedger verified = PrivacyLedger.empty(ACCOUNTANT).recordVerified(round(1));
    PrivacyLedger unverified = PrivacyLedger.empty(ACCOUNTANT).record(round(1));
    PrivacySpend expected = ACCOUNTANT.spend(List.of(round(1)), DELTA);
    assertThat(verified.spent(DELTA).epsilonGdp()).isCloseTo(expected.epsilonGdp(), within(1e-12));
    assertThat(verified.spent(DELTA).epsilonRdp()).isCloseTo(expected.epsilonRdp(), within(1e-12));
    assertThat(verified.spent(DELTA).enforcedEpsilon())
        .isLessThan(unverified.spent(DELTA).enforcedEpsilon());
    assertThat(verified.entries().get(0).accountedSurvivors()).isEqualTo(8);
    assertThat(verified.entries().get(0).survivorsVerified()).isTrue();
  }

  @Test
  void record_smallSigmaUnverified_chargesTauOfReportedSurvivors() {
    // σ_local = 0.6: τ grows with n, so the unverified bound (noise of t, τ of s) exceeds both the
    // bound at s and the bound at t.
    RoundPrivacy small = new RoundPrivacy(1, 30, 1.0, 0.6 * Math.sqrt(3) * 0.5, 0.5, 3, 10);
    PrivacyLedger ledger = PrivacyLedger.empty(PrivacyAccountant.create(0)).record(small);
    double rhoUnverified = PrivacyAccountant.create(0).discreteRhoUnverified(small);
    assertThat(rhoUnverified)
        .isGreaterThan(PrivacyAccountant.create(0).discreteRho(small))
        .isGreaterThan(PrivacyAccountant.create(0).discreteRho(small.assumingThreshold()));
    assertThat(ledger.spent(DELTA).epsilonRdp())
        .isCloseTo(PrivacyAccountant.zcdpEpsilon(rhoUnverified, DELTA), within(1e-12));
  }

  @Test
  void record_returnsNewLedger_originalUnchanged() {
    PrivacyLedger empty = PrivacyLedger.empty(ACCOUNTANT);
    PrivacyLedger one = empty.record(round(1));
    assertThat(empty.entries()).isEmpty();
    assertThat(one.entries()).hasSize(1);
    assertThat(empty.spent(DELTA).enforcedEpsilon()).isZero();
    assertThatThrownBy(() -> one.entries().add(new PrivacyLedger.Entry("", round(2), true)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void record_roundNotAfterLast_refused() {
    PrivacyLedger ledger = PrivacyLedger.empty(ACCOUNTANT).record(round(5));
    assertThatThrownBy(() -> ledger.record(round(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("after the last recorded round 5")
        .hasMessageContaining("not 5");
    assertThatThrownBy(() -> ledger.recordVerified(round(4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 4");
    assertThatThrownBy(() -> ledger.wouldExceed(round(3), 100, DELTA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 3");
  }

  @Test
  void record_runsNumberRoundsFromOne_spendComposesAcrossRuns() {
    PrivacyLedger ledger =
        PrivacyLedger.empty(ACCOUNTANT)
            .record("run-a", round(1))
            .record("run-a", round(2))
            .record("run-b", round(1));
    PrivacySpend allThree =
        ACCOUNTANT.spend(
            List.of(
                round(1).assumingThreshold(),
                round(2).assumingThreshold(),
                round(1).assumingThreshold()),
            DELTA);
    assertThat(ledger.spent(DELTA).epsilonGdp()).isCloseTo(allThree.epsilonGdp(), within(1e-12));
    assertThat(ledger.entries())
        .extracting(PrivacyLedger.Entry::runId)
        .containsExactly("run-a", "run-a", "run-b");
    assertThatThrownBy(() -> ledger.record("run-a", round(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("of run 'run-a'")
        .hasMessageContaining("not 2");
    assertThatThrownBy(() -> ledger.wouldExceed("run-b", round(1), 100, DELTA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("of run 'run-b'");
    assertThat(ledger.wouldExceed("run-c", round(1), 1e9, DELTA)).isFalse();
  }

  @Test
  void wouldExceed_atTheBoundary_falseOnItTrueJustBelow() {
    PrivacyLedger ledger =
        PrivacyLedger.empty(ACCOUNTANT).record(round(1)).recordVerified(round(2));
    RoundPrivacy next = round(3);
    double after = ledger.record(next).spent(DELTA).enforcedEpsilon();
    assertThat(ledger.wouldExceed(next, after, DELTA)).isFalse();
    assertThat(ledger.wouldExceed(next, Math.nextDown(after), DELTA)).isTrue();
    assertThat(ledger.wouldExceed(next, 2 * after, DELTA)).isFalse();
    assertThat(ledger.wouldExceed(next, 0, DELTA)).isTrue();
    // Asking changes nothing.
    assertThat(ledger.entries()).hasSize(2);
  }

  @Test
  void wouldExceed_assumesThresholdForTheNextRound() {
    PrivacyLedger ledger = PrivacyLedger.empty(ACCOUNTANT);
    double atThreshold = ledger.record(round(1)).spent(DELTA).enforcedEpsilon();
    double atReported = ledger.recordVerified(round(1)).spent(DELTA).enforcedEpsilon();
    double between = (atThreshold + atReported) / 2;
    assertThat(atReported).isLessThan(atThreshold);
    assertThat(ledger.wouldExceed(round(1), between, DELTA)).isTrue();
  }

  @Test
  void wouldExceed_refusalRule_stopsBeforeTheBudget() {
    double budget = 10;
    PrivacyLedger ledger = PrivacyLedger.empty(ACCOUNTANT);
    long next = 0;
    while (!ledger.wouldExceed(round(next), budget, DELTA)) {
      ledger = ledger.record(round(next));
      next++;
    }
    assertThat(ledger.entries()).isNotEmpty();
    assertThat(ledger.spent(DELTA).enforcedEpsilon()).isLessThanOrEqualTo(budget);
    assertThat(ledger.record(round(next)).spent(DELTA).enforcedEpsilon()).isGreaterThan(budget);
  }

  @Test
  void wouldExceed_invalidBudget_throws() {
    PrivacyLedger ledger = PrivacyLedger.empty(ACCOUNTANT);
    assertThatThrownBy(() -> ledger.wouldExceed(round(1), -1, DELTA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epsilonBudget")
        .hasMessageContaining("-1.0");
    assertThatThrownBy(() -> ledger.wouldExceed(round(1), Double.NaN, DELTA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epsilonBudget");
    assertThatThrownBy(() -> ledger.wouldExceed(round(1), 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delta");
  }

  @Test
  void manyRounds_totalsMatchTheAccountantOverTheList() {
    PrivacyLedger ledger = PrivacyLedger.empty(ACCOUNTANT);
    List<RoundPrivacy> verified = new ArrayList<>();
    for (long r = 0; r < 200; r++) {
      ledger = ledger.recordVerified(round(r));
      verified.add(round(r));
    }
    PrivacySpend expected = ACCOUNTANT.spend(verified, DELTA);
    PrivacySpend spent = ledger.spent(DELTA);
    assertThat(spent.epsilonGdp()).isCloseTo(expected.epsilonGdp(), within(1e-9));
    assertThat(spent.epsilonRdp()).isCloseTo(expected.epsilonRdp(), within(1e-9));
    assertThat(ledger.toString()).contains("rounds=200");
  }
}
