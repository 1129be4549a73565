package org.fedsum.aggregator.strategy;

/** Range checks shared by the config records; messages name the strategy and the key. */
final class Hyperparameters {
  private Hyperparameters() {}

  /** A learning rate or {@code τ}: finite and strictly positive. */
  static void requirePositive(String strategy, String key, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          strategy + ": " + key + " must be a finite number > 0, not " + value);
    }
  }

  /**
   * A decay rate {@code β}: in {@code [0, 1)} (Reddi et al., Algorithm 2: {@code β1, β2 ∈ [0, 1)});
   * at 1 the moment would never forget and, for {@code β2}, never learn.
   */
  static void requireDecay(String strategy, String key, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException(
          strategy + ": " + key + " must be >= 0 and < 1, not " + value);
    }
  }
}
