package org.fedsum.aggregator.round;

import java.util.Objects;

/**
 * The global model as the aggregator serves it: float32 values in the documented parameter order,
 * their SHA-256 as the round tasks announce it, and how many rounds produced it.
 *
 * @param values the parameters; the coordinator hands every download of one model the same array,
 *     so readers must never write to it
 * @param sha256 hex SHA-256 of {@code values} as float32 little-endian words
 * @param roundsFinished the finished rounds behind this model; 0 for the initial model
 */
public record GlobalModel(float[] values, String sha256, int roundsFinished) {
  public GlobalModel {
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(sha256, "sha256");
  }

  /** Hex SHA-256 of {@code values} as float32 little-endian words. */
  public static String sha256Of(float[] values) {
    return ModelCheckpoints.sha256(values);
  }

  /** The size of the model on the wire: 4 bytes per parameter. */
  public long byteLength() {
    return 4L * values.length;
  }
}
