package org.fedsum.silo.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable in-memory dataset for classification: {@code size()} examples, each a float feature
 * tensor of {@link #featureShape()} stored row-major, and an integer label in {@code [0,
 * classCount())}.
 *
 * <p>Features of example {@code i} occupy {@code [i * featureCount(), (i + 1) * featureCount())} of
 * the backing array. Images use the shape {@code [channels, height, width]} (the layout DJL and
 * PyTorch call NCHW once a batch dimension is added); tabular data uses {@code [columns]}.
 *
 * <p>Every feature is finite, every label in range: the factory checks, so training never meets a
 * NaN that came from the data. Arrays are copied in and out.
 */
public final class LabeledDataset {
  private final float[] features;
  private final int[] labels;
  private final int[] featureShape;
  private final int featureCount;
  private final int classCount;

  private LabeledDataset(float[] features, int[] labels, int[] featureShape, int classCount) {
    this.features = features;
    this.labels = labels;
    this.featureShape = featureShape;
    this.featureCount = featureCount(featureShape);
    this.classCount = classCount;
  }

  /**
   * Creates a dataset from copies of the given arrays.
   *
   * @param features {@code labels.length * product(featureShape)} finite values, row-major
   * @param labels one label per example, each in {@code [0, classCount)}
   * @param featureShape the shape of one example, every dimension positive
   * @param classCount the number of classes, at least 2
   * @throws IllegalArgumentException naming the first bad value
   */
  public static LabeledDataset create(
      float[] features, int[] labels, int[] featureShape, int classCount) {
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(featureShape, "featureShape");
    return wrap(features.clone(), labels.clone(), featureShape.clone(), classCount);
  }

  /** As {@link #create} but takes ownership of the arrays (loaders built them for us). */
  static LabeledDataset wrap(float[] features, int[] labels, int[] featureShape, int classCount) {
    int featureCount = featureCount(featureShape);
    if (classCount < 2) {
      throw new IllegalArgumentException("classCount must be at least 2, not " + classCount);
    }
    if ((long) labels.length * featureCount != features.length) {
      throw new IllegalArgumentException(
          "features must hold "
              + labels.length
              + " examples × "
              + featureCount
              + " features = "
              + (long) labels.length * featureCount
              + " values, not "
              + features.length);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classCount) {
        throw new IllegalArgumentException(
            "label of example " + i + " is " + labels[i] + ", outside [0, " + classCount + ")");
      }
    }
    for (int i = 0; i < features.length; i++) {
      if (!Float.isFinite(features[i])) {
        throw new IllegalArgumentException(
            "feature "
                + i % featureCount
                + " of example "
                + i / featureCount
                + " is "
                + features[i]
                + "; features must be finite");
      }
    }
    return new LabeledDataset(features, labels, featureShape, classCount);
  }

  private static int featureCount(int[] featureShape) {
    if (featureShape.length == 0) {
      throw new IllegalArgumentException("featureShape must have at least one dimension");
    }
    long count = 1;
    for (int dimension : featureShape) {
      if (dimension <= 0) {
        throw new IllegalArgumentException(
            "featureShape dimensions must be positive, not " + Arrays.toString(featureShape));
      }
      count *= dimension;
      if (count > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "featureShape " + Arrays.toString(featureShape) + " has too many features");
      }
    }
    return (int) count;
  }

  /** The number of examples. */
  public int size() {
    return labels.length;
  }

  /** The shape of one example (a copy). */
  public int[] featureShape() {
    return featureShape.clone();
  }

  /** The number of feature values per example, the product of {@link #featureShape()}. */
  public int featureCount() {
    return featureCount;
  }

  /** The number of classes; every label is in {@code [0, classCount())}. */
  public int classCount() {
    return classCount;
  }

  /** The label of example {@code index}. */
  public int label(int index) {
    return labels[Objects.checkIndex(index, labels.length)];
  }

  /** All labels in example order (a copy). */
  public int[] labels() {
    return labels.clone();
  }

  /** All features, row-major (a copy of {@code size() * featureCount()} values). */
  public float[] features() {
    return features.clone();
  }

  /**
   * Copies the features of example {@code index} into {@code destination} starting at {@code
   * offset}, the allocation-free way to assemble a batch.
   */
  public void copyFeatures(int index, float[] destination, int offset) {
    Objects.checkIndex(index, labels.length);
    System.arraycopy(features, index * featureCount, destination, offset, featureCount);
  }

  /** The number of examples of each class, indexed by label. */
  public int[] labelCounts() {
    int[] counts = new int[classCount];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /**
   * The examples at {@code indices}, in that order (an index may repeat).
   *
   * @throws IndexOutOfBoundsException if an index is outside {@code [0, size())}
   */
  public LabeledDataset subset(int[] indices) {
    float[] subsetFeatures = new float[Math.multiplyExact(indices.length, featureCount)];
    int[] subsetLabels = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      copyFeatures(indices[i], subsetFeatures, i * featureCount);
      subsetLabels[i] = labels[indices[i]];
    }
    return new LabeledDataset(subsetFeatures, subsetLabels, featureShape, classCount);
  }

  /** Package-private view for scalers in this package; callers must not modify it. */
  float[] featuresView() {
    return features;
  }

  int[] labelsView() {
    return labels;
  }

  @Override
  public String toString() {
    return "LabeledDataset["
        + size()
        + " examples of shape "
        + Arrays.toString(featureShape)
        + ", "
        + classCount
        + " classes]";
  }
}
