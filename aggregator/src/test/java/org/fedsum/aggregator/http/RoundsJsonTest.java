package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import org.fedsum.aggregator.config.RunConfig;
import org.fedsum.aggregator.service.RoundHistory;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.junit.jupiter.api.Test;

/** Every ε of the rounds JSON names its unit and δ; record-level DP is named with its settings. */
class RoundsJsonTest {
  private static RoundHistory history(Optional<RunConfig.RecordLevel> recordLevel) {
    return new RoundHistory(
        "run-1",
        true,
        1.2,
        1.0,
        1e-5,
        List.of(),
        Optional.of(new PrivacySpend(2.0, 2.5, 1e-5, PrivacySpend.UNIT_SILO)),
        3,
        recordLevel);
  }

  @Test
  void siloLevelSpendNamesItsUnitAndDelta_recordLevelAbsentIsNull() {
    JsonNode privacy = RoundsJson.of(history(Optional.empty())).path("privacy");
    assertThat(privacy.path("unit").asText()).isEqualTo("silo");
    assertThat(privacy.path("spent").path("unit").asText()).isEqualTo("silo");
    assertThat(privacy.path("spent").path("delta").asDouble()).isEqualTo(1e-5);
    assertThat(privacy.path("recordLevel").isNull()).isTrue();
  }

  @Test
  void recordLevelNamesItsUnitDeltaAndWhereItsEpsilonIs() {
    JsonNode recordLevel =
        RoundsJson.of(history(Optional.of(new RunConfig.RecordLevel(1.1, 0.5, 64))))
            .path("privacy")
            .path("recordLevel");
    assertThat(recordLevel.path("unit").asText()).isEqualTo(PrivacySpend.UNIT_RECORD);
    assertThat(recordLevel.path("unitDescription").asText())
        .isEqualTo(PrivacySpend.UNIT_RECORD_DESCRIPTION);
    assertThat(recordLevel.path("delta").asDouble()).isEqualTo(1e-5);
    assertThat(recordLevel.path("noiseMultiplier").asDouble()).isEqualTo(1.1);
    assertThat(recordLevel.path("expectedBatchSize").asInt()).isEqualTo(64);
    assertThat(recordLevel.path("epsilonSource").asText()).contains("each silo's own ledger");
  }
}
