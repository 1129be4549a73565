package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FedAdamTest {
  private static final double TOLERANCE = 1e-14;

  @Test
  void apply_threeSteps_matchValuesComputedIndependently() {
    // Expected values: 50-digit decimal arithmetic on the same binary inputs, rounded to double
    // (Reddi et al.
    // 2021, Algorithm 2, no bias correction, m = 0 and v = τ² = 1e-6 initially):
    // m ← 0.9·m + 0.1·Δ;  v ← 0.99·v + 0.01·Δ²;  w ← w + 0.01·m / (√v + 0.001)
    // Round 1, first coordinate by hand: m = 0.01, v = 0.99e-6 + 1e-4 = 1.0099e-4,
    // w = 0.5 + 0.01·0.01 / (0.0100494… + 0.001) = 0.50905028…
    ServerStrategy fedAdam = FedAdamConfig.defaults().strategy();
    double[][] updates = {{0.1, -0.2}, {0.05, 0.0}, {-0.1, 0.3}};
    double[][] firstMoments = {{0.01, -0.02}, {0.014, -0.018}, {0.0026, 0.0138}};
    double[][] secondMoments = {
      {0.00010099, 0.00040099}, {0.0001249801, 0.0003969801}, {0.000223730299, 0.001293010299}
    };
    double[][] models = {
      {0.5090502831185222, -0.25951260516755886},
      {0.5205450551471213, -0.26811501903454626},
      {0.5221743711282361, -0.2643810964528702}
    };
    StrategyState state = fedAdam.initialState(2);
    assertThat(state.moment(0)).containsExactly(0.0, 0.0);
    assertThat(state.moment(1)).containsExactly(1e-6, 1e-6);
    double[] model = {0.5, -0.25};
    for (int round = 0; round < 3; round++) {
      Step step = fedAdam.apply(model, updates[round], state);
      model = step.nextModel();
      state = step.nextState();
      assertThat(state.moment(0))
          .as("m after round %d", round + 1)
          .containsExactly(firstMoments[round], within(TOLERANCE));
      assertThat(state.moment(1))
          .as("v after round %d", round + 1)
          .containsExactly(secondMoments[round], within(TOLERANCE));
      assertThat(model)
          .as("w after round %d", round + 1)
          .containsExactly(models[round], within(TOLERANCE));
    }
  }

  @Test
  void apply_noisyQuadratic_convergesToTheOptimum() {
    ServerStrategy fedAdam = FedAdamConfig.defaults().strategy();
    for (long seed = 1; seed <= 5; seed++) {
      double[] trajectory = QuadraticSimulation.trajectory(fedAdam, seed, 2000);
      // Steps are about η = 0.01 long, so 3 units take a few hundred rounds.
      assertThat(trajectory[299]).as("seed %d, round 300", seed).isGreaterThan(2.0);
      assertThat(QuadraticSimulation.mean(trajectory, 1800, 2000))
          .as("seed %d, mean of the last 200 rounds", seed)
          .isCloseTo(QuadraticSimulation.OPTIMUM, within(0.2));
      assertThat(QuadraticSimulation.maxDistanceFromOptimum(trajectory, 1800, 2000))
          .as("seed %d, farthest excursion in the last 200 rounds", seed)
          .isLessThan(0.4);
    }
  }
}
