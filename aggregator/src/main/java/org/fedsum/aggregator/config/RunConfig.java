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
import java.util.Optional;
import java.util.Set;
import org.fedsum.aggregator.round.EarlyClose;
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
 * @param recordLevel the run's DP-SGD settings if it protects records (DESIGN.md §5, "Which unit DP
 *     protects"), empty for silo-level DP only
 * @param plan the JSON the silos receive
 */
public record RunConfig(
    String runId,
    RunSettings settings,
    double delta,
    PrivacyFloor floor,
    Optional<RecordLevel> recordLevel,
    ObjectNode plan) {

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
          "earlyClose",
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
  private static final Set<String> EARLY_CLOSE_KEYS =
      Set.of("enabled", "minimumGrace", "graceFactor");
  private static final Set<String> PRIVACY_KEYS =
      Set.of(
          "clipNorm",
          "noiseMultiplier",
          "delta",
          "bits",
          "rotation",
          "weightedMaxWeight",
          "floor",
          "recordLevel");
  private static final Set<String> RECORD_LEVEL_KEYS =
      Set.of("noiseMultiplier", "clipNorm", "expectedBatchSize");
  private static final Set<String> FLOOR_KEYS =
      Set.of("requireDifferentialPrivacy", "minNoiseMultiplier", "minThreshold");

  public RunConfig {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(floor, "floor");
    Objects.requireNonNull(recordLevel, "recordLevel");
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
   * Record-level DP (DP-SGD at each silo, {@code privacy.recordLevel}): every silo Poisson-samples
   * its own records at q = {@code expectedBatchSize} / its record count, clips each example's
   * gradient to {@code clipNorm} and adds Gaussian noise of standard deviation {@code
   * noiseMultiplier · clipNorm} to each step's sum, for {@code epochs · ceil(1/q)} steps a round.
   *
   * @param noiseMultiplier z, &gt; 0
   * @param clipNorm the per-example clipping norm C, &gt; 0
   * @param expectedBatchSize the expected batch of a step, ≥ 1
   */
  public record RecordLevel(double noiseMultiplier, double clipNorm, int expectedBatchSize) {}

  /** Which units the run protects: {@code silo}, {@code record}, both, or none. */
  public List<String> protectedUnits() {
    List<String> units = new java.util.ArrayList<>();
    if (settings.encoding().differentialPrivacy()) {
      units.add("silo");
    }
    if (recordLevel.isPresent()) {
      units.add("record");
    }
    return List.copyOf(units);
  }

  /**
   * The body of the {@code run-privacy} journal record: which units the run protects and with what
   * parameters, so that the run's signed journal says what it chose, not only its configuration
   * file. Numbers are decimal strings, as in every journal record.
   */
  public Map<String, Object> privacyJournalBody() {
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    body.put("protectedUnits", protectedUnits());
    body.put("delta", Double.toString(delta));
    Map<String, Object> silo = new java.util.LinkedHashMap<>();
    silo.put("noiseMultiplier", Double.toString(settings.encoding().noiseMultiplier()));
    silo.put("clipNorm", Double.toString(settings.encoding().clipNorm()));
    body.put("siloLevel", silo);
    if (recordLevel.isPresent()) {
      Map<String, Object> record = new java.util.LinkedHashMap<>();
      record.put("noiseMultiplier", Double.toString(recordLevel.get().noiseMultiplier()));
      record.put("clipNorm", Double.toString(recordLevel.get().clipNorm()));
      record.put("expectedBatchSize", recordLevel.get().expectedBatchSize());
      body.put("recordLevel", record);
    }
    return body;
  }

  /** The protected units in words, for log lines: "silo-level and record-level DP", say. */
  public String privacyDescription() {
    List<String> units = protectedUnits();
    if (units.isEmpty()) {
      return "no differential privacy";
    }
    return String.join(" and ", units.stream().map(unit -> unit + "-level").toList()) + " DP";
  }

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

    YamlSection earlyCloseSection = root.section("earlyClose");
    earlyCloseSection.allowOnly(EARLY_CLOSE_KEYS);
    EarlyClose earlyClose =
        new EarlyClose(
            earlyCloseSection.optionalBoolean("enabled", true),
            earlyCloseSection.optionalDuration(
                "minimumGrace",
                EarlyClose.DEFAULT_MINIMUM_GRACE,
                Duration.ZERO,
                Duration.ofDays(7)),
            earlyCloseSection.optionalNumber(
                "graceFactor", EarlyClose.DEFAULT_GRACE_FACTOR, 0, EarlyClose.MAX_GRACE_FACTOR));

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
    Optional<RecordLevel> recordLevel = recordLevel(privacy, training, maxWeight);
    if (floor.requireDifferentialPrivacy() && noiseMultiplier == 0 && recordLevel.isEmpty()) {
      throw new AggregatorConfigException(
          "privacy.noiseMultiplier",
          "is 0 (silo-level DP off) and privacy.recordLevel is absent (record-level DP off),"
              + " but privacy.floor requires DP");
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
              maxConsecutiveAborts,
              earlyClose);
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
    if (recordLevel.isPresent()) {
      ObjectNode recordNode = privacyNode.putObject("recordLevel");
      recordNode.put("noiseMultiplier", recordLevel.get().noiseMultiplier());
      recordNode.put("clipNorm", recordLevel.get().clipNorm());
      recordNode.put("expectedBatchSize", recordLevel.get().expectedBatchSize());
    }
    return new RunConfig(runId, settings, delta, floor, recordLevel, plan);
  }

  /**
   * Reads {@code privacy.recordLevel}, refusing what DP-SGD cannot honour: the mini-batches are
   * Poisson samples of expected size {@code expectedBatchSize}, so a fixed {@code
   * training.batchSize} would be silently ignored; and FedAvg weights are record counts, which one
   * record changes, so weighted averaging would leak what DP-SGD hides.
   */
  private static Optional<RecordLevel> recordLevel(
      YamlSection privacy, JsonNode training, long maxWeight) throws AggregatorConfigException {
    if (!privacy.node().has("recordLevel")) {
      return Optional.empty();
    }
    YamlSection section = privacy.section("recordLevel");
    section.allowOnly(RECORD_LEVEL_KEYS);
    double noiseMultiplier = section.requiredNumber("noiseMultiplier", Double.MIN_NORMAL, 1e6);
    double clipNorm = section.requiredNumber("clipNorm", Double.MIN_NORMAL, 1e12);
    int expectedBatchSize = (int) section.requiredInteger("expectedBatchSize", 1, 1_000_000);
    if (training.has("batchSize")) {
      throw new AggregatorConfigException(
          "training.batchSize",
          "is not used with privacy.recordLevel: each DP-SGD step takes a Poisson sample of"
              + " expected size privacy.recordLevel.expectedBatchSize; remove training.batchSize");
    }
    if (maxWeight > 0) {
      throw new AggregatorConfigException(
          "privacy.weightedMaxWeight",
          "weighted averaging is not possible with privacy.recordLevel: the weights are record"
              + " counts, which one record changes");
    }
    return Optional.of(new RecordLevel(noiseMultiplier, clipNorm, expectedBatchSize));
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
