package org.fedsum.silo.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LocalTrainingConfigTest {
  @Test
  void builder_defaults_arePlainFedAvgSgd() {
    LocalTrainingConfig config = LocalTrainingConfig.builder().build();
    assertThat(config.epochs()).isEqualTo(1);
    assertThat(config.batchSize()).isEqualTo(64);
    assertThat(config.learningRate()).isEqualTo(0.01);
    assertThat(config.momentum()).isZero();
    assertThat(config.optimizer()).isEqualTo(OptimizerKind.SGD);
    assertThat(config.fedProxMu()).isZero();
    assertThat(config.weightDecay()).isZero();
    assertThat(config.evaluateBeforeAndAfter()).isTrue();
  }

  @Test
  void build_badValues_areRefusedByName() {
    assertThatThrownBy(() -> LocalTrainingConfig.builder().epochs(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("epochs must be at least 1, not 0");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().batchSize(-3).build())
        .hasMessage("batchSize must be at least 1, not -3");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().learningRate(0).build())
        .hasMessage("learningRate must be finite and positive, not 0.0");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().learningRate(Double.NaN).build())
        .hasMessage("learningRate must be finite and positive, not NaN");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().learningRate(1e-50).build())
        .as("underflows to 0 as a float")
        .hasMessageStartingWith("learningRate = 1.0E-50 rounds to 0 in single precision");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().learningRate(1e300).build())
        .as("overflows to infinity as a float")
        .hasMessage(
            "learningRate = 1.0E300 is beyond single precision, which training computes in;"
                + " at most 3.4028235E38");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().momentum(1).build())
        .hasMessage("momentum must be in [0, 1), not 1.0");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().momentum(-0.1).build())
        .hasMessage("momentum must be in [0, 1), not -0.1");
    assertThatThrownBy(
            () -> LocalTrainingConfig.builder().optimizer(OptimizerKind.ADAM).momentum(0.9).build())
        .hasMessageStartingWith("momentum applies to SGD only");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().fedProxMu(-0.01).build())
        .hasMessage("fedProxMu must be finite and >= 0, not -0.01");
    assertThatThrownBy(
            () -> LocalTrainingConfig.builder().fedProxMu(Double.POSITIVE_INFINITY).build())
        .hasMessage("fedProxMu must be finite and >= 0, not Infinity");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().weightDecay(-1e-5).build())
        .hasMessage("weightDecay must be finite and >= 0, not -1.0E-5");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().weightDecay(Double.NaN).build())
        .hasMessage("weightDecay must be finite and >= 0, not NaN");
  }

  @Test
  void build_refusesRatesThatSinglePrecisionWouldTurnOffOrIntoInfinity() {
    assertThatThrownBy(() -> LocalTrainingConfig.builder().weightDecay(1e-50).build())
        .hasMessage(
            "weightDecay = 1.0E-50 rounds to 0 in single precision, which training computes in, so"
                + " it would have no effect; use 0 or at least 1.4E-45");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().fedProxMu(1e-46).build())
        .hasMessageStartingWith("fedProxMu = 1.0E-46 rounds to 0 in single precision");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().weightDecay(1e39).build())
        .hasMessageStartingWith("weightDecay = 1.0E39 is beyond single precision");
    assertThatThrownBy(() -> LocalTrainingConfig.builder().fedProxMu(4e38).build())
        .hasMessageStartingWith("fedProxMu = 4.0E38 is beyond single precision");
    // The smallest positive float and zero are both what they say.
    assertThat(LocalTrainingConfig.builder().weightDecay(Float.MIN_VALUE).build().weightDecay())
        .isEqualTo(Float.MIN_VALUE);
    assertThat(LocalTrainingConfig.builder().fedProxMu(0).build().fedProxMu()).isZero();
  }

  @Test
  void toBuilder_copiesEverySetting() {
    LocalTrainingConfig config =
        LocalTrainingConfig.builder()
            .epochs(5)
            .batchSize(10)
            .learningRate(0.3)
            .momentum(0.9)
            .fedProxMu(0.01)
            .weightDecay(1e-5)
            .seed(42)
            .evaluateBeforeAndAfter(false)
            .build();
    assertThat(config.toBuilder().build()).isEqualTo(config).hasSameHashCodeAs(config);
    assertThat(config.toBuilder().seed(43).build()).isNotEqualTo(config);
    assertThat(config.toBuilder().weightDecay(0).build()).isNotEqualTo(config);
    assertThat(config)
        .hasToString(
            "LocalTrainingConfig[epochs=5, batchSize=10, optimizer=SGD, learningRate=0.3,"
                + " momentum=0.9, fedProxMu=0.01, weightDecay=1.0E-5, seed=42]");
  }
}
