package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StrategyConfigTest {

  @Test
  void fromMap_theRunConfigExample_parsesEveryField() {
    StrategyConfig config =
        StrategyConfig.fromMap(
            Map.of(
                "name", "fedadam",
                "serverLearningRate", 0.02,
                "beta1", 0.8,
                "beta2", 0.999,
                "tau", 0.0001));
    assertThat(config).isEqualTo(new FedAdamConfig(0.02, 0.8, 0.999, 0.0001));
    assertThat(config.strategy().name()).isEqualTo("fedadam");
  }

  @Test
  void fromMap_nameOnly_givesTheDefaults() {
    assertThat(StrategyConfig.fromMap(Map.of("name", "fedavg"))).isEqualTo(new FedAvgConfig(1.0));
    assertThat(StrategyConfig.fromMap(Map.of("name", "fedavgm")))
        .isEqualTo(new FedAvgMConfig(1.0, 0.9));
    assertThat(StrategyConfig.fromMap(Map.of("name", "fedadagrad")))
        .isEqualTo(new FedAdagradConfig(0.1, 0.9, 0.001));
    assertThat(StrategyConfig.fromMap(Map.of("name", "fedadam")))
        .isEqualTo(new FedAdamConfig(0.01, 0.9, 0.99, 0.001));
    assertThat(StrategyConfig.fromMap(Map.of("name", "fedyogi")))
        .isEqualTo(new FedYogiConfig(0.01, 0.9, 0.99, 0.001));
    assertThat(StrategyConfig.defaults("fedyogi")).isEqualTo(FedYogiConfig.defaults());
  }

  @Test
  void fromMap_integerAndDecimalNumbers_areAccepted() {
    assertThat(
            StrategyConfig.fromMap(
                Map.of("name", "fedavgm", "serverLearningRate", 2, "serverMomentum", 0L)))
        .isEqualTo(new FedAvgMConfig(2.0, 0.0));
    assertThat(
            StrategyConfig.fromMap(
                Map.of("name", "fedavg", "serverLearningRate", new BigDecimal("0.25"))))
        .isEqualTo(new FedAvgConfig(0.25));
    // 0.1f is 0.100000001490116…; read as the decimal the user wrote.
    assertThat(StrategyConfig.fromMap(Map.of("name", "fedavg", "serverLearningRate", 0.1f)))
        .isEqualTo(new FedAvgConfig(0.1));
  }

  @Test
  void toMap_roundTripsThroughFromMap_forEveryStrategy() {
    for (String name : StrategyConfig.names()) {
      StrategyConfig config = StrategyConfig.defaults(name);
      Map<String, Object> map = config.toMap();
      assertThat(map.keySet()).first().isEqualTo("name");
      assertThat(map.get("name")).isEqualTo(name);
      assertThat(StrategyConfig.fromMap(map)).isEqualTo(config);
    }
    assertThat(new FedAdamConfig(0.02, 0.8, 0.999, 0.0001).toMap())
        .containsExactly(
            Map.entry("name", "fedadam"),
            Map.entry("serverLearningRate", 0.02),
            Map.entry("beta1", 0.8),
            Map.entry("beta2", 0.999),
            Map.entry("tau", 0.0001));
  }

  @Test
  void fromMap_unknownKey_isRefusedNamingIt() {
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("name", "fedadam", "beta_1", 0.9)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown key 'beta_1' in the fedadam strategy config")
        .hasMessageContaining("[name, serverLearningRate, beta1, beta2, tau]");
    // A key of another strategy is just as unknown here.
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("name", "fedavg", "beta2", 0.99)))
        .hasMessageContaining("unknown key 'beta2' in the fedavg strategy config");
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("name", "fedadagrad", "beta2", 0.99)))
        .hasMessageContaining("unknown key 'beta2' in the fedadagrad strategy config");
  }

  @Test
  void fromMap_missingOrUnknownName_isRefusedListingTheNames() {
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("serverLearningRate", 1.0)))
        .hasMessageContaining(
            "needs a 'name', one of [fedavg, fedavgm, fedadagrad, fedadam, fedyogi]");
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("name", "FedAdam")))
        .hasMessageContaining("strategy name 'FedAdam' is unknown; known names: [fedavg,");
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("name", 3)))
        .hasMessageContaining("strategy 'name' must be a string, not Integer 3");
  }

  @Test
  void fromMap_valueThatIsNotANumber_isRefusedNamingTheKey() {
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("name", "fedadam", "tau", "0.001")))
        .hasMessageContaining("fedadam: tau must be a number, not the string \"0.001\"");
    assertThatThrownBy(() -> StrategyConfig.fromMap(Map.of("name", "fedadam", "beta1", true)))
        .hasMessageContaining("fedadam: beta1 must be a number, not Boolean true");
    Map<String, Object> withNull = new HashMap<>();
    withNull.put("name", "fedyogi");
    withNull.put("beta2", null);
    assertThatThrownBy(() -> StrategyConfig.fromMap(withNull))
        .hasMessageContaining("fedyogi: beta2 must be a number, not null");
  }

  @Test
  void fromMap_nonStringKey_isRefused() {
    Map<Object, Object> map = new LinkedHashMap<>();
    map.put("name", "fedavg");
    map.put(7, 1.0);
    @SuppressWarnings("unchecked")
    Map<String, ?> unchecked = (Map<String, ?>) (Map<?, ?>) map;
    assertThatThrownBy(() -> StrategyConfig.fromMap(unchecked))
        .hasMessageContaining("keys must be strings, not Integer 7");
  }

  @Test
  void records_outOfRangeValues_areRefusedNamingTheField_neverClamped() {
    assertThatThrownBy(() -> new FedAvgConfig(0.0))
        .hasMessage("fedavg: serverLearningRate must be a finite number > 0, not 0.0");
    assertThatThrownBy(() -> new FedAvgConfig(Double.NaN))
        .hasMessageContaining("serverLearningRate must be a finite number > 0, not NaN");
    assertThatThrownBy(() -> new FedAvgConfig(Double.POSITIVE_INFINITY))
        .hasMessageContaining("not Infinity");
    assertThatThrownBy(() -> new FedAvgMConfig(1.0, 1.0))
        .hasMessage("fedavgm: serverMomentum must be >= 0 and < 1, not 1.0");
    assertThatThrownBy(() -> new FedAvgMConfig(1.0, -0.1))
        .hasMessageContaining("serverMomentum must be >= 0 and < 1, not -0.1");
    assertThatThrownBy(() -> new FedAdamConfig(0.01, 1.0, 0.99, 0.001))
        .hasMessage("fedadam: beta1 must be >= 0 and < 1, not 1.0");
    assertThatThrownBy(() -> new FedAdamConfig(0.01, 0.9, Double.NaN, 0.001))
        .hasMessage("fedadam: beta2 must be >= 0 and < 1, not NaN");
    assertThatThrownBy(() -> new FedYogiConfig(0.01, 0.9, 0.99, 0.0))
        .hasMessage("fedyogi: tau must be a finite number > 0, not 0.0");
    assertThatThrownBy(() -> new FedYogiConfig(-0.01, 0.9, 0.99, 0.001))
        .hasMessage("fedyogi: serverLearningRate must be a finite number > 0, not -0.01");
    assertThatThrownBy(() -> new FedAdagradConfig(0.1, 0.9, -1e-9))
        .hasMessage("fedadagrad: tau must be a finite number > 0, not -1.0E-9");
    // Through the map the same checks apply: an out-of-range decay is refused, not clamped.
    assertThatThrownBy(
            () -> StrategyConfig.fromMap(Map.of("name", "fedyogi", "beta2", new BigDecimal("1"))))
        .hasMessage("fedyogi: beta2 must be >= 0 and < 1, not 1.0");
  }

  @Test
  void records_boundaryValues_areAccepted() {
    assertThat(new FedAdamConfig(1e-9, 0.0, 0.0, Double.MIN_VALUE).beta1()).isZero();
    assertThat(new FedAvgMConfig(100.0, 0.999999).serverMomentum()).isEqualTo(0.999999);
  }
}
