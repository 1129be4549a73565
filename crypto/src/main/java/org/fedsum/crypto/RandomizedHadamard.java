package org.fedsum.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The randomized Hadamard rotation {@code y = (1/√d)·H·D·x}, with its exact inverse {@code x =
 * D·H·y/√d}: {@code H} is the {@code d × d} Walsh–Hadamard matrix ({@code d} the padded dimension,
 * the next power of two), {@code D} a diagonal of random signs. The rotation is orthogonal, so it
 * keeps the L2 norm, and spreads a vector's mass evenly across coordinates with high probability,
 * which lets a quantizer with a fixed range lose less (Suresh, Yu, Kumar, McMahan, "Distributed
 * Mean Estimation with Limited Communication", ICML 2017; Kairouz, Liu, Steinke, "The Distributed
 * Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation", ICML 2021).
 *
 * <p>The signs are public: they come from a per-round public seed, and everybody who knows the seed
 * computes the same rotation. Sign {@code i} is bit {@code i mod 256} (most significant bit of each
 * byte first; a 1 bit means -1) of block {@code ⌊i/256⌋}, where block {@code k} is {@code
 * SHA-256("FedSum randomized Hadamard signs v1" || 0x00 || uint32(seed length) || seed ||
 * uint64(k))} with big-endian integers: SHA-256 in counter mode.
 *
 * <p>The transform is the in-place iterative fast Walsh–Hadamard transform, {@code O(d log d)},
 * with no recursion, blocked so that the first stages run within cache; dimensions up to 2^30 are
 * accepted. NaN and infinite coordinates are not checked here and spread to every output. Instances
 * are immutable and thread-safe.
 */
public final class RandomizedHadamard {
  // The padded dimension stays at most 2^30 as well, a valid array length.
  private static final int MAX_DIMENSION = 1 << 30;

  private static final int MIN_SEED_BYTES = 16;
  private static final byte[] SIGN_LABEL =
      "FedSum randomized Hadamard signs v1".getBytes(StandardCharsets.US_ASCII);
  // 2^11 doubles = 16 KiB: fits in L1 data cache on current CPUs.
  private static final int CACHE_BLOCK = 1 << 11;

  private final int dimension;
  private final int paddedDimension;
  // Bit i of signBits[i >>> 6] (least significant first) is 1 when D[i][i] = -1.
  private final long[] signBits;

  private RandomizedHadamard(int dimension, int paddedDimension, long[] signBits) {
    this.dimension = dimension;
    this.paddedDimension = paddedDimension;
    this.signBits = signBits;
  }

  /**
   * The rotation for vectors of length {@code dimension}, with signs derived from {@code
   * publicSeed} as described in the class comment.
   *
   * @throws IllegalArgumentException if {@code dimension} is not in [1, 2^30] or the seed is
   *     shorter than 16 bytes
   */
  public static RandomizedHadamard create(int dimension, byte[] publicSeed) {
    Objects.requireNonNull(publicSeed, "publicSeed");
    if (dimension < 1 || dimension > MAX_DIMENSION) {
      throw new IllegalArgumentException(
          "dimension must be between 1 and " + MAX_DIMENSION + ", not " + dimension);
    }
    if (publicSeed.length < MIN_SEED_BYTES) {
      throw new IllegalArgumentException(
          "public seed must be at least " + MIN_SEED_BYTES + " bytes, not " + publicSeed.length);
    }
    int padded = Integer.highestOneBit(dimension);
    if (padded < dimension) {
      padded <<= 1;
    }
    return new RandomizedHadamard(dimension, padded, deriveSigns(dimension, publicSeed.clone()));
  }

  /** The length of the vectors this rotation takes. */
  public int dimension() {
    return dimension;
  }

  /** The length of rotated vectors: the smallest power of two at least {@link #dimension()}. */
  public int paddedDimension() {
    return paddedDimension;
  }

  /**
   * {@code (1/√d)·H·D·x} for {@code x} zero-padded to the padded dimension {@code d}; {@code
   * vector} is not modified. The result has the same L2 norm as {@code vector} up to rounding.
   *
   * @throws IllegalArgumentException if {@code vector} does not have length {@link #dimension()}
   */
  public double[] rotate(double[] vector) {
    Objects.requireNonNull(vector, "vector");
    if (vector.length != dimension) {
      throw new IllegalArgumentException(
          "vector to rotate must have length " + dimension + ", not " + vector.length);
    }
    double[] result = new double[paddedDimension];
    for (int i = 0; i < dimension; i++) {
      result[i] = isNegative(i) ? -vector[i] : vector[i];
    }
    walshHadamard(result);
    scale(result, 1 / Math.sqrt(paddedDimension));
    return result;
  }

  /**
   * {@code D·H·y/√d}, truncated to the first {@link #dimension()} coordinates: the inverse of
   * {@link #rotate(double[])} up to rounding ({@code H·H = d·I}, {@code D·D = I}); {@code rotated}
   * is not modified.
   *
   * @throws IllegalArgumentException if {@code rotated} does not have length {@link
   *     #paddedDimension()}
   */
  public double[] inverse(double[] rotated) {
    Objects.requireNonNull(rotated, "rotated");
    if (rotated.length != paddedDimension) {
      throw new IllegalArgumentException(
          "rotated vector must have length " + paddedDimension + ", not " + rotated.length);
    }
    double[] work = rotated.clone();
    walshHadamard(work);
    double factor = 1 / Math.sqrt(paddedDimension);
    for (int i = 0; i < dimension; i++) {
      double value = work[i] * factor;
      work[i] = isNegative(i) ? -value : value;
    }
    // No second copy when nothing is padded: large models often have power-of-two sizes.
    return dimension == paddedDimension ? work : Arrays.copyOf(work, dimension);
  }

  @Override
  public String toString() {
    return "RandomizedHadamard[dimension="
        + dimension
        + ", paddedDimension="
        + paddedDimension
        + "]";
  }

  private boolean isNegative(int index) {
    return ((signBits[index >>> 6] >>> (index & 63)) & 1L) != 0;
  }

  /** Unnormalised Walsh–Hadamard transform in place; the length is a power of two. */
  private static void walshHadamard(double[] values) {
    int length = values.length;
    int block = Math.min(length, CACHE_BLOCK);
    // Stages with span below the block size touch only one block: finish them block by block while
    // the block is in cache, then run the wide stages over the whole array.
    for (int start = 0; start < length; start += block) {
      for (int span = 1; span < block; span <<= 1) {
        butterflies(values, start, start + block, span);
      }
    }
    // The wide stages stream the whole array through memory: two stages per pass halve the
    // traffic, with the same additions in the same order as two single passes.
    int span = block;
    for (; span < length >>> 1; span <<= 2) {
      doubleButterflies(values, span);
    }
    if (span < length) {
      butterflies(values, 0, length, span);
    }
  }

  /** The stages of spans {@code span} and {@code 2·span} in one pass. */
  private static void doubleButterflies(double[] values, int span) {
    for (int group = 0; group < values.length; group += span << 2) {
      for (int i = group; i < group + span; i++) {
        double a = values[i];
        double b = values[i + span];
        double c = values[i + 2 * span];
        double d = values[i + 3 * span];
        double sumAb = a + b;
        double differenceAb = a - b;
        double sumCd = c + d;
        double differenceCd = c - d;
        values[i] = sumAb + sumCd;
        values[i + span] = differenceAb + differenceCd;
        values[i + 2 * span] = sumAb - sumCd;
        values[i + 3 * span] = differenceAb - differenceCd;
      }
    }
  }

  private static void butterflies(double[] values, int from, int to, int span) {
    for (int group = from; group < to; group += span << 1) {
      for (int i = group; i < group + span; i++) {
        double a = values[i];
        double b = values[i + span];
        values[i] = a + b;
        values[i + span] = a - b;
      }
    }
  }

  private static void scale(double[] values, double factor) {
    for (int i = 0; i < values.length; i++) {
      values[i] *= factor;
    }
  }

  private static long[] deriveSigns(int dimension, byte[] seed) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
    sha256.update(SIGN_LABEL);
    sha256.update((byte) 0);
    sha256.update(bigEndian(seed.length, 4));
    sha256.update(seed);
    long[] signBits = new long[(dimension + 63) >>> 6];
    int blocks = (dimension + 255) >>> 8;
    for (int k = 0; k < blocks; k++) {
      MessageDigest digest;
      try {
        digest = (MessageDigest) sha256.clone();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("bug: SHA-256 digest cannot be cloned", e);
      }
      byte[] hash = digest.digest(bigEndian(k, 8));
      for (int j = 0; j < 256; j++) {
        int index = (k << 8) + j;
        if (index >= dimension) {
          break;
        }
        if (((hash[j >>> 3] >>> (7 - (j & 7))) & 1) != 0) {
          signBits[index >>> 6] |= 1L << (index & 63);
        }
      }
    }
    return signBits;
  }

  private static byte[] bigEndian(long value, int bytes) {
    byte[] out = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      out[bytes - 1 - i] = (byte) (value >>> (8 * i));
    }
    return out;
  }
}
