package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ServerStrategy#applyRange} over any split of the coordinates gives {@link
 * ServerStrategy#apply}'s next model and moments bit for bit: the coordinator steps its model range
 * by range and must serve the model a whole step would have made.
 */
class ServerStrategyRangeTest {
  private static final int DIMENSION = 1001;

  @ParameterizedTest
  @MethodSource("org.fedsum.aggregator.strategy.ServerStrategyTest#strategies")
  void applyRange_everySplit_equalsApplyBitForBit(ServerStrategy strategy) {
    Random random = new Random(17);
    double[] model = gaussian(random, 1);
    StrategyState state = strategy.initialState(DIMENSION);
    // Three steps, so that the moments are not their initial values when they are read.
    for (int step = 0; step < 3; step++) {
      double[] update = gaussian(random, 0.1);
      Step whole = strategy.apply(model, update, state);
      for (int rangeLength : new int[] {1, 10, 256, DIMENSION}) {
        double[] nextModel = new double[DIMENSION];
        double[][] nextMoments = new double[strategy.momentCount()][DIMENSION];
        stepInRanges(strategy, rangeLength, model, update, state, nextModel, nextMoments);
        assertThat(bits(nextModel))
            .as("%s, step %d, ranges of %d", strategy.name(), step, rangeLength)
            .isEqualTo(bits(whole.nextModel()));
        for (int k = 0; k < nextMoments.length; k++) {
          assertThat(bits(nextMoments[k]))
              .as("%s moment %d, ranges of %d", strategy.name(), k, rangeLength)
              .isEqualTo(bits(whole.nextState().moment(k)));
        }
      }
      model = whole.nextModel();
      state = whole.nextState();
    }
    assertThat(strategy.momentCount()).isEqualTo(state.momentCount());
  }

  @ParameterizedTest
  @MethodSource("org.fedsum.aggregator.strategy.ServerStrategyTest#strategies")
  void applyRange_nonFiniteUpdate_namesTheModelCoordinate(ServerStrategy strategy) {
    int length = 4;
    double[] update = {0, 0, Double.NaN, 0};
    assertThatThrownBy(
            () ->
                strategy.applyRange(
                    100,
                    length,
                    new double[length],
                    update,
                    initialMoments(strategy, length),
                    new double[length],
                    new double[strategy.momentCount()][length]))
        .isInstanceOfSatisfying(
            NonFiniteValueException.class,
            refusal -> {
              assertThat(refusal.vectorName()).isEqualTo("averageUpdate");
              assertThat(refusal.index()).isEqualTo(102);
            });
  }

  @ParameterizedTest
  @MethodSource("org.fedsum.aggregator.strategy.ServerStrategyTest#strategies")
  void applyRange_shortArrayOrWrongMomentCount_isRefused(ServerStrategy strategy) {
    int length = 4;
    assertThatThrownBy(
            () ->
                strategy.applyRange(
                    0,
                    length,
                    new double[length],
                    new double[length - 1],
                    initialMoments(strategy, length),
                    new double[length],
                    new double[strategy.momentCount()][length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("averageUpdate has 3 coordinates");
    assertThatThrownBy(
            () ->
                strategy.applyRange(
                    0,
                    length,
                    new double[length],
                    new double[length],
                    new double[strategy.momentCount() + 1][length],
                    new double[length],
                    new double[strategy.momentCount()][length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("moment vectors");
  }

  private static void stepInRanges(
      ServerStrategy strategy,
      int rangeLength,
      double[] model,
      double[] update,
      StrategyState state,
      double[] nextModel,
      double[][] nextMoments) {
    int momentCount = strategy.momentCount();
    // Buffers one longer than the range: only the first `length` values may count.
    double[] modelRange = new double[rangeLength + 1];
    double[] updateRange = new double[rangeLength + 1];
    double[] nextModelRange = new double[rangeLength + 1];
    double[][] momentRanges = new double[momentCount][rangeLength + 1];
    double[][] nextMomentRanges = new double[momentCount][rangeLength + 1];
    for (int from = 0; from < DIMENSION; from += rangeLength) {
      int length = Math.min(rangeLength, DIMENSION - from);
      System.arraycopy(model, from, modelRange, 0, length);
      System.arraycopy(update, from, updateRange, 0, length);
      for (int k = 0; k < momentCount; k++) {
        System.arraycopy(state.moment(k), from, momentRanges[k], 0, length);
      }
      strategy.applyRange(
          from, length, modelRange, updateRange, momentRanges, nextModelRange, nextMomentRanges);
      System.arraycopy(nextModelRange, 0, nextModel, from, length);
      for (int k = 0; k < momentCount; k++) {
        System.arraycopy(nextMomentRanges[k], 0, nextMoments[k], from, length);
      }
    }
  }

  private static double[][] initialMoments(ServerStrategy strategy, int length) {
    StrategyState initial = strategy.initialState(length);
    double[][] moments = new double[strategy.momentCount()][];
    for (int k = 0; k < moments.length; k++) {
      moments[k] = initial.moment(k);
    }
    return moments;
  }

  private static double[] gaussian(Random random, double scale) {
    double[] values = new double[DIMENSION];
    for (int i = 0; i < DIMENSION; i++) {
      values[i] = scale * random.nextGaussian();
    }
    return values;
  }

  private static long[] bits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }
}
