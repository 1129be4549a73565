package org.fedsum.protocol.privacy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A silo's record-level privacy ledger (DESIGN.md §5, "Which unit DP protects"): every round in
 * which it trained with DP-SGD on its records, and what they spent per record. Each round may use
 * its own sample rate q (the silo's data size or the run's expected batch size may differ), noise
 * multiplier z and number of steps, so the ledger composes the rounds' Rényi curves order by order
 * ({@link RecordLevelAccountant#renyiDivergences}, which add under adaptive composition) and
 * converts the sum once to (ε, δ). It spans every run on the same records, like {@link
 * PrivacyLedger}.
 *
 * <p>Immutable: {@link #record} returns a new ledger. The composed curve is kept, so a spend costs
 * one curve of the new round and one conversion, whatever the number of rounds.
 */
public final class RecordLevelLedger {
  private final List<Entry> entries;
  private final Map<String, Long> lastRoundOfRun;
  private final double[] renyiDivergences;

  private RecordLevelLedger(
      List<Entry> entries, Map<String, Long> lastRoundOfRun, double[] renyiDivergences) {
    this.entries = entries;
    this.lastRoundOfRun = lastRoundOfRun;
    this.renyiDivergences = renyiDivergences;
  }

  /** A ledger with no rounds. */
  public static RecordLevelLedger empty() {
    return new RecordLevelLedger(
        List.of(), Map.of(), new double[RecordLevelAccountant.ORDERS.size()]);
  }

  /**
   * This ledger plus {@code entry}.
   *
   * @throws IllegalArgumentException if the round is not after the last recorded round of the same
   *     run
   */
  public RecordLevelLedger record(Entry entry) {
    requireAfterLast(entry);
    List<Entry> longer = new ArrayList<>(entries.size() + 1);
    longer.addAll(entries);
    longer.add(entry);
    Map<String, Long> lastRounds = new HashMap<>(lastRoundOfRun);
    lastRounds.put(entry.runId(), entry.round());
    return new RecordLevelLedger(
        List.copyOf(longer), Map.copyOf(lastRounds), plus(renyiDivergences, entry));
  }

  /** The recorded rounds, oldest first; unmodifiable. */
  public List<Entry> entries() {
    return entries;
  }

  /** The composed Rényi divergence at each order of {@link RecordLevelAccountant#ORDERS}. */
  public double[] renyiDivergences() {
    return renyiDivergences.clone();
  }

  /**
   * What the recorded rounds have spent per record, as a {@link PrivacySpend} of unit {@link
   * PrivacySpend#UNIT_RECORD}.
   *
   * @param delta δ in (0, 1)
   */
  public PrivacySpend spent(double delta) {
    return spend(renyiDivergences, delta);
  }

  /**
   * Whether recording {@code next} would take the record-level ε above {@code epsilonBudget} at
   * {@code delta}. A spend that lands exactly on the budget does not exceed it. The silo refuses to
   * join a round when this is true.
   *
   * @param epsilonBudget finite and ≥ 0
   * @param delta δ in (0, 1)
   * @throws IllegalArgumentException if {@code next} is not after the last recorded round of its
   *     run, or the budget is invalid
   */
  public boolean wouldExceed(Entry next, double epsilonBudget, double delta) {
    requireAfterLast(next);
    if (!(epsilonBudget >= 0) || Double.isInfinite(epsilonBudget)) {
      throw new IllegalArgumentException(
          "epsilonBudget must be finite and >= 0, not " + epsilonBudget);
    }
    return spend(plus(renyiDivergences, next), delta).enforcedEpsilon() > epsilonBudget;
  }

  private static PrivacySpend spend(double[] curve, double delta) {
    double epsilon = RecordLevelAccountant.epsilon(curve, delta).epsilon();
    return new PrivacySpend(epsilon, epsilon, delta, PrivacySpend.UNIT_RECORD);
  }

  private static double[] plus(double[] curve, Entry entry) {
    double[] step =
        RecordLevelAccountant.renyiDivergences(
            SampledGaussian.create(entry.sampleRate(), entry.noiseMultiplier()), entry.steps());
    double[] sum = curve.clone();
    for (int i = 0; i < sum.length; i++) {
      sum[i] += step[i];
    }
    return sum;
  }

  private void requireAfterLast(Entry entry) {
    Objects.requireNonNull(entry, "entry");
    Long last = lastRoundOfRun.get(entry.runId());
    if (last != null && entry.round() <= last) {
      throw new IllegalArgumentException(
          "round must be after the last recorded round "
              + last
              + (entry.runId().isEmpty() ? "" : " of run '" + entry.runId() + "'")
              + ", not "
              + entry.round());
    }
  }

  @Override
  public String toString() {
    return "RecordLevelLedger[rounds=" + entries.size() + "]";
  }

  /**
   * One round of DP-SGD on the silo's records.
   *
   * @param runId the run the round belongs to
   * @param round the round number within the run, ≥ 0
   * @param sampleRate q in (0, 1]
   * @param noiseMultiplier z, finite and &gt; 0
   * @param steps the DP-SGD steps of the round, ≥ 1
   */
  public record Entry(
      String runId, long round, double sampleRate, double noiseMultiplier, long steps) {
    /** Validates every field; messages name the field. */
    public Entry {
      Objects.requireNonNull(runId, "runId");
      if (round < 0) {
        throw new IllegalArgumentException("round must be >= 0, not " + round);
      }
      SampledGaussian.create(sampleRate, noiseMultiplier); // validates q and z, naming them
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be >= 1, not " + steps);
      }
    }
  }
}
