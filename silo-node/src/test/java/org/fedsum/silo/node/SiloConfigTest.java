package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SiloConfigTest {
  static final String GOOD =
      """
      siloId: hospital-a
      tls:
        certificate: tls/silo.pem
        privateKey: tls/silo.key
        ca: tls/ca.pem
        crl: tls/crl.pem
      aggregator:
        url: https://aggregator.example:8443
        pollWaitSeconds: 20
        requestTimeoutSeconds: 60
        uploadPartKibibytes: 1024
      dataDirectory: state
      data:
        format: csv
        train: data/train.csv
        labelColumn: diagnosis
        heldOutFraction: 0.25
        seed: 7
      privacy:
        epsilonBudget: 8
        delta: 1.0e-6
        floor:
          requireDifferentialPrivacy: true
          minNoiseMultiplier: 0.5
          minThreshold: 3
          minSurvivors: 4
        recordLevel:
          epsilonBudget: 3
          required: true
          minNoiseMultiplier: 0.9
      shareMetrics: true
      threads: 2
      """;

  @TempDir Path directory;

  @BeforeEach
  void files() throws Exception {
    Files.createDirectories(directory.resolve("tls"));
    Files.createDirectories(directory.resolve("data"));
    Files.createDirectories(directory.resolve("state"));
    for (String name :
        List.of("tls/silo.pem", "tls/silo.key", "tls/ca.pem", "tls/crl.pem", "data/train.csv")) {
      Files.writeString(directory.resolve(name), "x");
    }
  }

  @Test
  void parse_goodFile_everyValueRead() throws Exception {
    SiloConfig config = SiloConfig.parse(GOOD, directory);

    assertThat(config.siloId()).isEqualTo("hospital-a");
    assertThat(config.tls().certificate()).isEqualTo(directory.resolve("tls/silo.pem"));
    assertThat(config.aggregator().url().toString()).isEqualTo("https://aggregator.example:8443");
    assertThat(config.aggregator().pollWaitSeconds()).isEqualTo(20);
    assertThat(config.aggregator().requestTimeoutSeconds()).isEqualTo(60);
    assertThat(config.aggregator().uploadPartBytes()).isEqualTo(1 << 20);
    assertThat(config.dataDirectory()).isEqualTo(directory.resolve("state"));
    assertThat(config.data().format()).isEqualTo("csv");
    assertThat(config.data().train()).isEqualTo(directory.resolve("data/train.csv"));
    assertThat(config.data().labelColumn()).isEqualTo("diagnosis");
    assertThat(config.data().heldOutFraction()).isEqualTo(0.25);
    assertThat(config.data().seed()).isEqualTo(7);
    assertThat(config.privacy().epsilonBudget()).isEqualTo(8);
    assertThat(config.privacy().delta()).isEqualTo(1e-6);
    assertThat(config.privacy().floor()).isEqualTo(new SiloConfig.Floor(true, 0.5, 3, 4));
    assertThat(config.privacy().recordLevel())
        .isEqualTo(new SiloConfig.RecordLevelRules(3, true, 0.9));
    assertThat(config.shareMetrics()).isTrue();
    assertThat(config.threads()).isEqualTo(2);
  }

  @Test
  void parse_aggregatorTimingAndPartsLeftOut_takeTheDocumentedDefaults() throws Exception {
    String yaml =
        GOOD.replace("  pollWaitSeconds: 20\n", "")
            .replace("  requestTimeoutSeconds: 60\n", "")
            .replace("  uploadPartKibibytes: 1024\n", "");
    assertThat(yaml).doesNotContain("pollWaitSeconds", "requestTimeoutSeconds", "uploadPart");

    SiloConfig.Aggregator aggregator = SiloConfig.parse(yaml, directory).aggregator();

    assertThat(aggregator.pollWaitSeconds()).isEqualTo(25);
    assertThat(aggregator.requestTimeoutSeconds()).isEqualTo(300);
    assertThat(aggregator.uploadPartBytes()).isEqualTo(16 << 20);
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of("siloId: hospital-a", "siloId: Hospital A", "siloId"),
        Arguments.of("  crl: tls/crl.pem", "  crl: tls/missing.pem", "tls.crl"),
        Arguments.of("  crl: tls/crl.pem", "  crl: tls/crl.pem\n  extra: x", "tls.extra"),
        Arguments.of(
            "url: https://aggregator.example:8443",
            "url: http://aggregator.example",
            "aggregator.url"),
        Arguments.of("pollWaitSeconds: 20", "pollWaitSeconds: 90", "aggregator.pollWaitSeconds"),
        Arguments.of("pollWaitSeconds: 20", "pollWaitSeconds: soon", "aggregator.pollWaitSeconds"),
        Arguments.of(
            "uploadPartKibibytes: 1024",
            "uploadPartKibibytes: 63",
            "aggregator.uploadPartKibibytes"),
        Arguments.of(
            "uploadPartKibibytes: 1024",
            "uploadPartKibibytes: 1048577",
            "aggregator.uploadPartKibibytes"),
        Arguments.of(
            "uploadPartKibibytes: 1024",
            "uploadPartKibibytes: 1MiB",
            "aggregator.uploadPartKibibytes"),
        Arguments.of("dataDirectory: state", "dataDirectory: nowhere", "dataDirectory"),
        Arguments.of("format: csv", "format: parquet", "data.format"),
        Arguments.of("  labelColumn: diagnosis\n", "", "data.labelColumn"),
        Arguments.of("heldOutFraction: 0.25", "heldOutFraction: 1.5", "data.heldOutFraction"),
        Arguments.of("epsilonBudget: 8", "epsilonBudget: -1", "privacy.epsilonBudget"),
        Arguments.of("epsilonBudget: 3", "epsilonBudget: -3", "privacy.recordLevel.epsilonBudget"),
        Arguments.of(
            "minNoiseMultiplier: 0.9",
            "minNoiseMultiplier: -0.9",
            "privacy.recordLevel.minNoiseMultiplier"),
        Arguments.of("minThreshold: 3", "minThreshold: 0", "privacy.floor.minThreshold"),
        Arguments.of("minSurvivors: 4", "minSurvivors: 2", "privacy.floor.minSurvivors"),
        Arguments.of("minSurvivors: 4", "minSurvivor: 4", "privacy.floor.minSurvivor"),
        Arguments.of("threads: 2", "threads: 0", "threads"));
  }

  @ParameterizedTest
  @MethodSource("badFiles")
  void parse_badValue_refusedNamingTheKey(String from, String to, String key) {
    String yaml = GOOD.replace(from, to);
    assertThat(yaml).isNotEqualTo(GOOD);

    SiloConfigException refusal =
        catchThrowableOfType(SiloConfigException.class, () -> SiloConfig.parse(yaml, directory));

    assertThat(refusal).as("%s -> %s", from, to).isNotNull();
    assertThat(refusal.key()).isEqualTo(key);
    assertThat(refusal.getMessage()).startsWith(key + ": ");
  }
}
