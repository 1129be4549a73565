package org.fedsum.silo.client;

import java.util.Objects;

/**
 * The global model as downloaded, its SHA-256 checked against what the aggregator announced.
 *
 * @param values the parameters, float32, in the documented order
 * @param sha256 hex SHA-256 of the float32 little-endian bytes
 * @param roundsFinished how many finished rounds produced it
 */
public record GlobalModelDownload(float[] values, String sha256, int roundsFinished) {
  public GlobalModelDownload {
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(sha256, "sha256");
  }
}
