package org.fedsum.cli.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.fedsum.cli.Run;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RecordLevelAccountant;
import org.fedsum.protocol.privacy.RoundPrivacy;
import org.junit.jupiter.api.Test;

/** {@code fedsum privacy} against the protocol's accountant, composed round by round. */
class PrivacyCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The accountant's own composition of {@code rounds} equal rounds, as a ledger would do it. */
  private static PrivacySpend ledger(
      double z, int rounds, double delta, int silos, int threshold, int bits, int dimension) {
    EncodingParameters encoding =
        EncodingParameters.builder()
            .setDimension(dimension)
            .setClipNorm(3.0)
            .setNoiseMultiplier(z)
            .setThreshold(threshold)
            .setSilos(silos)
            .setBits(bits)
            .setRotationSeed(new byte[16])
            .buildChoosingGamma();
    List<RoundPrivacy> list = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      list.add(
          new RoundPrivacy(
              round,
              threshold,
              encoding.clipNorm(),
              z,
              encoding.gamma(),
              threshold,
              encoding.signalLength()));
    }
    return PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA)
        .spend(list, delta);
  }

  @Test
  void jsonEpsilonsAreTheAccountantsForTheDefaults() throws Exception {
    Run run =
        Run.fedsum(
            "privacy", "--noise-multiplier", "1.1", "--rounds", "20", "--delta", "1e-6", "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode json = JSON.readTree(run.out());
    PrivacySpend expected = ledger(1.1, 20, 1e-6, 3, 2, 32, 610);
    assertThat(json.path("epsilon_gdp").asDouble()).isCloseTo(expected.epsilonGdp(), within(1e-6));
    assertThat(json.path("epsilon_rdp").asDouble()).isCloseTo(expected.epsilonRdp(), within(1e-6));
    assertThat(json.path("epsilon_rdp").asDouble())
        .isGreaterThan(json.path("epsilon_gdp").asDouble());
  }

  @Test
  void theEncodingSettingsChangeTheDiscreteBound() throws Exception {
    Run run =
        Run.fedsum(
            "privacy",
            "--noise-multiplier",
            "0.8",
            "--rounds",
            "50",
            "--delta",
            "1e-5",
            "--silos",
            "5",
            "--threshold",
            "3",
            "--bits",
            "16",
            "--dim",
            "7850",
            "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode json = JSON.readTree(run.out());
    PrivacySpend expected = ledger(0.8, 50, 1e-5, 5, 3, 16, 7850);
    assertThat(json.path("epsilon_rdp").asDouble()).isCloseTo(expected.epsilonRdp(), within(1e-6));
    assertThat(json.path("epsilon_gdp").asDouble()).isCloseTo(expected.epsilonGdp(), within(1e-6));
  }

  @Test
  void textOutputNamesBothAccountants() {
    Run run =
        Run.fedsum("privacy", "--noise-multiplier", "1.0", "--rounds", "5", "--delta", "1e-5");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("discrete Rényi bound").contains("continuous Gaussian DP");
  }

  @Test
  void targetEpsilonGivesTheLeastNoiseThatMeetsIt() throws Exception {
    Run run =
        Run.fedsum(
            "privacy", "--target-epsilon", "4", "--rounds", "30", "--delta", "1e-5", "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode json = JSON.readTree(run.out());
    double z = json.path("noise_multiplier").asDouble();
    assertThat(json.path("noise_multiplier_gdp").asDouble())
        .isCloseTo(PrivacyAccountant.gdpRequiredNoiseMultiplier(4, 1e-5, 30), within(1e-9));
    PrivacySpend at = ledger(z, 30, 1e-5, 3, 2, 32, 610);
    assertThat(at.enforcedEpsilon()).isLessThanOrEqualTo(4);
    PrivacySpend below = ledger(z * 0.99, 30, 1e-5, 3, 2, 32, 610);
    assertThat(below.enforcedEpsilon()).isGreaterThan(4);
  }

  @Test
  void siloLevelOutputNamesTheUnitAndDelta() throws Exception {
    Run text =
        Run.fedsum("privacy", "--noise-multiplier", "1.0", "--rounds", "5", "--delta", "1e-5");
    assertThat(text.out())
        .contains("silo-level DP (unit: " + PrivacySpend.UNIT_SILO_DESCRIPTION + ")")
        .contains("at δ = 1.0E-5");
    Run json =
        Run.fedsum(
            "privacy", "--noise-multiplier", "1.0", "--rounds", "5", "--delta", "1e-5", "--json");
    JsonNode node = JSON.readTree(json.out());
    assertThat(node.path("unit").asText()).isEqualTo("silo");
    assertThat(node.path("delta").asDouble()).isEqualTo(1e-5);
  }

  @Test
  void recordLevelEpsilonIsTheSubsampledGaussiansOverEveryStep() throws Exception {
    Run run =
        Run.fedsum(
            "privacy",
            "--noise-multiplier",
            "1.1",
            "--sample-rate",
            "0.01",
            "--steps",
            "500",
            "--rounds",
            "20",
            "--delta",
            "1e-5",
            "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode json = JSON.readTree(run.out());
    RecordLevelAccountant.Epsilon expected = RecordLevelAccountant.epsilon(0.01, 1.1, 10_000, 1e-5);
    assertThat(json.path("unit").asText()).isEqualTo("record");
    assertThat(json.path("delta").asDouble()).isEqualTo(1e-5);
    assertThat(json.path("steps").asLong()).isEqualTo(10_000);
    assertThat(json.path("epsilon").asDouble()).isEqualTo(expected.epsilon());
    assertThat(json.path("order").asDouble()).isEqualTo(expected.order());
    // The figure docs/PRIVACY.md gives for q = 0.01, z = 1.1, 10 000 steps.
    assertThat(json.path("epsilon").asDouble()).isCloseTo(5.63, within(0.01));

    Run text =
        Run.fedsum(
            "privacy",
            "--noise-multiplier",
            "1.1",
            "--sample-rate",
            "0.01",
            "--steps",
            "10000",
            "--delta",
            "1e-5");
    assertThat(text.exitCode()).as(text.err()).isZero();
    assertThat(text.out())
        .contains("record-level DP (unit: " + PrivacySpend.UNIT_RECORD_DESCRIPTION + ")")
        .contains(
            String.format(java.util.Locale.ROOT, "ε = %.4f at δ = 1.0E-5", expected.epsilon()));
  }

  @Test
  void recordLevelTargetEpsilonGivesTheLeastNoiseThatMeetsIt() throws Exception {
    Run run =
        Run.fedsum(
            "privacy",
            "--target-epsilon",
            "3",
            "--sample-rate",
            "0.01",
            "--steps",
            "10000",
            "--delta",
            "1e-5",
            "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode json = JSON.readTree(run.out());
    double z = json.path("noise_multiplier").asDouble();
    assertThat(json.path("unit").asText()).isEqualTo("record");
    assertThat(RecordLevelAccountant.epsilon(0.01, z, 10_000, 1e-5).epsilon())
        .isLessThanOrEqualTo(3);
    assertThat(RecordLevelAccountant.epsilon(0.01, z * 0.99, 10_000, 1e-5).epsilon())
        .isGreaterThan(3);
  }

  @Test
  void recordLevelRefusesMissingOrSiloLevelOptions() {
    Run onlyQ =
        Run.fedsum(
            "privacy", "--noise-multiplier", "1", "--sample-rate", "0.01", "--delta", "1e-5");
    assertThat(onlyQ.exitCode()).isNotZero();
    assertThat(onlyQ.err()).contains("--steps");
    Run badQ =
        Run.fedsum(
            "privacy",
            "--noise-multiplier",
            "1",
            "--sample-rate",
            "1.5",
            "--steps",
            "10",
            "--delta",
            "1e-5");
    assertThat(badQ.exitCode()).isNotZero();
    assertThat(badQ.err()).contains("--sample-rate must be in (0, 1]");
    Run withSilos =
        Run.fedsum(
            "privacy",
            "--noise-multiplier",
            "1",
            "--sample-rate",
            "0.1",
            "--steps",
            "10",
            "--silos",
            "5",
            "--delta",
            "1e-5");
    assertThat(withSilos.exitCode()).isNotZero();
    assertThat(withSilos.err()).contains("--silos is a silo-level setting");
    Run neither = Run.fedsum("privacy", "--noise-multiplier", "1", "--delta", "1e-5");
    assertThat(neither.exitCode()).isNotZero();
    assertThat(neither.err()).contains("--rounds");
  }
}
