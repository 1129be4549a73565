package org.fedsum.silo.training;

/**
 * DP-SGD settings for one silo's local training (Abadi et al., CCS 2016; DESIGN.md §5, "Which unit
 * DP protects"): every step Poisson-samples each local record independently with probability {@code
 * sampleRate}, clips each sampled record's gradient to L2 norm {@code clipNorm}, adds Gaussian
 * noise of standard deviation {@code noiseMultiplier · clipNorm} to the sum, and divides by the
 * expected batch size {@code sampleRate · n}. An epoch is {@link #stepsPerEpoch()} such steps, so
 * the number of steps of a round, and with it the privacy spent, is known before training starts.
 *
 * @param sampleRate the Poisson sampling rate q, in (0, 1]
 * @param clipNorm the per-example gradient norm bound C, finite and positive
 * @param noiseMultiplier z, finite and positive: the noise of each step is N(0, (z·C)²) per
 *     coordinate
 */
public record RecordLevelDp(double sampleRate, double clipNorm, double noiseMultiplier) {
  /**
   * @throws IllegalArgumentException naming the first bad setting and its value
   */
  public RecordLevelDp {
    if (!(sampleRate > 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException("sampleRate must be in (0, 1], not " + sampleRate);
    }
    if (!(Double.isFinite(clipNorm) && clipNorm > 0)) {
      throw new IllegalArgumentException("clipNorm must be finite and positive, not " + clipNorm);
    }
    if (!(Double.isFinite(noiseMultiplier) && noiseMultiplier > 0)) {
      throw new IllegalArgumentException(
          "noiseMultiplier must be finite and positive, not " + noiseMultiplier);
    }
  }

  /**
   * The sampling rate that gives an expected batch of {@code expectedBatchSize} records out of
   * {@code records}: {@code min(1, expectedBatchSize / records)}.
   */
  public static double sampleRateFor(int expectedBatchSize, int records) {
    if (expectedBatchSize < 1 || records < 1) {
      throw new IllegalArgumentException(
          "expectedBatchSize and records must be at least 1, not "
              + expectedBatchSize
              + " and "
              + records);
    }
    return Math.min(1.0, (double) expectedBatchSize / records);
  }

  /** DP-SGD steps per epoch, {@code ceil(1 / q)}: one expected pass over the data. */
  public int stepsPerEpoch() {
    return (int) Math.ceil(1.0 / sampleRate - 1e-9);
  }

  /** DP-SGD steps of {@code epochs} epochs: what the record-level accountant composes. */
  public long steps(int epochs) {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be at least 1, not " + epochs);
    }
    return (long) epochs * stepsPerEpoch();
  }
}
