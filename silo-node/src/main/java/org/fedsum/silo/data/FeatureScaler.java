package org.fedsum.silo.data;

import java.util.Objects;

/**
 * Per-feature standardization {@code x' = (x - mean) / standardDeviation}, fitted on a silo's own
 * training data and applied unchanged to its held-out data, so that no statistic of the held-out
 * set (or of another silo) leaks into training.
 *
 * <p>The standard deviation is the population one (divide by {@code n}). A feature that is constant
 * on the training data gets a standard deviation of 1, so it maps to 0 instead of dividing by zero.
 * Accumulation is in double precision.
 */
public final class FeatureScaler {
  private final double[] means;
  private final double[] standardDeviations;

  private FeatureScaler(double[] means, double[] standardDeviations) {
    this.means = means;
    this.standardDeviations = standardDeviations;
  }

  /**
   * Fits means and standard deviations on {@code training}, which must hold at least one example.
   */
  public static FeatureScaler fitStandardization(LabeledDataset training) {
    Objects.requireNonNull(training, "training");
    int n = training.size();
    if (n == 0) {
      throw new IllegalArgumentException("cannot fit a scaler on an empty dataset");
    }
    int featureCount = training.featureCount();
    float[] features = training.featuresView();
    double[] sums = new double[featureCount];
    for (int example = 0; example < n; example++) {
      int base = example * featureCount;
      for (int j = 0; j < featureCount; j++) {
        sums[j] += features[base + j];
      }
    }
    double[] means = new double[featureCount];
    for (int j = 0; j < featureCount; j++) {
      means[j] = sums[j] / n;
    }
    // Two passes (mean first) rather than E[x²] − E[x]², which cancels badly for large offsets.
    double[] squares = new double[featureCount];
    for (int example = 0; example < n; example++) {
      int base = example * featureCount;
      for (int j = 0; j < featureCount; j++) {
        double deviation = features[base + j] - means[j];
        squares[j] += deviation * deviation;
      }
    }
    double[] standardDeviations = new double[featureCount];
    for (int j = 0; j < featureCount; j++) {
      double deviation = Math.sqrt(squares[j] / n);
      standardDeviations[j] = deviation > 0 ? deviation : 1.0;
    }
    return new FeatureScaler(means, standardDeviations);
  }

  /**
   * Restores a scaler from saved statistics (for example from a silo's state directory).
   *
   * @throws IllegalArgumentException if the lengths differ, a mean is not finite or a standard
   *     deviation is not finite and positive
   */
  public static FeatureScaler create(double[] means, double[] standardDeviations) {
    Objects.requireNonNull(means, "means");
    Objects.requireNonNull(standardDeviations, "standardDeviations");
    if (means.length != standardDeviations.length || means.length == 0) {
      throw new IllegalArgumentException(
          "means and standardDeviations must have the same positive length, not "
              + means.length
              + " and "
              + standardDeviations.length);
    }
    for (int j = 0; j < means.length; j++) {
      if (!Double.isFinite(means[j])) {
        throw new IllegalArgumentException("mean of feature " + j + " is " + means[j]);
      }
      if (!(Double.isFinite(standardDeviations[j]) && standardDeviations[j] > 0)) {
        throw new IllegalArgumentException(
            "standard deviation of feature "
                + j
                + " must be finite and positive, not "
                + standardDeviations[j]);
      }
    }
    return new FeatureScaler(means.clone(), standardDeviations.clone());
  }

  /** The number of features this scaler expects. */
  public int featureCount() {
    return means.length;
  }

  /** The fitted means, one per feature (a copy). */
  public double[] means() {
    return means.clone();
  }

  /** The fitted standard deviations, one per feature, all positive (a copy). */
  public double[] standardDeviations() {
    return standardDeviations.clone();
  }

  /**
   * Returns a standardized copy of {@code dataset} (labels unchanged).
   *
   * @throws IllegalArgumentException if the dataset has a different number of features, or a scaled
   *     value overflows the float range
   */
  public LabeledDataset apply(LabeledDataset dataset) {
    Objects.requireNonNull(dataset, "dataset");
    int featureCount = dataset.featureCount();
    if (featureCount != means.length) {
      throw new IllegalArgumentException(
          "this scaler was fitted on "
              + means.length
              + " features, the dataset has "
              + featureCount);
    }
    float[] source = dataset.featuresView();
    float[] scaled = new float[source.length];
    for (int i = 0; i < source.length; i++) {
      int j = i % featureCount;
      scaled[i] = (float) ((source[i] - means[j]) / standardDeviations[j]);
    }
    return LabeledDataset.wrap(
        scaled, dataset.labelsView().clone(), dataset.featureShape(), dataset.classCount());
  }

  @Override
  public String toString() {
    return "FeatureScaler[standardization of " + means.length + " features]";
  }
}
