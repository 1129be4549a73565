package org.fedsum.silo.node;

import java.util.Optional;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyLedger;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RecordLevelLedger;
import org.fedsum.protocol.privacy.RoundPrivacy;

/**
 * The silo's own rules for joining a round (DESIGN.md §5): its floor and its ε budget. A round
 * below the floor, or one whose worst-case spend (the fewest survivors the round allows) would take
 * the silo past its budget, is refused with a reason the silo logs and journals; the round goes on
 * without it.
 *
 * <p>Each protected unit (DESIGN.md §5, "Which unit DP protects") has its own budget and its own
 * ledger: the silo-level budget ({@code privacy.epsilonBudget}) against the silo-level ledger, the
 * record-level budget ({@code privacy.recordLevel.epsilonBudget}) against the record-level ledger
 * of DP-SGD steps. A silo with a budget for a unit refuses rounds without that unit's DP: its
 * ledger cannot bound them. A floor that requires DP is met by either unit.
 */
public final class PrivacyPolicy {
  private final SiloConfig.Privacy privacy;

  public PrivacyPolicy(SiloConfig.Privacy privacy) {
    this.privacy = privacy;
  }

  /**
   * Why the silo refuses {@code round} of run {@code runId} of a run without record-level DP, or
   * empty if it may join.
   */
  public Optional<String> refusal(
      String runId, RoundConfig round, EncodingParameters encoding, PrivacyLedger ledger) {
    return refusal(runId, round, encoding, ledger, Optional.empty(), RecordLevelLedger.empty());
  }

  /**
   * Why the silo refuses {@code round} of run {@code runId}, or empty if it may join.
   *
   * @param recordLevelRound what the round's DP-SGD would spend on this silo's records (its q, z
   *     and steps), or empty if the round does not train with DP-SGD
   * @param recordLevelLedger the silo's record-level ledger
   */
  public Optional<String> refusal(
      String runId,
      RoundConfig round,
      EncodingParameters encoding,
      PrivacyLedger ledger,
      Optional<RecordLevelLedger.Entry> recordLevelRound,
      RecordLevelLedger recordLevelLedger) {
    SiloConfig.Floor floor = privacy.floor();
    double z = encoding.noiseMultiplier();
    if (floor.requireDifferentialPrivacy() && z == 0 && recordLevelRound.isEmpty()) {
      return Optional.of(
          "differential privacy is off (neither silo-level nor record-level), and this silo's"
              + " floor requires it");
    }
    if (z < floor.minNoiseMultiplier()) {
      return Optional.of(
          "silo-level noise multiplier "
              + z
              + " is below this silo's floor "
              + floor.minNoiseMultiplier());
    }
    if (round.threshold() < floor.minThreshold()) {
      return Optional.of(
          "threshold " + round.threshold() + " is below this silo's floor " + floor.minThreshold());
    }
    if (round.required() < floor.minSurvivors()) {
      return Optional.of(
          "the round unmasks sums of "
              + round.required()
              + " silos, below this silo's floor of "
              + floor.minSurvivors());
    }
    SiloConfig.RecordLevelRules recordRules = privacy.recordLevel();
    if (recordRules.required() && recordLevelRound.isEmpty()) {
      return Optional.of(
          "the round does not train with record-level DP (DP-SGD), and this silo's floor"
              + " requires it");
    }
    if (recordLevelRound.isPresent()
        && recordLevelRound.get().noiseMultiplier() < recordRules.minNoiseMultiplier()) {
      return Optional.of(
          "record-level noise multiplier "
              + recordLevelRound.get().noiseMultiplier()
              + " is below this silo's floor "
              + recordRules.minNoiseMultiplier());
    }
    if (privacy.epsilonBudget() > 0) {
      if (z == 0) {
        return Optional.of(
            "silo-level differential privacy is off (unbounded silo-level ε), and this silo has"
                + " a silo-level ε budget of "
                + privacy.epsilonBudget());
      }
      RoundPrivacy worstCase = roundPrivacy(round.round(), round.threshold(), encoding);
      if (ledger.wouldExceed(runId, worstCase, privacy.epsilonBudget(), privacy.delta())) {
        return Optional.of(
            "joining could spend more than this silo's silo-level budget ε = "
                + privacy.epsilonBudget()
                + " at δ = "
                + privacy.delta()
                + " (unit: "
                + PrivacySpend.UNIT_SILO_DESCRIPTION
                + "; spent so far: ε = "
                + ledger.spent(privacy.delta()).enforcedEpsilon()
                + ")");
      }
    }
    if (recordRules.epsilonBudget() > 0) {
      if (recordLevelRound.isEmpty()) {
        return Optional.of(
            "the round does not train with record-level DP (unbounded record-level ε), and this"
                + " silo has a record-level ε budget of "
                + recordRules.epsilonBudget());
      }
      if (recordLevelLedger.wouldExceed(
          recordLevelRound.get(), recordRules.epsilonBudget(), privacy.delta())) {
        return Optional.of(
            "joining would spend more than this silo's record-level budget ε = "
                + recordRules.epsilonBudget()
                + " at δ = "
                + privacy.delta()
                + " (unit: "
                + PrivacySpend.UNIT_RECORD_DESCRIPTION
                + "; spent so far: ε = "
                + recordLevelLedger.spent(privacy.delta()).enforcedEpsilon()
                + ", this round: "
                + recordLevelRound.get().steps()
                + " DP-SGD steps at q = "
                + recordLevelRound.get().sampleRate()
                + ", z = "
                + recordLevelRound.get().noiseMultiplier()
                + ")");
      }
    }
    return Optional.empty();
  }

  /** The privacy parameters of a round summed over {@code survivors} silos. */
  static RoundPrivacy roundPrivacy(long round, int survivors, EncodingParameters encoding) {
    return new RoundPrivacy(
        round,
        survivors,
        encoding.clipNorm(),
        encoding.noiseMultiplier(),
        encoding.gamma(),
        encoding.threshold(),
        encoding.dimension());
  }
}
