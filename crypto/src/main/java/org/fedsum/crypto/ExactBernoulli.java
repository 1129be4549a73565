package org.fedsum.crypto;

import java.math.BigInteger;

/**
 * Exact Bernoulli trials with rational and {@code exp(-rational)} success probabilities, from
 * Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020),
 * Algorithm 1. No floating point anywhere.
 *
 * <p>A trial with probability {@code a/b} compares a uniform real {@code U} in [0, 1), whose binary
 * digits are read lazily from {@link RandomBits}, with the binary expansion of {@code a/b} computed
 * by long division: the first digit where they differ decides, so a trial consumes 2 bits on
 * average whatever the size of {@code a} and {@code b}. Each method has a {@code long} form for the
 * common case and a {@link BigInteger} form; both read exactly the same bits for the same
 * probability, so which one runs never changes a sample.
 */
final class ExactBernoulli {
  /**
   * Largest denominator of the {@code long} forms: doubling a remainder below it cannot overflow.
   */
  static final long LONG_LIMIT = 1L << 62;

  private static final BigInteger BIG_LONG_LIMIT = BigInteger.valueOf(LONG_LIMIT);
  private static final int CHUNK_BITS = 62;

  private ExactBernoulli() {}

  /** True with probability {@code min(1, a/b)}; {@code 0 <= a}, {@code 0 < b <= 2^62}. */
  static boolean bernoulli(RandomBits bits, long a, long b) {
    if (a >= b) {
      return true;
    }
    if (a == 0) {
      return false;
    }
    long remainder = a;
    while (true) {
      remainder <<= 1;
      boolean probabilityBit = remainder >= b;
      if (probabilityBit) {
        remainder -= b;
      }
      if (bits.nextBit() != probabilityBit) {
        // U's digit is 0 where p's is 1: U < p. The other way round: U > p.
        return probabilityBit;
      }
      if (remainder == 0) {
        // p's expansion ended and U agreed so far; U's remaining digits are not all 0 (with
        // probability 1), so U > p.
        return false;
      }
    }
  }

  /** {@link #bernoulli(RandomBits, long, long)} for big numbers, reading the same bits. */
  static boolean bernoulli(RandomBits bits, BigInteger a, BigInteger b) {
    if (a.compareTo(b) >= 0) {
      return true;
    }
    if (a.signum() == 0) {
      return false;
    }
    if (b.compareTo(BIG_LONG_LIMIT) <= 0) {
      return bernoulli(bits, a.longValueExact(), b.longValueExact());
    }
    BigInteger remainder = a;
    while (true) {
      // 62 digits of the expansion per division instead of one BigInteger step per digit.
      BigInteger[] quotientAndRemainder = remainder.shiftLeft(CHUNK_BITS).divideAndRemainder(b);
      long digits = quotientAndRemainder[0].longValueExact();
      remainder = quotientAndRemainder[1];
      for (int i = CHUNK_BITS - 1; i >= 0; i--) {
        boolean probabilityBit = ((digits >>> i) & 1L) != 0;
        if (bits.nextBit() != probabilityBit) {
          return probabilityBit;
        }
        if ((digits & ((1L << i) - 1)) == 0 && remainder.signum() == 0) {
          return false;
        }
      }
    }
  }

  /**
   * True with probability {@code exp(-num/den)}; {@code num >= 0}, {@code 0 < den <= 2^62}.
   * Algorithm 1 of Canonne, Kamath, Steinke: for {@code γ > 1}, {@code exp(-γ)} is {@code exp(-1)}
   * times {@code exp(-(γ - 1))}, so the trial fails as soon as one {@code exp(-1)} trial fails.
   */
  static boolean bernoulliExp(RandomBits bits, long num, long den) {
    long rest = num;
    while (rest > den) {
      if (!bernoulliExpAtMostOne(bits, 1, 1)) {
        return false;
      }
      rest -= den;
    }
    return bernoulliExpAtMostOne(bits, rest, den);
  }

  /** {@link #bernoulliExp(RandomBits, long, long)} for big numbers, reading the same bits. */
  static boolean bernoulliExp(RandomBits bits, BigInteger num, BigInteger den) {
    BigInteger rest = num;
    while (rest.compareTo(den) > 0) {
      if (!bernoulliExpAtMostOne(bits, 1, 1)) {
        return false;
      }
      rest = rest.subtract(den);
    }
    if (den.compareTo(BIG_LONG_LIMIT) <= 0) {
      return bernoulliExpAtMostOne(bits, rest.longValueExact(), den.longValueExact());
    }
    long k = 1;
    while (bernoulli(bits, rest, den.multiply(BigInteger.valueOf(k)))) {
      k++;
    }
    return (k & 1) == 1;
  }

  /**
   * True with probability {@code exp(-γ)} for {@code γ = num/den} in [0, 1]: with {@code K} the
   * first index where a Bernoulli({@code γ/K}) trial fails, {@code P[K odd] = Σ_k odd
   * γ^(k-1)/(k-1)! (1 - γ/k) = exp(-γ)} (Algorithm 1, first case).
   */
  static boolean bernoulliExpAtMostOne(RandomBits bits, long num, long den) {
    long k = 1;
    while (true) {
      boolean success =
          den <= LONG_LIMIT / k
              ? bernoulli(bits, num, den * k)
              // Reached only after many successes in a row (probability below 1/16!).
              : bernoulli(
                  bits,
                  BigInteger.valueOf(num),
                  BigInteger.valueOf(den).multiply(BigInteger.valueOf(k)));
      if (!success) {
        return (k & 1) == 1;
      }
      k++;
    }
  }
}
