package org.fedsum.aggregator.service;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.privacy.PrivacySpend;

/**
 * One round of a run as its journal records it: for the operator API ({@code GET
 * /v1/runs/{runId}/rounds}) and the dashboard. Made by {@link RoundHistory}.
 *
 * @param round the round number
 * @param outcome how the round ended, or {@link Outcome#RUNNING}
 * @param startedAt the time of its {@code round-started} record
 * @param endedAt the time of its {@code round-finished} or {@code round-aborted} record
 * @param stages the stages the round reached, in protocol order: closed ones, then the one that
 *     aborted it or the one still open
 * @param abort why it aborted, for {@link Outcome#ABORTED}
 * @param survivors the silos whose inputs are in the published sum, for {@link Outcome#FINISHED};
 *     empty otherwise
 * @param aggregate what the aggregator recorded about the sum, for {@link Outcome#FINISHED}
 * @param privacySpent the privacy the run has spent once this round is accounted (an aborted round
 *     publishes nothing and adds nothing; a running one is not yet counted); empty without
 *     differential privacy
 * @param siloMetrics what the silos that share their metrics said of the model the round started
 *     from; empty if none did
 */
public record RoundReport(
    long round,
    Outcome outcome,
    Instant startedAt,
    Optional<Instant> endedAt,
    List<StageReport> stages,
    Optional<Abort> abort,
    List<String> survivors,
    Optional<Aggregate> aggregate,
    Optional<PrivacySpend> privacySpent,
    Optional<SharedMetrics> siloMetrics) {

  /** How a round ended. */
  public enum Outcome {
    /** Still collecting, or its sum is being unmasked and applied. */
    RUNNING,
    /** Its sum was published and applied to the model. */
    FINISHED,
    /** It ended without publishing anything. */
    ABORTED
  }

  /** Where a stage is. */
  public enum StageStatus {
    /** The stage is collecting messages. */
    OPEN,
    /** The stage closed and the round went on. */
    CLOSED,
    /** The round aborted in this stage. */
    ABORTED
  }

  /**
   * One stage of the round.
   *
   * @param stage the stage
   * @param status where it is
   * @param participants the silos whose message for this stage was accepted (so far, if open)
   * @param dropouts the silos that took part in the previous stage (the roster, for {@link
   *     Stage#ADVERTISE_KEYS}) but not in this one; empty while the stage is open
   * @param duration from the stage's opening (the previous stage's closing, or the round's start)
   *     to its closing or the abort; empty while open
   * @param closedBy what closed it: {@code all-answered}, {@code all-answered-or-declined}, {@code
   *     grace-after-quorum} or {@code deadline}; empty unless closed
   */
  public record StageReport(
      Stage stage,
      StageStatus status,
      List<String> participants,
      List<String> dropouts,
      Optional<Duration> duration,
      Optional<String> closedBy) {
    public StageReport {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(status, "status");
      participants = List.copyOf(participants);
      dropouts = List.copyOf(dropouts);
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(closedBy, "closedBy");
    }
  }

  /**
   * Why a round aborted.
   *
   * @param stage the stage it aborted in
   * @param reason the reason code: a protocol {@link org.fedsum.protocol.ErrorCode} name (e.g.
   *     {@code THRESHOLD_NOT_MET}) or one of the coordinator's ({@code OPERATOR_STOPPED}, {@code
   *     AGGREGATION_FAILED}, {@code AGGREGATOR_RESTARTED}, {@code STORAGE_RECOVERED})
   * @param detail the journaled explanation
   */
  public record Abort(Stage stage, String reason, String detail) {
    public Abort {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * What the aggregator recorded about a finished round's sum.
   *
   * @param totalWeight the divisor of the average: the survivors' summed weights when weighted, the
   *     number of survivors otherwise
   * @param outerBandCount coordinates of the sum in the outer quarter of the modular range (a count
   *     far above the planned rate suggests wrapped coordinates)
   * @param noiseStandardDeviation the standard deviation of the noise in each coordinate of the
   *     sum, real units; 0 without differential privacy
   * @param modelSha256 hex SHA-256 of the model after the round
   * @param strategy the server strategy applied
   * @param aggregationDuration from the last stage's closing to the model's checkpoint (unmasking,
   *     decoding, strategy step)
   */
  public record Aggregate(
      long totalWeight,
      long outerBandCount,
      double noiseStandardDeviation,
      String modelSha256,
      String strategy,
      Duration aggregationDuration) {
    public Aggregate {
      Objects.requireNonNull(modelSha256, "modelSha256");
      Objects.requireNonNull(strategy, "strategy");
      Objects.requireNonNull(aggregationDuration, "aggregationDuration");
    }
  }

  /**
   * The held-out figures that silos sharing their metrics reported for a round's starting model.
   *
   * @param silos the silos that reported, sorted
   * @param examples their held-out examples, summed
   * @param mean each figure's mean over the reporting silos, weighted by their examples (plain when
   *     none reported a positive count); a figure only some silos reported is averaged over those
   */
  public record SharedMetrics(List<String> silos, long examples, Map<String, Double> mean) {
    public SharedMetrics {
      silos = List.copyOf(silos);
      mean = Collections.unmodifiableMap(new LinkedHashMap<>(mean));
    }
  }

  public RoundReport {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(endedAt, "endedAt");
    stages = List.copyOf(stages);
    Objects.requireNonNull(abort, "abort");
    survivors = List.copyOf(survivors);
    Objects.requireNonNull(aggregate, "aggregate");
    Objects.requireNonNull(privacySpent, "privacySpent");
    Objects.requireNonNull(siloMetrics, "siloMetrics");
  }
}
