package org.fedsum.protocol.encoding;

import java.util.Objects;
import org.fedsum.crypto.RandomizedHadamard;

/**
 * The decoded aggregate of one round, read range by range: the same values as {@link
 * DecodedUpdate#sum()} and {@link DecodedUpdate#average()}, bit for bit, without a whole decoded
 * vector of doubles (the aggregator steps its strategy over coordinate ranges). Obtain one from
 * {@link UpdateDecoder#decodeRanges}.
 *
 * <p>Reads lift their words from the unmasked sum, which must not change while this object is in
 * use. Without rotation each read lifts just its range. With rotation, whose inverse mixes the
 * coordinates of one block (see {@link RandomizedHadamard}), a read decodes the block it falls in
 * (lifts the block's words and inverts the block in place) and keeps that one block for the next
 * reads: sequential reads decode each block once, and at most one block of doubles is held, the
 * largest a little over half the padded length. Reads are thread-safe.
 *
 * <p>Reads in increasing order, each starting where the last one ended, never lift a word below the
 * end of the last read again: a caller reading so may overwrite words {@code [0, from + length)}
 * after reading {@code [from, from + length)} (the aggregator writes the next model over the sum
 * that way). The words of the weight, beyond the signal, are never lifted.
 */
public final class DecodedRanges {
  private final UpdateDecoder decoder;
  private final int[] sumWords;
  private final int dimension;
  private final long totalWeight;
  private final int survivors;
  private final double noiseStandardDeviation;
  private final long outerBandCount;
  private final RandomizedHadamard rotation;
  // Block j covers coordinates [blockStarts[j], blockStarts[j + 1]) of the padded signal.
  private final int[] blockStarts;
  // The last block decoded, guarded by this.
  private int decodedBlock = -1;
  private double[] decodedBlockValues;

  private DecodedRanges(
      UpdateDecoder decoder,
      int[] sumWords,
      int dimension,
      long totalWeight,
      int survivors,
      double noiseStandardDeviation,
      long outerBandCount,
      RandomizedHadamard rotation) {
    this.decoder = decoder;
    this.sumWords = sumWords;
    this.dimension = dimension;
    this.totalWeight = totalWeight;
    this.survivors = survivors;
    this.noiseStandardDeviation = noiseStandardDeviation;
    this.outerBandCount = outerBandCount;
    this.rotation = rotation;
    if (rotation == null) {
      this.blockStarts = null;
    } else {
      int[] lengths = rotation.blockLengths();
      this.blockStarts = new int[lengths.length + 1];
      for (int j = 0; j < lengths.length; j++) {
        blockStarts[j + 1] = blockStarts[j] + lengths[j];
      }
    }
  }

  /**
   * Reads lift the words of {@code sumWords} (no rotation: signal coordinate i is coordinate i).
   */
  static DecodedRanges lifting(
      UpdateDecoder decoder,
      int[] sumWords,
      long totalWeight,
      int survivors,
      double noiseStandardDeviation,
      long outerBandCount) {
    return new DecodedRanges(
        decoder,
        sumWords,
        decoder.parameters().dimension(),
        totalWeight,
        survivors,
        noiseStandardDeviation,
        outerBandCount,
        null);
  }

  /** Reads decode the block of {@code rotation} they fall in from the words of {@code sumWords}. */
  static DecodedRanges rotatingBlocks(
      UpdateDecoder decoder,
      RandomizedHadamard rotation,
      int[] sumWords,
      long totalWeight,
      int survivors,
      double noiseStandardDeviation,
      long outerBandCount) {
    return new DecodedRanges(
        decoder,
        sumWords,
        decoder.parameters().dimension(),
        totalWeight,
        survivors,
        noiseStandardDeviation,
        outerBandCount,
        rotation);
  }

  /** The number of coordinates, {@link EncodingParameters#dimension()}. */
  public int dimension() {
    return dimension;
  }

  /**
   * Coordinates {@code [from, from + length)} of {@link DecodedUpdate#sum()} into {@code into} from
   * index 0.
   *
   * @throws IndexOutOfBoundsException if the range is not within the dimension or {@code into} is
   *     shorter than {@code length}
   */
  public void readSum(int from, int length, double[] into) {
    checkRange(from, length, into);
    if (rotation != null) {
      readRotated(from, length, into);
    } else {
      decoder.liftRange(sumWords, from, into, 0, length);
    }
  }

  private synchronized void readRotated(int from, int length, double[] into) {
    int done = 0;
    while (done < length) {
      int coordinate = from + done;
      int block = 0;
      while (blockStarts[block + 1] <= coordinate) {
        block++;
      }
      double[] values = decodedBlock(block);
      int count = Math.min(length - done, blockStarts[block + 1] - coordinate);
      System.arraycopy(values, coordinate - blockStarts[block], into, done, count);
      done += count;
    }
  }

  /** Block {@code block} of the decoded sum: the same lift and inverse as the whole decode. */
  private double[] decodedBlock(int block) {
    if (decodedBlock != block) {
      // Drop the previous block before allocating the next, so that only one is ever held.
      decodedBlockValues = null;
      decodedBlock = -1;
      int start = blockStarts[block];
      double[] values = new double[blockStarts[block + 1] - start];
      decoder.liftRange(sumWords, start, values, 0, values.length);
      rotation.inverseBlock(block, values);
      decodedBlockValues = values;
      decodedBlock = block;
    }
    return decodedBlockValues;
  }

  /**
   * Coordinates {@code [from, from + length)} of {@link DecodedUpdate#average()} ({@code sum /
   * totalWeight}) into {@code into} from index 0.
   *
   * @throws IndexOutOfBoundsException as {@link #readSum}
   */
  public void readAverage(int from, int length, double[] into) {
    readSum(from, length, into);
    for (int i = 0; i < length; i++) {
      into[i] = into[i] / totalWeight;
    }
  }

  private void checkRange(int from, int length, double[] into) {
    Objects.requireNonNull(into, "into");
    Objects.checkFromIndexSize(from, length, dimension);
    Objects.checkFromIndexSize(0, length, into.length);
  }

  /** As {@link DecodedUpdate#totalWeight()}. */
  public long totalWeight() {
    return totalWeight;
  }

  /** As {@link DecodedUpdate#survivors()}. */
  public int survivors() {
    return survivors;
  }

  /** As {@link DecodedUpdate#noiseStandardDeviation()}. */
  public double noiseStandardDeviation() {
    return noiseStandardDeviation;
  }

  /** As {@link DecodedUpdate#outerBandCount()}: counted over the whole signal when decoding. */
  public long outerBandCount() {
    return outerBandCount;
  }

  @Override
  public String toString() {
    return "DecodedRanges["
        + dimension
        + " coordinates, "
        + (rotation != null ? "decoded block by block (rotation)" : "lifted per range")
        + ", totalWeight="
        + totalWeight
        + ", survivors="
        + survivors
        + "]";
  }
}
