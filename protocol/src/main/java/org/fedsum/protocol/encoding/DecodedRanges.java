package org.fedsum.protocol.encoding;

import java.util.Objects;

/**
 * The decoded aggregate of one round, read range by range: the same values as {@link
 * DecodedUpdate#sum()} and {@link DecodedUpdate#average()}, bit for bit, without a whole decoded
 * vector of doubles when the encoding has no rotation (the aggregator then steps its strategy over
 * coordinate ranges and never holds more than one range of the average). Obtain one from {@link
 * UpdateDecoder#decodeRanges}.
 *
 * <p>Without rotation each read lifts its words from the unmasked sum, which must not change while
 * this object is in use. With rotation the whole sum was decoded up front (the inverse rotation
 * needs every coordinate) and reads copy from it. Reads are thread-safe.
 */
public final class DecodedRanges {
  private final UpdateDecoder decoder;
  private final int[] sumWords;
  private final double[] decodedSum;
  private final int dimension;
  private final long totalWeight;
  private final int survivors;
  private final double noiseStandardDeviation;
  private final long outerBandCount;

  private DecodedRanges(
      UpdateDecoder decoder,
      int[] sumWords,
      double[] decodedSum,
      int dimension,
      long totalWeight,
      int survivors,
      double noiseStandardDeviation,
      long outerBandCount) {
    this.decoder = decoder;
    this.sumWords = sumWords;
    this.decodedSum = decodedSum;
    this.dimension = dimension;
    this.totalWeight = totalWeight;
    this.survivors = survivors;
    this.noiseStandardDeviation = noiseStandardDeviation;
    this.outerBandCount = outerBandCount;
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
        null,
        decoder.parameters().dimension(),
        totalWeight,
        survivors,
        noiseStandardDeviation,
        outerBandCount);
  }

  /** Reads copy from an already decoded sum. */
  static DecodedRanges of(DecodedUpdate decoded) {
    double[] sum = decoded.sumView();
    return new DecodedRanges(
        null,
        null,
        sum,
        sum.length,
        decoded.totalWeight(),
        decoded.survivors(),
        decoded.noiseStandardDeviation(),
        decoded.outerBandCount());
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
    if (decodedSum != null) {
      System.arraycopy(decodedSum, from, into, 0, length);
    } else {
      decoder.liftRange(sumWords, from, into, 0, length);
    }
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
        + (decodedSum != null ? "decoded whole (rotation)" : "lifted per range")
        + ", totalWeight="
        + totalWeight
        + ", survivors="
        + survivors
        + "]";
  }
}
