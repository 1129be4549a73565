package org.fedsum.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoundConfigTest {
  private static final List<String> FIVE = List.of("e", "d", "c", "b", "a");

  private static RoundConfig config(
      List<String> roster, int threshold, int minSurvivors, SecurityModel model, int colluders) {
    return new RoundConfig(
        "fed",
        1,
        RoundConfig.PROTOCOL_VERSION,
        roster,
        threshold,
        minSurvivors,
        16,
        10,
        model,
        colluders);
  }

  @Test
  void roster_isSortedSoShamirCoordinatesAreTheSameForEveryone() {
    RoundConfig config = config(FIVE, 3, 3, SecurityModel.HONEST_BUT_CURIOUS, 1);
    assertThat(config.roster()).containsExactly("a", "b", "c", "d", "e");
    assertThat(config.shamirX("a")).isEqualTo(1);
    assertThat(config.shamirX("e")).isEqualTo(5);
    assertThat(config.required()).isEqualTo(3);
  }

  @Test
  void honestButCurious_requiresThresholdAboveColluders() {
    assertThat(config(FIVE, 3, 3, SecurityModel.HONEST_BUT_CURIOUS, 2).threshold()).isEqualTo(3);
    assertThatThrownBy(() -> config(FIVE, 3, 3, SecurityModel.HONEST_BUT_CURIOUS, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("threshold 3 must exceed assumedColluders 3");
  }

  @Test
  void activeAggregator_requiresThresholdAboveHalfOfRosterPlusColluders() {
    // n = 5, c = 1: t > 3, so 4 is the smallest allowed.
    assertThat(config(FIVE, 4, 3, SecurityModel.ACTIVE_AGGREGATOR, 1).threshold()).isEqualTo(4);
    assertThatThrownBy(() -> config(FIVE, 3, 3, SecurityModel.ACTIVE_AGGREGATOR, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(n + assumedColluders) / 2");
  }

  @Test
  void minSurvivors_isNeverBelowThree_andRequiredIsTheLargerOfItAndThreshold() {
    assertThatThrownBy(() -> config(FIVE, 2, 2, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("minSurvivors must be between 3");
    RoundConfig config = config(FIVE, 2, 4, SecurityModel.HONEST_BUT_CURIOUS, 1);
    assertThat(config.required()).isEqualTo(4);
  }

  @Test
  void badValues_areRefusedWithTheirName() {
    assertThatThrownBy(() -> config(List.of("a", "b"), 2, 3, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("roster must have at least 3 silos, not 2");
    assertThatThrownBy(
            () -> config(List.of("a", "b", "a"), 2, 3, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("lists silo 'a' twice");
    assertThatThrownBy(
            () -> config(List.of("a", "b", "C"), 2, 3, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("roster entry must match");
    assertThatThrownBy(() -> config(FIVE, 6, 3, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("threshold must be between 2 and the roster size 5, not 6");
    assertThatThrownBy(
            () ->
                new RoundConfig(
                    "fed", 1, 1, FIVE, 3, 3, 33, 10, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("bits must be between 1 and 32, not 33");
    assertThatThrownBy(
            () ->
                new RoundConfig(
                    "fed", 1, 1, FIVE, 3, 3, 16, 0, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("vectorLength must be >= 1, not 0");
    assertThatThrownBy(
            () ->
                new RoundConfig(
                    "fed", 1, 2, FIVE, 3, 3, 16, 5, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("protocolVersion must be 1, not 2");
    assertThatThrownBy(
            () ->
                new RoundConfig(" ", 1, 1, FIVE, 3, 3, 16, 5, SecurityModel.HONEST_BUT_CURIOUS, 1))
        .hasMessageContaining("federationId must not be blank");
  }

  @Test
  void canonicalKeyCheck_refusesTopBitAndValuesAtOrAboveTheFieldPrime() throws Exception {
    byte[] bytes = new byte[32];
    bytes[0] = 9;
    assertThat(RoundTranscript.isCanonical(org.fedsum.crypto.X25519PublicKey.fromBytes(bytes)))
        .isTrue();
    bytes[31] = (byte) 0x80;
    assertThat(RoundTranscript.isCanonical(org.fedsum.crypto.X25519PublicKey.fromBytes(bytes)))
        .isFalse();
    byte[] prime = new byte[32];
    java.util.Arrays.fill(prime, (byte) 0xff);
    prime[31] = 0x7f;
    prime[0] = (byte) 0xed;
    assertThat(RoundTranscript.isCanonical(org.fedsum.crypto.X25519PublicKey.fromBytes(prime)))
        .isFalse();
    prime[0] = (byte) 0xec;
    assertThat(RoundTranscript.isCanonical(org.fedsum.crypto.X25519PublicKey.fromBytes(prime)))
        .isTrue();
  }
}
