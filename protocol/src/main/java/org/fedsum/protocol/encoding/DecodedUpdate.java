package org.fedsum.protocol.encoding;

/**
 * The decoded aggregate of one round: the sum of the survivors' (weighted) updates in real units,
 * and the divisor that turns it into their average.
 */
public final class DecodedUpdate {
  private final double[] sum;
  private final long totalWeight;
  private final int survivors;
  private final double noiseStandardDeviation;
  private final long outerBandCount;

  DecodedUpdate(
      double[] sum,
      long totalWeight,
      int survivors,
      double noiseStandardDeviation,
      long outerBandCount) {
    this.sum = sum;
    this.totalWeight = totalWeight;
    this.survivors = survivors;
    this.noiseStandardDeviation = noiseStandardDeviation;
    this.outerBandCount = outerBandCount;
  }

  /**
   * A fresh array with the decoded sum, {@link EncodingParameters#dimension()} coordinates: {@code
   * Σ_k delta_k} (unweighted, noise included with DP) or {@code Σ_k n_k·delta_k} (weighted).
   */
  public double[] sum() {
    return sum.clone();
  }

  /**
   * A fresh array with {@code sum / totalWeight}: the plain average over the survivors when
   * unweighted, the weighted FedAvg average {@code Σ n_k·delta_k / Σ n_k} when weighted.
   */
  public double[] average() {
    double[] average = new double[sum.length];
    for (int i = 0; i < sum.length; i++) {
      average[i] = sum[i] / totalWeight;
    }
    return average;
  }

  /** {@code Σ n_k} decoded from the last word when weighted; the number of survivors otherwise. */
  public long totalWeight() {
    return totalWeight;
  }

  /** The number of silos whose encodings were summed, as the caller stated it. */
  public int survivors() {
    return survivors;
  }

  /**
   * The standard deviation of the noise in each coordinate of {@link #sum()}, in real units: {@code
   * σ_local·γ·√survivors} (DESIGN.md §5); 0 without DP. Rounding adds at most {@code γ²/4} per
   * survivor to the variance.
   */
  public double noiseStandardDeviation() {
    return noiseStandardDeviation;
  }

  /**
   * How many coordinates of the sum, on the grid and before the inverse rotation, lie in the outer
   * quarter of the range, {@code |v| >= (3/4)·2^(b-1)}. A sum that wrapped is a valid residue, so
   * the decoder cannot see an overflow; but with the planned {@code k} standard deviations in
   * {@code 2^(b-1)} a coordinate lands there with probability about {@code 2·Φ(-3k/4)} (0.27% for
   * {@code k = 4}). A count far above {@code 2·Φ(-3k/4)·d'} means the range was too small and some
   * coordinates have probably wrapped; the silos' {@link EncodingReport#overflowCount()} say which
   * rounds to distrust.
   */
  public long outerBandCount() {
    return outerBandCount;
  }

  @Override
  public String toString() {
    return "DecodedUpdate["
        + sum.length
        + " coordinates, totalWeight="
        + totalWeight
        + ", survivors="
        + survivors
        + ", noiseStandardDeviation="
        + noiseStandardDeviation
        + ", outerBandCount="
        + outerBandCount
        + "]";
  }
}
