package org.fedsum.silo.training;

import java.util.Arrays;
import java.util.Objects;

/**
 * What model to train: its {@link ModelKind}, the shape of one input example, the number of classes
 * and, for a multilayer perceptron, the hidden layer sizes. Every silo of a federation must use an
 * equal spec, since the flat parameter vector (see {@link LocalModel#parameters()}) only means
 * something for one architecture.
 *
 * <p>The layers, in parameter order:
 *
 * <ul>
 *   <li>{@link ModelKind#LOGISTIC_REGRESSION}: flatten, fully connected to {@code classes};
 *   <li>{@link ModelKind#MULTILAYER_PERCEPTRON}: flatten, then for each hidden size {@code h} a
 *       fully connected layer of {@code h} units and a ReLU, then fully connected to {@code
 *       classes};
 *   <li>{@link ModelKind#SMALL_CNN}, the network of NIID-Bench (Li et al., ICDE 2022, after
 *       LeNet-5) for input {@code [channels, height, width]}: 5 × 5 convolution to 6 channels,
 *       ReLU, 2 × 2 max pooling, 5 × 5 convolution to 16 channels, ReLU, 2 × 2 max pooling,
 *       flatten, fully connected to 120, ReLU, to 84, ReLU, to {@code classes}. No padding, stride
 *       1; for 1 × 28 × 28 input the flattened size is 16 · 4 · 4 = 256.
 * </ul>
 *
 * <p>The output is one logit per class; the softmax is part of the cross-entropy loss.
 */
public final class ModelSpec {
  private static final int CNN_MINIMUM_SIDE = 16;

  private final ModelKind kind;
  private final int[] inputShape;
  private final int classes;
  private final int[] hiddenSizes;

  private ModelSpec(ModelKind kind, int[] inputShape, int classes, int[] hiddenSizes) {
    this.kind = kind;
    this.inputShape = inputShape;
    this.classes = classes;
    this.hiddenSizes = hiddenSizes;
  }

  /**
   * Creates a validated spec.
   *
   * @param inputShape the shape of one example without the batch dimension: any positive shape for
   *     logistic regression and the perceptron, {@code [channels, height, width]} with height and
   *     width at least 16 for the CNN
   * @param classes at least 2
   * @param hiddenSizes at least one positive size for the perceptron, none for the other kinds
   * @throws IllegalArgumentException naming the bad value
   */
  public static ModelSpec create(ModelKind kind, int[] inputShape, int classes, int[] hiddenSizes) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(inputShape, "inputShape");
    Objects.requireNonNull(hiddenSizes, "hiddenSizes");
    int[] shape = inputShape.clone();
    int[] hidden = hiddenSizes.clone();
    if (shape.length == 0) {
      throw new IllegalArgumentException("inputShape must have at least one dimension");
    }
    long features = 1;
    for (int dimension : shape) {
      if (dimension <= 0) {
        throw new IllegalArgumentException(
            "inputShape dimensions must be positive, not " + Arrays.toString(shape));
      }
      features *= dimension;
      if (features > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "inputShape " + Arrays.toString(shape) + " is too large");
      }
    }
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be at least 2, not " + classes);
    }
    switch (kind) {
      case MULTILAYER_PERCEPTRON -> {
        if (hidden.length == 0) {
          throw new IllegalArgumentException("a multilayer perceptron needs hidden layer sizes");
        }
        for (int size : hidden) {
          if (size <= 0) {
            throw new IllegalArgumentException(
                "hidden layer sizes must be positive, not " + Arrays.toString(hidden));
          }
        }
      }
      case LOGISTIC_REGRESSION, SMALL_CNN -> {
        if (hidden.length != 0) {
          throw new IllegalArgumentException(
              kind + " takes no hidden layer sizes, not " + Arrays.toString(hidden));
        }
        if (kind == ModelKind.SMALL_CNN
            && (shape.length != 3 || shape[1] < CNN_MINIMUM_SIDE || shape[2] < CNN_MINIMUM_SIDE)) {
          throw new IllegalArgumentException(
              "SMALL_CNN needs inputShape [channels, height, width] with height and width >= "
                  + CNN_MINIMUM_SIDE
                  + ", not "
                  + Arrays.toString(shape));
        }
      }
    }
    ModelSpec spec = new ModelSpec(kind, shape, classes, hidden);
    if (spec.parameterCount() > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(spec + " has more parameters than a float[] can hold");
    }
    return spec;
  }

  /** Multinomial logistic regression on inputs of {@code inputShape}. */
  public static ModelSpec logisticRegression(int[] inputShape, int classes) {
    return create(ModelKind.LOGISTIC_REGRESSION, inputShape, classes, new int[0]);
  }

  /** A multilayer perceptron with ReLU hidden layers of the given sizes. */
  public static ModelSpec multilayerPerceptron(int[] inputShape, int classes, int... hiddenSizes) {
    return create(ModelKind.MULTILAYER_PERCEPTRON, inputShape, classes, hiddenSizes);
  }

  /** NIID-Bench's small CNN on inputs of {@code [channels, height, width]}. */
  public static ModelSpec smallCnn(int[] inputShape, int classes) {
    return create(ModelKind.SMALL_CNN, inputShape, classes, new int[0]);
  }

  /** The model family. */
  public ModelKind kind() {
    return kind;
  }

  /** The shape of one example (a copy). */
  public int[] inputShape() {
    return inputShape.clone();
  }

  /** The number of input features, the product of {@link #inputShape()}. */
  public int inputFeatures() {
    int product = 1;
    for (int dimension : inputShape) {
      product *= dimension;
    }
    return product;
  }

  /** The number of classes (output logits). */
  public int classes() {
    return classes;
  }

  /** The hidden layer sizes (a copy; empty except for the perceptron). */
  public int[] hiddenSizes() {
    return hiddenSizes.clone();
  }

  /**
   * The number of trainable parameters, computed from the architecture alone; equals the length of
   * {@link LocalModel#parameters()}.
   */
  public long parameterCount() {
    return switch (kind) {
      case LOGISTIC_REGRESSION -> dense(inputFeatures(), classes);
      case MULTILAYER_PERCEPTRON -> {
        long count = 0;
        long previous = inputFeatures();
        for (int size : hiddenSizes) {
          count += dense(previous, size);
          previous = size;
        }
        yield count + dense(previous, classes);
      }
      case SMALL_CNN -> {
        long height = ((inputShape[1] - 4L) / 2 - 4) / 2;
        long width = ((inputShape[2] - 4L) / 2 - 4) / 2;
        yield convolution(inputShape[0], 6)
            + convolution(6, 16)
            + dense(16 * height * width, 120)
            + dense(120, 84)
            + dense(84, classes);
      }
    };
  }

  private static long dense(long inputs, long outputs) {
    return inputs * outputs + outputs;
  }

  private static long convolution(long inputChannels, long outputChannels) {
    return inputChannels * outputChannels * 25 + outputChannels;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ModelSpec that
        && kind == that.kind
        && classes == that.classes
        && Arrays.equals(inputShape, that.inputShape)
        && Arrays.equals(hiddenSizes, that.hiddenSizes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, classes, Arrays.hashCode(inputShape), Arrays.hashCode(hiddenSizes));
  }

  @Override
  public String toString() {
    return "ModelSpec["
        + kind
        + ", input "
        + Arrays.toString(inputShape)
        + ", "
        + classes
        + " classes"
        + (hiddenSizes.length == 0 ? "" : ", hidden " + Arrays.toString(hiddenSizes))
        + "]";
  }
}
