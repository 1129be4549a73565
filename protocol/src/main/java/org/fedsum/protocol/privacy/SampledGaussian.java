package org.fedsum.protocol.privacy;

/**
 * One step of DP-SGD as a privacy mechanism: the Poisson-subsampled Gaussian mechanism (the
 * "Sampled Gaussian Mechanism" of Mironov, Talwar, Zhang, "Rényi Differential Privacy of the
 * Sampled Gaussian Mechanism", arXiv:1908.10530, 2019). Each record joins the step's batch
 * independently with probability q, each example's gradient is clipped to L2 norm C, and Gaussian
 * noise of standard deviation z·C is added to the sum. Neighbouring datasets differ by adding or
 * removing one record, so the protected unit is one record ({@link PrivacySpend#UNIT_RECORD}).
 *
 * <h2>Rényi divergence at order α</h2>
 *
 * With the sensitivity scaled to 1 and σ = z, the worst-case pair of output distributions is μ₀ =
 * N(0, σ²) and μ = (1 − q)·μ₀ + q·N(1, σ²) (Mironov et al., Theorem 4), and the mechanism is (α,
 * ε(α))-RDP with ε(α) = log A_α/(α − 1), A_α = E_{x∼μ₀}[(μ(x)/μ₀(x))^α]. A_α is evaluated in log
 * space, as Opacus and TF Privacy do:
 *
 * <ul>
 *   <li>integer α (Mironov et al., §3.3, the binomial expansion): A_α = Σ_{k=0}^{α} C(α,k)·(1 −
 *       q)^(α−k)·q^k·exp((k² − k)/(2σ²));
 *   <li>fractional α (§3.3, the two series): split the line at z₀ = σ²·log(1/q − 1) + 1/2, where
 *       q·N(1, σ²) and (1 − q)·N(0, σ²) cross, expand (μ/μ₀)^α binomially in the smaller of the two
 *       ratios on each side, and integrate each term exactly: A_α = Σ_{i≥0} C(α,i)·[(1 −
 *       q)^(α−i)·q^i·e^((i²−i)/(2σ²))·Φ((z₀ − i)/σ) + q^(α−i)·(1 − q)^i·e^((j²−j)/(2σ²))·Φ((j −
 *       z₀)/σ)], j = α − i. For fractional α the generalised binomial coefficients change sign past
 *       i = ⌈α⌉, so positive and negative terms are summed apart and subtracted once; the series is
 *       cut when both terms of an index past α are below e^(−40), far below A_α ≥ 1.
 * </ul>
 *
 * <p>Every order gives a valid RDP guarantee, so an order whose series could not be summed reliably
 * reports +∞ (no guarantee at that order) rather than a number that might be too small.
 *
 * <p>Immutable; create with {@link #create(double, double)}.
 */
public final class SampledGaussian {
  /** Orders above this are refused: the integer expansion has α + 1 terms. */
  public static final double MAX_ORDER = 1_000_000;

  /** A series term below e^(−40) is negligible next to A_α ≥ 1. */
  private static final double NEGLIGIBLE_LOG_TERM = -40;

  /** Far more terms than any convergent case needs past α; beyond it the order reports +∞. */
  private static final int MAX_SERIES_TERMS_PAST_ORDER = 100_000;

  private final double sampleRate;
  private final double noiseMultiplier;

  private SampledGaussian(double sampleRate, double noiseMultiplier) {
    this.sampleRate = sampleRate;
    this.noiseMultiplier = noiseMultiplier;
  }

  /**
   * One DP-SGD step with Poisson sampling rate q and noise multiplier z.
   *
   * @param sampleRate q in (0, 1]: the probability that a record joins a step's batch
   * @param noiseMultiplier z &gt; 0, finite: the noise standard deviation over the clipping norm
   * @throws IllegalArgumentException naming the field if either is out of range
   */
  public static SampledGaussian create(double sampleRate, double noiseMultiplier) {
    if (!(sampleRate > 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException("sampleRate must be in (0, 1], not " + sampleRate);
    }
    if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
      throw new IllegalArgumentException(
          "noiseMultiplier must be finite and > 0, not " + noiseMultiplier);
    }
    return new SampledGaussian(sampleRate, noiseMultiplier);
  }

  /** q, the Poisson sampling rate of a record per step. */
  public double sampleRate() {
    return sampleRate;
  }

  /** z = σ/C, the noise multiplier. */
  public double noiseMultiplier() {
    return noiseMultiplier;
  }

  /**
   * ε(α) of one step: the mechanism is (α, ε(α))-RDP. Equals the plain Gaussian's α/(2z²) when q =
   * 1, and grows with q and α and falls with z. May be +∞ where no bound is available (see the
   * class comment).
   *
   * @param order α in (1, {@value #MAX_ORDER}]
   * @throws IllegalArgumentException naming the order if it is out of range
   */
  public double renyiDivergence(double order) {
    if (!(order > 1 && order <= MAX_ORDER)) {
      throw new IllegalArgumentException("order must be in (1, " + MAX_ORDER + "], not " + order);
    }
    double logA;
    if (order == Math.rint(order)) {
      logA = logAIntegerOrder((long) order);
    } else if (sampleRate == 1) {
      // z₀ is −∞: μ is N(1, σ²) itself, whose divergence from N(0, σ²) is known in closed form.
      return order / (2 * noiseMultiplier * noiseMultiplier);
    } else {
      logA = logAFractionalOrder(order);
    }
    // A_α ≥ 1 (Jensen); rounding may leave log A a hair below 0.
    return Math.max(0, logA) / (order - 1);
  }

  /** log A_α by the binomial expansion over k = 0..α (Mironov et al. §3.3). */
  private double logAIntegerOrder(long order) {
    double logRate = Math.log(sampleRate);
    double logComplement = Math.log1p(-sampleRate);
    double twoVariance = 2 * noiseMultiplier * noiseMultiplier;
    double logA = Double.NEGATIVE_INFINITY;
    double logCoefficient = 0;
    for (long k = 0; k <= order; k++) {
      if (k > 0) {
        logCoefficient += Math.log((double) (order - k + 1) / k);
      }
      double kDouble = (double) k;
      double term =
          logCoefficient
              + times(kDouble, logRate)
              + times((double) (order - k), logComplement)
              + (kDouble * kDouble - kDouble) / twoVariance;
      logA = logAdd(logA, term);
    }
    return logA;
  }

  /** log A_α by the two series of Mironov et al. §3.3, for fractional α and q &lt; 1. */
  private double logAFractionalOrder(double order) {
    double logRate = Math.log(sampleRate);
    double logComplement = Math.log1p(-sampleRate);
    double sigma = noiseMultiplier;
    double twoVariance = 2 * sigma * sigma;
    double crossing = sigma * sigma * (logComplement - logRate) + 0.5;
    double logPositive = Double.NEGATIVE_INFINITY;
    double logNegative = Double.NEGATIVE_INFINITY;
    double logAbsCoefficient = 0;
    boolean negative = false;
    long lastTerm = (long) Math.ceil(order) + MAX_SERIES_TERMS_PAST_ORDER;
    for (long i = 0; i <= lastTerm; i++) {
      double iDouble = (double) i;
      if (i > 0) {
        double factor = (order - iDouble + 1) / iDouble;
        logAbsCoefficient += Math.log(Math.abs(factor));
        negative ^= factor < 0;
      }
      double j = order - iDouble;
      double lowerSide =
          logAbsCoefficient
              + times(iDouble, logRate)
              + j * logComplement
              + (iDouble * iDouble - iDouble) / twoVariance
              + StandardNormal.logCdf((crossing - iDouble) / sigma);
      double upperSide =
          logAbsCoefficient
              + j * logRate
              + times(iDouble, logComplement)
              + (j * j - j) / twoVariance
              + StandardNormal.logCdf((j - crossing) / sigma);
      double both = logAdd(lowerSide, upperSide);
      if (negative) {
        logNegative = logAdd(logNegative, both);
      } else {
        logPositive = logAdd(logPositive, both);
      }
      if (iDouble > order && lowerSide < NEGLIGIBLE_LOG_TERM && upperSide < NEGLIGIBLE_LOG_TERM) {
        return logSubtract(logPositive, logNegative);
      }
    }
    return Double.POSITIVE_INFINITY;
  }

  /** count·log, with 0·(−∞) = 0: a factor raised to the power 0 is 1 even when it is 0. */
  private static double times(double count, double log) {
    return count == 0 ? 0 : count * log;
  }

  private static double logAdd(double a, double b) {
    double larger = Math.max(a, b);
    if (larger == Double.NEGATIVE_INFINITY) {
      return larger;
    }
    return larger + Math.log1p(Math.exp(Math.min(a, b) - larger));
  }

  /** log(e^a − e^b), or +∞ (no bound at this order) if the difference is not positive. */
  private static double logSubtract(double a, double b) {
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (!(a > b)) {
      return Double.POSITIVE_INFINITY;
    }
    return a + Math.log(-Math.expm1(b - a));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SampledGaussian that
        && Double.compare(sampleRate, that.sampleRate) == 0
        && Double.compare(noiseMultiplier, that.noiseMultiplier) == 0;
  }

  @Override
  public int hashCode() {
    return 31 * Double.hashCode(sampleRate) + Double.hashCode(noiseMultiplier);
  }

  @Override
  public String toString() {
    return "SampledGaussian[sampleRate="
        + sampleRate
        + ", noiseMultiplier="
        + noiseMultiplier
        + "]";
  }
}
