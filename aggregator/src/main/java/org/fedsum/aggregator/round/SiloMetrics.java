package org.fedsum.aggregator.round;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a silo that shares its metrics says of the global model a round started from, evaluated on
 * its own held-out data: aggregate figures only (a loss, an accuracy), never a per-record value.
 * Sharing is a silo's choice ({@code shareMetrics}); the figures are not protected by secure
 * aggregation or differential privacy, which is why they are few, named and bounded.
 *
 * @param round the round whose starting model was evaluated
 * @param examples how many held-out examples the figures are over
 * @param values the figures by name, in the silo's order; finite numbers
 */
public record SiloMetrics(long round, long examples, Map<String, Double> values) {
  /** The most figures one report may carry. */
  public static final int MAX_VALUES = 16;

  private static final Pattern NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9_.-]{0,63}");

  /**
   * Validates every field.
   *
   * @throws IllegalArgumentException naming the bad field
   */
  public SiloMetrics {
    if (round < 1) {
      throw new IllegalArgumentException("round must be >= 1, not " + round);
    }
    if (examples < 0) {
      throw new IllegalArgumentException("examples must be >= 0, not " + examples);
    }
    Objects.requireNonNull(values, "values");
    if (values.isEmpty() || values.size() > MAX_VALUES) {
      throw new IllegalArgumentException(
          "metrics must hold 1 to " + MAX_VALUES + " figures, not " + values.size());
    }
    Map<String, Double> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Double> entry : values.entrySet()) {
      String name = Objects.requireNonNull(entry.getKey(), "metric name");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "metric name must match " + NAME.pattern() + ", not '" + shortened(name) + "'");
      }
      Double value = entry.getValue();
      if (value == null || !Double.isFinite(value)) {
        throw new IllegalArgumentException(
            "metrics." + name + " must be a finite number, not " + value);
      }
      copy.put(name, value);
    }
    values = Collections.unmodifiableMap(copy);
  }

  private static String shortened(String name) {
    return name.length() <= 64 ? name : name.substring(0, 64) + "…";
  }
}
