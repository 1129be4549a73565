package org.fedsum.silo.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import org.fedsum.protocol.privacy.RecordLevelLedger;
import org.fedsum.silo.training.RecordLevelDp;

/**
 * The run's record-level DP settings ({@code privacy.recordLevel} of the plan the aggregator
 * sends), before this silo applies them to its own data: the sample rate q = {@code
 * expectedBatchSize} / n depends on this silo's record count n, which never leaves the silo.
 *
 * @param noiseMultiplier z, finite and positive
 * @param clipNorm the per-example clipping norm C, finite and positive
 * @param expectedBatchSize the expected batch of a step, ≥ 1
 */
public record RecordLevelPlan(double noiseMultiplier, double clipNorm, int expectedBatchSize) {
  /** Validates the settings; messages name the plan's key. */
  public RecordLevelPlan {
    if (!(Double.isFinite(noiseMultiplier) && noiseMultiplier > 0)) {
      throw new IllegalArgumentException(
          "privacy.recordLevel.noiseMultiplier must be finite and positive, not "
              + noiseMultiplier);
    }
    if (!(Double.isFinite(clipNorm) && clipNorm > 0)) {
      throw new IllegalArgumentException(
          "privacy.recordLevel.clipNorm must be finite and positive, not " + clipNorm);
    }
    if (expectedBatchSize < 1) {
      throw new IllegalArgumentException(
          "privacy.recordLevel.expectedBatchSize must be at least 1, not " + expectedBatchSize);
    }
  }

  /**
   * The record-level settings of a run's plan, or empty if the run does not train with DP-SGD.
   *
   * @throws IllegalArgumentException naming the key if the section is malformed
   */
  public static Optional<RecordLevelPlan> fromPlan(JsonNode plan) {
    JsonNode section = plan.path("privacy").path("recordLevel");
    if (section.isMissingNode()) {
      return Optional.empty();
    }
    if (!section.isObject()) {
      throw new IllegalArgumentException("privacy.recordLevel of the run's plan must be a mapping");
    }
    JsonNode batch = section.path("expectedBatchSize");
    if (!batch.canConvertToInt() || !batch.isIntegralNumber()) {
      throw new IllegalArgumentException(
          "privacy.recordLevel.expectedBatchSize of the run's plan must be a whole number");
    }
    return Optional.of(
        new RecordLevelPlan(
            number(section, "noiseMultiplier"), number(section, "clipNorm"), batch.intValue()));
  }

  private static double number(JsonNode section, String key) {
    JsonNode value = section.path(key);
    if (!value.isNumber()) {
      throw new IllegalArgumentException(
          "privacy.recordLevel." + key + " of the run's plan must be a number");
    }
    return value.doubleValue();
  }

  /**
   * The DP-SGD settings for a silo with {@code records} training records: q = {@code
   * expectedBatchSize / records}.
   *
   * @throws IllegalArgumentException if the silo holds fewer records than one expected batch: q
   *     would have to exceed 1, and DP-SGD cannot sample a batch larger than the data
   */
  public RecordLevelDp forRecords(int records) {
    if (records < expectedBatchSize) {
      throw new IllegalArgumentException(
          "the run's expected batch of "
              + expectedBatchSize
              + " records is larger than this silo's "
              + records
              + " training records (sample rate q would exceed 1)");
    }
    return new RecordLevelDp(
        RecordLevelDp.sampleRateFor(expectedBatchSize, records), clipNorm, noiseMultiplier);
  }

  /** The ledger entry of {@code round} of run {@code runId} trained for {@code epochs} epochs. */
  static RecordLevelLedger.Entry entry(String runId, long round, RecordLevelDp dp, int epochs) {
    return new RecordLevelLedger.Entry(
        runId, round, dp.sampleRate(), dp.noiseMultiplier(), dp.steps(epochs));
  }
}
