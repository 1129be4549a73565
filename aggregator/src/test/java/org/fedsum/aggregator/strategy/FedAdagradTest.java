package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FedAdagradTest {
  private static final double TOLERANCE = 1e-14;

  @Test
  void apply_twoSteps_matchValuesComputedIndependently() {
    // m ← 0.9·m + 0.1·Δ;  v ← v + Δ²;  w ← w + 0.1·m / (√v + 0.001), m = 0, v = 1e-6 initially.
    // Round 1, first coordinate by hand: m = 0.03, v = 0.090001, √v = 0.30000166…,
    // w = 1 + 0.003 / 0.30100166… = 1.00996672…
    ServerStrategy fedAdagrad = FedAdagradConfig.defaults().strategy();
    double[][] updates = {{0.3, -0.4}, {-0.1, 0.2}};
    double[][] firstMoments = {{0.03, -0.04}, {0.017, -0.016}};
    double[][] secondMoments = {{0.090001, 0.160001}, {0.100001, 0.200001}};
    double[][] models = {
      {1.0099667222220678, -1.0099750312499511}, {1.015325621123647, -1.0135447489582117}
    };
    StrategyState state = fedAdagrad.initialState(2);
    double[] model = {1.0, -1.0};
    for (int round = 0; round < 2; round++) {
      Step step = fedAdagrad.apply(model, updates[round], state);
      model = step.nextModel();
      state = step.nextState();
      assertThat(state.moment(0)).containsExactly(firstMoments[round], within(TOLERANCE));
      assertThat(state.moment(1)).containsExactly(secondMoments[round], within(TOLERANCE));
      assertThat(model)
          .as("w after round %d", round + 1)
          .containsExactly(models[round], within(TOLERANCE));
    }
  }
}
