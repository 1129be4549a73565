package org.fedsum.aggregator.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fedsum.aggregator.round.RunSettings;
import org.fedsum.aggregator.strategy.StrategyConfig;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.encoding.EncodingParameters;

/**
 * A federation run as an operator submits it: one YAML document (docs/OPERATOR.md lists every key),
 * validated in full before anything is stored. A bad value is refused with an {@link
 * AggregatorConfigException} naming its dotted key; nothing is clamped.
 *
 * <p>The aggregator uses {@link #settings()}; the silos receive {@link #plan()}, the public part
 * they need to train and encode (model description, local training settings, encoding and the
 * privacy floor the run promises) with every round task.
 *
 * @param runId the run's id, unique within the aggregator's data directory
 * @param settings the validated run parameters
 * @param delta the δ at which privacy spent is reported
 * @param floor the privacy floor the run declares (its own parameters satisfy it)
 * @param plan the JSON the silos receive
 */
public record RunConfig(
    String runId, RunSettings settings, double delta, PrivacyFloor floor, ObjectNode plan) {

  /** The default deadline of {@code ADVERTISE_KEYS}, which includes the silos' local training. */
  public static final Duration DEFAULT_ADVERTISE_DEADLINE = Duration.ofMinutes(10);

  /** The default deadline of the other stages. */
  public static final Duration DEFAULT_STAGE_DEADLINE = Duration.ofSeconds(60);

  /** The default δ of the privacy reports. */
  public static final double DEFAULT_DELTA = 1e-5;

  // A run configuration is a page of YAML; anything larger is a mistake.
  public static final int MAX_BYTES = 256 << 10;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TOP_LEVEL_KEYS =
      Set.of(
          "runId",
          "roster",
          "rounds",
          "threshold",
          "minSurvivors",
          "securityModel",
          "assumedColluders",
          "maxConsecutiveAborts",
          "deadlines",
          "model",
          "training",
          "strategy",
          "privacy");
  private static final Map<Stage, String> DEADLINE_KEYS =
      Map.of(
          Stage.ADVERTISE_KEYS, "advertiseKeys",
          Stage.SHARE_KEYS, "shareKeys",
          Stage.MASKED_INPUT, "maskedInput",
          Stage.CONSISTENCY_CHECK, "consistencyCheck",
          Stage.UNMASK, "unmask");
  private static final Set<String> PRIVACY_KEYS =
      Set.of(
          "clipNorm", "noiseMultiplier", "delta", "bits", "rotation", "weightedMaxWeight", "floor");
  private static final Set<String> FLOOR_KEYS =
      Set.of("requireDifferentialPrivacy", "minNoiseMultiplier", "minThreshold");

  public RunConfig {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(floor, "floor");
    plan = plan.deepCopy();
  }

  @Override
  public ObjectNode plan() {
    return plan.deepCopy();
  }

  /**
   * The privacy floor a run declares: silos may hold stricter floors of their own.
   *
   * @param requireDifferentialPrivacy DP must be on
   * @param minNoiseMultiplier the least noise multiplier {@code z}
   * @param minThreshold the least Shamir threshold
   */
  public record PrivacyFloor(
      boolean requireDifferentialPrivacy, double minNoiseMultiplier, int minThreshold) {}

  /**
   * Parses and validates a run configuration for the federation {@code federation} describes.
   *
   * @throws AggregatorConfigException naming the offending key
   */
  public static RunConfig parse(String yaml, AggregatorConfig federation)
      throws AggregatorConfigException {
    Objects.requireNonNull(yaml, "yaml");
    if (yaml.length() > MAX_BYTES) {
      throw new AggregatorConfigException("", "the run configuration is larger than 256 KiB");
    }
    YamlSection root = new YamlSection("", YamlSection.readTree(yaml), federation.dataDirectory());
    root.allowOnly(TOP_LEVEL_KEYS);

    String runId = root.requiredString("runId");
    if (!SiteIdentity.isValidSiteId(runId)) {
      throw new AggregatorConfigException(
          "runId", "must match [a-z0-9][a-z0-9._-]{0,62}, not " + YamlSection.quote(runId));
    }
    List<String> roster = root.roster("roster");
    for (int i = 0; i < roster.size(); i++) {
      if (!federation.roster().contains(roster.get(i))) {
        throw new AggregatorConfigException(
            "roster[" + i + "]",
            "silo "
                + YamlSection.quote(roster.get(i))
                + " is not in the federation's roster (the aggregator configuration's roster)");
      }
    }
    int rounds = (int) root.requiredInteger("rounds", 1, 1_000_000);
    int threshold = (int) root.requiredInteger("threshold", 1, roster.size());
    int minSurvivors =
        (int)
            root.optionalInteger(
                "minSurvivors",
                Math.max(threshold, RoundConfig.MINIMUM_SURVIVORS_FLOOR),
                1,
                roster.size());
    String modelName = root.optionalString("securityModel", "active-aggregator");
    SecurityModel securityModel =
        switch (modelName) {
          case "active-aggregator" -> SecurityModel.ACTIVE_AGGREGATOR;
          case "honest-but-curious" -> SecurityModel.HONEST_BUT_CURIOUS;
          default ->
              throw new AggregatorConfigException(
                  "securityModel",
                  "must be \"active-aggregator\" or \"honest-but-curious\", not "
                      + YamlSection.quote(modelName));
        };
    int assumedColluders = (int) root.optionalInteger("assumedColluders", 0, 0, roster.size());
    int maxConsecutiveAborts =
        (int)
            root.optionalInteger(
                "maxConsecutiveAborts", RunSettings.DEFAULT_MAX_CONSECUTIVE_ABORTS, 1, 1000);

    YamlSection deadlineSection = root.section("deadlines");
    deadlineSection.allowOnly(Set.copyOf(DEADLINE_KEYS.values()));
    Map<Stage, Duration> deadlines = new EnumMap<>(Stage.class);
    for (Stage stage : Stage.values()) {
      deadlines.put(
          stage,
          deadlineSection.optionalDuration(
              DEADLINE_KEYS.get(stage),
              stage == Stage.ADVERTISE_KEYS ? DEFAULT_ADVERTISE_DEADLINE : DEFAULT_STAGE_DEADLINE,
              Duration.ofMillis(100),
              Duration.ofDays(7)));
    }

    YamlSection model = root.section("model");
    int dimension =
        (int) model.requiredInteger("parameters", 1, federation.limits().maxModelParameters());
    model.requiredString("kind");
    JsonNode training = root.optionalMapping("training");

    StrategyConfig strategy;
    try {
      JsonNode strategyNode = root.optionalMapping("strategy");
      @SuppressWarnings("unchecked")
      Map<String, Object> strategyMap =
          strategyNode.isEmpty()
              ? Map.of("name", "fedavg")
              : JSON.convertValue(strategyNode, Map.class);
      strategy = StrategyConfig.fromMap(strategyMap);
    } catch (IllegalArgumentException e) {
      throw new AggregatorConfigException("strategy", e.getMessage());
    }

    YamlSection privacy = root.section("privacy");
    privacy.allowOnly(PRIVACY_KEYS);
    double clipNorm = privacy.requiredNumber("clipNorm", Double.MIN_NORMAL, 1e12);
    double noiseMultiplier = privacy.requiredNumber("noiseMultiplier", 0, 1e6);
    double delta = privacy.optionalNumber("delta", DEFAULT_DELTA, Double.MIN_NORMAL, 0.1);
    int bits = (int) privacy.optionalInteger("bits", 32, 8, 32);
    boolean rotation = privacy.optionalBoolean("rotation", true);
    long maxWeight = privacy.optionalInteger("weightedMaxWeight", 0, 0, 1L << 31);
    if (maxWeight > 0 && noiseMultiplier > 0) {
      throw new AggregatorConfigException(
          "privacy.weightedMaxWeight",
          "weighted averaging is only possible with differential privacy off"
              + " (noiseMultiplier 0): the weights would leak through the noise scale");
    }
    YamlSection floorSection = privacy.section("floor");
    floorSection.allowOnly(FLOOR_KEYS);
    PrivacyFloor floor =
        new PrivacyFloor(
            floorSection.optionalBoolean("requireDifferentialPrivacy", false),
            floorSection.optionalNumber("minNoiseMultiplier", 0, 0, 1e6),
            (int) floorSection.optionalInteger("minThreshold", 0, 0, roster.size()));
    if (floor.requireDifferentialPrivacy() && noiseMultiplier == 0) {
      throw new AggregatorConfigException(
          "privacy.noiseMultiplier", "is 0 (DP off) but privacy.floor requires DP");
    }
    if (noiseMultiplier < floor.minNoiseMultiplier()) {
      throw new AggregatorConfigException(
          "privacy.noiseMultiplier",
          "is "
              + noiseMultiplier
              + ", below privacy.floor.minNoiseMultiplier "
              + floor.minNoiseMultiplier());
    }
    if (threshold < floor.minThreshold()) {
      throw new AggregatorConfigException(
          "threshold",
          "is " + threshold + ", below privacy.floor.minThreshold " + floor.minThreshold());
    }

    EncodingParameters encoding;
    try {
      EncodingParameters.Builder builder =
          EncodingParameters.builder()
              .setDimension(dimension)
              .setClipNorm(clipNorm)
              .setNoiseMultiplier(noiseMultiplier)
              .setThreshold(threshold)
              .setSilos(roster.size())
              .setBits(bits);
      if (rotation) {
        builder.setRotationSeed(rotationSeed(federation.federationId(), runId));
      }
      if (maxWeight > 0) {
        builder.setWeighted(maxWeight);
      }
      encoding = builder.buildChoosingGamma();
    } catch (IllegalArgumentException e) {
      throw new AggregatorConfigException("privacy", e.getMessage());
    }

    RunSettings settings;
    try {
      settings =
          new RunSettings(
              federation.federationId(),
              roster,
              threshold,
              minSurvivors,
              securityModel,
              assumedColluders,
              bits,
              rounds,
              deadlines,
              encoding,
              strategy,
              maxConsecutiveAborts);
    } catch (IllegalArgumentException e) {
      // RoundConfig's threshold rules: the message names threshold, minSurvivors or colluders.
      throw new AggregatorConfigException("threshold", e.getMessage());
    }

    ObjectNode plan = JSON.createObjectNode();
    plan.put("runId", runId);
    plan.set("model", model.node().deepCopy());
    plan.set("training", training.deepCopy());
    plan.set("encoding", org.fedsum.protocol.codec.EncodingParametersCodec.toJson(encoding));
    ObjectNode privacyNode = plan.putObject("privacy");
    privacyNode.put("noiseMultiplier", noiseMultiplier);
    privacyNode.put("clipNorm", clipNorm);
    privacyNode.put("delta", delta);
    ObjectNode floorNode = privacyNode.putObject("floor");
    floorNode.put("requireDifferentialPrivacy", floor.requireDifferentialPrivacy());
    floorNode.put("minNoiseMultiplier", floor.minNoiseMultiplier());
    floorNode.put("minThreshold", floor.minThreshold());
    return new RunConfig(runId, settings, delta, floor, plan);
  }

  /**
   * The run's public rotation seed: SHA-256 over a label, the federation and the run, so every
   * party derives the same seed and no two runs share one.
   */
  static byte[] rotationSeed(String federationId, String runId) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update("fedsum/rotation-seed/v1\0".getBytes(StandardCharsets.UTF_8));
      digest.update(federationId.getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(runId.getBytes(StandardCharsets.UTF_8));
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing", e);
    }
  }
}
