package org.fedsum.cli.privacy;

import java.util.List;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.RoundPrivacy;

/**
 * What a run of {@code rounds} equal rounds spends, computed exactly as the aggregator's and the
 * silos' ledgers do: the run's encoding is built as the aggregator builds it (γ chosen from the
 * bits, rotation on), each round is a {@link RoundPrivacy} with s = t survivors (the worst case a
 * silo assumes), and the protocol's accountants compose the rounds (ρ and μ² add up).
 *
 * @param silos roster size n
 * @param threshold Shamir threshold t
 * @param bits word width of the masked vectors
 * @param dimension model parameters d
 */
public record PrivacyCalculator(int silos, int threshold, int bits, int dimension) {
  private static final double CLIP_NORM = 1.0;
  // Only the presence of a rotation seed matters here (the rotation pads d, by less than d/64).
  private static final byte[] ROTATION_SEED = new byte[32];
  private static final PrivacyAccountant ACCOUNTANT =
      PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA);

  /**
   * ε after {@code rounds} rounds at noise multiplier {@code z}.
   *
   * @param gdp the continuous Gaussian-DP reference
   * @param rdp the Rényi bound for sums of discrete Gaussians (the one that holds for the
   *     mechanism)
   */
  public record Epsilons(double gdp, double rdp) {
    /** The ε to report: the larger of the two, as the ledgers enforce. */
    public double enforced() {
      return Math.max(gdp, rdp);
    }
  }

  /**
   * ε of {@code rounds} rounds at noise multiplier {@code z} and {@code delta}.
   *
   * @throws IllegalArgumentException if the encoding cannot be built (its message says why)
   */
  public Epsilons epsilon(double z, long rounds, double delta) {
    if (!(z > 0) || Double.isInfinite(z)) {
      throw new IllegalArgumentException("the noise multiplier must be > 0, not " + z);
    }
    if (rounds < 1) {
      throw new IllegalArgumentException("rounds must be >= 1, not " + rounds);
    }
    EncodingParameters encoding =
        EncodingParameters.builder()
            .setDimension(dimension)
            .setClipNorm(CLIP_NORM)
            .setNoiseMultiplier(z)
            .setThreshold(threshold)
            .setSilos(silos)
            .setBits(bits)
            .setRotationSeed(ROTATION_SEED)
            .buildChoosingGamma();
    RoundPrivacy round =
        new RoundPrivacy(
            0, threshold, CLIP_NORM, z, encoding.gamma(), threshold, encoding.signalLength());
    double rho = ACCOUNTANT.discreteRho(round) * rounds;
    double mu = PrivacyAccountant.gdpMu(List.of(round)) * Math.sqrt(rounds);
    return new Epsilons(
        PrivacyAccountant.gdpEpsilon(mu, delta), PrivacyAccountant.zcdpEpsilon(rho, delta));
  }

  /**
   * The noise multipliers {@code rounds} rounds need to spend at most {@code target} at {@code
   * delta}.
   *
   * @param gdp by the continuous reference alone ({@link
   *     PrivacyAccountant#gdpRequiredNoiseMultiplier})
   * @param enforced so that both accountants stay within the target (found by bisection, within
   *     0.1% and rounded up)
   */
  public record NoiseMultipliers(double gdp, double enforced) {}

  /** The noise multipliers for a target ε. */
  public NoiseMultipliers noiseFor(double target, long rounds, double delta) {
    double gdp = PrivacyAccountant.gdpRequiredNoiseMultiplier(target, delta, rounds);
    double low = gdp;
    double high = gdp;
    while (epsilon(high, rounds, delta).enforced() > target) {
      low = high;
      high *= 2;
      if (high > 1e6) {
        throw new IllegalArgumentException(
            "no noise multiplier up to 1e6 reaches ε " + target + " with these settings");
      }
    }
    while (high - low > 1e-3 * high) {
      double middle = (low + high) / 2;
      if (epsilon(middle, rounds, delta).enforced() > target) {
        low = middle;
      } else {
        high = middle;
      }
    }
    return new NoiseMultipliers(gdp, high);
  }
}
