package org.fedsum.protocol.privacy;

/**
 * The privacy-relevant parameters of one round of silo-level distributed DP (DESIGN.md §4–§5): each
 * of the round's survivors clipped its update to L2 norm {@code clipNorm}, scaled it by 1/γ,
 * rounded it to integers and added discrete Gaussian noise of integer-domain standard deviation
 * σ_local = z·C/(γ·√t) before masking; the aggregator sees the sum over {@code survivors} silos.
 *
 * @param round the round number, ≥ 0
 * @param survivors s, the number of silos whose noised inputs were summed (≥ {@code threshold}: a
 *     round with fewer survivors aborts and publishes nothing)
 * @param clipNorm C, the L2 clipping norm of one silo's update in the real domain; the silo-level
 *     sensitivity (add/remove one silo's update)
 * @param noiseMultiplier z, the central noise standard deviation over C when exactly t silos
 *     survive
 * @param gamma γ, the quantization step: real value v becomes the integer near v/γ
 * @param threshold t, the Shamir threshold; noise shares are calibrated so that any t survivors
 *     give the target noise
 * @param dimension d, the number of coordinates of the update
 */
public record RoundPrivacy(
    long round,
    int survivors,
    double clipNorm,
    double noiseMultiplier,
    double gamma,
    int threshold,
    long dimension) {

  /** Validates every field and the derived noise; messages name the field and the bad value. */
  public RoundPrivacy {
    if (round < 0) {
      throw new IllegalArgumentException("round must be >= 0, not " + round);
    }
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold must be >= 1, not " + threshold);
    }
    if (survivors < threshold) {
      throw new IllegalArgumentException(
          "survivors must be >= threshold "
              + threshold
              + " (a round with fewer survivors aborts), not "
              + survivors);
    }
    requirePositiveFinite("clipNorm", clipNorm);
    requirePositiveFinite("noiseMultiplier", noiseMultiplier);
    requirePositiveFinite("gamma", gamma);
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, not " + dimension);
    }
    double localNoise = noiseMultiplier * clipNorm / (gamma * Math.sqrt(threshold));
    if (!(localNoise > 0) || Double.isInfinite(localNoise)) {
      throw new IllegalArgumentException(
          "local noise z·C/(γ·√t) must be finite and > 0, not "
              + localNoise
              + " (noiseMultiplier "
              + noiseMultiplier
              + ", clipNorm "
              + clipNorm
              + ", gamma "
              + gamma
              + ", threshold "
              + threshold
              + ")");
    }
  }

  /** σ_local = z·C/(γ·√t): the integer-domain standard deviation of each silo's noise share. */
  public double localNoiseStddev() {
    return noiseMultiplier * clipNorm / (gamma * Math.sqrt(threshold));
  }

  /**
   * σ = σ_local·γ·√s: the real-domain standard deviation of the noise in the sum of s survivors
   * (DESIGN.md §5). Equals z·C·√(s/t), so z·C when exactly t survive.
   */
  public double centralNoiseStddev() {
    return localNoiseStddev() * gamma * Math.sqrt(survivors);
  }

  /** C/γ: the clipping norm in the integer domain, before the rounding allowance. */
  public double integerClipNorm() {
    return clipNorm / gamma;
  }

  /**
   * The same round with s = t: the worst case a silo must assume while it has not verified the
   * survivor list (fewer survivors, less noise in the sum).
   */
  public RoundPrivacy assumingThreshold() {
    return new RoundPrivacy(
        round, threshold, clipNorm, noiseMultiplier, gamma, threshold, dimension);
  }

  private static void requirePositiveFinite(String name, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, not " + value);
    }
  }
}
