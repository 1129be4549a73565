package org.fedsum.protocol.privacy;

/**
 * The standard normal distribution function Φ, its logarithm, and the complementary error function
 * erfc, to a relative error of a few 1e-15 also in the far tail, where the accountant needs them
 * (log Φ stays finite where Φ underflows, e.g. log Φ(−40) ≈ −804.6).
 *
 * <p>Both are the incomplete gamma function of order 1/2 in disguise: erfc(z) = Γ(1/2, z²)/√π and
 * Φ(−t) = Γ(1/2, t²/2)/(2√π). Below x = 1.5 (x the gamma argument) the lower function γ(1/2, x)
 * comes from its power series, whose terms are all positive, and the result is 1 − γ/√π ≥ 0.08, so
 * the one subtraction costs at most a factor 12 in relative error. From x = 1.5 on, Γ(1/2, x) comes
 * from Legendre's continued fraction evaluated with the modified Lentz method (Press et al.,
 * Numerical Recipes, 3rd ed., §6.2 and §5.2). The factor e^(−x) is the one place where the tail's
 * steepness could amplify rounding (by x: 50 ulp at Φ(−10)), so x is carried as an exact sum hi +
 * lo of the square (Math.fma) and e^(−x) is as accurate as Math.exp itself.
 *
 * <p>Accuracy, measured against 50-digit mpmath values (StandardNormalVectorTest: Φ and log Φ at
 * 444 points of [−38.4, 8], erfc at 319 points of [−5, 26.5]): relative error at most 6e-15.
 *
 * <p>Package-private: the accountant is the only caller and validates its arguments; NaN in gives
 * NaN out.
 */
final class StandardNormal {
  /** Switch between the series and the continued fraction, in the gamma argument x. */
  private static final double SERIES_LIMIT = 1.5;

  private static final double SQRT_PI = Math.sqrt(Math.PI);
  private static final double LOG_TWO_SQRT_PI = Math.log(2.0 * Math.sqrt(Math.PI));
  private static final double INV_SQRT_2 = Math.sqrt(0.5);
  private static final double EPSILON = 1e-17;
  private static final double TINY = 1e-300;
  private static final int MAX_TERMS = 10_000;

  private StandardNormal() {}

  /** Φ(x) = P[N(0,1) ≤ x]. */
  static double cdf(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x <= 0) {
      return upperTail(-x);
    }
    return 1.0 - upperTail(x);
  }

  /** log Φ(x), finite far beyond the point where Φ(x) underflows (x &lt; −38.5). */
  static double logCdf(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x <= 0) {
      return logUpperTail(-x);
    }
    // Φ(x) = 1 − Q(x) with Q(x) < 1/2: log1p keeps the digits when Q(x) is tiny.
    return Math.log1p(-upperTail(x));
  }

  /** erfc(z) = (2/√π) ∫_z^∞ e^(−u²) du. */
  static double erfc(double z) {
    if (Double.isNaN(z)) {
      return Double.NaN;
    }
    if (z < 0) {
      return 2.0 - erfc(-z);
    }
    if (z == Double.POSITIVE_INFINITY) {
      return 0.0;
    }
    Square x = Square.of(z, 1.0);
    if (x.hi < SERIES_LIMIT) {
      return 1.0 - lowerGammaHalf(x, z) / SQRT_PI;
    }
    return upperGammaHalf(x, z) / SQRT_PI;
  }

  /** Q(t) = Φ(−t) = P[N(0,1) &gt; t] for t ≥ 0. */
  private static double upperTail(double t) {
    if (t == Double.POSITIVE_INFINITY) {
      return 0.0;
    }
    Square x = Square.of(t, 0.5);
    double sqrtX = t * INV_SQRT_2;
    if (x.hi < SERIES_LIMIT) {
      return 0.5 - lowerGammaHalf(x, sqrtX) / (2.0 * SQRT_PI);
    }
    return upperGammaHalf(x, sqrtX) / (2.0 * SQRT_PI);
  }

  private static double logUpperTail(double t) {
    if (t == Double.POSITIVE_INFINITY) {
      return Double.NEGATIVE_INFINITY;
    }
    Square x = Square.of(t, 0.5);
    double sqrtX = t * INV_SQRT_2;
    if (x.hi < SERIES_LIMIT) {
      return Math.log(0.5 - lowerGammaHalf(x, sqrtX) / (2.0 * SQRT_PI));
    }
    return logUpperGammaHalf(x, sqrtX) - LOG_TWO_SQRT_PI;
  }

  /**
   * γ(1/2, x) = e^(−x) √x Σ_{n≥0} x^n / ((1/2)(3/2)···(n+1/2)), the series of Numerical Recipes
   * §6.2 with a = 1/2; all terms positive.
   */
  private static double lowerGammaHalf(Square x, double sqrtX) {
    double term = 2.0; // 1 / a with a = 1/2
    double sum = term;
    double denominator = 0.5;
    for (int n = 1; n < MAX_TERMS; n++) {
      denominator += 1.0;
      term *= x.hi / denominator;
      sum += term;
      if (term < sum * EPSILON) {
        return sum * sqrtX * x.exponentialOfMinus();
      }
    }
    throw new IllegalStateException("bug: incomplete gamma series did not converge at " + x.hi);
  }

  /** Γ(1/2, x) = e^(−x) √x CF(x), formed without logarithms to keep its relative accuracy. */
  private static double upperGammaHalf(Square x, double sqrtX) {
    return x.exponentialOfMinus() * (sqrtX * continuedFraction(x.hi));
  }

  /**
   * log Γ(1/2, x) = −x + log(√x CF(x)); its absolute error is a few ulp of x, which is why {@link
   * #upperGammaHalf} does not go through it.
   */
  private static double logUpperGammaHalf(Square x, double sqrtX) {
    return -x.hi - x.lo + Math.log(sqrtX * continuedFraction(x.hi));
  }

  /**
   * Legendre's continued fraction for e^x x^(−a) Γ(a, x), 1/(x + 1 − a − 1(1−a)/(x + 3 − a −
   * 2(2−a)/(x + 5 − a − ...))) with a = 1/2, evaluated by the modified Lentz method.
   */
  private static double continuedFraction(double x) {
    double b = x + 0.5;
    double c = 1.0 / TINY;
    double d = 1.0 / b;
    double fraction = d;
    for (int i = 1; i < MAX_TERMS; i++) {
      double a = -i * (i - 0.5);
      b += 2.0;
      d = a * d + b;
      if (Math.abs(d) < TINY) {
        d = TINY;
      }
      c = b + a / c;
      if (Math.abs(c) < TINY) {
        c = TINY;
      }
      d = 1.0 / d;
      double step = d * c;
      fraction *= step;
      if (Math.abs(step - 1.0) < EPSILON) {
        return fraction;
      }
    }
    throw new IllegalStateException("bug: continued fraction did not converge at " + x);
  }

  /**
   * scale·u² as an unevaluated sum hi + lo (|lo| ≤ ulp(hi)/2), so that e^(−x) can be formed without
   * the rounding error of u² being multiplied by x (it would be 1e-14 at x = 50).
   */
  private static final class Square {
    final double hi;
    final double lo;

    private Square(double hi, double lo) {
      this.hi = hi;
      this.lo = lo;
    }

    /** scale must be a power of two, so that scaling is exact. */
    static Square of(double u, double scale) {
      double hi = u * u;
      double lo = Math.fma(u, u, -hi);
      return new Square(hi * scale, lo * scale);
    }

    double exponentialOfMinus() {
      return Math.exp(-hi) * (1.0 - lo);
    }
  }
}
