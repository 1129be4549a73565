package org.fedsum.aggregator.strategy;

import java.util.List;

/**
 * FedAvg with a server learning rate: {@code w ← w + η·Δ}. With {@code η = 1} this is McMahan et
 * al.'s FedAvg exactly (the next model is the survivors' average model); Reddi et al. 2021 call the
 * general form FedAvg with server SGD (their Algorithm 1 with SGD as ServerOpt). No moments.
 */
final class FedAvg extends AbstractServerStrategy {
  private final FedAvgConfig config;

  FedAvg(FedAvgConfig config) {
    this.config = config;
  }

  @Override
  public FedAvgConfig config() {
    return config;
  }

  @Override
  List<String> momentNames() {
    return List.of();
  }

  @Override
  void initializeMoments(double[][] moments) {}

  @Override
  void step(
      int length,
      double[] globalModel,
      double[] averageUpdate,
      double[][] moments,
      double[] nextModel,
      double[][] nextMoments) {
    double eta = config.serverLearningRate();
    for (int i = 0; i < length; i++) {
      nextModel[i] = globalModel[i] + eta * averageUpdate[i];
    }
  }
}
