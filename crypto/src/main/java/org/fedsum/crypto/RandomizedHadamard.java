package org.fedsum.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A block-diagonal randomized Hadamard rotation {@code y = B·D·x}, with its exact inverse {@code x
 * = D·Bᵀ·y}: {@code D} is a diagonal of random signs and {@code B} is block diagonal, its blocks
 * the normalised Walsh–Hadamard matrices {@code H_L/√L} of the power-of-two lengths {@code L} of
 * the {@linkplain #blockLengths() blocks}. The rotation is orthogonal, so it keeps the L2 norm, and
 * within each block it spreads the vector's mass evenly across the block's coordinates with high
 * probability, which lets a quantizer with a fixed range lose less (Suresh, Yu, Kumar, McMahan,
 * "Distributed Mean Estimation with Limited Communication", ICML 2017; Kairouz, Liu, Steinke, "The
 * Distributed Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation", ICML
 * 2021). A dimension that is a power of two is one block: the rotation is then the plain randomized
 * Hadamard transform {@code H·D·x/√d} of those papers.
 *
 * <p><b>Padding and blocks.</b> A vector of dimension {@code m} is zero-padded to {@code d'} = the
 * smallest multiple of {@code 2^k} at least {@code m}, with {@code k = max(0, ⌊log₂ m⌋ - 6)}, and
 * {@code [0, d')} is split into the powers of two of the binary expansion of {@code d'}, largest
 * first, those above {@link #MAX_BLOCK} = 2^20 split further into blocks of 2^20: block {@code j}
 * covers coordinates {@code [o_j, o_j + L_j)} with {@code L_0 >= L_1 >= ...} and {@code o_j = L_0 +
 * ... + L_(j-1)}. Hence there is no padding below {@code m = 128} and from there less than {@code
 * 2^k <= m/64}; there are at most {@code ⌊d'/2^20⌋ + 7} blocks (at most 7 while {@code d' < 2^20});
 * and the smallest block has at least {@code min(2^k, 2^20)} coordinates, so {@code d'/L_min <=
 * 128} up to {@code m < 2^27} (and at most 1024 up to the largest {@code m}, 2^30). Padding to the
 * next power of two (the single-block rotation) costs up to twice the words on the wire; splitting
 * into more, smaller blocks pads less but spreads less. The rule keeps the padding below 1.6 % and,
 * below 2^27 coordinates, the weakest spreading within a factor {@code √128 ≈ 11} of the whole
 * padded length's. The cap on the block length bounds the memory of a block-by-block inverse (8 MiB
 * of doubles) and keeps each transform within the CPU's caches.
 *
 * <p><b>What the blocks change.</b> A block spreads only the mass that falls into it: coordinate
 * {@code i} of block {@code j} of a rotated {@code x} has magnitude about {@code ‖x_j‖/√L_j}, where
 * {@code x_j} is the part of {@code x} in the block's coordinates, instead of {@code ‖x‖/√d'} for a
 * rotation over all of {@code d'}. The two agree when the mass of {@code x} is spread over its
 * coordinates roughly in proportion to the block lengths; an {@code x} concentrated in one block is
 * spread over that block only, at worst (all of it in the smallest block) {@code √(d'/L_min)} times
 * more per coordinate ({@code <= √128} below 2^27 coordinates).
 *
 * <p>The signs are public: they come from a per-round public seed, and everybody who knows the seed
 * computes the same rotation. One sign stream covers the whole vector (coordinate {@code i} of the
 * unpadded vector has sign {@code i}, whatever its block; padding coordinates are zero and need
 * none). Sign {@code i} is bit {@code i mod 256} (most significant bit of each byte first; a 1 bit
 * means -1) of hash {@code ⌊i/256⌋}, where hash {@code c} is {@code SHA-256("FedSum randomized
 * Hadamard signs v1" || 0x00 || uint32(seed length) || seed || uint64(c))} with big-endian
 * integers: SHA-256 in counter mode.
 *
 * <p>The transform is the in-place iterative fast Walsh–Hadamard transform on each block, {@code
 * O(d' log d')}, with no recursion, blocked so that the first stages run within cache; dimensions
 * up to 2^30 are accepted (and {@code d' <= 2^30} then too). NaN and infinite coordinates are not
 * checked here and spread to every output of their block. Instances are immutable and thread-safe.
 */
public final class RandomizedHadamard {
  // The padded dimension stays at most 2^30 as well, a valid array length.
  private static final int MAX_DIMENSION = 1 << 30;

  // Blocks are at least min(2^(⌊log₂ m⌋ - 6), MAX_BLOCK) long: padding below m/64.
  private static final int MIN_BLOCK_SHIFT_BELOW_TOP_BIT = 6;

  /**
   * The largest block, 2^20 coordinates: whoever inverts the rotation one block at a time (the
   * aggregator, {@link #inverseBlock}) holds at most 8 MiB of doubles whatever the model's size,
   * and a block of a million coordinates already spreads its mass to about {@code ‖x_j‖/1024} per
   * coordinate.
   */
  public static final int MAX_BLOCK = 1 << 20;

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
    checkDimension(dimension);
    if (publicSeed.length < MIN_SEED_BYTES) {
      throw new IllegalArgumentException(
          "public seed must be at least " + MIN_SEED_BYTES + " bytes, not " + publicSeed.length);
    }
    return new RandomizedHadamard(
        dimension, paddedDimensionOf(dimension), deriveSigns(dimension, publicSeed.clone()));
  }

  /**
   * The padded dimension {@code d'} of the rotation for vectors of length {@code dimension} (see
   * the class comment), without deriving any sign: the length of every rotated vector.
   *
   * @throws IllegalArgumentException if {@code dimension} is not in [1, 2^30]
   */
  public static int paddedDimensionOf(int dimension) {
    checkDimension(dimension);
    int minBlockShift =
        Math.max(0, 31 - Integer.numberOfLeadingZeros(dimension) - MIN_BLOCK_SHIFT_BELOW_TOP_BIT);
    int minBlock = 1 << minBlockShift;
    // At most 2^30, a multiple of minBlock, so no overflow.
    return (dimension + minBlock - 1) & -minBlock;
  }

  /** The length of the vectors this rotation takes. */
  public int dimension() {
    return dimension;
  }

  /**
   * The length of rotated vectors {@code d'}: {@link #dimension()} rounded up to a multiple of the
   * smallest block (see the class comment).
   */
  public int paddedDimension() {
    return paddedDimension;
  }

  /**
   * The lengths of the blocks, largest first (the powers of two of the binary expansion of {@link
   * #paddedDimension()}, any above {@value #MAX_BLOCK} split into blocks of that length); block
   * {@code j} starts where block {@code j - 1} ends. A new array.
   */
  public int[] blockLengths() {
    int fullBlocks = paddedDimension / MAX_BLOCK;
    int rest = paddedDimension % MAX_BLOCK;
    int[] lengths = new int[fullBlocks + Integer.bitCount(rest)];
    Arrays.fill(lengths, 0, fullBlocks, MAX_BLOCK);
    for (int j = fullBlocks; j < lengths.length; j++) {
      lengths[j] = Integer.highestOneBit(rest);
      rest -= lengths[j];
    }
    return lengths;
  }

  /**
   * {@code B·D·x} for {@code x} zero-padded to the padded dimension; {@code vector} is not
   * modified. The result has the same L2 norm as {@code vector} up to rounding.
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
    for (int from = 0; from < paddedDimension; ) {
      int length = blockLengthAt(from);
      walshHadamard(result, from, length);
      scale(result, from, from + length, 1 / Math.sqrt(length));
      from += length;
    }
    return result;
  }

  /**
   * {@code D·Bᵀ·y}, truncated to the first {@link #dimension()} coordinates: the inverse of {@link
   * #rotate(double[])} up to rounding (each block's {@code H_L·H_L = L·I}, and {@code D·D = I});
   * {@code rotated} is not modified.
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
    for (int from = 0; from < dimension; ) {
      int length = blockLengthAt(from);
      inverseBlockAt(work, from, from, length);
      from += length;
    }
    // No second copy when nothing is padded (dimensions below 128, multiples of the block).
    return dimension == paddedDimension ? work : Arrays.copyOf(work, dimension);
  }

  /**
   * The inverse of one block alone, in place, for a caller that never holds a whole rotated vector:
   * {@code values} holds the block's coordinates of a rotated vector {@code y} (its {@link
   * #blockLengths()}{@code [block]} coordinates starting where the earlier blocks end) and is
   * overwritten with the same coordinates of {@link #inverse(double[]) inverse(y)}, bit for bit the
   * same values (the same arithmetic); where the block extends past {@link #dimension()} into the
   * padding, the values left there mean nothing.
   *
   * @throws IndexOutOfBoundsException if there is no block {@code block}
   * @throws IllegalArgumentException if {@code values} is not exactly the block's length
   */
  public void inverseBlock(int block, double[] values) {
    Objects.requireNonNull(values, "values");
    int[] lengths = blockLengths();
    Objects.checkIndex(block, lengths.length);
    int from = 0;
    for (int j = 0; j < block; j++) {
      from += lengths[j];
    }
    if (values.length != lengths[block]) {
      throw new IllegalArgumentException(
          "block "
              + block
              + " has length "
              + lengths[block]
              + ", values have length "
              + values.length);
    }
    inverseBlockAt(values, 0, from, lengths[block]);
  }

  /** The length of the block that starts at coordinate {@code from} ({@link #blockLengths()}). */
  private int blockLengthAt(int from) {
    return Math.min(MAX_BLOCK, Integer.highestOneBit(paddedDimension - from));
  }

  /**
   * The inverse of the block covering coordinates {@code [from, from + length)}, held in {@code
   * values} from {@code offset}: the one place the inverse's arithmetic is written.
   */
  private void inverseBlockAt(double[] values, int offset, int from, int length) {
    walshHadamard(values, offset, length);
    double factor = 1 / Math.sqrt(length);
    int end = Math.min(dimension, from + length);
    for (int i = from; i < end; i++) {
      int at = offset + i - from;
      double value = values[at] * factor;
      values[at] = isNegative(i) ? -value : value;
    }
  }

  @Override
  public String toString() {
    return "RandomizedHadamard[dimension="
        + dimension
        + ", paddedDimension="
        + paddedDimension
        + ", blockLengths="
        + Arrays.toString(blockLengths())
        + "]";
  }

  private static void checkDimension(int dimension) {
    if (dimension < 1 || dimension > MAX_DIMENSION) {
      throw new IllegalArgumentException(
          "dimension must be between 1 and " + MAX_DIMENSION + ", not " + dimension);
    }
  }

  private boolean isNegative(int index) {
    return ((signBits[index >>> 6] >>> (index & 63)) & 1L) != 0;
  }

  /**
   * Unnormalised Walsh–Hadamard transform in place of {@code values[from, from + length)}; the
   * length is a power of two.
   */
  private static void walshHadamard(double[] values, int from, int length) {
    int end = from + length;
    int block = Math.min(length, CACHE_BLOCK);
    // Stages with span below the block size touch only one block: finish them block by block while
    // the block is in cache, then run the wide stages over the whole range.
    for (int start = from; start < end; start += block) {
      for (int span = 1; span < block; span <<= 1) {
        butterflies(values, start, start + block, span);
      }
    }
    // The wide stages stream the whole range through memory: two stages per pass halve the
    // traffic, with the same additions in the same order as two single passes.
    int span = block;
    for (; span < length >>> 1; span <<= 2) {
      doubleButterflies(values, from, end, span);
    }
    if (span < length) {
      butterflies(values, from, end, span);
    }
  }

  /** The stages of spans {@code span} and {@code 2·span} in one pass. */
  private static void doubleButterflies(double[] values, int from, int to, int span) {
    for (int group = from; group < to; group += span << 2) {
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

  private static void scale(double[] values, int from, int to, double factor) {
    for (int i = from; i < to; i++) {
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
    int hashes = (dimension + 255) >>> 8;
    for (int k = 0; k < hashes; k++) {
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
