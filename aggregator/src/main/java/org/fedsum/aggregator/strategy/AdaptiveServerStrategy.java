package org.fedsum.aggregator.strategy;

import java.util.Arrays;
import java.util.List;

/**
 * FedAdagrad, FedAdam and FedYogi exactly as in Reddi et al., "Adaptive Federated Optimization",
 * ICLR 2021, Algorithm 2, per coordinate:
 *
 * <pre>
 * m ← β1·m + (1 − β1)·Δ
 * FedAdagrad:  v ← v + Δ²
 * FedAdam:     v ← β2·v + (1 − β2)·Δ²
 * FedYogi:     v ← v − (1 − β2)·Δ²·sign(v − Δ²)
 * w ← w + η·m / (√v + τ)
 * </pre>
 *
 * <p>Variant choices, all following the paper's Algorithm 2:
 *
 * <ul>
 *   <li><b>No bias correction.</b> Unlike Adam (Kingma and Ba) and TensorFlow Federated's
 *       optimizers, Algorithm 2 divides neither {@code m} by {@code 1 − β1^t} nor {@code v} by
 *       {@code 1 − β2^t}. For a constant update the FedAdam step is then {@code (1 − β1^t)/√(1 −
 *       β2^t)} times bias-corrected Adam's (ignoring {@code τ}): 1 at {@code t = 1} with the
 *       defaults, at most about 2.13 (near {@code t = 13}), back within 3% of 1 after 300 rounds.
 *   <li><b>{@code m_{-1} = 0} and {@code v_{-1} = τ²}</b>, the smallest value Algorithm 2 allows
 *       ({@code v_{-1} ≥ τ²}). Flower's FedAdam/FedYogi (the versions we read) start {@code v} at
 *       0; the difference is {@code β2^t·τ²} in {@code v} (FedAdam), negligible once {@code |Δ| ≫
 *       τ}.
 *   <li>{@code sign(0) = 0}: FedYogi leaves {@code v} unchanged where {@code v = Δ²} exactly.
 *   <li>{@code τ} is added to {@code √v}, outside the root, as in the paper (Adam's {@code ε}
 *       placement).
 * </ul>
 *
 * <p>{@code v} stays non-negative under all three rules when it starts non-negative (for FedYogi:
 * where {@code v > Δ²} it loses {@code (1 − β2)·Δ² < v}), so a restored state with a negative
 * second moment is refused as damaged.
 */
final class AdaptiveServerStrategy extends AbstractServerStrategy {
  private static final List<String> MOMENT_NAMES = List.of("firstMoment", "secondMoment");

  /** How {@code v} is updated: the only difference between the three. */
  enum SecondMomentRule {
    ADAGRAD,
    ADAM,
    YOGI
  }

  private final StrategyConfig config;
  private final SecondMomentRule rule;
  private final double serverLearningRate;
  private final double beta1;
  private final double beta2;
  private final double tau;

  private AdaptiveServerStrategy(
      StrategyConfig config,
      SecondMomentRule rule,
      double serverLearningRate,
      double beta1,
      double beta2,
      double tau) {
    this.config = config;
    this.rule = rule;
    this.serverLearningRate = serverLearningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.tau = tau;
  }

  static AdaptiveServerStrategy fedAdagrad(FedAdagradConfig config) {
    // FedAdagrad has no β2; the value is never read.
    return new AdaptiveServerStrategy(
        config,
        SecondMomentRule.ADAGRAD,
        config.serverLearningRate(),
        config.beta1(),
        Double.NaN,
        config.tau());
  }

  static AdaptiveServerStrategy fedAdam(FedAdamConfig config) {
    return new AdaptiveServerStrategy(
        config,
        SecondMomentRule.ADAM,
        config.serverLearningRate(),
        config.beta1(),
        config.beta2(),
        config.tau());
  }

  static AdaptiveServerStrategy fedYogi(FedYogiConfig config) {
    return new AdaptiveServerStrategy(
        config,
        SecondMomentRule.YOGI,
        config.serverLearningRate(),
        config.beta1(),
        config.beta2(),
        config.tau());
  }

  @Override
  public StrategyConfig config() {
    return config;
  }

  @Override
  List<String> momentNames() {
    return MOMENT_NAMES;
  }

  @Override
  void initializeMoments(double[][] moments) {
    Arrays.fill(moments[1], tau * tau);
  }

  @Override
  void checkMoments(double[][] moments, int offset, int length) {
    double[] secondMoment = moments[1];
    for (int i = 0; i < length; i++) {
      // Written so that NaN fails too, although decode() already refuses it.
      if (!(secondMoment[i] >= 0)) {
        throw new IllegalArgumentException(
            "secondMoment["
                + (offset + i)
                + "] is "
                + secondMoment[i]
                + ", but "
                + name()
                + " never makes it negative: the state is damaged");
      }
    }
  }

  @Override
  void step(
      int length,
      double[] globalModel,
      double[] averageUpdate,
      double[][] moments,
      double[] nextModel,
      double[][] nextMoments) {
    double[] firstMoment = moments[0];
    double[] secondMoment = moments[1];
    double[] nextFirst = nextMoments[0];
    double[] nextSecond = nextMoments[1];
    for (int i = 0; i < length; i++) {
      double delta = averageUpdate[i];
      double deltaSquared = delta * delta;
      nextFirst[i] = beta1 * firstMoment[i] + (1 - beta1) * delta;
      double v = secondMoment[i];
      nextSecond[i] =
          switch (rule) {
            case ADAGRAD -> v + deltaSquared;
            case ADAM -> beta2 * v + (1 - beta2) * deltaSquared;
            case YOGI -> v - (1 - beta2) * deltaSquared * Math.signum(v - deltaSquared);
          };
      nextModel[i] =
          globalModel[i] + serverLearningRate * nextFirst[i] / (Math.sqrt(nextSecond[i]) + tau);
    }
  }
}
