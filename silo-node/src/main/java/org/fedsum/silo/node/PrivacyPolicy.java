package org.fedsum.silo.node;

import java.util.Optional;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyLedger;
import org.fedsum.protocol.privacy.RoundPrivacy;

/**
 * The silo's own rules for joining a round (DESIGN.md §5): its floor and its ε budget. A round
 * below the floor, or one whose worst-case spend (the fewest survivors the round allows) would take
 * the silo past its budget, is refused with a reason the silo logs and journals; the round goes on
 * without it.
 *
 * <p>A silo with a budget refuses rounds without DP noise: their ε is unbounded.
 */
public final class PrivacyPolicy {
  private final SiloConfig.Privacy privacy;

  public PrivacyPolicy(SiloConfig.Privacy privacy) {
    this.privacy = privacy;
  }

  /** Why the silo refuses {@code round} of run {@code runId}, or empty if it may join. */
  public Optional<String> refusal(
      String runId, RoundConfig round, EncodingParameters encoding, PrivacyLedger ledger) {
    SiloConfig.Floor floor = privacy.floor();
    double z = encoding.noiseMultiplier();
    if (floor.requireDifferentialPrivacy() && z == 0) {
      return Optional.of("differential privacy is off, and this silo's floor requires it");
    }
    if (z < floor.minNoiseMultiplier()) {
      return Optional.of(
          "noise multiplier " + z + " is below this silo's floor " + floor.minNoiseMultiplier());
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
    if (privacy.epsilonBudget() > 0) {
      if (z == 0) {
        return Optional.of(
            "differential privacy is off (unbounded ε), and this silo has an ε budget of "
                + privacy.epsilonBudget());
      }
      RoundPrivacy worstCase = roundPrivacy(round.round(), round.threshold(), encoding);
      if (ledger.wouldExceed(runId, worstCase, privacy.epsilonBudget(), privacy.delta())) {
        return Optional.of(
            "joining could spend more than this silo's budget ε = "
                + privacy.epsilonBudget()
                + " at δ = "
                + privacy.delta()
                + " (spent so far: ε = "
                + ledger.spent(privacy.delta()).enforcedEpsilon()
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
