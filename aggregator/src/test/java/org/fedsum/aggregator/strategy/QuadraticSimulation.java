package org.fedsum.aggregator.strategy;

import java.util.Arrays;
import java.util.Random;

/**
 * A 1-D federated toy problem: the silos minimise {@code f(w) = ½·(w − optimum)²}, and each round's
 * average update is one noisy local gradient step, {@code Δ = −0.5·(w − optimum) + N(0, σ²)}.
 */
final class QuadraticSimulation {
  static final double OPTIMUM = 3.0;
  static final double NOISE = 0.5;

  private QuadraticSimulation() {}

  /** The model after each of {@code rounds} server steps from {@code w = 0}. */
  static double[] trajectory(ServerStrategy strategy, long seed, int rounds) {
    Random random = new Random(seed);
    double[] model = {0.0};
    StrategyState state = strategy.initialState(1);
    double[] trajectory = new double[rounds];
    for (int round = 0; round < rounds; round++) {
      double update = -0.5 * (model[0] - OPTIMUM) + NOISE * random.nextGaussian();
      Step step = strategy.apply(model, new double[] {update}, state);
      model = step.nextModel();
      state = step.nextState();
      trajectory[round] = model[0];
    }
    return trajectory;
  }

  static double mean(double[] values, int from, int to) {
    return Arrays.stream(values, from, to).average().orElseThrow();
  }

  static double maxDistanceFromOptimum(double[] values, int from, int to) {
    return Arrays.stream(values, from, to).map(w -> Math.abs(w - OPTIMUM)).max().orElseThrow();
  }
}
