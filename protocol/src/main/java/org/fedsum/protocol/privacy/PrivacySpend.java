package org.fedsum.protocol.privacy;

/**
 * Privacy spent, as (ε, δ)-DP for the protected {@code unit}, by both accountants of DESIGN.md §5.
 *
 * <p>{@code epsilonGdp} is the continuous reference: the exact ε of the Gaussian mechanism with the
 * same central noise (Dong, Roth, Su 2019), which ignores that the noise is discrete and the update
 * rounded. {@code epsilonRdp} is a rigorous bound for the mechanism actually run: the Rényi bound
 * for sums of discrete Gaussians (Kairouz, Liu, Steinke 2021), with the rounding allowance,
 * composed and converted to (ε, δ). Every display of ε must show its unit ({@link #toString()}
 * does).
 *
 * @param epsilonGdp ε of the continuous Gaussian reference, ≥ 0
 * @param epsilonRdp ε of the discrete Rényi bound, ≥ 0
 * @param delta δ, in (0, 1)
 * @param unit what one neighbouring change is: {@value #UNIT_SILO} (one silo's whole update per
 *     round) for the silo-level mechanism
 */
public record PrivacySpend(double epsilonGdp, double epsilonRdp, double delta, String unit) {
  /** The unit of the silo-level mechanism: one silo's whole update in a round. */
  public static final String UNIT_SILO = "silo";

  /** Validates every field; messages name the field and the bad value. */
  public PrivacySpend {
    requireEpsilon("epsilonGdp", epsilonGdp);
    requireEpsilon("epsilonRdp", epsilonRdp);
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), not " + delta);
    }
    if (unit == null || unit.isBlank()) {
      throw new IllegalArgumentException("unit must name the protected unit, not " + unit);
    }
  }

  /**
   * The ε a budget is checked against: the larger of the two. The discrete bound is the one that
   * holds for the mechanism actually run; taking the maximum also keeps the check conservative
   * should the continuous reference ever be the larger.
   */
  public double enforcedEpsilon() {
    return Math.max(epsilonGdp, epsilonRdp);
  }

  private static void requireEpsilon(String name, double value) {
    if (!(value >= 0)) {
      throw new IllegalArgumentException(name + " must be >= 0, not " + value);
    }
  }
}
