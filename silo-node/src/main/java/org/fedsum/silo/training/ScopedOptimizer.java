package org.fedsum.silo.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import java.util.HashMap;
import java.util.Map;

/**
 * SGD with momentum and Adam, with the same update kernels as DJL's {@code Sgd} and {@code Adam},
 * but keeping the optimizer state (momentum, Adam's moments) on a manager the caller closes. DJL's
 * own optimizers detach their state arrays to the engine's system manager, which is never closed,
 * so a silo that builds a fresh optimizer every round would leak one model's worth of native memory
 * per round.
 */
final class ScopedOptimizer extends Optimizer {
  private static final float ADAM_BETA1 = 0.9f;
  private static final float ADAM_BETA2 = 0.999f;
  private static final float ADAM_EPSILON = 1e-8f;

  private final OptimizerKind kind;
  private final float learningRate;
  private final float momentum;
  private final float weightDecay;
  private final NDManager stateManager;
  private final Map<String, NDArray> firstMoments = new HashMap<>();
  private final Map<String, NDArray> secondMoments = new HashMap<>();

  private ScopedOptimizer(
      OptimizerKind kind,
      float learningRate,
      float momentum,
      float weightDecay,
      NDManager stateManager) {
    super(new Builder());
    this.kind = kind;
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.stateManager = stateManager;
  }

  /** An optimizer for {@code config} whose state lives on {@code stateManager}. */
  static ScopedOptimizer create(LocalTrainingConfig config, NDManager stateManager) {
    return new ScopedOptimizer(
        config.optimizer(),
        (float) config.learningRate(),
        (float) config.momentum(),
        (float) config.weightDecay(),
        stateManager);
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray grad) {
    int step = updateCount(parameterId);
    NDList weights = new NDList(weight);
    switch (kind) {
      case SGD -> {
        NDList inputs =
            momentum == 0f
                ? new NDList(weight, grad)
                : new NDList(weight, grad, state(firstMoments, parameterId, weight));
        weight
            .getNDArrayInternal()
            .sgdUpdate(
                inputs, weights, learningRate, weightDecay, rescaleGrad, clipGrad, momentum, true);
      }
      case ADAM -> {
        double biasCorrection1 = 1.0 - Math.pow(ADAM_BETA1, step);
        double biasCorrection2 = 1.0 - Math.pow(ADAM_BETA2, step);
        float correctedLearningRate =
            (float) (learningRate * Math.sqrt(biasCorrection2) / biasCorrection1);
        NDList inputs =
            new NDList(
                weight,
                grad,
                state(firstMoments, parameterId, weight),
                state(secondMoments, parameterId, weight));
        weight
            .getNDArrayInternal()
            .adamUpdate(
                inputs,
                weights,
                learningRate,
                correctedLearningRate,
                weightDecay,
                rescaleGrad,
                clipGrad,
                ADAM_BETA1,
                ADAM_BETA2,
                ADAM_EPSILON,
                true,
                false);
      }
    }
  }

  private NDArray state(Map<String, NDArray> states, String parameterId, NDArray weight) {
    return states.computeIfAbsent(
        parameterId,
        id -> {
          NDArray zeros = weight.zerosLike();
          zeros.attach(stateManager);
          return zeros;
        });
  }

  private static final class Builder extends Optimizer.OptimizerBuilder<Builder> {
    @Override
    protected Builder self() {
      return this;
    }
  }
}
