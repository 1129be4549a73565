package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FedYogiTest {
  private static final double TOLERANCE = 1e-14;
  private static final double TAU = 0x1p-10; // exact in binary, so v = τ² = Δ² can be hit exactly

  @Test
  void apply_threeSteps_matchValuesComputedIndependently() {
    // Expected values: 50-digit decimal arithmetic on the same binary inputs, rounded to double:
    // m ← 0.9·m + 0.1·Δ;  v ← v − 0.01·Δ²·sign(v − Δ²);  w ← w + 0.01·m / (√v + τ),
    // with m = 0 and v = τ² = 2^-20 initially. The coordinates cover every branch of sign():
    //   coordinate 0: v grows (round 1), shrinks (round 2: Δ² = 2^-14 < v), grows (round 3);
    //   coordinate 1: v = Δ² exactly (round 1: unchanged), grows, shrinks;
    //   coordinate 2: Δ = 0 leaves v unchanged (rounds 1, 2), then v grows.
    // Round 1, coordinate 1 by hand: m = 0.1·2^-10, √v + τ = 2^-9, w = −0.25 + 0.01·0.05.
    ServerStrategy fedYogi = new FedYogiConfig(0.01, 0.9, 0.99, TAU).strategy();
    double[][] updates = {{0.125, 0x1p-10, 0.0}, {0x1p-7, -0.5, 0.0}, {-0.25, 0x1p-10, 0.375}};
    double[][] firstMoments = {
      {0.0125, 0.00009765625, 0.0},
      {0.01203125, -0.049912109375, 0.0},
      {-0.014171875, -0.0448232421875, 0.0375}
    };
    double[][] secondMoments = {
      {0.0001572036743164064, 9.5367431640625e-7, 9.5367431640625e-7},
      {0.0001565933227539064, 0.0025009536743164085, 9.5367431640625e-7},
      {0.000781593322753907, 0.002500944137573244, 0.0014072036743164075}
    };
    double[][] models = {
      {0.509249221153565, -0.2495, 2.0},
      {0.5181676742746033, -0.25928935651208085, 2.0},
      {0.5132695979972953, -0.26808064030836554, 2.009742973600652}
    };
    StrategyState state = fedYogi.initialState(3);
    double[] model = {0.5, -0.25, 2.0};
    for (int round = 0; round < 3; round++) {
      Step step = fedYogi.apply(model, updates[round], state);
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
      if (round == 0) {
        // sign(0) = 0: not merely close, bit-for-bit unchanged.
        assertThat(state.moment(1)[1]).isEqualTo(TAU * TAU);
      }
    }
  }

  @Test
  void apply_updateSmallerThanSecondMoment_shrinksItAdditivelyUnlikeAdam() {
    // Yogi's v falls by (1 − β2)·Δ² where Adam's falls by (1 − β2)·(v − Δ²):
    // from v = 1 with Δ = 0.5, Yogi gives 1 − 0.01·0.25 = 0.9975, Adam 0.99 + 0.0025 = 0.9925.
    double[] start = {1.0};
    double[] zeroMoment = {0.0};
    StrategyState yogiState =
        new StrategyState(FedYogiConfig.NAME, 1, 7, new double[][] {zeroMoment, start});
    StrategyState adamState =
        new StrategyState(FedAdamConfig.NAME, 1, 7, new double[][] {zeroMoment, start});
    double[] update = {0.5};
    Step yogi = FedYogiConfig.defaults().strategy().apply(new double[] {0}, update, yogiState);
    Step adam = FedAdamConfig.defaults().strategy().apply(new double[] {0}, update, adamState);
    assertThat(yogi.nextState().moment(1)[0]).isCloseTo(0.9975, within(1e-15));
    assertThat(adam.nextState().moment(1)[0]).isCloseTo(0.9925, within(1e-15));
    assertThat(yogi.nextState().steps()).isEqualTo(8);
  }

  @Test
  void apply_noisyQuadratic_convergesToTheOptimum() {
    ServerStrategy fedYogi = FedYogiConfig.defaults().strategy();
    for (long seed = 1; seed <= 5; seed++) {
      double[] trajectory = QuadraticSimulation.trajectory(fedYogi, seed, 2000);
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
