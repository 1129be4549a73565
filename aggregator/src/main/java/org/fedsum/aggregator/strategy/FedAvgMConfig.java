package org.fedsum.aggregator.strategy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FedAvg with server momentum (Hsu, Qi, Brown 2019, arXiv:1909.06335): {@code v ← β·v + Δ; w ← w +
 * η·v}, {@code v} starting at 0. For a steady update the step tends to {@code η/(1−β)·Δ}: ten times
 * FedAvg's with the defaults, which is why Hsu et al. tune {@code η} and {@code β} together.
 *
 * @param serverLearningRate {@code η}, finite and > 0; default {@value
 *     #DEFAULT_SERVER_LEARNING_RATE}
 * @param serverMomentum {@code β}, in {@code [0, 1)}; default {@value #DEFAULT_SERVER_MOMENTUM}; 0
 *     gives FedAvg exactly
 */
public record FedAvgMConfig(double serverLearningRate, double serverMomentum)
    implements StrategyConfig {
  /** The name in the run configuration. */
  public static final String NAME = "fedavgm";

  /** The default {@code η}. */
  public static final double DEFAULT_SERVER_LEARNING_RATE = 1.0;

  /** The default {@code β}. */
  public static final double DEFAULT_SERVER_MOMENTUM = 0.9;

  /**
   * Validates.
   *
   * @throws IllegalArgumentException naming the first bad hyper-parameter
   */
  public FedAvgMConfig {
    Hyperparameters.requirePositive(NAME, "serverLearningRate", serverLearningRate);
    Hyperparameters.requireDecay(NAME, "serverMomentum", serverMomentum);
  }

  /** {@code η = 1}, {@code β = 0.9}. */
  public static FedAvgMConfig defaults() {
    return new FedAvgMConfig(DEFAULT_SERVER_LEARNING_RATE, DEFAULT_SERVER_MOMENTUM);
  }

  static FedAvgMConfig read(ConfigReader reader) {
    return new FedAvgMConfig(
        reader.number("serverLearningRate", DEFAULT_SERVER_LEARNING_RATE),
        reader.number("serverMomentum", DEFAULT_SERVER_MOMENTUM));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerStrategy strategy() {
    return new FedAvgM(this);
  }

  @Override
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put(ConfigReader.NAME_KEY, NAME);
    map.put("serverLearningRate", serverLearningRate);
    map.put("serverMomentum", serverMomentum);
    return Collections.unmodifiableMap(map);
  }
}
