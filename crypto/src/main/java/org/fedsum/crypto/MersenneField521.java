package org.fedsum.crypto;

import java.util.Arrays;

/**
 * Elements of {@code GF(p)}, {@code p = 2^521 - 1}, as 17 little-endian limbs of 32 bits held in
 * {@code long}s, for evaluating Shamir polynomials without {@link java.math.BigInteger}.
 *
 * <p>Why limbs: splitting at the paper's scale (threshold 252, 500 shares) is 125,000 Horner steps
 * per secret, each a multiplication of a 521-bit value by a 16-bit x-coordinate. With big integers
 * every step allocates and folds; here a step is 17 multiply-adds on 32-bit limbs, whose products
 * (below 2^49) never overflow a {@code long}, and one fold of the bits above 521 using {@code 2^521
 * ≡ 1 (mod p)}. Arrays of limbs can also be wiped, unlike big integers.
 *
 * <p>Between steps a value is kept partly reduced: below {@code 2^521 + 2^18}, with limb 0 allowed
 * up to {@code 2^33} (the fold is added there without propagating its carry). {@link #evaluate}
 * returns the fully reduced value.
 */
final class MersenneField521 {
  /** Limbs per element: 17 × 32 = 544 bits, room for a 521-bit value times a 16-bit integer. */
  static final int LIMBS = 17;

  /** Bytes of the big-endian encoding of an element (⌈521 / 8⌉). */
  static final int BYTES = 66;

  private static final long LIMB_MASK = 0xFFFF_FFFFL;
  // 521 = 16 · 32 + 9: limb 16 holds bits 512..520 of a reduced value, and the rest above them.
  private static final int TOP_BITS = 9;
  private static final long TOP_MASK = (1L << TOP_BITS) - 1;

  private MersenneField521() {}

  /**
   * Reads the big-endian unsigned integer {@code bytes[offset, offset + length)}, {@code length <=
   * 66}, into {@code limbs} (which it overwrites). The caller ensures the value is below p.
   */
  static void readBigEndian(byte[] bytes, int offset, int length, long[] limbs) {
    Arrays.fill(limbs, 0, LIMBS, 0L);
    for (int j = 0; j < length; j++) {
      // Byte offset + length - 1 - j holds bits [8j, 8j + 8).
      long b = bytes[offset + length - 1 - j] & 0xFFL;
      limbs[j >>> 2] |= b << (8 * (j & 3));
    }
  }

  /** Writes the fully reduced element {@code limbs} big-endian into {@code out[offset, +66)}. */
  static void writeBigEndian(long[] limbs, byte[] out, int offset) {
    for (int j = 0; j < BYTES; j++) {
      out[offset + BYTES - 1 - j] = (byte) (limbs[j >>> 2] >>> (8 * (j & 3)));
    }
  }

  /** True if the 66 big-endian bytes at {@code offset} encode a value below p. */
  static boolean isBelowPrime(byte[] bytes, int offset) {
    // p is 2^521 - 1: the first byte may hold only bit 520, and the only 521-bit value not
    // below p is p itself, all ones.
    if ((bytes[offset] & 0xFF) > 1) {
      return false;
    }
    int allOnes = bytes[offset] & 1;
    for (int j = 1; j < BYTES; j++) {
      allOnes &= (bytes[offset + j] & 0xFF) == 0xFF ? 1 : 0;
    }
    return allOnes == 0;
  }

  /**
   * Horner's rule: writes {@code Σ_k c_k·x^k mod p}, fully reduced, to {@code out}.
   *
   * @param coefficients {@code count} elements, each fully reduced, coefficient {@code k} in {@code
   *     coefficients[k·17, k·17 + 17)}
   * @param x the point, in [0, 65535]
   */
  static void evaluate(long[] coefficients, int count, int x, long[] out) {
    long[] accumulator = out;
    System.arraycopy(coefficients, (count - 1) * LIMBS, accumulator, 0, LIMBS);
    for (int k = count - 2; k >= 0; k--) {
      int base = k * LIMBS;
      // accumulator < 2^521 + 2^18, so accumulator·x + c_k < 2^539 and limb 16 takes the top.
      long carry = 0;
      for (int i = 0; i < LIMBS; i++) {
        long value = accumulator[i] * x + coefficients[base + i] + carry;
        accumulator[i] = value & LIMB_MASK;
        carry = value >>> 32;
      }
      // 2^521 ≡ 1: bits 521 and up (below 2^18) are added to bit 0, the carry left for later.
      long top = accumulator[LIMBS - 1];
      accumulator[LIMBS - 1] = top & TOP_MASK;
      accumulator[0] += top >>> TOP_BITS;
    }
    reduceFully(accumulator);
  }

  /** From a partly reduced value (below {@code 2^521 + 2^18}) to the representative in [0, p). */
  private static void reduceFully(long[] limbs) {
    propagateCarries(limbs);
    // Now below 2^522 with normalised limbs: fold bit 521 once more. The result is at most p,
    // since a value below 2^521 + 2^18 cannot have both bit 521 and all lower 521 bits set.
    long top = limbs[LIMBS - 1];
    limbs[LIMBS - 1] = top & TOP_MASK;
    limbs[0] += top >>> TOP_BITS;
    propagateCarries(limbs);
    // p itself is 0; the comparison runs over every limb whatever the value.
    long allOnes = limbs[LIMBS - 1] ^ TOP_MASK;
    for (int i = 0; i < LIMBS - 1; i++) {
      allOnes |= limbs[i] ^ LIMB_MASK;
    }
    // allOnes == 0 exactly when the value is p: then clear every limb.
    long keep = -((allOnes | -allOnes) >>> 63);
    for (int i = 0; i < LIMBS; i++) {
      limbs[i] &= keep;
    }
  }

  private static void propagateCarries(long[] limbs) {
    long carry = 0;
    for (int i = 0; i < LIMBS; i++) {
      long value = limbs[i] + carry;
      limbs[i] = i == LIMBS - 1 ? value : value & LIMB_MASK;
      carry = value >>> 32;
    }
  }
}
