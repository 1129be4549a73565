package org.fedsum.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.fedsum.aggregator.strategy.ServerStrategy;
import org.fedsum.aggregator.strategy.StrategyConfig;
import org.fedsum.aggregator.strategy.StrategyState;
import org.junit.jupiter.api.Test;

class ModelCheckpointsTest {
  private static final int DIMENSION = 7;

  @Test
  void restoreState_everyStrategyAfterTwoSteps_givesTheFloatRoundedMomentsAndSteps() {
    Random random = new Random(42);
    int checked = 0;
    for (String name : StrategyConfig.names()) {
      ServerStrategy strategy = StrategyConfig.defaults(name).strategy();
      StrategyState state = strategy.initialState(DIMENSION);
      double[] model = new double[DIMENSION];
      for (int step = 0; step < 2; step++) {
        double[] update = random.doubles(DIMENSION, -1, 1).toArray();
        var next = strategy.apply(model, update, state);
        model = next.nextModel();
        state = next.nextState();
      }
      List<float[]> moments = ModelCheckpoints.moments(state);
      StrategyState restored =
          ModelCheckpoints.restoreState(strategy, state.steps(), moments, DIMENSION);

      assertThat(restored.strategyName()).as(name).isEqualTo(name);
      assertThat(restored.steps()).as(name).isEqualTo(2);
      assertThat(restored.momentCount()).as(name).isEqualTo(state.momentCount());
      for (int k = 0; k < state.momentCount(); k++) {
        double[] original = state.moment(k);
        double[] back = restored.moment(k);
        for (int i = 0; i < DIMENSION; i++) {
          assertThat(back[i]).as("%s moment %d[%d]", name, k, i).isEqualTo((float) original[i]);
        }
      }
      checked++;
    }
    assertThat(checked).isEqualTo(StrategyConfig.names().size()).isGreaterThanOrEqualTo(4);
  }

  @Test
  void roundToFloat_roundsInPlaceAndHashesTheCheckpointBytes() {
    double[] values = {0.1, -2.5, 1e-3};
    float[] floats = ModelCheckpoints.roundToFloat(values);
    assertThat(values).containsExactly((float) 0.1, -2.5, (float) 1e-3);
    assertThat(ModelCheckpoints.widen(floats)).isEqualTo(values);
    // SHA-256 of the 12 little-endian bytes of {0.1f, -2.5f, 0.001f}.
    java.nio.ByteBuffer bytes =
        java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.putFloat(0.1f).putFloat(-2.5f).putFloat(1e-3f);
    try {
      assertThat(ModelCheckpoints.sha256(floats))
          .isEqualTo(
              java.util.HexFormat.of()
                  .formatHex(
                      java.security.MessageDigest.getInstance("SHA-256").digest(bytes.array())));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
