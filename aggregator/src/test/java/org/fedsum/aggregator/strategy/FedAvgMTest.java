package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FedAvgMTest {
  private static final double[] W0 = {1.0, -2.0, 0.5};
  private static final double[][] UPDATES = {{0.2, 0.4, -1.0}, {-0.6, 0.1, 0.3}, {1.0, -1.0, 0.0}};

  @Test
  void apply_threeSteps_matchHandComputedValues() {
    ServerStrategy fedAvgM = FedAvgMConfig.defaults().strategy(); // η = 1, β = 0.9
    // v1 = Δ1;            w1 = w0 + v1
    // v2 = 0.9·v1 + Δ2 = (0.18 − 0.6, 0.36 + 0.1, −0.9 + 0.3)
    // v3 = 0.9·v2 + Δ3 = (−0.378 + 1, 0.414 − 1, −0.54 + 0)
    double[][] velocities = {{0.2, 0.4, -1.0}, {-0.42, 0.46, -0.6}, {0.622, -0.586, -0.54}};
    double[][] models = {{1.2, -1.6, -0.5}, {0.78, -1.14, -1.1}, {1.402, -1.726, -1.64}};
    StrategyState state = fedAvgM.initialState(3);
    assertThat(state.moment(0)).containsExactly(0.0, 0.0, 0.0);
    double[] model = W0;
    for (int round = 0; round < 3; round++) {
      Step step = fedAvgM.apply(model, UPDATES[round], state);
      model = step.nextModel();
      state = step.nextState();
      assertThat(state.moment(0))
          .as("velocity after round %d", round + 1)
          .containsExactly(velocities[round], within(1e-15));
      assertThat(model)
          .as("model after round %d", round + 1)
          .containsExactly(models[round], within(1e-15));
    }
  }

  @Test
  void apply_halfLearningRate_scalesTheVelocityStepOnly() {
    ServerStrategy fedAvgM = new FedAvgMConfig(0.5, 0.5).strategy();
    StrategyState state = fedAvgM.initialState(1);
    // v1 = 2, w1 = 0 + 0.5·2 = 1; v2 = 0.5·2 + 2 = 3, w2 = 1 + 1.5 = 2.5
    Step first = fedAvgM.apply(new double[] {0.0}, new double[] {2.0}, state);
    Step second = fedAvgM.apply(first.nextModel(), new double[] {2.0}, first.nextState());
    assertThat(first.nextModel()).containsExactly(1.0);
    assertThat(second.nextModel()).containsExactly(2.5);
    assertThat(second.nextState().moment(0)).containsExactly(3.0);
  }

  @Test
  void apply_zeroMomentum_equalsFedAvgBitForBit() {
    ServerStrategy fedAvgM = new FedAvgMConfig(0.7, 0.0).strategy();
    ServerStrategy fedAvg = new FedAvgConfig(0.7).strategy();
    Random random = new Random(42);
    int dimension = 50;
    double[] momentumModel = new double[dimension];
    double[] plainModel = new double[dimension];
    StrategyState momentumState = fedAvgM.initialState(dimension);
    StrategyState plainState = fedAvg.initialState(dimension);
    for (int round = 0; round < 20; round++) {
      double[] update = new double[dimension];
      for (int i = 0; i < dimension; i++) {
        update[i] = random.nextGaussian();
      }
      Step momentumStep = fedAvgM.apply(momentumModel, update, momentumState);
      Step plainStep = fedAvg.apply(plainModel, update, plainState);
      momentumModel = momentumStep.nextModel();
      momentumState = momentumStep.nextState();
      plainModel = plainStep.nextModel();
      plainState = plainStep.nextState();
      assertThat(momentumModel).as("round %d", round + 1).containsExactly(plainModel);
    }
  }
}
