package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigInteger;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiscreteGaussianTest {
  private static final int DRAWS = 1_000_000;

  /** Upper 0.001 quantile of the standard normal distribution. */
  private static final double Z_999 = 3.090232306167813;

  @Test
  void addTo_sigma2_fitsExactPmf() throws Exception {
    assertFitsPmf(DiscreteGaussianSampler.forSigma(2), 2, DRAWS, 1);
  }

  @Test
  void addTo_sigma10_fitsExactPmf() throws Exception {
    assertFitsPmf(DiscreteGaussianSampler.forSigma(10), 10, DRAWS, 2);
  }

  @Test
  void addTo_nonIntegerSigmaSquared_fitsExactPmf() throws Exception {
    // 3.7² as a double is a 53-bit binary fraction: the rational-scale Laplace on the long path.
    assertFitsPmf(DiscreteGaussianSampler.forSigma(3.7), 3.7, DRAWS, 3);
  }

  @Test
  void addTo_sigmaBelowOne_fitsExactPmf() throws Exception {
    // σ < 1 is the paper's Algorithm 3 with t = 1, on the BigInteger path.
    assertFitsPmf(DiscreteGaussianSampler.forSigma(0.7), 0.7, 100_000, 4);
  }

  @Test
  void addTo_rationalSigmaSquared_fitsExactPmf() throws Exception {
    DiscreteGaussianSampler sampler =
        DiscreteGaussianSampler.create(BigInteger.valueOf(17), BigInteger.valueOf(3));
    assertFitsPmf(sampler, Math.sqrt(17.0 / 3), 300_000, 5);
  }

  @Test
  void addTo_forcedBigIntegerPath_fitsExactPmf() throws Exception {
    DiscreteGaussianSampler sampler =
        DiscreteGaussianSampler.create(BigInteger.valueOf(9), BigInteger.ONE, true);
    assertFitsPmf(sampler, 3, 200_000, 6);
  }

  @Test
  void addTo_meanAndVariance_matchSigmaWithinSamplingError() throws Exception {
    int draws = 500_000;
    for (double sigma : new double[] {2, 10, 1000}) {
      long[] samples = new long[draws];
      DiscreteGaussianSampler.forSigma(sigma).addTo(samples, seeded(7));
      double sum = 0;
      double sumOfSquares = 0;
      for (long sample : samples) {
        sum += sample;
        sumOfSquares += (double) sample * sample;
      }
      double mean = sum / draws;
      double variance = sumOfSquares / draws - mean * mean;
      // The discrete Gaussian's variance is σ² to within exp(-2π²σ²) for σ >= 1.
      double standardErrorOfMean = sigma / Math.sqrt(draws);
      double standardErrorOfVariance = sigma * sigma * Math.sqrt(2.0 / draws);
      assertThat(mean).as("mean, sigma=%s", sigma).isCloseTo(0, within(5 * standardErrorOfMean));
      assertThat(variance)
          .as("variance, sigma=%s", sigma)
          .isCloseTo(sigma * sigma, within(5 * standardErrorOfVariance));
    }
  }

  @Test
  void sample_manyCalls_haveSigmaSquaredVariance() throws Exception {
    DiscreteGaussianSampler sampler = DiscreteGaussianSampler.forSigma(5);
    SecureRandom random = seeded(8);
    int count = 50_000;
    double sumOfSquares = 0;
    for (int i = 0; i < count; i++) {
      long sample = sampler.sample(random);
      sumOfSquares += (double) sample * sample;
    }
    assertThat(sumOfSquares / count).isCloseTo(25, within(5 * 25 * Math.sqrt(2.0 / count)));
  }

  @Test
  void sample_longAndBigIntegerPaths_drawIdenticalSamples() throws Exception {
    List<String> failures = new ArrayList<>();
    BigInteger[][] sigmaSquared = {
      {BigInteger.valueOf(4), BigInteger.ONE},
      {BigInteger.valueOf(100), BigInteger.ONE},
      {BigInteger.valueOf(17), BigInteger.valueOf(3)},
      {BigInteger.valueOf(1_000_000), BigInteger.ONE},
      {
        BigInteger.valueOf(6_191_351_735_225_261L), BigInteger.ONE.shiftLeft(50)
      }, // 2.345² as a double
      {BigInteger.valueOf(49), BigInteger.valueOf(100)}, // σ = 0.7
    };
    int cases = 0;
    for (BigInteger[] fraction : sigmaSquared) {
      long[] fast = new long[20_000];
      long[] big = new long[20_000];
      DiscreteGaussianSampler.create(fraction[0], fraction[1], false).addTo(fast, seeded(9));
      DiscreteGaussianSampler.create(fraction[0], fraction[1], true).addTo(big, seeded(9));
      for (int i = 0; i < fast.length; i++) {
        cases++;
        if (fast[i] != big[i]) {
          failures.add(
              fraction[0] + "/" + fraction[1] + " sample " + i + ": " + fast[i] + " vs " + big[i]);
          break;
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(cases).isEqualTo(6 * 20_000);
  }

  @Test
  void forSigma_documentedRange_usesLongArithmetic() {
    for (double sigma : new double[] {1, 1.5, 2, 2.345, 3.7, 10, 20, 37.3, 1000, 1e5, 0x1p28}) {
      assertThat(DiscreteGaussianSampler.forSigma(sigma).usesLongArithmetic())
          .as("sigma=%s", sigma)
          .isTrue();
    }
    assertThat(
            DiscreteGaussianSampler.create(BigInteger.ONE.shiftLeft(57), BigInteger.ONE)
                .usesLongArithmetic())
        .isTrue();
    assertThat(DiscreteGaussianSampler.forSigma(0.7).usesLongArithmetic()).isFalse();
    assertThat(DiscreteGaussianSampler.forSigma(0x1p30).usesLongArithmetic()).isFalse();
  }

  @Test
  void addTo_intVector_wrapsModulo2To32() throws Exception {
    int[] wrapped = new int[64];
    long[] wide = new long[64];
    for (int i = 0; i < wrapped.length; i++) {
      wrapped[i] = i % 2 == 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
      wide[i] = wrapped[i];
    }
    DiscreteGaussianSampler sampler = DiscreteGaussianSampler.forSigma(1000);
    sampler.addTo(wrapped, seeded(10));
    sampler.addTo(wide, seeded(10));
    int overflowed = 0;
    for (int i = 0; i < wrapped.length; i++) {
      assertThat(wrapped[i]).as("coordinate %s", i).isEqualTo((int) wide[i]);
      if (wide[i] > Integer.MAX_VALUE || wide[i] < Integer.MIN_VALUE) {
        overflowed++;
      }
    }
    assertThat(overflowed).as("coordinates that wrapped").isPositive();
  }

  @Test
  void probability_sumsToOne() {
    for (double sigma : new double[] {0.3, 0.7, 1, 2, 3.7, 10, 1000}) {
      double total = 0;
      long range = (long) Math.ceil(40 * sigma) + 5;
      for (long x = -range; x <= range; x++) {
        total += DiscreteGaussianSampler.probability(x, sigma);
      }
      assertThat(total).as("sigma=%s", sigma).isCloseTo(1, within(1e-12));
    }
  }

  @Test
  void probability_smallSigma_matchesDirectSum() {
    // σ = 0.5: normaliser 1 + 2(e^-2 + e^-8 + e^-18 + ...).
    double normaliser = 1 + 2 * (Math.exp(-2) + Math.exp(-8) + Math.exp(-18) + Math.exp(-32));
    assertThat(DiscreteGaussianSampler.probability(1, 0.5))
        .isCloseTo(Math.exp(-2) / normaliser, within(1e-15));
    assertThat(DiscreteGaussianSampler.probability(0, 0.5))
        .isCloseTo(1 / normaliser, within(1e-15));
    assertThat(DiscreteGaussianSampler.probability(0, 1e-200)).isEqualTo(1);
    assertThat(DiscreteGaussianSampler.probability(1, 1e-200)).isEqualTo(0);
  }

  @Test
  void sigma_reportsSquareRootOfExactSigmaSquared() {
    assertThat(DiscreteGaussianSampler.forSigma(2).sigma()).isEqualTo(2.0);
    assertThat(DiscreteGaussianSampler.forSigma(3.7).sigma()).isEqualTo(Math.sqrt(3.7 * 3.7));
    assertThat(
            DiscreteGaussianSampler.create(BigInteger.valueOf(17), BigInteger.valueOf(3)).sigma())
        .isCloseTo(Math.sqrt(17.0 / 3), within(1e-15));
    assertThat(DiscreteGaussianSampler.forSigma(2).toString()).contains("sigma=2.0");
  }

  @Test
  void forSigma_invalid_throwsNamingValue() {
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, 0, -1, -0.0}) {
      assertThatThrownBy(() -> DiscreteGaussianSampler.forSigma(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(String.valueOf(bad));
    }
    assertThatThrownBy(() -> DiscreteGaussianSampler.forSigma(1e-200))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.0E-200");
    assertThatThrownBy(() -> DiscreteGaussianSampler.forSigma(0x1p31))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("below 2^31");
  }

  @Test
  void create_invalid_throwsNamingValue() {
    assertThatThrownBy(() -> DiscreteGaussianSampler.create(BigInteger.ZERO, BigInteger.ONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0/1");
    assertThatThrownBy(
            () -> DiscreteGaussianSampler.create(BigInteger.valueOf(4), BigInteger.valueOf(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4/-1");
    assertThatThrownBy(
            () -> DiscreteGaussianSampler.create(BigInteger.ONE.shiftLeft(62), BigInteger.ONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("below 2^62");
    assertThatThrownBy(() -> DiscreteGaussianSampler.create(null, BigInteger.ONE))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void probability_invalidSigma_throws() {
    assertThatThrownBy(() -> DiscreteGaussianSampler.probability(0, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> DiscreteGaussianSampler.probability(0, -2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-2.0");
  }

  /**
   * Pearson's chi-square test of {@code draws} samples against {@link
   * DiscreteGaussianSampler#probability}: one bin per value up to 5σ, the tails merged so that
   * every bin expects at least 5 draws; refused above the 0.001 critical value.
   */
  private static void assertFitsPmf(
      DiscreteGaussianSampler sampler, double sigma, int draws, long seed) throws Exception {
    long[] samples = new long[draws];
    sampler.addTo(samples, seeded(seed));
    long cut = Math.max(1, (long) Math.floor(5 * sigma));
    // Shrink the central range until the outermost single bins and the merged tails beyond them
    // expect at least 5 draws each.
    while (cut > 1
        && (tailProbability(cut, sigma) * draws < 5
            || DiscreteGaussianSampler.probability(cut - 1, sigma) * draws < 5)) {
      cut--;
    }
    int bins = (int) (2 * cut + 1); // [-cut+1, cut-1] one by one, then (-inf, -cut] and [cut, inf)
    long[] observed = new long[bins];
    for (long sample : samples) {
      observed[bin(sample, cut)]++;
    }
    double[] expected = new double[bins];
    for (long x = -cut + 1; x <= cut - 1; x++) {
      expected[bin(x, cut)] = draws * DiscreteGaussianSampler.probability(x, sigma);
    }
    expected[bin(-cut, cut)] = draws * tailProbability(cut, sigma);
    expected[bin(cut, cut)] = draws * tailProbability(cut, sigma);
    double chiSquare = 0;
    for (int i = 0; i < bins; i++) {
      assertThat(expected[i]).as("expected count of bin %s", i).isGreaterThanOrEqualTo(5);
      double difference = observed[i] - expected[i];
      chiSquare += difference * difference / expected[i];
    }
    int degreesOfFreedom = bins - 1;
    assertThat(degreesOfFreedom).isGreaterThanOrEqualTo(2);
    assertThat(chiSquare)
        .as("chi-square with %s degrees of freedom, sigma=%s", degreesOfFreedom, sigma)
        .isLessThan(criticalValue(degreesOfFreedom));
  }

  private static int bin(long x, long cut) {
    long clamped = Math.max(-cut, Math.min(cut, x));
    return (int) (clamped + cut);
  }

  /** P[X >= cut] = P[X <= -cut]. */
  private static double tailProbability(long cut, double sigma) {
    double tail = 0;
    for (long x = cut; x <= cut + 60 * Math.max(1, (long) sigma); x++) {
      tail += DiscreteGaussianSampler.probability(x, sigma);
    }
    return tail;
  }

  /** Wilson–Hilferty approximation of the chi-square upper 0.001 quantile. */
  private static double criticalValue(int degreesOfFreedom) {
    double k = degreesOfFreedom;
    double base = 1 - 2 / (9 * k) + Z_999 * Math.sqrt(2 / (9 * k));
    return k * base * base * base;
  }

  private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(seed);
    return random;
  }
}
