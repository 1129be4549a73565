package org.fedsum.silo.training;

import java.util.SplittableRandom;
import org.fedsum.silo.data.LabeledDataset;

/** Small learnable datasets for training tests. */
final class TrainingData {
  private TrainingData() {}

  /**
   * Gaussian blobs: class {@code c} is centred at a fixed random point, so a linear model can
   * separate the classes well.
   */
  static LabeledDataset blobs(int examples, int features, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[][] centres = new float[classes][features];
    for (int c = 0; c < classes; c++) {
      for (int j = 0; j < features; j++) {
        centres[c][j] = (float) (2 * random.nextGaussian());
      }
    }
    float[] x = new float[examples * features];
    int[] y = new int[examples];
    for (int i = 0; i < examples; i++) {
      y[i] = i % classes;
      for (int j = 0; j < features; j++) {
        x[i * features + j] = centres[y[i]][j] + (float) random.nextGaussian();
      }
    }
    return LabeledDataset.create(x, y, new int[] {features}, classes);
  }

  /**
   * 1 × 28 × 28 images: class {@code c} lights a bright square in a class-specific position on a
   * noisy background.
   */
  static LabeledDataset images(int examples, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int side = 28;
    float[] x = new float[examples * side * side];
    int[] y = new int[examples];
    for (int i = 0; i < examples; i++) {
      int label = i % classes;
      y[i] = label;
      int base = i * side * side;
      for (int p = 0; p < side * side; p++) {
        x[base + p] = (float) (0.1 * random.nextDouble());
      }
      // A 4 × 3 grid of 5 × 5 squares fits 12 classes.
      int row = 1 + (label / 3) * 7;
      int column = 1 + (label % 3) * 9;
      for (int r = row; r < row + 5; r++) {
        for (int c = column; c < column + 5; c++) {
          x[base + r * side + c] = 1f;
        }
      }
    }
    return LabeledDataset.create(x, y, new int[] {1, side, side}, classes);
  }
}
