package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import org.fedsum.silo.training.LocalTrainingConfig;
import org.fedsum.silo.training.RecordLevelDp;
import org.junit.jupiter.api.Test;

class DjlLocalTrainerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void trainingConfig_withDpSgd_doesNotMeasureTheLossOnThePrivateRecords() throws Exception {
    JsonNode settings = JSON.readTree("{\"epochs\": 2, \"learningRate\": 0.1, \"seed\": 3}");
    RecordLevelDp dp = new RecordLevelDp(0.1, 1.0, 1.2);

    LocalTrainingConfig withDp = DjlLocalTrainer.trainingConfig(settings, 4, Optional.of(dp));
    LocalTrainingConfig without = DjlLocalTrainer.trainingConfig(settings, 4, Optional.empty());

    assertThat(withDp.recordLevelDp()).contains(dp);
    assertThat(withDp.evaluateBeforeAndAfter()).isFalse();
    assertThat(without.recordLevelDp()).isEmpty();
    assertThat(without.evaluateBeforeAndAfter()).isTrue();
    assertThat(withDp.epochs()).isEqualTo(2);
  }

  @Test
  void trainingConfig_everySetting_isRead() throws Exception {
    JsonNode settings =
        JSON.readTree(
            "{\"epochs\": 10, \"batchSize\": 64, \"learningRate\": 0.01, \"optimizer\": \"sgd\","
                + " \"momentum\": 0.9, \"fedProxMu\": 0.01, \"weightDecay\": 1e-5, \"seed\": 2}");

    LocalTrainingConfig config = DjlLocalTrainer.trainingConfig(settings, 7);

    assertThat(config)
        .isEqualTo(
            LocalTrainingConfig.builder()
                .epochs(10)
                .batchSize(64)
                .learningRate(0.01)
                .momentum(0.9)
                .fedProxMu(0.01)
                .weightDecay(1e-5)
                .seed(2 * 1_000_003L + 7)
                .build());
  }

  @Test
  void trainingConfig_valueOfTheWrongType_isRefusedByName_notReadAsZero() throws Exception {
    String[][] cases = {
      {"{\"weightDecay\": \"1e-5\"}", "training.weightDecay must be a number, not \"1e-5\""},
      {"{\"momentum\": true}", "training.momentum must be a number, not true"},
      {"{\"learningRate\": null}", "training.learningRate must be a number, not null"},
      {"{\"epochs\": 2.5}", "training.epochs must be a whole number that fits an int, not 2.5"},
      {
        "{\"batchSize\": 3000000000}",
        "training.batchSize must be a whole number that fits an int, not 3000000000"
      },
      {"{\"seed\": \"7\"}", "training.seed must be a whole number, not \"7\""},
      {"{\"optimizer\": \"rmsprop\"}", "training.optimizer must be sgd or adam, not \"rmsprop\""},
      {"{\"weightDecay\": -0.1}", "weightDecay must be finite and >= 0, not -0.1"},
    };
    for (String[] bad : cases) {
      JsonNode settings = JSON.readTree(bad[0]);
      assertThatThrownBy(() -> DjlLocalTrainer.trainingConfig(settings, 1))
          .as(bad[0])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(bad[1]);
    }
  }
}
