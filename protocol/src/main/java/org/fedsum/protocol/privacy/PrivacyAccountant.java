package org.fedsum.protocol.privacy;

import java.util.List;
import java.util.Objects;

/**
 * The two privacy accountants of DESIGN.md §5 for silo-level distributed DP: every survivor adds a
 * discrete Gaussian noise share before masking, and the published sum carries the noise of all s
 * survivors. The protected unit is one silo's whole update in a round ({@link
 * PrivacySpend#UNIT_SILO}); a neighbouring input changes one silo's contribution by at most the
 * clipping norm, while that silo's noise share stays in the sum, as in Kairouz et al. 2021.
 *
 * <h2>Continuous reference: Gaussian differential privacy</h2>
 *
 * Dong, Roth, Su, "Gaussian Differential Privacy" (J. R. Stat. Soc. B 2022; arXiv:1905.02383): the
 * Gaussian mechanism with sensitivity C and noise σ is exactly (C/σ)-GDP (Theorem 2.7), T of them
 * compose to exactly μ-GDP with μ = √(Σ_r C_r²/σ_r²) (Corollary 3.3), and μ-GDP is (ε, δ(ε))-DP for
 * every ε ≥ 0 with δ(ε) = Φ(−ε/μ + μ/2) − e^ε·Φ(−ε/μ − μ/2) (Corollary 2.13), a curve no smaller δ
 * can replace (numbering of the arXiv version; the journal version calls the last Corollary 1).
 * This is exact for continuous noise and ignores rounding, so it is a reference.
 *
 * <h2>Discrete: Rényi bound for sums of discrete Gaussians</h2>
 *
 * Kairouz, Liu, Steinke, "The Distributed Discrete Gaussian Mechanism for Federated Learning with
 * Secure Aggregation" (ICML 2021; arXiv:2102.06387), Proposition 14 (Eq. 17; numbering of the arXiv
 * version, as cited by the authors' reference implementation, google-research/federated {@code
 * distributed_dp/accounting_utils.py}): for n independent N_Z(0, σ²) shares per coordinate, σ ≥
 * 1/2, integer-domain sensitivities Δ₂ and Δ₁ in dimension d, and every α ≥ 1, the Rényi divergence
 * of order α is at most the least of
 *
 * <ul>
 *   <li>α·Δ₂²/(2nσ²) + τ·d,
 *   <li>(α/2)·(Δ₂²/(nσ²) + 2τ·Δ₁/(√n·σ) + τ²·d),
 *   <li>(α/2)·(Δ₂/(√n·σ) + τ·√d)²,
 * </ul>
 *
 * with τ = 10·Σ_{k=1}^{n−1} e^(−2π²σ²·k/(k+1)). Since τ·d ≤ α·τ·d for α ≥ 1, each round is ρ-zCDP
 * (Bun, Steinke 2016) with ρ = ½·min{Δ₂²/(nσ²) + 2τd, Δ₂²/(nσ²) + 2τΔ₁/(√nσ) + τ²d, (Δ₂/(√nσ) +
 * τ√d)²}. (Independent re-implementations quote the paper's Theorem 1 as ε²/2-zCDP with ε =
 * min{√(Δ₂²/(nσ²) + 2τd), Δ₂/(√nσ) + τ√d}; this ρ is never larger.) Rounds compose by adding ρ
 * (Bun, Steinke 2016, Lemma 2.3), and ρ-zCDP becomes (ε, δ)-DP by Canonne, Kamath, Steinke 2020,
 * Proposition 12 (also Asoodeh et al. 2021): ε = min_{α>1} αρ + (log(1/δ) + (α−1)·log(1 − 1/α) −
 * log α)/(α − 1).
 *
 * <p>The integer-domain L2 sensitivity is the clipping norm C/γ plus the rounding allowance of
 * Kairouz et al. Theorem 1: randomized rounding moves each coordinate by less than 1, so Δ₂ ≤ C/γ +
 * √d; with conditional randomized rounding (their Proposition 22: the rounding is redrawn until the
 * rounded norm is within the bound below) Δ₂² ≤ (C/γ)² + d/4 + √(2·ln(1/β))·(C/γ + √d/2). Δ₁ is not
 * measured: for an integer vector Δ₁ ≤ min(Δ₂², √d·Δ₂), as in the paper. Rotation preserves the L2
 * norm and does not change Δ₂.
 *
 * <p>σ here is the parameter of N_Z(0, σ²) with which the sampler is called, {@link
 * RoundPrivacy#localNoiseStddev()}; the discrete Gaussian's variance is slightly below σ² (by less
 * than 1e-15 relative for σ ≥ 2), which the bound already accounts for.
 *
 * <p>Immutable; one instance per encoding configuration (its conditional-rounding β). The functions
 * that do not depend on β are static.
 */
public final class PrivacyAccountant {
  /** Relative width at which the bisections of ε and μ stop; well below the 1e-10 asked of them. */
  private static final double SOLVER_TOLERANCE = 1e-13;

  private static final int MAX_BISECTIONS = 4_000;

  /** The search for the best Rényi order runs over u = ln(α − 1) in this range, then refines. */
  private static final double MIN_LOG_ORDER = -20;

  private static final double MAX_LOG_ORDER = 50;
  private static final double LOG_ORDER_STEP = 0.05;
  private static final double INVERSE_GOLDEN_RATIO = (Math.sqrt(5) - 1) / 2;

  /** Kairouz et al.'s bound is proved for discrete Gaussian shares with σ ≥ 1/2. */
  private static final double MIN_LOCAL_SIGMA = 0.5;

  private final double conditionalRoundingBeta;

  private PrivacyAccountant(double conditionalRoundingBeta) {
    this.conditionalRoundingBeta = conditionalRoundingBeta;
  }

  /**
   * An accountant for an encoder that rounds with conditional randomized rounding of parameter β
   * (Kairouz et al. 2021, Proposition 22), or plain randomized rounding when β = 0.
   *
   * <p>The discrete bound is only valid if the encoder enforces the same β: it must redraw the
   * rounding until the rounded vector's integer-domain L2 norm is at most {@link
   * #roundedL2Sensitivity(double, long, double)}.
   *
   * @param conditionalRoundingBeta β in [0, 1)
   */
  public static PrivacyAccountant create(double conditionalRoundingBeta) {
    requireBeta(conditionalRoundingBeta);
    return new PrivacyAccountant(conditionalRoundingBeta);
  }

  /** β of the conditional randomized rounding this accountant assumes; 0 for plain rounding. */
  public double conditionalRoundingBeta() {
    return conditionalRoundingBeta;
  }

  // ---------------------------------------------------------------------------------------------
  // Gaussian differential privacy (continuous reference)
  // ---------------------------------------------------------------------------------------------

  /**
   * μ = √(Σ_r C_r²/σ_r²) of the rounds (Dong, Roth, Su, Corollary 3.3), each round with its own
   * {@link RoundPrivacy#survivors()} (pass {@link RoundPrivacy#assumingThreshold()} for the worst
   * case). 0 for no rounds.
   */
  public static double gdpMu(List<RoundPrivacy> rounds) {
    Objects.requireNonNull(rounds, "rounds");
    double sum = 0;
    for (RoundPrivacy round : rounds) {
      sum += gdpMuSquared(Objects.requireNonNull(round, "round"));
    }
    return Math.sqrt(sum);
  }

  /** (C/σ)² of one round, with σ its central noise over its survivors. */
  static double gdpMuSquared(RoundPrivacy round) {
    double ratio = round.clipNorm() / round.centralNoiseStddev();
    return ratio * ratio;
  }

  /**
   * δ(ε) = Φ(−ε/μ + μ/2) − e^ε·Φ(−ε/μ − μ/2) of μ-GDP (Dong, Roth, Su, Corollary 2.13).
   *
   * <p>The second term is formed as exp(ε + log Φ(·)), so it neither overflows for large ε nor
   * underflows early. The difference of two close numbers loses about log10(|ε/μ|/μ) digits when ε
   * is much larger than μ: relative accuracy better than 1e-12 for μ ≥ 0.01.
   *
   * @param mu μ ≥ 0, finite
   * @param epsilon ε ≥ 0, finite
   */
  public static double gdpDelta(double mu, double epsilon) {
    requireNonNegativeFinite("mu", mu);
    requireNonNegativeFinite("epsilon", epsilon);
    if (mu == 0) {
      return 0;
    }
    double ratio = epsilon / mu;
    double first = StandardNormal.cdf(-ratio + mu / 2);
    double second = Math.exp(epsilon + StandardNormal.logCdf(-ratio - mu / 2));
    return Math.max(0, first - second);
  }

  /**
   * The least ε with δ(ε) ≤ δ for μ-GDP: the tight (ε, δ) of the continuous reference, to a
   * relative 1e-13 of the solver, rounded up (the returned ε satisfies δ(ε) ≤ δ).
   *
   * @param mu μ ≥ 0, finite
   * @param delta δ in (0, 1)
   */
  public static double gdpEpsilon(double mu, double delta) {
    requireNonNegativeFinite("mu", mu);
    requireDelta(delta);
    if (mu == 0 || gdpDelta(mu, 0) <= delta) {
      return 0;
    }
    // δ(ε) decreases strictly from δ(0) > δ to 0: bracket the crossing by doubling, then bisect.
    double low = 0;
    double high = 1;
    while (gdpDelta(mu, high) > delta) {
      low = high;
      high *= 2;
      if (Double.isInfinite(high)) {
        throw new IllegalStateException("bug: no ε found for μ " + mu + " and δ " + delta);
      }
    }
    for (int i = 0; i < MAX_BISECTIONS && high - low > SOLVER_TOLERANCE * high; i++) {
      double middle = low + (high - low) / 2;
      if (gdpDelta(mu, middle) > delta) {
        low = middle;
      } else {
        high = middle;
      }
    }
    return high;
  }

  /**
   * The noise multiplier z = σ/C that T equal rounds need so that their composition is (ε, δ)-DP by
   * the GDP accountant: z = √T/μ with μ the largest μ whose δ(ε) is at most δ. Rounded towards more
   * noise. Assumes s = t in every round (central noise exactly z·C).
   *
   * @param epsilon target ε &gt; 0, finite
   * @param delta δ in (0, 1)
   * @param rounds T ≥ 1
   */
  public static double gdpRequiredNoiseMultiplier(double epsilon, double delta, long rounds) {
    requireNonNegativeFinite("epsilon", epsilon);
    if (epsilon == 0) {
      throw new IllegalArgumentException("epsilon must be > 0, not 0");
    }
    requireDelta(delta);
    if (rounds < 1) {
      throw new IllegalArgumentException("rounds must be >= 1, not " + rounds);
    }
    // δ(ε; μ) increases strictly in μ from 0 towards 1.
    double low = 0;
    double high = 1;
    while (gdpDelta(high, epsilon) < delta) {
      low = high;
      high *= 2;
      if (Double.isInfinite(high)) {
        throw new IllegalStateException("bug: no μ found for ε " + epsilon + " and δ " + delta);
      }
    }
    for (int i = 0; i < MAX_BISECTIONS && high - low > SOLVER_TOLERANCE * high; i++) {
      double middle = low + (high - low) / 2;
      if (gdpDelta(middle, epsilon) > delta) {
        high = middle;
      } else {
        low = middle;
      }
    }
    if (low == 0) {
      throw new IllegalStateException("bug: μ for ε " + epsilon + " and δ " + delta + " is 0");
    }
    return Math.sqrt((double) rounds) / low;
  }

  // ---------------------------------------------------------------------------------------------
  // Discrete Gaussian sums: zCDP
  // ---------------------------------------------------------------------------------------------

  /**
   * τ = 10·Σ_{k=1}^{n−1} e^(−2π²σ²·k/(k+1)) of Kairouz et al. 2021 (Theorem 1, Proposition 14): how
   * far the sum of n discrete Gaussians N_Z(0, σ²) is from one discrete Gaussian N_Z(0, nσ²). Below
   * 1e-15 for σ ≥ 2 and n ≤ 10⁶; 0 for n = 1.
   *
   * @param localSigma σ ≥ 1/2, the integer-domain parameter of each share
   * @param summands n ≥ 1
   */
  public static double distributedDiscreteGaussianTau(double localSigma, int summands) {
    requireLocalSigma(localSigma);
    requireSummands(summands);
    double rate = 2 * Math.PI * Math.PI * localSigma * localSigma;
    double sum = 0;
    for (int k = 1; k < summands; k++) {
      sum += Math.exp(-rate * k / (k + 1.0));
    }
    return 10 * sum;
  }

  /**
   * The integer-domain L2 sensitivity after rounding (Kairouz et al. 2021, Theorem 1): c + √d for
   * randomized rounding (β = 0), and min(c + √d, √(c² + d/4 + √(2·ln(1/β))·(c + √d/2))) for
   * conditional randomized rounding with β in (0, 1).
   *
   * @param integerClipNorm c = C/γ &gt; 0
   * @param dimension d ≥ 1
   * @param conditionalRoundingBeta β in [0, 1)
   */
  public static double roundedL2Sensitivity(
      double integerClipNorm, long dimension, double conditionalRoundingBeta) {
    requirePositiveFinite("integerClipNorm", integerClipNorm);
    requireDimension(dimension);
    requireBeta(conditionalRoundingBeta);
    double sqrtDimension = Math.sqrt((double) dimension);
    double plain = integerClipNorm + sqrtDimension;
    if (conditionalRoundingBeta == 0) {
      return plain;
    }
    double conditional =
        Math.sqrt(
            integerClipNorm * integerClipNorm
                + dimension / 4.0
                + Math.sqrt(2 * Math.log(1 / conditionalRoundingBeta))
                    * (integerClipNorm + sqrtDimension / 2));
    return Math.min(plain, conditional);
  }

  /**
   * Δ₁ ≤ min(Δ₂², √d·Δ₂) for a vector of integers of L2 norm at most Δ₂ in dimension d (every
   * non-zero coordinate has |x| ≤ x²; Cauchy–Schwarz).
   */
  public static double l1SensitivityBound(double l2Sensitivity, long dimension) {
    requirePositiveFinite("l2Sensitivity", l2Sensitivity);
    requireDimension(dimension);
    return l2Sensitivity * Math.min(Math.sqrt((double) dimension), l2Sensitivity);
  }

  /**
   * ρ of the ρ-zCDP guarantee of one release of the sum of n discrete Gaussian shares, from Kairouz
   * et al. 2021 Proposition 14 (see the class comment): ρ = ½·min{Δ₂²/(nσ²) + 2τd, Δ₂²/(nσ²) +
   * 2τΔ₁/(√nσ) + τ²d, (Δ₂/(√nσ) + τ√d)²}. As σ grows, τ vanishes and ρ tends to the continuous
   * Gaussian's Δ₂²/(2nσ²).
   *
   * @param l2Sensitivity Δ₂ &gt; 0, integer domain
   * @param l1Sensitivity Δ₁ &gt; 0, integer domain
   * @param localSigma σ ≥ 1/2, each share's integer-domain parameter
   * @param summands n ≥ 1 shares in the sum
   * @param dimension d ≥ 1
   */
  public static double distributedDiscreteGaussianRho(
      double l2Sensitivity, double l1Sensitivity, double localSigma, int summands, long dimension) {
    return rho(l2Sensitivity, l1Sensitivity, localSigma, summands, summands, dimension);
  }

  /**
   * The bound with the Gaussian part evaluated at {@code noiseSummands} and τ at {@code
   * tauSummands}: every term grows with Δ/(√n σ) and with τ, which fall and rise with n, so for
   * noiseSummands ≤ n ≤ tauSummands this bounds ρ at every n.
   */
  private static double rho(
      double l2Sensitivity,
      double l1Sensitivity,
      double localSigma,
      int noiseSummands,
      int tauSummands,
      long dimension) {
    requirePositiveFinite("l2Sensitivity", l2Sensitivity);
    requirePositiveFinite("l1Sensitivity", l1Sensitivity);
    requireLocalSigma(localSigma);
    requireSummands(noiseSummands);
    requireDimension(dimension);
    double tau = distributedDiscreteGaussianTau(localSigma, tauSummands);
    double noise = Math.sqrt((double) noiseSummands) * localSigma;
    double l2Scale = l2Sensitivity / noise;
    double l1Scale = l1Sensitivity / noise;
    double dimensionDouble = (double) dimension;
    double additive = l2Scale * l2Scale + 2 * tau * dimensionDouble;
    double withL1 = l2Scale * l2Scale + 2 * tau * l1Scale + tau * tau * dimensionDouble;
    double inflated = l2Scale + tau * Math.sqrt(dimensionDouble);
    return 0.5 * Math.min(additive, Math.min(withL1, inflated * inflated));
  }

  /**
   * ρ of one round, with the round's {@link RoundPrivacy#survivors()} as n, σ_local as σ, Δ₂ =
   * {@link #roundedL2Sensitivity} of C/γ under this accountant's β and Δ₁ = {@link
   * #l1SensitivityBound}.
   *
   * @throws IllegalArgumentException if σ_local &lt; 1/2, where the bound is not proved
   */
  public double discreteRho(RoundPrivacy round) {
    Objects.requireNonNull(round, "round");
    return roundRho(round, round.survivors());
  }

  /** Σ_r ρ_r: zCDP composes additively (Bun, Steinke 2016, Lemma 2.3). */
  public double discreteRho(List<RoundPrivacy> rounds) {
    Objects.requireNonNull(rounds, "rounds");
    double sum = 0;
    for (RoundPrivacy round : rounds) {
      sum += discreteRho(Objects.requireNonNull(round, "round"));
    }
    return sum;
  }

  /**
   * ρ of a round whose survivor list is not verified: a bound for every true survivor count from t
   * up to the reported {@link RoundPrivacy#survivors()} (the noise of t shares, the τ of all).
   */
  double discreteRhoUnverified(RoundPrivacy round) {
    return roundRho(round, round.threshold());
  }

  private double roundRho(RoundPrivacy round, int noiseSummands) {
    double localSigma = round.localNoiseStddev();
    if (!(localSigma >= MIN_LOCAL_SIGMA)) {
      throw new IllegalArgumentException(
          "local noise σ_local must be >= 1/2 for the discrete Gaussian sum bound of Kairouz et"
              + " al., not "
              + localSigma
              + " in round "
              + round.round());
    }
    double l2Sensitivity =
        roundedL2Sensitivity(round.integerClipNorm(), round.dimension(), conditionalRoundingBeta);
    double l1Sensitivity = l1SensitivityBound(l2Sensitivity, round.dimension());
    return rho(
        l2Sensitivity,
        l1Sensitivity,
        localSigma,
        noiseSummands,
        round.survivors(),
        round.dimension());
  }

  /**
   * The ε of (ε, δ)-DP implied by ρ-zCDP (Canonne, Kamath, Steinke 2020, Proposition 12): ε =
   * min_{α&gt;1} αρ + (log(1/δ) + (α−1)·log(1 − 1/α) − log α)/(α − 1), minimised numerically over α
   * (a grid in ln(α − 1) from −20 to 50, then golden-section refinement). Any α gives a valid ε, so
   * the numeric minimisation can only cost tightness, never soundness.
   *
   * @param rho ρ ≥ 0 (may be infinite)
   * @param delta δ in (0, 1)
   */
  public static double zcdpEpsilon(double rho, double delta) {
    if (!(rho >= 0)) {
      throw new IllegalArgumentException("rho must be >= 0, not " + rho);
    }
    requireDelta(delta);
    if (rho == 0) {
      return 0;
    }
    if (Double.isInfinite(rho)) {
      return Double.POSITIVE_INFINITY;
    }
    double logInverseDelta = -Math.log(delta);
    double bestU = MIN_LOG_ORDER;
    double best = Double.POSITIVE_INFINITY;
    int steps = (int) Math.round((MAX_LOG_ORDER - MIN_LOG_ORDER) / LOG_ORDER_STEP);
    for (int i = 0; i <= steps; i++) {
      double u = MIN_LOG_ORDER + i * LOG_ORDER_STEP;
      double value = zcdpEpsilonAtOrder(rho, logInverseDelta, u);
      if (value < best) {
        best = value;
        bestU = u;
      }
    }
    // Golden-section search on the neighbouring grid cells around the best grid point.
    double low = bestU - LOG_ORDER_STEP;
    double high = bestU + LOG_ORDER_STEP;
    double left = high - INVERSE_GOLDEN_RATIO * (high - low);
    double right = low + INVERSE_GOLDEN_RATIO * (high - low);
    double leftValue = zcdpEpsilonAtOrder(rho, logInverseDelta, left);
    double rightValue = zcdpEpsilonAtOrder(rho, logInverseDelta, right);
    for (int i = 0; i < 200 && high - low > 1e-12; i++) {
      if (leftValue <= rightValue) {
        high = right;
        right = left;
        rightValue = leftValue;
        left = high - INVERSE_GOLDEN_RATIO * (high - low);
        leftValue = zcdpEpsilonAtOrder(rho, logInverseDelta, left);
      } else {
        low = left;
        left = right;
        leftValue = rightValue;
        right = low + INVERSE_GOLDEN_RATIO * (high - low);
        rightValue = zcdpEpsilonAtOrder(rho, logInverseDelta, right);
      }
    }
    best = Math.min(best, Math.min(leftValue, rightValue));
    return Math.max(0, best);
  }

  /** The bound at order α = 1 + e^u; α − 1 is carried as e^u so that α near 1 keeps its digits. */
  private static double zcdpEpsilonAtOrder(double rho, double logInverseDelta, double u) {
    double orderMinusOne = Math.exp(u);
    double order = 1 + orderMinusOne;
    return order * rho
        + (logInverseDelta + orderMinusOne * Math.log1p(-1 / order) - Math.log1p(orderMinusOne))
            / orderMinusOne;
  }

  // ---------------------------------------------------------------------------------------------
  // Both
  // ---------------------------------------------------------------------------------------------

  /**
   * What the rounds spend together, by both accountants, each round with its own survivors.
   *
   * @param delta δ in (0, 1)
   */
  public PrivacySpend spend(List<RoundPrivacy> rounds, double delta) {
    requireDelta(delta);
    return new PrivacySpend(
        gdpEpsilon(gdpMu(rounds), delta),
        zcdpEpsilon(discreteRho(rounds), delta),
        delta,
        PrivacySpend.UNIT_SILO);
  }

  @Override
  public String toString() {
    return "PrivacyAccountant[conditionalRoundingBeta=" + conditionalRoundingBeta + "]";
  }

  // ---------------------------------------------------------------------------------------------

  static void requireDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), not " + delta);
    }
  }

  private static void requireBeta(double beta) {
    if (!(beta >= 0 && beta < 1)) {
      throw new IllegalArgumentException("conditionalRoundingBeta must be in [0, 1), not " + beta);
    }
  }

  private static void requireLocalSigma(double localSigma) {
    if (!(localSigma >= MIN_LOCAL_SIGMA) || Double.isInfinite(localSigma)) {
      throw new IllegalArgumentException(
          "localSigma must be finite and >= 1/2 (Kairouz et al. prove the bound there), not "
              + localSigma);
    }
  }

  private static void requireSummands(int summands) {
    if (summands < 1) {
      throw new IllegalArgumentException("summands must be >= 1, not " + summands);
    }
  }

  private static void requireDimension(long dimension) {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, not " + dimension);
    }
  }

  private static void requirePositiveFinite(String name, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, not " + value);
    }
  }

  private static void requireNonNegativeFinite(String name, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and >= 0, not " + value);
    }
  }
}
