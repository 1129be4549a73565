package org.fedsum.protocol.privacy;

/**
 * Privacy spent, as (ε, δ)-DP for the protected {@code unit}, by both accountants of DESIGN.md §5.
 *
 * <p>For silo-level DP (unit {@value #UNIT_SILO}), {@code epsilonGdp} is the continuous reference:
 * the exact ε of the Gaussian mechanism with the same central noise (Dong, Roth, Su 2019), which
 * ignores that the noise is discrete and the update rounded. {@code epsilonRdp} is a rigorous bound
 * for the mechanism actually run: the Rényi bound for sums of discrete Gaussians (Kairouz, Liu,
 * Steinke 2021), with the rounding allowance, composed and converted to (ε, δ). For record-level DP
 * (unit {@value #UNIT_RECORD}) the noise is continuous and the Rényi bound of the subsampled
 * Gaussian ({@link RecordLevelAccountant}) is the only figure: both fields hold it. Every display
 * of ε must show its unit ({@link #toString()} does).
 *
 * @param epsilonGdp ε of the continuous Gaussian reference, ≥ 0
 * @param epsilonRdp ε of the discrete Rényi bound, ≥ 0
 * @param delta δ, in (0, 1)
 * @param unit what one neighbouring change is: {@value #UNIT_SILO} (one silo's whole update per
 *     round) for the silo-level mechanism, {@value #UNIT_RECORD} (one record of a silo's data) for
 *     DP-SGD
 */
public record PrivacySpend(double epsilonGdp, double epsilonRdp, double delta, String unit) {
  /** The unit of the silo-level mechanism: one silo's whole update in a round. */
  public static final String UNIT_SILO = "silo";

  /**
   * The unit of record-level DP (DP-SGD at each silo, {@link RecordLevelAccountant}): one record
   * (one patient's or customer's example) added to or removed from a silo's training data.
   */
  public static final String UNIT_RECORD = "record";

  /** {@link #UNIT_SILO} in words, for reports that show ε. */
  public static final String UNIT_SILO_DESCRIPTION = "one silo's whole update in one round";

  /** {@link #UNIT_RECORD} in words, for reports that show ε. */
  public static final String UNIT_RECORD_DESCRIPTION =
      "one record (one example) added to or removed from a silo's training data";

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

  /**
   * The words for a protected unit, for every display of ε (DESIGN.md §5: ε always names its unit).
   *
   * @throws IllegalArgumentException naming the unit if it is neither {@value #UNIT_SILO} nor
   *     {@value #UNIT_RECORD}
   */
  public static String describeUnit(String unit) {
    if (UNIT_SILO.equals(unit)) {
      return UNIT_SILO_DESCRIPTION;
    }
    if (UNIT_RECORD.equals(unit)) {
      return UNIT_RECORD_DESCRIPTION;
    }
    throw new IllegalArgumentException(
        "unit must be " + UNIT_SILO + " or " + UNIT_RECORD + ", not " + unit);
  }

  private static void requireEpsilon(String name, double value) {
    if (!(value >= 0)) {
      throw new IllegalArgumentException(name + " must be >= 0, not " + value);
    }
  }
}
