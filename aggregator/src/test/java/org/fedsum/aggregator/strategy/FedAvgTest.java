package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FedAvgTest {
  private static final double[] W0 = {1.0, -2.0, 0.5};
  private static final double[][] UPDATES = {{0.2, 0.4, -1.0}, {-0.6, 0.1, 0.3}, {1.0, -1.0, 0.0}};

  @Test
  void apply_learningRateOne_isExactlyModelPlusAverageUpdate() {
    ServerStrategy fedAvg = FedAvgConfig.defaults().strategy();
    double[] model = {1.0, -2.0, 0.5, 1e-300, 12345.678};
    double[] update = {0.25, 0.5, -1.0, -3e-301, 0.001};

    double[] next = fedAvg.apply(model, update, fedAvg.initialState(5)).nextModel();

    double[] expected = new double[model.length];
    for (int i = 0; i < model.length; i++) {
      expected[i] = model[i] + update[i];
    }
    assertThat(next).containsExactly(expected);
    assertThat(next).startsWith(1.25, -1.5, -0.5);
  }

  @Test
  void apply_threeSteps_matchHandComputedValues() {
    ServerStrategy fedAvg = new FedAvgConfig(0.5).strategy();
    StrategyState state = fedAvg.initialState(3);
    double[] model = W0;
    // w ← w + 0.5·Δ, by hand:
    double[][] expected = {{1.1, -1.8, 0.0}, {0.8, -1.75, 0.15}, {1.3, -2.25, 0.15}};
    for (int round = 0; round < 3; round++) {
      Step step = fedAvg.apply(model, UPDATES[round], state);
      model = step.nextModel();
      state = step.nextState();
      assertThat(model).as("round %d", round + 1).containsExactly(expected[round], within(1e-15));
      assertThat(state.steps()).isEqualTo(round + 1);
      assertThat(state.momentCount()).isZero();
    }
  }
}
