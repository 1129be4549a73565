package org.fedsum.aggregator.strategy;

import java.util.List;

/**
 * FedAvg with server momentum (Hsu, Qi, Brown, "Measuring the Effects of Non-Identical Data
 * Distribution for Federated Visual Classification", arXiv:1909.06335, 2019): {@code v ← β·v + Δ; w
 * ← w + η·v}, starting from {@code v = 0}. Hsu et al. write the pseudo-gradient {@code −Δ} and
 * subtract; the two forms are the same. With {@code β = 0} the step is FedAvg's exactly. The
 * steady-state step for a constant update is {@code η/(1−β)·Δ}, so raising {@code β} raises the
 * effective learning rate as well; Hsu et al. tune the two together.
 */
final class FedAvgM extends AbstractServerStrategy {
  private final FedAvgMConfig config;

  FedAvgM(FedAvgMConfig config) {
    this.config = config;
  }

  @Override
  public FedAvgMConfig config() {
    return config;
  }

  @Override
  List<String> momentNames() {
    return List.of("velocity");
  }

  @Override
  void initializeMoments(double[][] moments) {
    // Java arrays start at zero: v = 0.
  }

  @Override
  void step(
      int length,
      double[] globalModel,
      double[] averageUpdate,
      double[][] moments,
      double[] nextModel,
      double[][] nextMoments) {
    double eta = config.serverLearningRate();
    double beta = config.serverMomentum();
    double[] velocity = moments[0];
    double[] nextVelocity = nextMoments[0];
    for (int i = 0; i < length; i++) {
      nextVelocity[i] = beta * velocity[i] + averageUpdate[i];
      nextModel[i] = globalModel[i] + eta * nextVelocity[i];
    }
  }
}
