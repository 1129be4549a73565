package org.fedsum.aggregator.strategy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one strategy section of a configuration map, remembering which keys were read so that a
 * misspelt or misplaced key ({@code beta_1}, or {@code beta2} under {@code fedavg}) is refused
 * instead of silently ignored.
 */
final class ConfigReader {
  static final String NAME_KEY = "name";

  private final Map<String, Object> entries;
  private final List<String> readKeys = new ArrayList<>();
  private String strategyName = "strategy";

  private ConfigReader(Map<String, Object> entries) {
    this.entries = entries;
  }

  static ConfigReader of(Map<?, ?> map) {
    Map<String, Object> entries = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      if (!(entry.getKey() instanceof String key)) {
        throw new IllegalArgumentException(
            "strategy config keys must be strings, not " + describe(entry.getKey()));
      }
      entries.put(key, entry.getValue());
    }
    return new ConfigReader(entries);
  }

  /** The value of {@code name}, which must be present and a string. */
  String name() {
    readKeys.add(NAME_KEY);
    if (!entries.containsKey(NAME_KEY)) {
      throw new IllegalArgumentException(
          "the strategy config needs a 'name', one of " + StrategyConfig.names());
    }
    if (!(entries.get(NAME_KEY) instanceof String name)) {
      throw new IllegalArgumentException(
          "strategy 'name' must be a string, not " + describe(entries.get(NAME_KEY)));
    }
    strategyName = name;
    return name;
  }

  /** The number under {@code key}, or {@code defaultValue} when the key is absent. */
  double number(String key, double defaultValue) {
    readKeys.add(key);
    if (!entries.containsKey(key)) {
      return defaultValue;
    }
    Object value = entries.get(key);
    if (value instanceof Double number) {
      return number;
    } else if (value instanceof Float number) {
      // Through the decimal text so that 0.1f reads as 0.1, the value the user wrote.
      return Double.parseDouble(Float.toString(number));
    } else if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte
        || value instanceof BigInteger
        || value instanceof BigDecimal) {
      // Range checks follow, so an enormous value cannot slip through as infinity.
      return ((Number) value).doubleValue();
    }
    throw new IllegalArgumentException(
        strategyName + ": " + key + " must be a number, not " + describe(value));
  }

  /** Refuses every key that no {@link #name()} or {@link #number} call asked for. */
  void refuseUnreadKeys() {
    for (String key : entries.keySet()) {
      if (!readKeys.contains(key)) {
        throw new IllegalArgumentException(
            "unknown key '"
                + key
                + "' in the "
                + strategyName
                + " strategy config; its keys are "
                + readKeys);
      }
    }
  }

  private static String describe(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof String string) {
      return "the string \"" + string + "\"";
    }
    return value.getClass().getSimpleName() + " " + value;
  }
}
