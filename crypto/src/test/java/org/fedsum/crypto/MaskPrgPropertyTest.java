package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.fedsum.crypto.internal.AesCtrKeystream;
import org.fedsum.crypto.internal.AesCtrKeystream.Implementation;

class MaskPrgPropertyTest {
  private static final int UNIFORMITY_SAMPLES = 1_000_000;
  // Upper 0.1% point of the standard normal distribution.
  private static final double NORMAL_QUANTILE_0_999 = 3.090232306167813;

  private static SecretBytes seed(long value) {
    byte[] bytes = new byte[32];
    new SplittableRandom(value).nextBytes(bytes);
    return SecretBytes.copyOf(bytes);
  }

  @Provide
  Arbitrary<Integer> bits() {
    return Arbitraries.oneOf(Arbitraries.integers().between(1, 32), Arbitraries.just(64));
  }

  @Provide
  Arbitrary<Implementation> implementations() {
    return Arbitraries.of(Implementation.class);
  }

  /** Words [offset, offset + length) from a fresh instance equal the tail of the stream from 0. */
  @Property(tries = 150)
  void seek_equalsTailOfStreamFromZero(
      @ForAll long seed,
      @ForAll("bits") int bits,
      @ForAll("implementations") Implementation implementation,
      @ForAll @IntRange(min = 0, max = 70_000) int offset,
      @ForAll @IntRange(min = 0, max = 40_000) int length) {
    Assume.that(
        implementation != Implementation.CONSCRYPT_AES_CTR || AesCtrKeystream.conscryptAvailable());
    assertThat(words(seed, bits, implementation, offset, length))
        .isEqualTo(tail(words(seed, bits, implementation, 0, offset + length), offset));
  }

  /** The same far out in the stream, where the counter's upper bits are set. */
  @Property(tries = 150)
  void seek_farOut_equalsTailOfStreamFromAnEarlierPoint(
      @ForAll long seed,
      @ForAll("bits") int bits,
      @ForAll("implementations") Implementation implementation,
      @ForAll @LongRange(min = 0, max = (1L << 60) - 200_000) long base,
      @ForAll @IntRange(min = 0, max = 70_000) int distance,
      @ForAll @IntRange(min = 0, max = 40_000) int length) {
    Assume.that(
        implementation != Implementation.CONSCRYPT_AES_CTR || AesCtrKeystream.conscryptAvailable());
    assertThat(words(seed, bits, implementation, base + distance, length))
        .isEqualTo(tail(words(seed, bits, implementation, base, distance + length), distance));
  }

  /**
   * Pearson's chi-square test of 10^6 words against the uniform distribution on Z_{2^b}, for a
   * fixed seed per b (so the test is reproducible), at significance 0.001. Words of more than 10
   * bits are bucketed by their top 10 bits; their low bits are the words of smaller b.
   */
  @Example
  void words_passChiSquareUniformityTest() {
    int[] bitsCases = {1, 3, 8, 16, 32};
    for (int bits : bitsCases) {
      int bucketBits = Math.min(bits, 10);
      int[] counts = new int[1 << bucketBits];
      int[] words = new int[UNIFORMITY_SAMPLES];
      MaskPrg.create(seed(1000 + bits), bits).fill(words, 0, words.length, 0);
      for (int word : words) {
        counts[(int) (Integer.toUnsignedLong(word) >>> (bits - bucketBits))]++;
      }
      double expected = (double) UNIFORMITY_SAMPLES / counts.length;
      double statistic = 0;
      for (int count : counts) {
        statistic += (count - expected) * (count - expected) / expected;
      }
      int degreesOfFreedom = counts.length - 1;
      assertThat(statistic)
          .as("chi-square for b=%d with %d buckets", bits, counts.length)
          .isLessThan(chiSquareCriticalValue(degreesOfFreedom));
    }
  }

  /** A non-uniform stream must fail the same test, or the test above proves nothing. */
  @Example
  void chiSquareTest_rejectsWordsMissingOneValue() {
    // An off-by-one mask: 8-bit words that are never 255.
    int[] counts = new int[256];
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < UNIFORMITY_SAMPLES; i++) {
      counts[random.nextInt(255)]++;
    }
    double expected = (double) UNIFORMITY_SAMPLES / counts.length;
    double statistic = 0;
    for (int count : counts) {
      statistic += (count - expected) * (count - expected) / expected;
    }
    assertThat(statistic).isGreaterThan(chiSquareCriticalValue(255));
  }

  @Example
  void chiSquareCriticalValue_matchesTables() {
    // Upper 0.1% points from tables: 16.266 (3 df), 330.52 (255 df), 1168.50 (1023 df).
    assertThat(chiSquareCriticalValue(3)).isBetween(16.0, 16.6);
    assertThat(chiSquareCriticalValue(255)).isBetween(330.0, 331.0);
    assertThat(chiSquareCriticalValue(1023)).isBetween(1167.5, 1169.5);
  }

  /**
   * Upper 0.1% point of the chi-square distribution by the Wilson–Hilferty approximation:
   * (X/k)^(1/3) is close to normal with mean 1 - 2/(9k) and variance 2/(9k).
   */
  private static double chiSquareCriticalValue(int degreesOfFreedom) {
    double k = degreesOfFreedom;
    double variance = 2 / (9 * k);
    double root = 1 - variance + NORMAL_QUANTILE_0_999 * Math.sqrt(variance);
    return k * root * root * root;
  }

  /** The words as longs, so that one comparison serves both word sizes. */
  private static long[] words(
      long seed, int bits, Implementation implementation, long firstCoordinate, int length) {
    MaskPrg prg = MaskPrg.create(seed(seed), bits, implementation);
    long[] result = new long[length];
    if (bits == 64) {
      prg.fill(result, 0, length, firstCoordinate);
    } else {
      int[] ints = new int[length];
      prg.fill(ints, 0, length, firstCoordinate);
      for (int i = 0; i < length; i++) {
        result[i] = Integer.toUnsignedLong(ints[i]);
      }
    }
    return result;
  }

  private static long[] tail(long[] words, int from) {
    return Arrays.copyOfRange(words, from, words.length);
  }
}
