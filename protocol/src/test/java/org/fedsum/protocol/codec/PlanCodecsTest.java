package org.fedsum.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.Consumer;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.junit.jupiter.api.Test;

/** The JSON forms of {@link RoundConfig} and {@link EncodingParameters} that silo tasks carry. */
class PlanCodecsTest {
  private static final RoundConfig ROUND =
      new RoundConfig(
          "fed-1",
          42,
          RoundConfig.PROTOCOL_VERSION,
          List.of("silo-c", "silo-a", "silo-b", "silo-d"),
          3,
          3,
          24,
          1000,
          SecurityModel.ACTIVE_AGGREGATOR,
          1);

  private static EncodingParameters encoding(boolean weighted, boolean rotation) {
    EncodingParameters.Builder builder =
        EncodingParameters.builder()
            .setDimension(1000)
            .setClipNorm(1.25)
            .setNoiseMultiplier(weighted ? 0 : 0.7)
            .setThreshold(3)
            .setSilos(4)
            .setBits(32);
    if (weighted) {
      builder.setWeighted(500);
    }
    if (rotation) {
      builder.setRotationSeed(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    }
    return builder.buildChoosingGamma();
  }

  @Test
  void roundConfig_roundTrip_equal() throws Exception {
    assertThat(RoundConfigCodec.fromJson(RoundConfigCodec.toJson(ROUND))).isEqualTo(ROUND);
  }

  @Test
  void encodingParameters_roundTrip_equalIncludingTheChosenGamma() throws Exception {
    for (boolean weighted : List.of(false, true)) {
      for (boolean rotation : List.of(false, true)) {
        EncodingParameters parameters = encoding(weighted, rotation);
        EncodingParameters decoded =
            EncodingParametersCodec.fromJson(EncodingParametersCodec.toJson(parameters));
        assertThat(decoded).isEqualTo(parameters);
        assertThat(decoded.gamma()).isEqualTo(parameters.gamma());
      }
    }
  }

  @Test
  void roundConfig_badJson_malformedNamingTheField() {
    assertRefused(RoundConfigCodec.toJson(ROUND), node -> node.remove("threshold"), "threshold");
    assertRefused(RoundConfigCodec.toJson(ROUND), node -> node.put("extra", 1), "extra");
    assertRefused(RoundConfigCodec.toJson(ROUND), node -> node.put("round", "42"), "round");
    assertRefused(RoundConfigCodec.toJson(ROUND), node -> node.put("securityModel", "X"), "X");
    // Validated as the record validates: a threshold above the roster.
    assertRefused(RoundConfigCodec.toJson(ROUND), node -> node.put("threshold", 9), "threshold");
  }

  @Test
  void encodingParameters_badJson_malformedNamingTheField() {
    ObjectNode good = EncodingParametersCodec.toJson(encoding(false, true));
    assertRefused(good.deepCopy(), node -> node.remove("gamma"), "gamma");
    assertRefused(good.deepCopy(), node -> node.put("clipNorm", "1"), "clipNorm");
    assertRefused(good.deepCopy(), node -> node.put("dimension", 0), "dimension");
    assertRefused(good.deepCopy(), node -> node.put("surprise", true), "surprise");
  }

  private static void assertRefused(ObjectNode node, Consumer<ObjectNode> edit, String named) {
    boolean roundConfig = node.has("vectorLength");
    edit.accept(node);
    ProtocolException refusal =
        catchThrowableOfType(
            ProtocolException.class,
            () -> {
              if (roundConfig) {
                RoundConfigCodec.fromJson(node);
              } else {
                EncodingParametersCodec.fromJson(node);
              }
            });
    assertThat(refusal).as("refused after editing %s", named).isNotNull();
    assertThat(refusal.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
    assertThat(refusal.getMessage()).contains(named);
  }
}
