package org.fedsum.aggregator.strategy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FedAdagrad (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2), per
 * coordinate, without bias correction and with {@code m} starting at 0 and {@code v} at {@code τ²}:
 *
 * <pre>
 * m ← β1·m + (1 − β1)·Δ
 * v ← v + Δ²
 * w ← w + η·m / (√v + τ)
 * </pre>
 *
 * @param serverLearningRate {@code η}, finite and > 0; default {@value
 *     #DEFAULT_SERVER_LEARNING_RATE}
 * @param beta1 {@code β1}, in {@code [0, 1)}; default {@value #DEFAULT_BETA1}
 * @param tau {@code τ}, the degree of adaptivity (smaller is more adaptive), finite and > 0;
 *     default {@value #DEFAULT_TAU}
 */
public record FedAdagradConfig(double serverLearningRate, double beta1, double tau)
    implements StrategyConfig {
  /** The name in the run configuration. */
  public static final String NAME = "fedadagrad";

  /** The default {@code η}. */
  public static final double DEFAULT_SERVER_LEARNING_RATE = 0.1;

  /** The default {@code β1}, as in Reddi et al.'s experiments and Flower's defaults. */
  public static final double DEFAULT_BETA1 = 0.9;

  /** The default {@code τ}. */
  public static final double DEFAULT_TAU = 0.001;

  /**
   * Validates.
   *
   * @throws IllegalArgumentException naming the first bad hyper-parameter
   */
  public FedAdagradConfig {
    Hyperparameters.requirePositive(NAME, "serverLearningRate", serverLearningRate);
    Hyperparameters.requireDecay(NAME, "beta1", beta1);
    Hyperparameters.requirePositive(NAME, "tau", tau);
  }

  /** Every hyper-parameter at its default. */
  public static FedAdagradConfig defaults() {
    return new FedAdagradConfig(DEFAULT_SERVER_LEARNING_RATE, DEFAULT_BETA1, DEFAULT_TAU);
  }

  static FedAdagradConfig read(ConfigReader reader) {
    return new FedAdagradConfig(
        reader.number("serverLearningRate", DEFAULT_SERVER_LEARNING_RATE),
        reader.number("beta1", DEFAULT_BETA1),
        reader.number("tau", DEFAULT_TAU));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerStrategy strategy() {
    return AdaptiveServerStrategy.fedAdagrad(this);
  }

  @Override
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put(ConfigReader.NAME_KEY, NAME);
    map.put("serverLearningRate", serverLearningRate);
    map.put("beta1", beta1);
    map.put("tau", tau);
    return Collections.unmodifiableMap(map);
  }
}
