package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;

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
}
