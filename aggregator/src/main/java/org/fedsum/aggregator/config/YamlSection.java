package org.fedsum.aggregator.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.fedsum.crypto.SiteIdentity;

/**
 * One mapping of a YAML configuration, with the dotted path that names its keys in messages: the
 * reader behind {@link AggregatorConfig} and {@link RunConfig}. Every refusal is an {@link
 * AggregatorConfigException} that names the key; nothing is clamped or defaulted silently.
 */
final class YamlSection {
  static final int MAX_QUOTED_LENGTH = 80;
  static final int MIN_ROSTER_SIZE = AggregatorConfig.MIN_ROSTER_SIZE;

  static JsonNode readTree(String yaml) throws AggregatorConfigException {
    YAMLMapper mapper =
        YAMLMapper.builder()
            // A key written twice is almost always an editing mistake; YAML says it is an error.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    JsonNode tree;
    try {
      tree = mapper.readTree(yaml);
    } catch (JsonProcessingException e) {
      // The original message names the problem and its line; it never echoes a whole value.
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new AggregatorConfigException("", "not valid YAML: " + e.getOriginalMessage() + where);
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      throw new AggregatorConfigException("", "the configuration is empty");
    }
    if (!tree.isObject()) {
      throw new AggregatorConfigException("", "the configuration must be a YAML mapping of keys");
    }
    return tree;
  }

  /** One mapping of the file, with the dotted path that names its keys in messages. */
  private final String path;

  private final JsonNode node;
  private final Path baseDirectory;

  YamlSection(String path, JsonNode node, Path baseDirectory) {
    this.path = path;
    this.node = node;
    this.baseDirectory = baseDirectory;
  }

  String key(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  void allowOnly(Set<String> known) throws AggregatorConfigException {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new AggregatorConfigException(
            key(quoteKey(name)),
            "unknown key (known keys"
                + (path.isEmpty() ? "" : " under " + path)
                + ": "
                + String.join(", ", known.stream().sorted().toList())
                + ")");
      }
    }
  }

  /** The child mapping, or an empty one if the key is absent. */
  YamlSection section(String name) throws AggregatorConfigException {
    JsonNode child = present(name);
    if (child == null) {
      return new YamlSection(key(name), MissingNode.getInstance(), baseDirectory);
    }
    if (!child.isObject()) {
      throw new AggregatorConfigException(key(name), "must be a mapping of keys");
    }
    return new YamlSection(key(name), child, baseDirectory);
  }

  /** The value, or null if the key is absent; a key written without a value is refused. */
  private JsonNode present(String name) throws AggregatorConfigException {
    JsonNode value = node.get(name);
    if (value == null) {
      return null;
    }
    if (value.isNull()) {
      throw new AggregatorConfigException(
          key(name), "has no value (remove the key to use its default, if it has one)");
    }
    return value;
  }

  private JsonNode required(String name) throws AggregatorConfigException {
    JsonNode value = present(name);
    if (value == null) {
      throw new AggregatorConfigException(key(name), "missing (the key is required)");
    }
    return value;
  }

  String requiredString(String name) throws AggregatorConfigException {
    return text(name, required(name));
  }

  String optionalString(String name, String defaultValue) throws AggregatorConfigException {
    JsonNode value = present(name);
    return value == null ? defaultValue : text(name, value);
  }

  private String text(String name, JsonNode value) throws AggregatorConfigException {
    if (!value.isTextual()) {
      throw new AggregatorConfigException(
          key(name), "must be a string, not " + describe(value) + " (quote it)");
    }
    if (value.textValue().isEmpty()) {
      throw new AggregatorConfigException(key(name), "must not be empty");
    }
    return value.textValue();
  }

  long optionalInteger(String name, long defaultValue, long min, long max)
      throws AggregatorConfigException {
    JsonNode value = present(name);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isIntegralNumber()) {
      throw new AggregatorConfigException(
          key(name), "must be a whole number, not " + describe(value));
    }
    BigInteger number = value.bigIntegerValue();
    if (number.compareTo(BigInteger.valueOf(min)) < 0
        || number.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new AggregatorConfigException(
          key(name), "must be between " + min + " and " + max + ", not " + number);
    }
    return number.longValueExact();
  }

  long requiredInteger(String name, long min, long max) throws AggregatorConfigException {
    required(name);
    return optionalInteger(name, 0, min, max);
  }

  /** A real number in {@code [min, max]} (integers accepted), or {@code defaultValue} if absent. */
  double optionalNumber(String name, double defaultValue, double min, double max)
      throws AggregatorConfigException {
    JsonNode value = present(name);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isNumber()) {
      throw new AggregatorConfigException(key(name), "must be a number, not " + describe(value));
    }
    double number = value.doubleValue();
    if (!(number >= min && number <= max)) {
      throw new AggregatorConfigException(
          key(name), "must be between " + min + " and " + max + ", not " + value);
    }
    return number;
  }

  double requiredNumber(String name, double min, double max) throws AggregatorConfigException {
    required(name);
    return optionalNumber(name, 0, min, max);
  }

  boolean optionalBoolean(String name, boolean defaultValue) throws AggregatorConfigException {
    JsonNode value = present(name);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isBoolean()) {
      throw new AggregatorConfigException(
          key(name), "must be true or false, not " + describe(value));
    }
    return value.booleanValue();
  }

  /**
   * A duration written as a whole number with a unit, {@code 500ms}, {@code 90s}, {@code 10m} or
   * {@code 1h}, between {@code min} and {@code max}; {@code defaultValue} if absent.
   */
  java.time.Duration optionalDuration(
      String name, java.time.Duration defaultValue, java.time.Duration min, java.time.Duration max)
      throws AggregatorConfigException {
    JsonNode value = present(name);
    if (value == null) {
      return defaultValue;
    }
    java.util.regex.Matcher matcher =
        value.isTextual()
            ? java.util.regex.Pattern.compile("([0-9]{1,9})(ms|s|m|h)").matcher(value.textValue())
            : null;
    if (matcher == null || !matcher.matches()) {
      throw new AggregatorConfigException(
          key(name),
          "must be a duration such as \"500ms\", \"90s\", \"10m\" or \"1h\", not "
              + describe(value));
    }
    long amount = Long.parseLong(matcher.group(1));
    java.time.Duration duration =
        switch (matcher.group(2)) {
          case "ms" -> java.time.Duration.ofMillis(amount);
          case "s" -> java.time.Duration.ofSeconds(amount);
          case "m" -> java.time.Duration.ofMinutes(amount);
          default -> java.time.Duration.ofHours(amount);
        };
    if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
      throw new AggregatorConfigException(
          key(name), "must be between " + min + " and " + max + ", not " + value.textValue());
    }
    return duration;
  }

  /** The value under {@code name} as it is (a mapping here), or an empty mapping if absent. */
  JsonNode optionalMapping(String name) throws AggregatorConfigException {
    JsonNode value = present(name);
    if (value == null) {
      return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    }
    if (!value.isObject()) {
      throw new AggregatorConfigException(key(name), "must be a mapping of keys");
    }
    return value;
  }

  /** The names of this mapping's keys. */
  List<String> keys() {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  JsonNode node() {
    return node;
  }

  private Path path(String name) throws AggregatorConfigException {
    String text = requiredString(name);
    try {
      return baseDirectory.resolve(Path.of(text)).normalize();
    } catch (InvalidPathException e) {
      throw new AggregatorConfigException(key(name), "is not a valid path: " + quote(text));
    }
  }

  Path readableFile(String name) throws AggregatorConfigException {
    Path file = path(name);
    if (!Files.exists(file)) {
      throw new AggregatorConfigException(key(name), "file " + file + " does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new AggregatorConfigException(key(name), file + " is not a regular file");
    }
    if (!Files.isReadable(file)) {
      throw new AggregatorConfigException(key(name), "file " + file + " is not readable");
    }
    return file;
  }

  Path writableDirectory(String name) throws AggregatorConfigException {
    Path directory = path(name);
    if (!Files.exists(directory)) {
      throw new AggregatorConfigException(
          key(name),
          "folder "
              + directory
              + " does not exist (create it first: the aggregator never creates its data"
              + " folder, so that a mistyped path cannot start an empty federation)");
    }
    if (!Files.isDirectory(directory)) {
      throw new AggregatorConfigException(key(name), directory + " is not a folder");
    }
    if (!Files.isWritable(directory)) {
      throw new AggregatorConfigException(key(name), "folder " + directory + " is not writable");
    }
    return directory;
  }

  List<String> roster(String name) throws AggregatorConfigException {
    JsonNode value = required(name);
    if (!value.isArray()) {
      throw new AggregatorConfigException(
          key(name), "must be a list of silo ids, not " + describe(value));
    }
    List<String> siloIds = new ArrayList<>(value.size());
    Map<String, Integer> firstIndex = new HashMap<>();
    for (int i = 0; i < value.size(); i++) {
      String entryKey = key(name) + "[" + i + "]";
      JsonNode entry = value.get(i);
      if (!entry.isTextual()) {
        throw new AggregatorConfigException(
            entryKey, "must be a silo id string, not " + describe(entry) + " (quote it)");
      }
      String siloId = entry.textValue();
      if (!SiteIdentity.isValidSiteId(siloId)) {
        throw new AggregatorConfigException(
            entryKey, "silo id must match [a-z0-9][a-z0-9._-]{0,62}, not " + quote(siloId));
      }
      Integer previous = firstIndex.putIfAbsent(siloId, i);
      if (previous != null) {
        throw new AggregatorConfigException(
            entryKey,
            "duplicate silo id "
                + quote(siloId)
                + " (already "
                + key(name)
                + "["
                + previous
                + "])");
      }
      siloIds.add(siloId);
    }
    if (siloIds.size() < MIN_ROSTER_SIZE) {
      throw new AggregatorConfigException(
          key(name),
          "must list at least "
              + MIN_ROSTER_SIZE
              + " silos (a sum of two updates reveals each to the other), not "
              + siloIds.size());
    }
    return List.copyOf(siloIds);
  }

  static String describe(JsonNode value) {
    if (value.isObject()) {
      return "a mapping";
    }
    if (value.isArray()) {
      return "a list";
    }
    if (value.isTextual()) {
      return "the string " + quote(value.textValue());
    }
    return value.getNodeType().toString().toLowerCase(Locale.ROOT) + " " + value;
  }

  static String quoteKey(String key) {
    String quoted = quote(key);
    return quoted.substring(1, quoted.length() - 1);
  }

  // Values from the file in messages: bounded, control characters made visible.
  static String quote(String value) {
    StringBuilder quoted = new StringBuilder("\"");
    int end = Math.min(value.length(), MAX_QUOTED_LENGTH);
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    if (value.length() > MAX_QUOTED_LENGTH) {
      quoted.append("...");
    }
    return quoted.append('"').toString();
  }
}
