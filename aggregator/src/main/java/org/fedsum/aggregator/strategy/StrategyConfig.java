package org.fedsum.aggregator.strategy;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validated choice of server strategy and its hyper-parameters, as written in the run
 * configuration:
 *
 * <pre>
 * strategy: {name: fedadam, serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 0.001}
 * </pre>
 *
 * <p>Every hyper-parameter is optional and takes the default of its record; every value is checked
 * on construction and a bad one is refused with its key's name, never clamped.
 *
 * <table>
 *   <caption>Strategies and keys</caption>
 *   <tr><th>name</th><th>keys (default)</th><th>reference</th></tr>
 *   <tr><td>{@code fedavg}</td><td>serverLearningRate (1.0)</td><td>McMahan et al. 2017</td></tr>
 *   <tr><td>{@code fedavgm}</td><td>serverLearningRate (1.0), serverMomentum (0.9)</td>
 *       <td>Hsu et al. 2019</td></tr>
 *   <tr><td>{@code fedadagrad}</td><td>serverLearningRate (0.1), beta1 (0.9), tau (0.001)</td>
 *       <td>Reddi et al. 2021, Alg. 2</td></tr>
 *   <tr><td>{@code fedadam}</td>
 *       <td>serverLearningRate (0.01), beta1 (0.9), beta2 (0.99), tau (0.001)</td>
 *       <td>Reddi et al. 2021, Alg. 2</td></tr>
 *   <tr><td>{@code fedyogi}</td>
 *       <td>serverLearningRate (0.01), beta1 (0.9), beta2 (0.99), tau (0.001)</td>
 *       <td>Reddi et al. 2021, Alg. 2</td></tr>
 * </table>
 *
 * <p>{@code β1 = 0.9} and {@code β2 = 0.99} are the decay rates of Reddi et al.'s experiments (§5)
 * and Flower's FedAdam/FedYogi defaults. Reddi et al. tune {@code η} and {@code τ} per task over
 * grids of powers of ten; the defaults here are starting points, not a recommendation from the
 * paper, and should be tuned like any learning rate.
 */
public sealed interface StrategyConfig
    permits FedAvgConfig, FedAvgMConfig, FedAdagradConfig, FedAdamConfig, FedYogiConfig {

  /** The strategy's name as written in the configuration, e.g. {@code fedadam}. */
  String name();

  /** The strategy these hyper-parameters configure. */
  ServerStrategy strategy();

  /**
   * The configuration as a map, {@code name} first and then every hyper-parameter (defaults
   * included, as {@link Double}), such that {@code fromMap(toMap())} equals this configuration.
   * Unmodifiable.
   */
  Map<String, Object> toMap();

  /** Every strategy name {@link #fromMap} accepts. */
  static List<String> names() {
    return List.of(
        FedAvgConfig.NAME,
        FedAvgMConfig.NAME,
        FedAdagradConfig.NAME,
        FedAdamConfig.NAME,
        FedYogiConfig.NAME);
  }

  /**
   * The named strategy with all its defaults.
   *
   * @throws IllegalArgumentException if the name is not one of {@link #names()}
   */
  static StrategyConfig defaults(String name) {
    return fromMap(Map.of("name", Objects.requireNonNull(name, "name")));
  }

  /**
   * Parses the {@code strategy} section of a run configuration, as a YAML or JSON parser returns
   * it: a {@code name} (one of {@link #names()}, exactly) and the hyper-parameters as numbers.
   * Integers are accepted where a real number is expected ({@code serverLearningRate: 1}); strings,
   * booleans and nulls are not, even when they look like numbers.
   *
   * @throws IllegalArgumentException naming the offending key: a missing or unknown name, a key
   *     that the named strategy does not have (e.g. {@code beta2} for {@code fedavg}), a value that
   *     is not a number or is out of range
   */
  static StrategyConfig fromMap(Map<String, ?> map) {
    Objects.requireNonNull(map, "map");
    ConfigReader reader = ConfigReader.of(map);
    String name = reader.name();
    StrategyConfig config =
        switch (name) {
          case FedAvgConfig.NAME -> FedAvgConfig.read(reader);
          case FedAvgMConfig.NAME -> FedAvgMConfig.read(reader);
          case FedAdagradConfig.NAME -> FedAdagradConfig.read(reader);
          case FedAdamConfig.NAME -> FedAdamConfig.read(reader);
          case FedYogiConfig.NAME -> FedYogiConfig.read(reader);
          default ->
              throw new IllegalArgumentException(
                  "strategy name '" + name + "' is unknown; known names: " + names());
        };
    reader.refuseUnreadKeys();
    return config;
  }
}
