package org.fedsum.protocol.privacy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A silo's own privacy ledger (DESIGN.md §5): the rounds it contributed to and what they spent. The
 * silo trusts itself, not the aggregator, so a round is accounted with the worst case s = t (the
 * least noise any completed round can carry) unless the silo has verified the survivor list, and a
 * silo refuses to join a round that {@link #wouldExceed would exceed} its budget.
 *
 * <p>The ledger spans every run the silo takes part in: ε composes over all releases of its data,
 * whichever run they belong to. Rounds are numbered per run, so each entry names its run, and a
 * round must come after the last recorded round of the same run (a round is never counted twice).
 *
 * <p>Immutable: {@link #record} and {@link #recordVerified} return a new ledger. The totals (Σ μ²
 * of the GDP reference, Σ ρ of the discrete bound) are kept, so a spend costs two numeric solves
 * whatever the number of rounds.
 */
public final class PrivacyLedger {
  /** The run id of the single-run methods: a run id is never empty. */
  private static final String SINGLE_RUN = "";

  private final PrivacyAccountant accountant;
  private final List<Entry> entries;
  // The last recorded round of each run.
  private final Map<String, Long> lastRoundOfRun;
  private final double gdpMuSquared;
  private final double discreteRho;

  private PrivacyLedger(
      PrivacyAccountant accountant,
      List<Entry> entries,
      Map<String, Long> lastRoundOfRun,
      double gdpMuSquared,
      double discreteRho) {
    this.accountant = accountant;
    this.entries = entries;
    this.lastRoundOfRun = lastRoundOfRun;
    this.gdpMuSquared = gdpMuSquared;
    this.discreteRho = discreteRho;
  }

  /** A ledger with no rounds, accounting with {@code accountant} (its rounding β). */
  public static PrivacyLedger empty(PrivacyAccountant accountant) {
    Objects.requireNonNull(accountant, "accountant");
    return new PrivacyLedger(accountant, List.of(), Map.of(), 0, 0);
  }

  /** As {@link #record(String, RoundPrivacy)} for a ledger of a single, unnamed run. */
  public PrivacyLedger record(RoundPrivacy round) {
    return record(SINGLE_RUN, round);
  }

  /** As {@link #recordVerified(String, RoundPrivacy)} for a ledger of a single, unnamed run. */
  public PrivacyLedger recordVerified(RoundPrivacy round) {
    return recordVerified(SINGLE_RUN, round);
  }

  /**
   * This ledger plus {@code round} of run {@code runId}, whose survivor list the silo has not
   * verified: accounted with s = t for the noise (and, for τ of the discrete bound, with every
   * count up to the reported survivors).
   *
   * @throws IllegalArgumentException if the round number is not after the last recorded one of the
   *     same run
   */
  public PrivacyLedger record(String runId, RoundPrivacy round) {
    return append(new Entry(runId, round, false));
  }

  /**
   * This ledger plus {@code round} of run {@code runId}, whose survivor list the silo has verified
   * (signed by at least t silos in the consistency check): accounted with the round's own
   * survivors.
   *
   * @throws IllegalArgumentException if the round number is not after the last recorded one of the
   *     same run
   */
  public PrivacyLedger recordVerified(String runId, RoundPrivacy round) {
    return append(new Entry(runId, round, true));
  }

  private PrivacyLedger append(Entry entry) {
    requireAfterLast(entry.runId(), entry.round());
    List<Entry> longer = new ArrayList<>(entries.size() + 1);
    longer.addAll(entries);
    longer.add(entry);
    Map<String, Long> lastRounds = new HashMap<>(lastRoundOfRun);
    lastRounds.put(entry.runId(), entry.round().round());
    return new PrivacyLedger(
        accountant,
        List.copyOf(longer),
        Map.copyOf(lastRounds),
        gdpMuSquared + entryGdpMuSquared(entry),
        discreteRho + entryDiscreteRho(entry));
  }

  /** The recorded rounds, oldest first; unmodifiable. */
  public List<Entry> entries() {
    return entries;
  }

  /** The accountant this ledger uses. */
  public PrivacyAccountant accountant() {
    return accountant;
  }

  /**
   * What the recorded rounds have spent, by both accountants, as (ε, δ)-DP per silo.
   *
   * @param delta δ in (0, 1)
   */
  public PrivacySpend spent(double delta) {
    return spend(gdpMuSquared, discreteRho, delta);
  }

  /**
   * Whether joining {@code next} could take this silo past {@code epsilonBudget} at {@code delta}:
   * true if the spend with {@code next} recorded at its worst case (s = t, the survivors not yet
   * known) has an {@link PrivacySpend#enforcedEpsilon() enforced ε} above the budget. A spend that
   * lands exactly on the budget does not exceed it. The silo refuses to join when this is true.
   *
   * @param epsilonBudget the silo's total ε budget, finite and ≥ 0
   * @param delta δ in (0, 1)
   * @throws IllegalArgumentException if the round number of {@code next} is not after the last
   *     recorded one
   */
  public boolean wouldExceed(RoundPrivacy next, double epsilonBudget, double delta) {
    return wouldExceed(SINGLE_RUN, next, epsilonBudget, delta);
  }

  /**
   * As {@link #wouldExceed(RoundPrivacy, double, double)} for round {@code next} of run {@code
   * runId}.
   *
   * @throws IllegalArgumentException if the round number of {@code next} is not after the last
   *     recorded one of the same run
   */
  public boolean wouldExceed(String runId, RoundPrivacy next, double epsilonBudget, double delta) {
    requireAfterLast(runId, next);
    Entry entry = new Entry(runId, next, false);
    if (!(epsilonBudget >= 0) || Double.isInfinite(epsilonBudget)) {
      throw new IllegalArgumentException(
          "epsilonBudget must be finite and >= 0, not " + epsilonBudget);
    }
    PrivacySpend withNext =
        spend(
            gdpMuSquared + entryGdpMuSquared(entry), discreteRho + entryDiscreteRho(entry), delta);
    return withNext.enforcedEpsilon() > epsilonBudget;
  }

  private PrivacySpend spend(double muSquared, double rho, double delta) {
    PrivacyAccountant.requireDelta(delta);
    return new PrivacySpend(
        PrivacyAccountant.gdpEpsilon(Math.sqrt(muSquared), delta),
        PrivacyAccountant.zcdpEpsilon(rho, delta),
        delta,
        PrivacySpend.UNIT_SILO);
  }

  private static double entryGdpMuSquared(Entry entry) {
    return PrivacyAccountant.gdpMuSquared(
        entry.survivorsVerified() ? entry.round() : entry.round().assumingThreshold());
  }

  private double entryDiscreteRho(Entry entry) {
    return entry.survivorsVerified()
        ? accountant.discreteRho(entry.round())
        : accountant.discreteRhoUnverified(entry.round());
  }

  private void requireAfterLast(String runId, RoundPrivacy round) {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(round, "round");
    Long last = lastRoundOfRun.get(runId);
    if (last != null && round.round() <= last) {
      throw new IllegalArgumentException(
          "round must be after the last recorded round "
              + last
              + (runId.isEmpty() ? "" : " of run '" + runId + "'")
              + ", not "
              + round.round());
    }
  }

  @Override
  public String toString() {
    return "PrivacyLedger[rounds=" + entries.size() + ", " + accountant + "]";
  }

  /**
   * One recorded round.
   *
   * @param runId the run the round belongs to (empty for a single-run ledger)
   * @param round the round's parameters, with the survivors the aggregator reported
   * @param survivorsVerified whether the silo verified the survivor list; if not, the round is
   *     accounted with s = t
   */
  public record Entry(String runId, RoundPrivacy round, boolean survivorsVerified) {
    /** Requires a run id and a round. */
    public Entry {
      Objects.requireNonNull(runId, "runId");
      Objects.requireNonNull(round, "round");
    }

    /** The survivor count the noise was accounted with: s if verified, else t. */
    public int accountedSurvivors() {
      return survivorsVerified ? round.survivors() : round.threshold();
    }
  }
}
