package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class ServerStrategyPropertyTest {
  private static final int DIMENSION = 6;

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.of(StrategyConfig.names());
  }

  @Provide
  Arbitrary<List<double[]>> updates() {
    Arbitrary<double[]> vector =
        Arbitraries.doubles().between(-1e3, 1e3).array(double[].class).ofSize(DIMENSION);
    return vector.list().ofMinSize(1).ofMaxSize(6);
  }

  @Property(tries = 200)
  void stateAfterAnySteps_roundTripsThroughBytes_andContinuesIdentically(
      @ForAll("names") String name, @ForAll("updates") List<double[]> updates) {
    ServerStrategy strategy = StrategyConfig.defaults(name).strategy();
    double[] model = new double[DIMENSION];
    StrategyState state = strategy.initialState(DIMENSION);
    for (double[] update : updates) {
      Step step = strategy.apply(model, update, state);
      model = step.nextModel();
      state = step.nextState();
    }
    StrategyState restored = strategy.restoreState(state.encode(), DIMENSION);
    assertThat(restored).isEqualTo(state);
    assertThat(restored.steps()).isEqualTo(updates.size());
    double[] next = updates.get(0);
    assertThat(strategy.apply(model, next, restored).nextModel())
        .containsExactly(strategy.apply(model, next, state).nextModel());
  }

  @Property(tries = 200)
  void apply_neverModifiesInputs(
      @ForAll("names") String name, @ForAll("updates") List<double[]> updates) {
    ServerStrategy strategy = StrategyConfig.defaults(name).strategy();
    double[] model = updates.get(updates.size() - 1).clone();
    double[] update = updates.get(0);
    StrategyState state =
        strategy.apply(model, update, strategy.initialState(DIMENSION)).nextState();
    double[] modelBefore = model.clone();
    double[] updateBefore = update.clone();
    byte[] stateBefore = state.encode();
    strategy.apply(model, update, state);
    assertThat(model).containsExactly(modelBefore);
    assertThat(update).containsExactly(updateBefore);
    assertThat(state.encode()).isEqualTo(stateBefore);
  }

  @Property(tries = 200)
  void fedAvgWithLearningRateOne_isExactlyModelPlusUpdate(
      @ForAll("updates") List<double[]> vectors) {
    ServerStrategy fedAvg = FedAvgConfig.defaults().strategy();
    double[] model = vectors.get(0);
    double[] update = vectors.get(vectors.size() - 1);
    double[] next = fedAvg.apply(model, update, fedAvg.initialState(DIMENSION)).nextModel();
    for (int i = 0; i < DIMENSION; i++) {
      assertThat(next[i]).isEqualTo(model[i] + update[i]);
    }
  }

  @Provide
  Arbitrary<String> adaptiveNames() {
    return Arbitraries.of(FedAdagradConfig.NAME, FedAdamConfig.NAME, FedYogiConfig.NAME);
  }

  @Property(tries = 200)
  void adaptiveStep_movesWithTheFirstMoment_andNoFartherThanEtaTimesMOverTau(
      @ForAll("adaptiveNames") String name, @ForAll("updates") List<double[]> updates) {
    // w' − w = η·m / (√v + τ) with √v ≥ 0: same sign as m, magnitude at most η·|m| / τ.
    ServerStrategy strategy = StrategyConfig.defaults(name).strategy();
    Map<String, Object> hyperparameters = strategy.config().toMap();
    double eta = (Double) hyperparameters.get("serverLearningRate");
    double tau = (Double) hyperparameters.get("tau");
    double[] model = new double[DIMENSION];
    StrategyState state = strategy.initialState(DIMENSION);
    for (double[] update : updates) {
      Step step = strategy.apply(model, update, state);
      double[] next = step.nextModel();
      double[] firstMoment = step.nextState().moment(0);
      for (int i = 0; i < DIMENSION; i++) {
        double moved = next[i] - model[i];
        assertThat(moved * firstMoment[i]).isGreaterThanOrEqualTo(0.0);
        double roundingSlack = 1e-12 * (1 + Math.abs(model[i]));
        assertThat(Math.abs(moved))
            .isLessThanOrEqualTo(eta * Math.abs(firstMoment[i]) / tau + roundingSlack);
      }
      model = next;
      state = step.nextState();
    }
  }
}
