package org.fedsum.aggregator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.fedsum.aggregator.round.RunSettings;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RunConfigTest {
  static final AggregatorConfig FEDERATION =
      new AggregatorConfig(
          "fed-1",
          new AggregatorConfig.Listen("127.0.0.1", 0),
          new AggregatorConfig.Tls(
              Path.of("/a.pem"),
              Path.of("/a.key"),
              Path.of("/ca.pem"),
              Path.of("/crl.pem"),
              Duration.ofSeconds(5)),
          Path.of("/data"),
          List.of("silo-a", "silo-b", "silo-c", "silo-d", "silo-e"),
          new AggregatorConfig.Limits(1 << 20, 100_000, 8));

  static final String GOOD =
      """
      runId: run-1
      roster: [silo-a, silo-b, silo-c, silo-d]
      rounds: 20
      threshold: 3
      minSurvivors: 3
      securityModel: active-aggregator
      assumedColluders: 1
      maxConsecutiveAborts: 2
      deadlines:
        advertiseKeys: 10m
        shareKeys: 30s
        maskedInput: 2m
        consistencyCheck: 500ms
        unmask: 1h
      earlyClose:
        minimumGrace: 3s
        graceFactor: 1.5
      model:
        kind: mlp
        parameters: 7850
        hidden: [64]
      training:
        epochs: 2
        learningRate: 0.01
      strategy:
        name: fedadam
        serverLearningRate: 0.1
      privacy:
        clipNorm: 1.5
        noiseMultiplier: 0.8
        delta: 1.0e-6
        bits: 24
        floor:
          requireDifferentialPrivacy: true
          minNoiseMultiplier: 0.5
          minThreshold: 3
      """;

  @Test
  void parse_goodConfig_everyValueReachesTheSettingsAndThePlan() throws Exception {
    RunConfig run = RunConfig.parse(GOOD, FEDERATION);

    RunSettings settings = run.settings();
    assertThat(run.runId()).isEqualTo("run-1");
    assertThat(settings.federationId()).isEqualTo("fed-1");
    assertThat(settings.roster()).containsExactly("silo-a", "silo-b", "silo-c", "silo-d");
    assertThat(settings.rounds()).isEqualTo(20);
    assertThat(settings.threshold()).isEqualTo(3);
    assertThat(settings.minSurvivors()).isEqualTo(3);
    assertThat(settings.securityModel()).isEqualTo(SecurityModel.ACTIVE_AGGREGATOR);
    assertThat(settings.assumedColluders()).isEqualTo(1);
    assertThat(settings.maxConsecutiveAborts()).isEqualTo(2);
    assertThat(settings.deadlines())
        .containsEntry(Stage.ADVERTISE_KEYS, Duration.ofMinutes(10))
        .containsEntry(Stage.SHARE_KEYS, Duration.ofSeconds(30))
        .containsEntry(Stage.MASKED_INPUT, Duration.ofMinutes(2))
        .containsEntry(Stage.CONSISTENCY_CHECK, Duration.ofMillis(500))
        .containsEntry(Stage.UNMASK, Duration.ofHours(1));
    assertThat(settings.earlyClose())
        .isEqualTo(new org.fedsum.aggregator.round.EarlyClose(true, Duration.ofSeconds(3), 1.5));
    assertThat(settings.bits()).isEqualTo(24);
    assertThat(settings.encoding().dimension()).isEqualTo(7850);
    assertThat(settings.encoding().clipNorm()).isEqualTo(1.5);
    assertThat(settings.encoding().noiseMultiplier()).isEqualTo(0.8);
    assertThat(settings.encoding().silos()).isEqualTo(4);
    assertThat(settings.encoding().rotation()).isTrue();
    assertThat(settings.strategy().toMap()).containsEntry("name", "fedadam");
    assertThat(run.delta()).isEqualTo(1e-6);
    assertThat(run.floor()).isEqualTo(new RunConfig.PrivacyFloor(true, 0.5, 3));

    var plan = run.plan();
    assertThat(plan.get("runId").asText()).isEqualTo("run-1");
    assertThat(plan.get("model").get("kind").asText()).isEqualTo("mlp");
    assertThat(plan.get("model").get("hidden").get(0).asInt()).isEqualTo(64);
    assertThat(plan.get("training").get("epochs").asInt()).isEqualTo(2);
    assertThat(EncodingParametersCodec.fromJson(plan.get("encoding")))
        .isEqualTo(settings.encoding());
    assertThat(plan.get("privacy").get("floor").get("minThreshold").asInt()).isEqualTo(3);
  }

  @Test
  void parse_optionalKeysOmitted_documentedDefaults() throws Exception {
    RunConfig run =
        RunConfig.parse(
            """
            runId: r
            roster: [silo-a, silo-b, silo-c]
            rounds: 1
            threshold: 2
            model: {kind: logistic-regression, parameters: 10}
            privacy: {clipNorm: 1, noiseMultiplier: 0}
            """,
            FEDERATION);
    RunSettings settings = run.settings();
    assertThat(settings.minSurvivors()).isEqualTo(3);
    assertThat(settings.securityModel()).isEqualTo(SecurityModel.ACTIVE_AGGREGATOR);
    assertThat(settings.deadlines().get(Stage.ADVERTISE_KEYS))
        .isEqualTo(RunConfig.DEFAULT_ADVERTISE_DEADLINE);
    assertThat(settings.deadlines().get(Stage.UNMASK)).isEqualTo(RunConfig.DEFAULT_STAGE_DEADLINE);
    assertThat(settings.earlyClose()).isEqualTo(org.fedsum.aggregator.round.EarlyClose.DEFAULT);
    assertThat(settings.bits()).isEqualTo(32);
    assertThat(settings.strategy().toMap()).containsEntry("name", "fedavg");
    assertThat(run.delta()).isEqualTo(RunConfig.DEFAULT_DELTA);
    assertThat(run.floor()).isEqualTo(new RunConfig.PrivacyFloor(false, 0, 0));
  }

  @Test
  void parse_smallDpRunAtDefaultBits_accepted() throws Exception {
    // Three silos, DP on, 32 bits by default: the finest grid would need σ_local above 2^28.
    RunConfig run =
        RunConfig.parse(
            """
            runId: small-dp
            roster: [silo-a, silo-b, silo-c]
            rounds: 3
            threshold: 3
            model: {kind: logistic-regression, parameters: 610}
            privacy: {clipNorm: 1, noiseMultiplier: 1.0}
            """,
            FEDERATION);
    assertThat(run.settings().bits()).isEqualTo(32);
    assertThat(run.settings().encoding().localNoiseStandardDeviation())
        .isLessThanOrEqualTo(0x1p28)
        .isGreaterThan(2);
  }

  @Test
  void parse_sameRunTwice_sameRotationSeed_otherRunOtherSeed() throws Exception {
    byte[] first = RunConfig.parse(GOOD, FEDERATION).settings().encoding().rotationSeed();
    byte[] again = RunConfig.parse(GOOD, FEDERATION).settings().encoding().rotationSeed();
    byte[] other =
        RunConfig.parse(GOOD.replace("runId: run-1", "runId: run-2"), FEDERATION)
            .settings()
            .encoding()
            .rotationSeed();
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  static Stream<Arguments> badConfigs() {
    return Stream.of(
        Arguments.of("runId: run-1", "runId: Run 1", "runId"),
        Arguments.of("runId: run-1\n", "", "runId"),
        Arguments.of("rounds: 20", "rounds: 0", "rounds"),
        Arguments.of("rounds: 20", "rounds: many", "rounds"),
        Arguments.of("threshold: 3", "threshold: 9", "threshold"),
        Arguments.of("[silo-a, silo-b, silo-c, silo-d]", "[silo-a, silo-b, silo-x]", "roster[2]"),
        Arguments.of("[silo-a, silo-b, silo-c, silo-d]", "[silo-a, silo-a, silo-b]", "roster[1]"),
        Arguments.of("[silo-a, silo-b, silo-c, silo-d]", "[silo-a, silo-b]", "roster"),
        Arguments.of(
            "securityModel: active-aggregator", "securityModel: paranoid", "securityModel"),
        Arguments.of("shareKeys: 30s", "shareKeys: 30", "deadlines.shareKeys"),
        Arguments.of("shareKeys: 30s", "shareKeys: 10ms", "deadlines.shareKeys"),
        Arguments.of("shareKeys: 30s", "shareKey: 30s", "deadlines.shareKey"),
        Arguments.of("minimumGrace: 3s", "minimumGrace: 3", "earlyClose.minimumGrace"),
        Arguments.of("minimumGrace: 3s", "minimumGrace: -3s", "earlyClose.minimumGrace"),
        Arguments.of("graceFactor: 1.5", "graceFactor: -1", "earlyClose.graceFactor"),
        Arguments.of("graceFactor: 1.5", "graceFactor: 1e9", "earlyClose.graceFactor"),
        Arguments.of("graceFactor: 1.5", "graceFactor: soon", "earlyClose.graceFactor"),
        Arguments.of("graceFactor: 1.5", "grace: 1.5", "earlyClose.grace"),
        Arguments.of("minimumGrace: 3s", "enabled: maybe", "earlyClose.enabled"),
        Arguments.of("parameters: 7850", "parameters: 1000000", "model.parameters"),
        Arguments.of("  kind: mlp\n", "", "model.kind"),
        Arguments.of("name: fedadam", "name: fedsgd", "strategy"),
        Arguments.of("clipNorm: 1.5", "clipNorm: 0", "privacy.clipNorm"),
        Arguments.of("noiseMultiplier: 0.8", "noiseMultiplier: -1", "privacy.noiseMultiplier"),
        Arguments.of("noiseMultiplier: 0.8", "noiseMultiplier: 0.4", "privacy.noiseMultiplier"),
        Arguments.of("noiseMultiplier: 0.8", "noiseMultiplier: 0", "privacy.noiseMultiplier"),
        Arguments.of("minThreshold: 3", "minThreshold: 4", "threshold"),
        Arguments.of("bits: 24", "bits: 64", "privacy.bits"),
        Arguments.of("delta: 1.0e-6", "delta: 0.5", "privacy.delta"),
        Arguments.of(
            "clipNorm: 1.5",
            "clipNorm: 1.5\n  weightedMaxWeight: 100",
            "privacy.weightedMaxWeight"),
        Arguments.of("rounds: 20", "rounds: 20\nepochs: 3", "epochs"));
  }

  private static final String RECORD_LEVEL =
      GOOD.replace(
          "  bits: 24\n",
          "  bits: 24\n"
              + "  recordLevel:\n"
              + "    noiseMultiplier: 1.1\n"
              + "    clipNorm: 0.5\n"
              + "    expectedBatchSize: 64\n");

  @Test
  void parse_recordLevel_reachesThePlanAndNamesBothUnits() throws Exception {
    assertThat(RECORD_LEVEL).isNotEqualTo(GOOD);
    RunConfig run = RunConfig.parse(RECORD_LEVEL, FEDERATION);

    assertThat(run.recordLevel()).contains(new RunConfig.RecordLevel(1.1, 0.5, 64));
    assertThat(run.protectedUnits()).containsExactly("silo", "record");
    var recordLevel = run.plan().get("privacy").get("recordLevel");
    assertThat(recordLevel.get("noiseMultiplier").asDouble()).isEqualTo(1.1);
    assertThat(recordLevel.get("clipNorm").asDouble()).isEqualTo(0.5);
    assertThat(recordLevel.get("expectedBatchSize").asInt()).isEqualTo(64);
    assertThat(run.privacyDescription()).isEqualTo("silo-level and record-level DP");
    var journalled = run.privacyJournalBody();
    assertThat(journalled).containsEntry("protectedUnits", List.of("silo", "record"));
    assertThat(journalled).containsEntry("delta", "1.0E-6");
    assertThat(journalled.get("recordLevel").toString())
        .contains("noiseMultiplier=1.1", "clipNorm=0.5", "expectedBatchSize=64");
  }

  @Test
  void parse_withoutRecordLevel_siloLevelOnlyAsBefore() throws Exception {
    RunConfig run = RunConfig.parse(GOOD, FEDERATION);
    assertThat(run.recordLevel()).isEmpty();
    assertThat(run.protectedUnits()).containsExactly("silo");
    assertThat(run.plan().get("privacy").has("recordLevel")).isFalse();
  }

  @Test
  void parse_recordLevelOnly_satisfiesAFloorThatRequiresDp() throws Exception {
    RunConfig run =
        RunConfig.parse(
            RECORD_LEVEL
                .replace("noiseMultiplier: 0.8", "noiseMultiplier: 0")
                .replace("minNoiseMultiplier: 0.5", "minNoiseMultiplier: 0"),
            FEDERATION);
    assertThat(run.settings().encoding().differentialPrivacy()).isFalse();
    assertThat(run.protectedUnits()).containsExactly("record");
  }

  static Stream<Arguments> badRecordLevelConfigs() {
    return Stream.of(
        Arguments.of(
            "noiseMultiplier: 1.1", "noiseMultiplier: 0", "privacy.recordLevel.noiseMultiplier"),
        Arguments.of("    noiseMultiplier: 1.1\n", "", "privacy.recordLevel.noiseMultiplier"),
        Arguments.of("clipNorm: 0.5", "clipNorm: -0.5", "privacy.recordLevel.clipNorm"),
        Arguments.of(
            "expectedBatchSize: 64",
            "expectedBatchSize: 0",
            "privacy.recordLevel.expectedBatchSize"),
        Arguments.of(
            "expectedBatchSize: 64",
            "expectedBatchSize: 6.5",
            "privacy.recordLevel.expectedBatchSize"),
        Arguments.of(
            "expectedBatchSize: 64",
            "expectedBatchSize: 64\n    sampleRate: 0.1",
            "privacy.recordLevel.sampleRate"),
        Arguments.of("epochs: 2", "epochs: 2\n  batchSize: 32", "training.batchSize"),
        Arguments.of(
            "  recordLevel:\n    noiseMultiplier: 1.1\n    clipNorm: 0.5\n    expectedBatchSize: 64\n",
            "  recordLevel: yes\n",
            "privacy.recordLevel"));
  }

  @ParameterizedTest
  @MethodSource("badRecordLevelConfigs")
  void parse_badRecordLevel_refusedNamingTheKey(String from, String to, String key) {
    String yaml = RECORD_LEVEL.replace(from, to);
    assertThat(yaml).as("the edit applies").isNotEqualTo(RECORD_LEVEL);

    AggregatorConfigException refusal =
        catchThrowableOfType(
            AggregatorConfigException.class, () -> RunConfig.parse(yaml, FEDERATION));

    assertThat(refusal).as("refused: %s -> %s", from, to).isNotNull();
    assertThat(refusal.key()).isEqualTo(key);
  }

  @Test
  void parse_recordLevelWithWeightedAveraging_refused() {
    String yaml =
        RECORD_LEVEL
            .replace("noiseMultiplier: 0.8", "noiseMultiplier: 0")
            .replace("minNoiseMultiplier: 0.5", "minNoiseMultiplier: 0")
            .replace("clipNorm: 1.5", "clipNorm: 1.5\n  weightedMaxWeight: 100");
    AggregatorConfigException refusal =
        catchThrowableOfType(
            AggregatorConfigException.class, () -> RunConfig.parse(yaml, FEDERATION));
    assertThat(refusal).isNotNull();
    assertThat(refusal.key()).isEqualTo("privacy.weightedMaxWeight");
    assertThat(refusal.getMessage()).contains("record counts");
  }

  @ParameterizedTest
  @MethodSource("badConfigs")
  void parse_badValue_refusedNamingTheKey(String from, String to, String key) {
    String yaml = GOOD.replace(from, to);
    assertThat(yaml).as("the edit applies").isNotEqualTo(GOOD);

    AggregatorConfigException refusal =
        catchThrowableOfType(
            AggregatorConfigException.class, () -> RunConfig.parse(yaml, FEDERATION));

    assertThat(refusal).as("refused: %s -> %s", from, to).isNotNull();
    assertThat(refusal.key()).isEqualTo(key);
    assertThat(refusal.getMessage()).startsWith(key + ": ");
  }

  @Test
  void parse_notYaml_refusedAsAWhole() {
    AggregatorConfigException refusal =
        catchThrowableOfType(
            AggregatorConfigException.class, () -> RunConfig.parse("runId: [", FEDERATION));
    assertThat(refusal.key()).isEmpty();
    assertThat(refusal.getMessage()).contains("not valid YAML");
  }
}
