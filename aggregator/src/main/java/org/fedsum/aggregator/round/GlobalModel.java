package org.fedsum.aggregator.round;

import java.util.Objects;
import org.fedsum.aggregator.store.Float32Vector;

/**
 * The global model as the aggregator serves it: float32 values in the documented parameter order,
 * their SHA-256 as the round tasks announce it, and how many rounds produced it.
 *
 * @param vector the parameters; the coordinator hands every download of one model the same vector,
 *     so readers must never write to the array behind it
 * @param sha256 hex SHA-256 of the values as float32 little-endian words
 * @param roundsFinished the finished rounds behind this model; 0 for the initial model
 */
public record GlobalModel(Float32Vector vector, String sha256, int roundsFinished) {
  public GlobalModel {
    Objects.requireNonNull(vector, "vector");
    Objects.requireNonNull(sha256, "sha256");
  }

  /** A model of {@code values} (not copied). */
  public GlobalModel(float[] values, String sha256, int roundsFinished) {
    this(Float32Vector.wrap(values), sha256, roundsFinished);
  }

  /** Hex SHA-256 of {@code values} as float32 little-endian words. */
  public static String sha256Of(float[] values) {
    return Float32Vector.wrap(values).sha256();
  }

  /**
   * A copy of the parameters, for callers that want an array (an operator's export, tests);
   * downloads stream {@link #vector()} instead.
   */
  public float[] values() {
    return vector.toFloatArray();
  }

  /** The size of the model on the wire: 4 bytes per parameter. */
  public long byteLength() {
    return 4L * vector.dimension();
  }
}
