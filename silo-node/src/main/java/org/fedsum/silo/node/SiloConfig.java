package org.fedsum.silo.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.silo.client.FrameUpload;

/**
 * The silo node's configuration: one YAML file (docs/SILO.md lists every key), read strictly —
 * unknown keys, wrong types and out-of-range values are refused with the dotted key, never clamped.
 * Relative paths are resolved against the file's folder.
 *
 * @param siloId the silo's id; must be the id in its certificate
 * @param tls the silo's certificate and key and the federation's CA and CRL
 * @param aggregator where the aggregator is and how to talk to it
 * @param dataDirectory where the silo keeps its journal (which also holds its privacy ledger)
 * @param data the silo's training data
 * @param privacy the silo's floor and budget
 * @param shareMetrics whether the silo tells the aggregator its evaluation metrics
 * @param threads the engine's intra-op threads (DESIGN.md §8: 1 when cores are shared)
 */
public record SiloConfig(
    String siloId,
    Tls tls,
    Aggregator aggregator,
    Path dataDirectory,
    Data data,
    Privacy privacy,
    boolean shareMetrics,
    int threads) {

  /**
   * The smallest upload part, 64 KiB: below it each part's request and acknowledgement cost a round
   * trip for little data, and proxies' body limits are higher (nginx's default is 1 MiB).
   */
  public static final int MIN_UPLOAD_PART_KIBIBYTES = 64;

  /** The largest upload part, 1 GiB: its size in bytes stays an int. */
  public static final int MAX_UPLOAD_PART_KIBIBYTES = 1 << 20;

  /**
   * How long one request to the aggregator may take unless {@code requestTimeoutSeconds} is set.
   */
  public static final int DEFAULT_REQUEST_TIMEOUT_SECONDS = 300;

  /** The silo's PEM files. */
  public record Tls(Path certificate, Path privateKey, Path ca, Path crl) {}

  /**
   * @param url the aggregator's base URL, https
   * @param pollWaitSeconds how long one long poll waits, 1..30
   * @param requestTimeoutSeconds how long one request may take
   * @param uploadPartBytes the size of each part the masked vector is uploaded in, one request each
   *     (key {@code uploadPartKibibytes}, in KiB: a proxy in front of the aggregator may cap a
   *     request's body)
   */
  public record Aggregator(
      URI url, int pollWaitSeconds, int requestTimeoutSeconds, int uploadPartBytes) {

    /** The default part size, {@link FrameUpload#DEFAULT_PART_BYTES}. */
    public Aggregator(URI url, int pollWaitSeconds, int requestTimeoutSeconds) {
      this(url, pollWaitSeconds, requestTimeoutSeconds, FrameUpload.DEFAULT_PART_BYTES);
    }
  }

  /**
   * The training data. {@code format} is {@code csv} (files {@code train} and optional {@code
   * test}, label column {@code labelColumn}), {@code idx} ({@code trainImages}, {@code
   * trainLabels}, optional {@code testImages}, {@code testLabels}) or {@code synthetic} (the
   * FedProx generator: {@code alpha}, {@code beta}, {@code examples}, {@code device}). Without test
   * files, {@code heldOutFraction} of the training data is held out, chosen with {@code seed}.
   */
  public record Data(
      String format,
      Path train,
      Path test,
      String labelColumn,
      Path trainImages,
      Path trainLabels,
      Path testImages,
      Path testLabels,
      double alpha,
      double beta,
      int examples,
      int device,
      double heldOutFraction,
      long seed) {}

  /**
   * The silo's privacy rules. ε of different units are different promises (DESIGN.md §5, "Which
   * unit DP protects"), so each unit has its own budget: {@code epsilonBudget} for silo-level DP
   * (one silo's whole update per round), {@code recordLevel.epsilonBudget} for record-level DP (one
   * record of this silo's data). Both are stated at the same {@code delta}.
   *
   * @param floor what a round must promise for the silo to join
   * @param epsilonBudget the silo's total silo-level ε budget at {@code delta}; 0 for none
   * @param delta δ of both budgets
   * @param recordLevel the silo's record-level floor and budget
   */
  public record Privacy(
      Floor floor, double epsilonBudget, double delta, RecordLevelRules recordLevel) {
    /** Rules without a record-level floor or budget. */
    public Privacy(Floor floor, double epsilonBudget, double delta) {
      this(floor, epsilonBudget, delta, RecordLevelRules.NONE);
    }
  }

  /**
   * The silo's rules for record-level DP (DP-SGD on its own records), {@code privacy.recordLevel}.
   *
   * @param epsilonBudget the total record-level ε at {@code privacy.delta} over every run on this
   *     silo's data; 0 for none. A silo with a record-level budget joins only rounds that train
   *     with DP-SGD: its record-level ledger cannot bound any other round.
   * @param required refuse rounds that do not train with DP-SGD
   * @param minNoiseMultiplier refuse DP-SGD with a smaller noise multiplier
   */
  public record RecordLevelRules(
      double epsilonBudget, boolean required, double minNoiseMultiplier) {
    /** No record-level floor and no budget. */
    public static final RecordLevelRules NONE = new RecordLevelRules(0, false, 0);
  }

  /**
   * The silo's privacy floor (DESIGN.md §5): a round below it is refused and the silo sits it out.
   *
   * @param requireDifferentialPrivacy refuse rounds without DP noise
   * @param minNoiseMultiplier refuse rounds with a smaller noise multiplier z
   * @param minThreshold refuse rounds with a smaller Shamir threshold
   * @param minSurvivors never reveal shares for a sum of fewer silos (at least 3)
   */
  public record Floor(
      boolean requireDifferentialPrivacy,
      double minNoiseMultiplier,
      int minThreshold,
      int minSurvivors) {}

  /** Reads and validates a configuration file. */
  public static SiloConfig load(Path file) throws SiloConfigException {
    Path absolute = file.toAbsolutePath().normalize();
    String yaml;
    try {
      if (Files.size(absolute) > (1 << 20)) {
        throw new SiloConfigException(
            "", "configuration file " + absolute + " is larger than 1 MiB");
      }
      yaml = Files.readString(absolute, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SiloConfigException("", "cannot read configuration file " + absolute + ": " + e);
    }
    return parse(yaml, absolute.getParent());
  }

  /** Parses and validates configuration text; relative paths resolve against {@code base}. */
  public static SiloConfig parse(String yaml, Path base) throws SiloConfigException {
    ObjectMapper mapper =
        YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    Raw raw;
    try {
      raw = mapper.readValue(yaml, Raw.class);
    } catch (JsonMappingException e) {
      String key =
          e.getPath().stream()
              .map(
                  reference ->
                      reference.getFieldName() == null
                          ? "[" + reference.getIndex() + "]"
                          : reference.getFieldName())
              .collect(Collectors.joining("."))
              .replace(".[", "[");
      throw new SiloConfigException(key, e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (JsonProcessingException e) {
      throw new SiloConfigException("", "not valid YAML: " + e.getOriginalMessage());
    }
    if (raw == null) {
      throw new SiloConfigException("", "the configuration is empty");
    }
    return raw.validate(base.toAbsolutePath().normalize());
  }

  /** The file as written, before validation. */
  private record Raw(
      String siloId,
      Map<String, String> tls,
      RawAggregator aggregator,
      String dataDirectory,
      RawData data,
      RawPrivacy privacy,
      Boolean shareMetrics,
      Integer threads) {

    SiloConfig validate(Path base) throws SiloConfigException {
      String id = required("siloId", siloId);
      if (!SiteIdentity.isValidSiteId(id)) {
        throw new SiloConfigException(
            "siloId", "must match [a-z0-9][a-z0-9._-]{0,62}, not \"" + id + "\"");
      }
      if (tls == null) {
        throw new SiloConfigException("tls", "missing (the key is required)");
      }
      for (String key : tls.keySet()) {
        if (!java.util.Set.of("certificate", "privateKey", "ca", "crl").contains(key)) {
          throw new SiloConfigException(
              "tls." + key, "unknown key (known: ca, certificate, crl, privateKey)");
        }
      }
      Tls files =
          new Tls(
              file(base, "tls.certificate", tls.get("certificate")),
              file(base, "tls.privateKey", tls.get("privateKey")),
              file(base, "tls.ca", tls.get("ca")),
              file(base, "tls.crl", tls.get("crl")));
      if (aggregator == null) {
        throw new SiloConfigException("aggregator", "missing (the key is required)");
      }
      URI url;
      try {
        url = new URI(required("aggregator.url", aggregator.url));
      } catch (URISyntaxException e) {
        throw new SiloConfigException("aggregator.url", "not a URL: " + e.getReason());
      }
      if (!"https".equals(url.getScheme()) || url.getHost() == null) {
        throw new SiloConfigException(
            "aggregator.url", "must be an https URL with a host, not \"" + url + "\"");
      }
      int wait = range("aggregator.pollWaitSeconds", aggregator.pollWaitSeconds, 25, 1, 30);
      int timeout =
          range(
              "aggregator.requestTimeoutSeconds",
              aggregator.requestTimeoutSeconds,
              DEFAULT_REQUEST_TIMEOUT_SECONDS,
              1,
              86_400);
      int partKibibytes =
          range(
              "aggregator.uploadPartKibibytes",
              aggregator.uploadPartKibibytes,
              FrameUpload.DEFAULT_PART_BYTES / 1024,
              MIN_UPLOAD_PART_KIBIBYTES,
              MAX_UPLOAD_PART_KIBIBYTES);
      Path dataDir = base.resolve(required("dataDirectory", dataDirectory)).normalize();
      if (!Files.isDirectory(dataDir) || !Files.isWritable(dataDir)) {
        throw new SiloConfigException(
            "dataDirectory",
            "folder " + dataDir + " does not exist or is not writable (create it first)");
      }
      if (data == null) {
        throw new SiloConfigException("data", "missing (the key is required)");
      }
      Data dataConfig = data.validate(base);
      RawPrivacy rawPrivacy = privacy == null ? new RawPrivacy(null, null, null, null) : privacy;
      Privacy privacyConfig = rawPrivacy.validate();
      int engineThreads = range("threads", threads, 1, 1, 256);
      return new SiloConfig(
          id,
          files,
          new Aggregator(url, wait, timeout, partKibibytes * 1024),
          dataDir,
          dataConfig,
          privacyConfig,
          shareMetrics != null && shareMetrics,
          engineThreads);
    }
  }

  private record RawAggregator(
      String url,
      Integer pollWaitSeconds,
      Integer requestTimeoutSeconds,
      Integer uploadPartKibibytes) {}

  private record RawData(
      String format,
      String train,
      String test,
      String labelColumn,
      String trainImages,
      String trainLabels,
      String testImages,
      String testLabels,
      Double alpha,
      Double beta,
      Integer examples,
      Integer device,
      Double heldOutFraction,
      Long seed) {

    Data validate(Path base) throws SiloConfigException {
      String kind = required("data.format", format);
      double heldOut = number("data.heldOutFraction", heldOutFraction, 0.2, 0, 0.9);
      long shuffleSeed = seed == null ? 1 : seed;
      switch (kind) {
        case "csv" -> {
          return new Data(
              kind,
              file(base, "data.train", train),
              test == null ? null : file(base, "data.test", test),
              required("data.labelColumn", labelColumn),
              null,
              null,
              null,
              null,
              0,
              0,
              0,
              0,
              heldOut,
              shuffleSeed);
        }
        case "idx" -> {
          boolean testGiven = testImages != null || testLabels != null;
          return new Data(
              kind,
              null,
              null,
              null,
              file(base, "data.trainImages", trainImages),
              file(base, "data.trainLabels", trainLabels),
              testGiven ? file(base, "data.testImages", testImages) : null,
              testGiven ? file(base, "data.testLabels", testLabels) : null,
              0,
              0,
              0,
              0,
              heldOut,
              shuffleSeed);
        }
        case "synthetic" -> {
          return new Data(
              kind,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              number("data.alpha", alpha, 0.5, 0, 100),
              number("data.beta", beta, 0.5, 0, 100),
              range("data.examples", examples, 1000, 10, 10_000_000),
              range("data.device", device, 0, 0, 1_000_000),
              heldOut,
              shuffleSeed);
        }
        default ->
            throw new SiloConfigException(
                "data.format", "must be csv, idx or synthetic, not \"" + kind + "\"");
      }
    }
  }

  private record RawPrivacy(
      RawFloor floor, Double epsilonBudget, Double delta, RawRecordLevel recordLevel) {

    Privacy validate() throws SiloConfigException {
      RawFloor rawFloor = floor == null ? new RawFloor(null, null, null, null) : floor;
      Floor validFloor =
          new Floor(
              rawFloor.requireDifferentialPrivacy != null && rawFloor.requireDifferentialPrivacy,
              number("privacy.floor.minNoiseMultiplier", rawFloor.minNoiseMultiplier, 0, 0, 1e6),
              range("privacy.floor.minThreshold", rawFloor.minThreshold, 1, 1, 100_000),
              range("privacy.floor.minSurvivors", rawFloor.minSurvivors, 3, 3, 100_000));
      RawRecordLevel rawRecord =
          recordLevel == null ? new RawRecordLevel(null, null, null) : recordLevel;
      RecordLevelRules rules =
          new RecordLevelRules(
              number("privacy.recordLevel.epsilonBudget", rawRecord.epsilonBudget, 0, 0, 1e6),
              rawRecord.required != null && rawRecord.required,
              number(
                  "privacy.recordLevel.minNoiseMultiplier",
                  rawRecord.minNoiseMultiplier,
                  0,
                  0,
                  1e6));
      return new Privacy(
          validFloor,
          number("privacy.epsilonBudget", epsilonBudget, 0, 0, 1e6),
          number("privacy.delta", delta, 1e-5, Double.MIN_NORMAL, 0.1),
          rules);
    }
  }

  private record RawRecordLevel(
      Double epsilonBudget, Boolean required, Double minNoiseMultiplier) {}

  private record RawFloor(
      Boolean requireDifferentialPrivacy,
      Double minNoiseMultiplier,
      Integer minThreshold,
      Integer minSurvivors) {}

  private static String required(String key, String value) throws SiloConfigException {
    if (value == null || value.isBlank()) {
      throw new SiloConfigException(key, "missing (the key is required)");
    }
    return value;
  }

  private static Path file(Path base, String key, String value) throws SiloConfigException {
    Path path = base.resolve(required(key, value)).normalize();
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw new SiloConfigException(key, "file " + path + " does not exist or is not readable");
    }
    return path;
  }

  private static int range(String key, Integer value, int defaultValue, int min, int max)
      throws SiloConfigException {
    int actual = value == null ? defaultValue : value;
    if (actual < min || actual > max) {
      throw new SiloConfigException(
          key, "must be between " + min + " and " + max + ", not " + actual);
    }
    return actual;
  }

  private static double number(
      String key, Double value, double defaultValue, double min, double max)
      throws SiloConfigException {
    double actual = value == null ? defaultValue : value;
    if (!(actual >= min && actual <= max)) {
      throw new SiloConfigException(
          key, "must be between " + min + " and " + max + ", not " + actual);
    }
    return actual;
  }
}
