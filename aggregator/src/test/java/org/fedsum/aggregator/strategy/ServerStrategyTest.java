package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The contract every strategy shares, checked on each of them. */
class ServerStrategyTest {

  static Stream<ServerStrategy> strategies() {
    return StrategyConfig.names().stream().map(name -> StrategyConfig.defaults(name).strategy());
  }

  @Test
  void strategies_coverEveryName() {
    assertThat(strategies().map(ServerStrategy::name))
        .containsExactly("fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi");
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void apply_nanOrInfinityInUpdate_isRefusedNamingTheFirstIndex(ServerStrategy strategy) {
    StrategyState state = strategy.initialState(4);
    double[] model = {1, 2, 3, 4};
    for (double bad :
        new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      double[] update = {0.1, 0.2, bad, bad};
      assertThatThrownBy(() -> strategy.apply(model, update, state))
          .as("%s with %s", strategy.name(), bad)
          .hasMessageStartingWith("averageUpdate[2] is " + bad)
          .isInstanceOfSatisfying(
              NonFiniteValueException.class,
              refusal -> {
                assertThat(refusal.vectorName()).isEqualTo("averageUpdate");
                assertThat(refusal.index()).isEqualTo(2);
              });
    }
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void apply_nanInModel_isRefusedNamingTheIndex(ServerStrategy strategy) {
    double[] model = {1, Double.NaN};
    assertThatThrownBy(() -> strategy.apply(model, new double[] {0, 0}, strategy.initialState(2)))
        .isInstanceOf(NonFiniteValueException.class)
        .hasMessageStartingWith("globalModel[1] is NaN");
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void apply_stepThatOverflows_isRefusedInsteadOfReturningInfinity(ServerStrategy strategy) {
    // Finite inputs whose step is not: the model sits at the top of the double range, or, for the
    // adaptive strategies, Δ² overflows the second moment.
    double[] model = {Double.MAX_VALUE, 0};
    double[] update = {Double.MAX_VALUE, 1e300};
    assertThatThrownBy(() -> strategy.apply(model, update, strategy.initialState(2)))
        .isInstanceOf(NonFiniteValueException.class)
        .hasMessageContaining("overflowed");
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void apply_neverModifiesItsInputs(ServerStrategy strategy) {
    double[] model = {0.5, -1.5, 2.0};
    double[] update = {0.1, 0.2, -0.3};
    StrategyState state = strategy.initialState(3);
    state = strategy.apply(model, update, state).nextState();
    double[] modelCopy = model.clone();
    double[] updateCopy = update.clone();
    byte[] stateBytes = state.encode();

    Step step = strategy.apply(model, update, state);
    step.nextModel()[0] = 1e9; // a caller writing to a returned array changes nothing either

    assertThat(model).containsExactly(modelCopy);
    assertThat(update).containsExactly(updateCopy);
    assertThat(state.encode()).isEqualTo(stateBytes);
    assertThat(step.nextModel()[0]).isNotEqualTo(1e9);
    assertThat(step.nextState().steps()).isEqualTo(2);
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void apply_lengthsThatDisagree_areRefusedWithBothLengths(ServerStrategy strategy) {
    StrategyState state = strategy.initialState(3);
    assertThatThrownBy(() -> strategy.apply(new double[2], new double[3], state))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("globalModel has 2 coordinates")
        .hasMessageContaining("dimension 3");
    assertThatThrownBy(() -> strategy.apply(new double[3], new double[4], state))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("averageUpdate has 4 coordinates");
  }

  @Test
  void apply_stateOfAnotherStrategy_isRefusedNamingBoth() {
    ServerStrategy fedAdam = FedAdamConfig.defaults().strategy();
    ServerStrategy fedYogi = FedYogiConfig.defaults().strategy();
    StrategyState yogiState = fedYogi.initialState(2);
    assertThatThrownBy(() -> fedAdam.apply(new double[2], new double[2], yogiState))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("belongs to strategy 'fedyogi', not to 'fedadam'");
  }

  @Test
  void initialState_adaptiveStrategies_startSecondMomentAtTauSquared() {
    for (StrategyConfig config :
        List.of(
            new FedAdamConfig(0.01, 0.9, 0.99, 0.5),
            new FedYogiConfig(0.01, 0.9, 0.99, 0.5),
            new FedAdagradConfig(0.1, 0.9, 0.5))) {
      StrategyState state = config.strategy().initialState(3);
      assertThat(state.moment(0)).as(config.name()).containsExactly(0.0, 0.0, 0.0);
      assertThat(state.moment(1)).as(config.name()).containsExactly(0.25, 0.25, 0.25);
      assertThat(state.steps()).isZero();
      assertThat(state.strategyName()).isEqualTo(config.name());
    }
  }

  @Test
  void initialState_badDimension_isRefused() {
    ServerStrategy fedAdam = FedAdamConfig.defaults().strategy();
    assertThatThrownBy(() -> fedAdam.initialState(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dimension must be >= 1, not 0");
    assertThatThrownBy(() -> fedAdam.initialState(200_000_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than one array can hold");
  }

  @Test
  void apply_negativeSecondMoment_isRefusedAsDamagedState() {
    StrategyState damaged =
        new StrategyState(FedAdamConfig.NAME, 2, 3, new double[][] {{0, 0}, {1e-6, -1e-6}});
    assertThatThrownBy(
            () -> FedAdamConfig.defaults().strategy().apply(new double[2], new double[2], damaged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("secondMoment[1] is -1.0E-6");
  }
}
