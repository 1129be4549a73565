package org.fedsum.crypto;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * Exact sampler of the discrete Gaussian {@code N_Z(0, σ²)}: {@code P[X = x] = exp(-x²/2σ²) / Σ_y
 * exp(-y²/2σ²)} over the integers, after Canonne, Kamath and Steinke, "The Discrete Gaussian for
 * Differential Privacy" (NeurIPS 2020), Algorithms 1–3.
 *
 * <p>Every sampling decision is made with integer arithmetic on the exact rational {@code σ² =
 * n/d}, reading fair bits from the caller's {@link SecureRandom}; no floating-point number takes
 * part, so the output distribution is exactly the discrete Gaussian (up to the quality of the
 * random source), which the privacy analysis of sums of discrete Gaussians relies on.
 *
 * <p>Algorithm 3 draws a discrete Laplace {@code Y} of scale {@code τ} and accepts it with
 * probability {@code exp(-(|Y| - σ²/τ)² / 2σ²)}; the proposal times the acceptance is {@code
 * exp(-y²/2σ²)·exp(-σ²/2τ²)}, proportional to the target for every integer {@code y} and every
 * {@code τ > 0}. The paper fixes the integer scale {@code τ = ⌊σ⌋ + 1}, which makes the shift
 * {@code σ²/τ} a fraction with denominator {@code τ·d} and the acceptance exponent one with
 * denominator {@code 2·n·d·τ²}: beyond 64 bits for any σ² that is not an integer. For {@code σ >=
 * 1} this class therefore fixes the shift instead, to the integer {@code c} nearest σ, and uses the
 * rational scale {@code τ = σ²/c}; the acceptance exponent is then {@code (|Y| - c)²·d / 2n}. The
 * expected number of rounds is {@code 1 / (tanh(c/2σ²)·exp(-c²/2σ²)·Σ_y exp(-y²/2σ²))}: 1.32 for
 * large σ and at most 1.55 for every {@code σ >= 1} (with the paper's choice: up to 1.85). For
 * {@code σ < 1} it is the paper's Algorithm 3 with {@code τ = 1} as written.
 *
 * <p>The Laplace magnitude is geometric, {@code P[|Y| = y] ∝ exp(-y/τ)}, drawn as in Algorithm 2 as
 * {@code U + m·V}: {@code U} uniform in {@code [0, m)} kept with probability {@code exp(-U/τ)}, and
 * {@code V} the number of successes of Bernoulli({@code exp(-m/τ)}) trials before the first
 * failure, with the block length {@code m = c} (and {@code m = 1} for {@code σ < 1}). For an
 * integer scale {@code τ = m} this is Algorithm 2 with {@code s = 1} exactly; the paper's route to
 * a rational scale {@code t/s}, an integer-scale draw of scale {@code t} divided by {@code s},
 * would spend {@code log2 t} random bits per round, 53 for a {@code double} σ², where {@code U}
 * here spends {@code log2 c}. A negative zero is rejected, as in Algorithm 2.
 *
 * <p>Numbers stay in {@code long} when {@code n}, {@code 2n} and {@code c·d} fit with room to
 * spare: for integer σ² up to 2^57 and for every {@code double} σ² in [1, 2^57]. Samples beyond
 * about 20σ, and samplers made from larger fractions or with {@code σ < 1}, use {@link BigInteger}
 * instead; both read exactly the same bits for the same decisions, so the path never changes a
 * sample.
 *
 * <p>Random bits are read from the caller's {@code SecureRandom} in chunks of up to 4 KiB.
 * Instances are immutable and thread-safe; every call keeps its own buffer and wipes it before
 * returning.
 */
public final class DiscreteGaussianSampler {
  private static final BigInteger BIG_LONG_LIMIT = BigInteger.valueOf(ExactBernoulli.LONG_LIMIT);
  // Denominators of exp(-num/den) trials stay below 2^58 so that den·K fits for K <= 16.
  private static final BigInteger FAST_DENOMINATOR_LIMIT = BigInteger.ONE.shiftLeft(58);
  private static final BigInteger SHIFT_LIMIT = BigInteger.ONE.shiftLeft(31);
  private static final BigInteger MAX_SIGMA_SQUARED_EXCLUSIVE = BigInteger.ONE.shiftLeft(62);
  private static final int INITIAL_CHUNK_FOR_ONE_SAMPLE = 32;

  private final BigInteger numerator;
  private final BigInteger denominator;
  private final double sigma;

  // The shift c = shiftNumerator / shiftDenominator of the acceptance test.
  private final BigInteger shiftNumerator;
  private final BigInteger shiftDenominator;
  // The Laplace magnitude of scale τ = σ²/c is U + block·V; rateNumerator / rateDenominator = 1/τ.
  private final long block;
  private final BigInteger rateNumerator;
  private final BigInteger rateDenominator;
  private final BigInteger blockRateNumerator;
  // Acceptance exp(-(b·|Y| - a)² · d / (2·n·b²)) for c = a/b.
  private final BigInteger acceptanceDenominator;

  private final boolean longPath;
  private final long longShiftNumerator;
  private final long longShiftDenominator;
  private final long longRateNumerator;
  private final long longRateDenominator;
  private final long longBlockRateNumerator;
  private final long longD;
  private final long longAcceptanceDenominator;

  /** Largest {@code |b·|Y| - a|} whose acceptance numerator {@code w²·d} stays below 2^62. */
  private final long longMaxDistance;

  private DiscreteGaussianSampler(
      BigInteger numerator, BigInteger denominator, double sigma, boolean forceBigInteger) {
    this.numerator = numerator;
    this.denominator = denominator;
    this.sigma = sigma;
    BigInteger floorSigma = numerator.divide(denominator).sqrt();
    if (floorSigma.signum() > 0) {
      // σ >= 1: the integer nearest σ, which maximises the acceptance rate among integers
      // (σ rounds up exactly when n/d >= (⌊σ⌋ + 1/2)², that is 4n >= (2⌊σ⌋ + 1)²·d).
      BigInteger twiceFloorPlusOne = floorSigma.shiftLeft(1).add(BigInteger.ONE);
      boolean roundUp =
          numerator
                  .shiftLeft(2)
                  .compareTo(twiceFloorPlusOne.multiply(twiceFloorPlusOne).multiply(denominator))
              >= 0;
      shiftNumerator = roundUp ? floorSigma.add(BigInteger.ONE) : floorSigma;
      shiftDenominator = BigInteger.ONE;
      block = shiftNumerator.longValueExact();
    } else {
      // σ < 1: the shift σ² and Laplace scale 1, which is the paper's Algorithm 3 with t = 1.
      shiftNumerator = numerator;
      shiftDenominator = denominator;
      block = 1;
    }
    // 1/τ = c/σ² = (a/b)·(d/n)
    BigInteger rateTop = shiftNumerator.multiply(denominator);
    BigInteger rateBottom = shiftDenominator.multiply(numerator);
    BigInteger gcd = rateTop.gcd(rateBottom);
    rateNumerator = rateTop.divide(gcd);
    rateDenominator = rateBottom.divide(gcd);
    blockRateNumerator = rateNumerator.multiply(BigInteger.valueOf(block));
    acceptanceDenominator = numerator.shiftLeft(1).multiply(shiftDenominator.pow(2));
    longPath =
        !forceBigInteger
            && rateDenominator.compareTo(FAST_DENOMINATOR_LIMIT) <= 0
            && blockRateNumerator.compareTo(BIG_LONG_LIMIT) <= 0
            && acceptanceDenominator.compareTo(FAST_DENOMINATOR_LIMIT) <= 0
            && shiftNumerator.compareTo(SHIFT_LIMIT) < 0
            && shiftDenominator.compareTo(SHIFT_LIMIT) < 0;
    if (longPath) {
      longShiftNumerator = shiftNumerator.longValueExact();
      longShiftDenominator = shiftDenominator.longValueExact();
      longRateNumerator = rateNumerator.longValueExact();
      longRateDenominator = rateDenominator.longValueExact();
      longBlockRateNumerator = blockRateNumerator.longValueExact();
      longD = denominator.longValueExact();
      longAcceptanceDenominator = acceptanceDenominator.longValueExact();
      longMaxDistance =
          BigInteger.valueOf((ExactBernoulli.LONG_LIMIT - 1) / longD).sqrt().longValueExact();
    } else {
      longShiftNumerator = 0;
      longShiftDenominator = 0;
      longRateNumerator = 0;
      longRateDenominator = 0;
      longBlockRateNumerator = 0;
      longD = 0;
      longAcceptanceDenominator = 0;
      longMaxDistance = -1;
    }
  }

  /**
   * A sampler of {@code N_Z(0, σ²)} with {@code σ² = sigmaSquaredNumerator /
   * sigmaSquaredDenominator} exactly.
   *
   * @throws IllegalArgumentException unless both are positive and {@code σ² < 2^62} (so that
   *     samples fit in a {@code long} with overwhelming margin)
   */
  public static DiscreteGaussianSampler create(
      BigInteger sigmaSquaredNumerator, BigInteger sigmaSquaredDenominator) {
    return create(sigmaSquaredNumerator, sigmaSquaredDenominator, false);
  }

  /** {@link #create(BigInteger, BigInteger)}; tests force the BigInteger path to compare paths. */
  static DiscreteGaussianSampler create(
      BigInteger sigmaSquaredNumerator,
      BigInteger sigmaSquaredDenominator,
      boolean forceBigInteger) {
    Objects.requireNonNull(sigmaSquaredNumerator, "sigmaSquaredNumerator");
    Objects.requireNonNull(sigmaSquaredDenominator, "sigmaSquaredDenominator");
    if (sigmaSquaredNumerator.signum() <= 0 || sigmaSquaredDenominator.signum() <= 0) {
      throw new IllegalArgumentException(
          "sigma^2 must be positive, not "
              + sigmaSquaredNumerator
              + "/"
              + sigmaSquaredDenominator
              + " (numerator and denominator must both be positive)");
    }
    BigInteger gcd = sigmaSquaredNumerator.gcd(sigmaSquaredDenominator);
    BigInteger numerator = sigmaSquaredNumerator.divide(gcd);
    BigInteger denominator = sigmaSquaredDenominator.divide(gcd);
    if (numerator.compareTo(denominator.multiply(MAX_SIGMA_SQUARED_EXCLUSIVE)) >= 0) {
      throw new IllegalArgumentException(
          "sigma^2 must be below 2^62, not " + numerator + "/" + denominator);
    }
    MathContext precision = new MathContext(40);
    double sigma =
        new BigDecimal(numerator)
            .divide(new BigDecimal(denominator), precision)
            .sqrt(precision)
            .doubleValue();
    return new DiscreteGaussianSampler(numerator, denominator, sigma, forceBigInteger);
  }

  /**
   * A sampler whose {@code σ²} is the exact rational value of the {@code double} {@code sigma *
   * sigma} (no further rounding: the product's binary fraction is used as it is). {@link #sigma()}
   * then returns {@code Math.sqrt(sigma * sigma)}, which may differ from {@code sigma} in the last
   * bit.
   *
   * @throws IllegalArgumentException if {@code sigma} is NaN, infinite, not positive, so small that
   *     its square underflows to 0, or not below 2^31
   */
  public static DiscreteGaussianSampler forSigma(double sigma) {
    checkSigma(sigma);
    double sigmaSquared = sigma * sigma;
    if (sigmaSquared == 0) {
      throw new IllegalArgumentException(
          "sigma must be large enough that sigma^2 > 0, not " + sigma);
    }
    if (!(sigmaSquared < 0x1p62)) {
      throw new IllegalArgumentException("sigma must be below 2^31, not " + sigma);
    }
    long bits = Double.doubleToRawLongBits(sigmaSquared);
    int biasedExponent = (int) ((bits >>> 52) & 0x7FF);
    long mantissa = bits & ((1L << 52) - 1);
    int exponent;
    if (biasedExponent == 0) {
      exponent = -1074; // subnormal: value = mantissa · 2^-1074
    } else {
      mantissa |= 1L << 52;
      exponent = biasedExponent - 1075;
    }
    BigInteger numerator = BigInteger.valueOf(mantissa);
    BigInteger denominator = BigInteger.ONE;
    if (exponent >= 0) {
      numerator = numerator.shiftLeft(exponent);
    } else {
      denominator = denominator.shiftLeft(-exponent);
    }
    BigInteger gcd = numerator.gcd(denominator);
    return new DiscreteGaussianSampler(
        numerator.divide(gcd), denominator.divide(gcd), Math.sqrt(sigmaSquared), false);
  }

  /** Whether sampling runs in {@code long} arithmetic (tests check the documented range). */
  boolean usesLongArithmetic() {
    return longPath;
  }

  /** σ, the square root of the exact σ² rounded to the nearest {@code double}. */
  public double sigma() {
    return sigma;
  }

  /** One sample of {@code N_Z(0, σ²)}, reading a few bytes from {@code random}. */
  public long sample(SecureRandom random) {
    RandomBits bits = new RandomBits(random, INITIAL_CHUNK_FOR_ONE_SAMPLE);
    try {
      return next(bits);
    } finally {
      bits.wipe();
    }
  }

  /**
   * Adds one independent sample to every coordinate of {@code vector}, wrapping modulo 2^32: the
   * caller works in {@code Z_{2^b}} with {@code b <= 32}, where the low {@code b} bits of the
   * wrapped sum are the noised value.
   */
  public void addTo(int[] vector, SecureRandom random) {
    Objects.requireNonNull(vector, "vector");
    RandomBits bits = new RandomBits(random, chunkFor(vector.length));
    try {
      for (int i = 0; i < vector.length; i++) {
        vector[i] += (int) next(bits);
      }
    } finally {
      bits.wipe();
    }
  }

  /** Adds one independent sample to every coordinate of {@code vector}, wrapping modulo 2^64. */
  public void addTo(long[] vector, SecureRandom random) {
    Objects.requireNonNull(vector, "vector");
    RandomBits bits = new RandomBits(random, chunkFor(vector.length));
    try {
      for (int i = 0; i < vector.length; i++) {
        vector[i] += next(bits);
      }
    } finally {
      bits.wipe();
    }
  }

  /**
   * The probability mass {@code exp(-x²/2σ²) / Σ_y exp(-y²/2σ²)} of {@code value} in floating
   * point, for tests and the privacy accountant (never for sampling). The normaliser is summed to
   * convergence: directly for σ < 1, and through its Poisson-summation dual {@code σ√(2π) Σ_k
   * exp(-2π²σ²k²)} for σ >= 1, where the dual converges after two terms.
   *
   * @throws IllegalArgumentException if {@code sigma} is NaN, infinite or not positive
   */
  public static double probability(long value, double sigma) {
    checkSigma(sigma);
    double x = value;
    double sigmaSquared = sigma * sigma;
    // 0/0 when σ² underflows: the mass at 0 is then 1, not NaN.
    double density = value == 0 ? 1 : Math.exp(-(x * x) / (2 * sigmaSquared));
    return density / normaliser(sigma);
  }

  @Override
  public String toString() {
    return "DiscreteGaussianSampler[sigma^2="
        + numerator
        + "/"
        + denominator
        + ", sigma="
        + sigma
        + "]";
  }

  private static double normaliser(double sigma) {
    double sigmaSquared = sigma * sigma;
    double sum = 1;
    if (sigma >= 1) {
      for (long k = 1; ; k++) {
        double term = 2 * Math.exp(-2 * Math.PI * Math.PI * sigmaSquared * k * k);
        if (term <= sum * 1e-17) {
          break;
        }
        sum += term;
      }
      return sigma * Math.sqrt(2 * Math.PI) * sum;
    }
    for (long y = 1; ; y++) {
      double term = 2 * Math.exp(-((double) y * y) / (2 * sigmaSquared));
      if (term <= sum * 1e-17) {
        break;
      }
      sum += term;
    }
    return sum;
  }

  private static void checkSigma(double sigma) {
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException("sigma must be positive and finite, not " + sigma);
    }
  }

  private static int chunkFor(int coordinates) {
    // Around 8 bytes per sample: enough for short vectors, and full 4 KiB chunks for long ones.
    long bytes = Math.max(INITIAL_CHUNK_FOR_ONE_SAMPLE, 8L * coordinates);
    return (int) Math.min(RandomBits.MAX_CHUNK, (bytes + 7) & ~7L);
  }

  private long next(RandomBits bits) {
    return longPath ? nextLong(bits) : nextBig(bits);
  }

  /** Algorithm 3 with the Laplace of Algorithm 2 inlined, everything in {@code long}. */
  private long nextLong(RandomBits bits) {
    while (true) {
      // The magnitude U + block·V is geometric with P[Y = y] ∝ exp(-y/τ): U in [0, block) with
      // P[U = u] ∝ exp(-u/τ), V geometric with P[V = v] ∝ exp(-block·v/τ).
      long u = bits.uniform(block);
      if (!ExactBernoulli.bernoulliExp(bits, u * longRateNumerator, longRateDenominator)) {
        continue;
      }
      long v = 0;
      while (ExactBernoulli.bernoulliExp(bits, longBlockRateNumerator, longRateDenominator)) {
        v++;
      }
      boolean negative = bits.nextBit();
      if (v > (Long.MAX_VALUE - u) / block) {
        // Beyond 2^63, probability below exp(-2^62/τ): handled exactly all the same.
        BigInteger magnitude =
            BigInteger.valueOf(v).multiply(BigInteger.valueOf(block)).add(BigInteger.valueOf(u));
        if (accept(bits, magnitude, negative)) {
          return signedLong(magnitude, negative);
        }
        continue;
      }
      long magnitude = u + block * v;
      if (negative && magnitude == 0) {
        continue; // -0 is rejected so that 0 is not drawn twice as often as its share
      }
      boolean accepted;
      if (magnitude <= (Long.MAX_VALUE - longShiftNumerator) / longShiftDenominator
          && Math.abs(magnitude * longShiftDenominator - longShiftNumerator) <= longMaxDistance) {
        long distance = Math.abs(magnitude * longShiftDenominator - longShiftNumerator);
        accepted =
            ExactBernoulli.bernoulliExp(
                bits, distance * distance * longD, longAcceptanceDenominator);
      } else {
        // Far in the tail (beyond about 20σ): numerator beyond 2^62.
        accepted = accept(bits, BigInteger.valueOf(magnitude), false);
      }
      if (accepted) {
        return negative ? -magnitude : magnitude;
      }
    }
  }

  /** {@link #nextLong} for fractions that do not fit in {@code long}; reads the same bits. */
  private long nextBig(RandomBits bits) {
    while (true) {
      long u = bits.uniform(block);
      if (!ExactBernoulli.bernoulliExp(
          bits, rateNumerator.multiply(BigInteger.valueOf(u)), rateDenominator)) {
        continue;
      }
      long v = 0;
      while (ExactBernoulli.bernoulliExp(bits, blockRateNumerator, rateDenominator)) {
        v++;
      }
      boolean negative = bits.nextBit();
      BigInteger magnitude =
          BigInteger.valueOf(v).multiply(BigInteger.valueOf(block)).add(BigInteger.valueOf(u));
      if (accept(bits, magnitude, negative)) {
        return signedLong(magnitude, negative);
      }
    }
  }

  /**
   * The acceptance step of Algorithm 3: true with probability {@code exp(-(|Y| - c)²/2σ²)}, never
   * for -0.
   */
  private boolean accept(RandomBits bits, BigInteger magnitude, boolean negative) {
    if (negative && magnitude.signum() == 0) {
      return false;
    }
    BigInteger distance = magnitude.multiply(shiftDenominator).subtract(shiftNumerator);
    BigInteger acceptanceNumerator = distance.multiply(distance).multiply(denominator);
    return ExactBernoulli.bernoulliExp(bits, acceptanceNumerator, acceptanceDenominator);
  }

  private static long signedLong(BigInteger magnitude, boolean negative) {
    if (magnitude.bitLength() > 62) {
      // Accepting such a value has probability below exp(-2^59); reaching here means a broken
      // random source or a bug, not bad luck.
      throw new IllegalStateException("bug: discrete Gaussian sample does not fit in a long");
    }
    long value = magnitude.longValueExact();
    return negative ? -value : value;
  }
}
