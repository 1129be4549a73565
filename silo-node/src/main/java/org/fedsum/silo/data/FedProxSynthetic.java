package org.fedsum.silo.data;

import java.util.SplittableRandom;

/**
 * The synthetic(α, β) federated dataset of Li et al., "Federated Optimization in Heterogeneous
 * Networks" (MLSys 2020), §5.1: 60 features, 10 classes, and for device {@code k}
 *
 * <ul>
 *   <li>a local model {@code W_k ∈ R^{10×60}}, {@code b_k ∈ R^10} with every entry drawn from
 *       {@code N(u_k, 1)}, where {@code u_k ~ N(0, α)}: α controls how much the devices' models
 *       differ;
 *   <li>features {@code x ~ N(v_k, Σ)} with {@code v_k}'s entries drawn from {@code N(B_k, 1)},
 *       {@code B_k ~ N(0, β)}: β controls how much the devices' data differ; {@code Σ} is diagonal
 *       with {@code Σ_jj = j^-1.2} ({@code j = 1..60});
 *   <li>the label {@code y = argmax softmax(W_k x + b_k)}.
 * </ul>
 *
 * <p>As in the authors' generator, the second argument of {@code N(·, α)} and {@code N(·, β)} is a
 * standard deviation ({@code numpy.random.normal(0, alpha)}), and the paper's default device sizes
 * follow a log-normal law, {@link #deviceSizes}. Synthetic(0, 0) is the mildest heterogeneity of
 * the paper, synthetic(1, 1) the strongest.
 *
 * <p>Every device is generated from its own stream derived from {@code (seed, device)}, so a device
 * is the same whichever other devices are generated, and the first {@code n} examples of a device
 * do not depend on how many are asked for.
 */
public final class FedProxSynthetic {
  /** Features per example. */
  public static final int FEATURES = 60;

  /** Classes. */
  public static final int CLASSES = 10;

  private final double alpha;
  private final double beta;
  private final long seed;

  private FedProxSynthetic(double alpha, double beta, long seed) {
    this.alpha = alpha;
    this.beta = beta;
    this.seed = seed;
  }

  /**
   * A generator for synthetic(α, β).
   *
   * @param alpha model heterogeneity, finite and ≥ 0
   * @param beta data heterogeneity, finite and ≥ 0
   * @param seed the seed every device's stream derives from
   */
  public static FedProxSynthetic create(double alpha, double beta, long seed) {
    if (!(Double.isFinite(alpha) && alpha >= 0)) {
      throw new IllegalArgumentException("alpha must be finite and >= 0, not " + alpha);
    }
    if (!(Double.isFinite(beta) && beta >= 0)) {
      throw new IllegalArgumentException("beta must be finite and >= 0, not " + beta);
    }
    return new FedProxSynthetic(alpha, beta, seed);
  }

  /**
   * Device sizes as in the authors' generator: {@code floor(LogNormal(4, 2)) + 50} examples each,
   * capped at {@code maxExamples} so that one device cannot exhaust memory.
   */
  public static int[] deviceSizes(int devices, int maxExamples, long seed) {
    if (devices <= 0) {
      throw new IllegalArgumentException("devices must be positive, not " + devices);
    }
    if (maxExamples < 50) {
      throw new IllegalArgumentException("maxExamples must be at least 50, not " + maxExamples);
    }
    SplittableRandom random = RandomStreams.derive(seed, "fedprox-synthetic-sizes", 0);
    int[] sizes = new int[devices];
    for (int k = 0; k < devices; k++) {
      double size = Math.floor(Math.exp(4 + 2 * random.nextGaussian())) + 50;
      sizes[k] = (int) Math.min(size, maxExamples);
    }
    return sizes;
  }

  /**
   * The first {@code examples} examples of device {@code device}: feature shape {@code [60]}, 10
   * classes.
   */
  public LabeledDataset device(int device, int examples) {
    if (device < 0) {
      throw new IllegalArgumentException("device must be >= 0, not " + device);
    }
    if (examples < 0 || (long) examples * FEATURES > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("examples out of range: " + examples);
    }
    SplittableRandom random = RandomStreams.derive(seed, "fedprox-synthetic-device", device);
    // The draw order (u_k, B_k, v_k, W_k, b_k, then the examples) is fixed: changing it changes
    // every dataset generated from a given seed.
    double modelMean = alpha * random.nextGaussian();
    double featureMeanCentre = beta * random.nextGaussian();
    double[] featureMean = new double[FEATURES];
    for (int j = 0; j < FEATURES; j++) {
      featureMean[j] = featureMeanCentre + random.nextGaussian();
    }
    double[][] weights = new double[CLASSES][FEATURES];
    double[] biases = new double[CLASSES];
    for (int c = 0; c < CLASSES; c++) {
      for (int j = 0; j < FEATURES; j++) {
        weights[c][j] = modelMean + random.nextGaussian();
      }
    }
    for (int c = 0; c < CLASSES; c++) {
      biases[c] = modelMean + random.nextGaussian();
    }
    double[] featureDeviation = new double[FEATURES];
    for (int j = 0; j < FEATURES; j++) {
      featureDeviation[j] = Math.sqrt(Math.pow(j + 1, -1.2));
    }

    float[] features = new float[examples * FEATURES];
    int[] labels = new int[examples];
    double[] x = new double[FEATURES];
    for (int i = 0; i < examples; i++) {
      for (int j = 0; j < FEATURES; j++) {
        x[j] = featureMean[j] + featureDeviation[j] * random.nextGaussian();
        features[i * FEATURES + j] = (float) x[j];
      }
      // softmax is monotonic, so argmax softmax(Wx + b) = argmax (Wx + b).
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < CLASSES; c++) {
        double score = biases[c];
        for (int j = 0; j < FEATURES; j++) {
          score += weights[c][j] * x[j];
        }
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
      labels[i] = best;
    }
    return LabeledDataset.wrap(features, labels, new int[] {FEATURES}, CLASSES);
  }

  @Override
  public String toString() {
    return "FedProxSynthetic[alpha=" + alpha + ", beta=" + beta + "]";
  }
}
