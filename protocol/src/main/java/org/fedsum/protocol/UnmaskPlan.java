package org.fedsum.protocol;

import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;
import org.fedsum.crypto.MaskPrg;
import org.fedsum.crypto.SecretBytes;

/**
 * The masks to remove from the running sum of the survivors' masked vectors: every survivor's self
 * mask, and each survivor's pairwise mask towards each silo that dropped after sharing its keys
 * (Bonawitz et al. 2017, Round 4, server side).
 *
 * <p>Holds reconstructed seeds: secret material that never leaves the aggregator's memory. Because
 * the mask PRG is seekable, any range of coordinates can be unmasked on its own, so the work is
 * split into chunks that run in parallel and that separate shards could run.
 */
public final class UnmaskPlan {
  /** One mask to apply: {@code sign} times the PRG stream of {@code seed}. */
  record Removal(SecretBytes seed, int sign) {
    Removal {
      Objects.requireNonNull(seed, "seed");
      if (sign != 1 && sign != -1) {
        throw new IllegalArgumentException("sign must be +1 or -1, not " + sign);
      }
    }
  }

  private static final int CHUNK_WORDS = 1 << 16;

  /**
   * Words per pass when several masks are applied to one range: small enough that the range stays
   * in the core's cache while every mask is added to it, so memory is read once rather than once
   * per mask.
   */
  private static final int CACHE_CHUNK_WORDS = 1 << 14;

  /**
   * Above this many masks, keeping one generator per mask alive (each holds a keystream buffer)
   * costs more than the cache blocking saves.
   */
  private static final int BLOCKED_MASK_LIMIT = 64;

  private final int bits;
  private final int vectorLength;
  private final List<Removal> removals;

  UnmaskPlan(int bits, int vectorLength, List<Removal> removals) {
    this.bits = bits;
    this.vectorLength = vectorLength;
    this.removals = List.copyOf(removals);
  }

  /** How many PRG streams unmasking expands: survivors plus survivor–dropout pairs. */
  public int maskCount() {
    return removals.size();
  }

  public int vectorLength() {
    return vectorLength;
  }

  /**
   * Removes the masks from coordinates {@code [firstCoordinate, firstCoordinate + length)} of the
   * sum, held in {@code sum[offset, offset + length)}, and reduces them mod {@code 2^bits}.
   */
  public void applyTo(int[] sum, int offset, int length, long firstCoordinate) {
    Objects.checkFromIndexSize(offset, length, sum.length);
    if (firstCoordinate < 0 || firstCoordinate + length > vectorLength) {
      throw new IllegalArgumentException(
          "coordinates ["
              + firstCoordinate
              + ", "
              + (firstCoordinate + length)
              + ") are outside the vector of length "
              + vectorLength);
    }
    // Each removal carries the sign that undoes what the silo added.
    applyMasks(removals, bits, sum, offset, length, firstCoordinate);
  }

  /**
   * Adds {@code sign · PRG(seed)} for every mask to {@code vector[offset, offset + length)}, which
   * holds coordinates from {@code firstCoordinate} on, and reduces the words mod {@code 2^bits}.
   * Single-threaded; works in cache-sized chunks.
   */
  static void applyMasks(
      List<Removal> masks, int bits, int[] vector, int offset, int length, long firstCoordinate) {
    if (masks.size() > BLOCKED_MASK_LIMIT) {
      // Many masks (a large federation with dropouts): one generator at a time over the whole
      // range,
      // which callers keep cache-sized, so only one generator's buffers are alive at once.
      for (Removal mask : masks) {
        MaskPrg generator = MaskPrg.create(mask.seed(), bits);
        if (mask.sign() > 0) {
          generator.addTo(vector, offset, length, firstCoordinate);
        } else {
          generator.subtractFrom(vector, offset, length, firstCoordinate);
        }
      }
    } else {
      // Few masks over a long vector (a silo): every mask per cache-sized block, so the vector is
      // read from memory once rather than once per mask.
      List<MaskPrg> generators =
          masks.stream().map(mask -> MaskPrg.create(mask.seed(), bits)).toList();
      for (int done = 0; done < length; done += CACHE_CHUNK_WORDS) {
        int chunk = Math.min(CACHE_CHUNK_WORDS, length - done);
        for (int i = 0; i < generators.size(); i++) {
          if (masks.get(i).sign() > 0) {
            generators.get(i).addTo(vector, offset + done, chunk, firstCoordinate + done);
          } else {
            generators.get(i).subtractFrom(vector, offset + done, chunk, firstCoordinate + done);
          }
        }
      }
    }
    reduce(vector, offset, length, bits);
  }

  /**
   * {@link #applyMasks} over a whole vector, for a silo masking its input. With many masks (a large
   * federation: one pairwise mask per peer) the vector is cut into one contiguous range per core
   * and the ranges are masked in parallel on the common fork-join pool; each range creates its own
   * generators, which at one range per core costs less than the masking it spreads. With few masks
   * it runs on the calling thread, cache-blocked, as {@link #applyMasks} does.
   */
  static void applyMasksOnAllCores(List<Removal> masks, int bits, int[] vector) {
    int cores = Runtime.getRuntime().availableProcessors();
    int rangeWords = Math.max(CACHE_CHUNK_WORDS, ceilDiv(vector.length, cores));
    int ranges = ceilDiv(vector.length, rangeWords);
    if (masks.size() <= BLOCKED_MASK_LIMIT || ranges < 2) {
      applyMasks(masks, bits, vector, 0, vector.length, 0);
      return;
    }
    IntStream.range(0, ranges)
        .parallel()
        .forEach(
            range -> {
              int start = range * rangeWords;
              int length = Math.min(rangeWords, vector.length - start);
              applyMasks(masks, bits, vector, start, length, start);
            });
  }

  /** Unmasks a whole sum, chunk by chunk, on the common fork-join pool. */
  public void applyInParallel(int[] sum) {
    if (sum.length != vectorLength) {
      throw new IllegalArgumentException(
          "sum has " + sum.length + " coordinates, the round has " + vectorLength);
    }
    // About two chunks per core, so the cores finish together, each between 16K and 64K words.
    int cores = Runtime.getRuntime().availableProcessors();
    int chunkWords =
        Math.max(CACHE_CHUNK_WORDS, Math.min(CHUNK_WORDS, ceilDiv(vectorLength, 2 * cores)));
    int chunks = ceilDiv(vectorLength, chunkWords);
    IntStream.range(0, chunks)
        .parallel()
        .forEach(
            chunk -> {
              int start = chunk * chunkWords;
              int length = Math.min(chunkWords, vectorLength - start);
              applyTo(sum, start, length, start);
            });
  }

  private static int ceilDiv(int dividend, int divisor) {
    return (dividend + divisor - 1) / divisor;
  }

  /** Reduces words mod {@code 2^bits}; sums are kept mod 2^32, and 2^bits divides 2^32. */
  static void reduce(int[] words, int offset, int length, int bits) {
    if (bits == 32) {
      return;
    }
    int mask = (1 << bits) - 1;
    for (int i = offset; i < offset + length; i++) {
      words[i] &= mask;
    }
  }

  @Override
  public String toString() {
    return "UnmaskPlan[" + removals.size() + " masks, " + vectorLength + " coordinates]";
  }
}
