package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class RoundPrivacyTest {

  @Test
  void noise_followsDesignFormulas() {
    RoundPrivacy round = new RoundPrivacy(7, 9, 2.0, 1.5, 1e-3, 4, 1000);
    double local = 1.5 * 2.0 / (1e-3 * 2); // z·C/(γ·√t)
    assertThat(round.localNoiseStddev()).isCloseTo(local, within(1e-9));
    assertThat(round.centralNoiseStddev()).isCloseTo(local * 1e-3 * 3, within(1e-12));
    assertThat(round.centralNoiseStddev()).isCloseTo(1.5 * 2.0 * Math.sqrt(9.0 / 4), within(1e-12));
    assertThat(round.integerClipNorm()).isCloseTo(2000, within(1e-9));
  }

  @Test
  void assumingThreshold_setsSurvivorsToThresholdOnly() {
    RoundPrivacy round = new RoundPrivacy(7, 9, 2.0, 1.5, 1e-3, 4, 1000);
    RoundPrivacy worst = round.assumingThreshold();
    assertThat(worst).isEqualTo(new RoundPrivacy(7, 4, 2.0, 1.5, 1e-3, 4, 1000));
    assertThat(worst.centralNoiseStddev()).isCloseTo(1.5 * 2.0, within(1e-12));
  }

  @Test
  void constructor_everyInvalidField_throwsNamingFieldAndValue() {
    assertRejected(() -> new RoundPrivacy(-1, 3, 1, 1, 1, 3, 1), "round", "-1");
    assertRejected(() -> new RoundPrivacy(0, 3, 1, 1, 1, 0, 1), "threshold", "0");
    assertRejected(() -> new RoundPrivacy(0, 2, 1, 1, 1, 3, 1), "survivors", "2");
    assertRejected(() -> new RoundPrivacy(0, 3, 0, 1, 1, 3, 1), "clipNorm", "0.0");
    assertRejected(() -> new RoundPrivacy(0, 3, -1, 1, 1, 3, 1), "clipNorm", "-1.0");
    assertRejected(() -> new RoundPrivacy(0, 3, Double.NaN, 1, 1, 3, 1), "clipNorm", "NaN");
    assertRejected(
        () -> new RoundPrivacy(0, 3, Double.POSITIVE_INFINITY, 1, 1, 3, 1), "clipNorm", "Infinity");
    assertRejected(() -> new RoundPrivacy(0, 3, 1, 0, 1, 3, 1), "noiseMultiplier", "0.0");
    assertRejected(() -> new RoundPrivacy(0, 3, 1, Double.NaN, 1, 3, 1), "noiseMultiplier", "NaN");
    assertRejected(() -> new RoundPrivacy(0, 3, 1, 1, 0, 3, 1), "gamma", "0.0");
    assertRejected(() -> new RoundPrivacy(0, 3, 1, 1, -1e-3, 3, 1), "gamma", "-0.001");
    assertRejected(() -> new RoundPrivacy(0, 3, 1, 1, 1, 3, 0), "dimension", "0");
    assertRejected(
        () -> new RoundPrivacy(0, 3, 1e300, 1e10, 1e-300, 3, 1), "local noise", "Infinity");
  }

  private static void assertRejected(Executable construction, String field, String value) {
    assertThatThrownBy(construction::execute)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(field)
        .hasMessageContaining(value);
  }
}
