package org.fedsum.aggregator.strategy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FedAvg with a server learning rate: {@code w ← w + η·Δ} (McMahan et al., AISTATS 2017, with the
 * server step of Reddi et al. 2021, Algorithm 1). {@code η = 1} is plain FedAvg.
 *
 * @param serverLearningRate {@code η}, finite and > 0; default {@value
 *     #DEFAULT_SERVER_LEARNING_RATE}
 */
public record FedAvgConfig(double serverLearningRate) implements StrategyConfig {
  /** The name in the run configuration. */
  public static final String NAME = "fedavg";

  /** The default {@code η}: the next model is the survivors' average model. */
  public static final double DEFAULT_SERVER_LEARNING_RATE = 1.0;

  /**
   * Validates.
   *
   * @throws IllegalArgumentException naming {@code serverLearningRate} if it is not finite and > 0
   */
  public FedAvgConfig {
    Hyperparameters.requirePositive(NAME, "serverLearningRate", serverLearningRate);
  }

  /** {@code η = 1}. */
  public static FedAvgConfig defaults() {
    return new FedAvgConfig(DEFAULT_SERVER_LEARNING_RATE);
  }

  static FedAvgConfig read(ConfigReader reader) {
    return new FedAvgConfig(reader.number("serverLearningRate", DEFAULT_SERVER_LEARNING_RATE));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ServerStrategy strategy() {
    return new FedAvg(this);
  }

  @Override
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put(ConfigReader.NAME_KEY, NAME);
    map.put("serverLearningRate", serverLearningRate);
    return Collections.unmodifiableMap(map);
  }
}
