package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigInteger;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The exact Bernoulli trials and the bit buffer under the discrete Gaussian sampler. */
class ExactBernoulliTest {
  private static final int TRIALS = 200_000;

  @Test
  void bernoulli_rational_hasItsProbability() throws Exception {
    long[][] fractions = {{1, 3}, {1, 2}, {2, 7}, {999, 1000}, {1, 1000}, {5, 5}, {0, 9}};
    RandomBits bits = new RandomBits(seeded(1), 4096);
    for (long[] fraction : fractions) {
      int successes = 0;
      for (int i = 0; i < TRIALS; i++) {
        if (ExactBernoulli.bernoulli(bits, fraction[0], fraction[1])) {
          successes++;
        }
      }
      double p = (double) fraction[0] / fraction[1];
      assertThat((double) successes / TRIALS)
          .as("%s/%s", fraction[0], fraction[1])
          .isCloseTo(p, within(5 * Math.sqrt(p * (1 - p) / TRIALS) + 1e-12));
    }
  }

  @Test
  void bernoulliExp_hasProbabilityExpMinusGamma() throws Exception {
    long[][] gammas = {{0, 1}, {1, 2}, {1, 1}, {5, 2}, {7, 1}, {13, 10}};
    RandomBits bits = new RandomBits(seeded(2), 4096);
    for (long[] gamma : gammas) {
      int successes = 0;
      for (int i = 0; i < TRIALS; i++) {
        if (ExactBernoulli.bernoulliExp(bits, gamma[0], gamma[1])) {
          successes++;
        }
      }
      double p = Math.exp(-(double) gamma[0] / gamma[1]);
      assertThat((double) successes / TRIALS)
          .as("exp(-%s/%s)", gamma[0], gamma[1])
          .isCloseTo(p, within(5 * Math.sqrt(p * (1 - p) / TRIALS) + 1e-12));
    }
  }

  @Test
  void bernoulli_bigFractionOfSameValue_readsSameBitsAndAgrees() throws Exception {
    // a·2^70 / b·2^70 has the expansion of a/b, so the 62-bit-chunk BigInteger form must read
    // exactly the bits the long form reads and decide the same way.
    SplittableRandom parameters = new SplittableRandom(3);
    RandomBits forLong = new RandomBits(seeded(4), 4096);
    RandomBits forBig = new RandomBits(seeded(4), 4096);
    int checked = 0;
    for (int i = 0; i < 20_000; i++) {
      long b = 1 + parameters.nextLong(i % 2 == 0 ? 1000 : ExactBernoulli.LONG_LIMIT);
      long a = parameters.nextLong(b + 1);
      BigInteger bigA = BigInteger.valueOf(a).shiftLeft(70);
      BigInteger bigB = BigInteger.valueOf(b).shiftLeft(70);
      boolean expected = ExactBernoulli.bernoulli(forLong, a, b);
      assertThat(ExactBernoulli.bernoulli(forBig, bigA, bigB))
          .as("%s/%s", a, b)
          .isEqualTo(expected);
      long gammaNumerator = parameters.nextLong(b <= Long.MAX_VALUE / 5 ? 5 * b : Long.MAX_VALUE);
      boolean expectedExp = ExactBernoulli.bernoulliExp(forLong, gammaNumerator, b);
      assertThat(
              ExactBernoulli.bernoulliExp(
                  forBig, BigInteger.valueOf(gammaNumerator).shiftLeft(70), bigB))
          .as("exp(-%s/%s)", gammaNumerator, b)
          .isEqualTo(expectedExp);
      // Both buffers must stand at the same bit afterwards.
      assertThat(forBig.nextBits(7)).isEqualTo(forLong.nextBits(7));
      checked++;
    }
    assertThat(checked).isEqualTo(20_000);
  }

  @Test
  void nextBits_anyChunking_readsTheSameStream() throws Exception {
    RandomBits oneByOne = new RandomBits(seeded(5), 8);
    RandomBits chunked = new RandomBits(seeded(5), 8);
    SplittableRandom sizes = new SplittableRandom(6);
    int total = 0;
    while (total < 100_000) {
      int count = sizes.nextInt(64); // 0..63
      long expected = 0;
      for (int i = 0; i < count; i++) {
        expected = (expected << 1) | (oneByOne.nextBit() ? 1 : 0);
      }
      assertThat(chunked.nextBits(count)).as("after %s bits", total).isEqualTo(expected);
      total += count;
    }
  }

  @Test
  void uniform_staysInRange_andCoversIt() throws Exception {
    RandomBits bits = new RandomBits(seeded(7), 4096);
    for (long bound : new long[] {1, 2, 3, 5, 1000, 1L << 40, ExactBernoulli.LONG_LIMIT}) {
      long below = 0;
      long outOfRange = 0;
      for (int i = 0; i < 20_000; i++) {
        long value = bits.uniform(bound);
        if (value < 0 || value >= bound) {
          outOfRange++;
        }
        if (value < bound / 2) {
          below++;
        }
      }
      assertThat(outOfRange).as("bound %s", bound).isZero();
      if (bound > 1) {
        long lowerHalf = bound / 2; // values 0 .. bound/2 - 1, rounded down for odd bounds
        double p = (double) lowerHalf / bound;
        assertThat(below / 20_000.0)
            .as("bound %s", bound)
            .isCloseTo(p, within(5 * Math.sqrt(p * (1 - p) / 20_000)));
      }
    }
  }

  private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(seed);
    return random;
  }
}
