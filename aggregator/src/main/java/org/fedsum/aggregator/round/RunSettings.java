package org.fedsum.aggregator.round;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fedsum.aggregator.strategy.StrategyConfig;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.encoding.EncodingParameters;

/**
 * The fixed parameters of a federation run. Validated on construction: a bad value is refused with
 * its name, never clamped. The round parameters are checked as {@link RoundConfig} checks them.
 *
 * @param federationId the federation's id, bound into every round
 * @param roster every silo that may take part (sorted on construction)
 * @param threshold the Shamir threshold {@code t}
 * @param minSurvivors no sum of fewer silos is unmasked
 * @param securityModel the adversary the threshold must withstand
 * @param assumedColluders how many silos may collude with the aggregator
 * @param bits the word width of the masked vectors; must equal the encoding's
 * @param rounds how many rounds must finish for the run to complete (aborted rounds do not count)
 * @param deadlines the deadline of every stage, counted from the moment the stage opens
 * @param encoding how the silos encode their updates, and so how the unmasked sum is decoded
 * @param strategy the server strategy applied to each round's average update
 * @param maxConsecutiveAborts the run stops after this many aborted rounds in a row
 * @param earlyClose when a stage with silent silos closes before its deadline
 */
public record RunSettings(
    String federationId,
    List<String> roster,
    int threshold,
    int minSurvivors,
    SecurityModel securityModel,
    int assumedColluders,
    int bits,
    int rounds,
    Map<Stage, Duration> deadlines,
    EncodingParameters encoding,
    StrategyConfig strategy,
    int maxConsecutiveAborts,
    EarlyClose earlyClose) {

  /** The default of {@link #maxConsecutiveAborts()}. */
  public static final int DEFAULT_MAX_CONSECUTIVE_ABORTS = 3;

  public RunSettings {
    Objects.requireNonNull(federationId, "federationId");
    Objects.requireNonNull(roster, "roster");
    Objects.requireNonNull(securityModel, "securityModel");
    Objects.requireNonNull(deadlines, "deadlines");
    Objects.requireNonNull(encoding, "encoding");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(earlyClose, "earlyClose");
    if (rounds < 1) {
      throw new IllegalArgumentException("rounds must be >= 1, not " + rounds);
    }
    if (maxConsecutiveAborts < 1) {
      throw new IllegalArgumentException(
          "maxConsecutiveAborts must be >= 1, not " + maxConsecutiveAborts);
    }
    Map<Stage, Duration> copy = new EnumMap<>(Stage.class);
    for (Stage stage : Stage.values()) {
      Duration deadline = deadlines.get(stage);
      if (deadline == null || deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException(
            "deadlines." + stage + " must be a positive duration, not " + deadline);
      }
      copy.put(stage, deadline);
    }
    deadlines = Collections.unmodifiableMap(copy);
    if (encoding.bits() != bits) {
      throw new IllegalArgumentException(
          "bits must equal the encoding's bits " + encoding.bits() + ", not " + bits);
    }
    if (encoding.silos() < roster.size()) {
      throw new IllegalArgumentException(
          "encoding.silos must be at least the roster size "
              + roster.size()
              + ", not "
              + encoding.silos());
    }
    // Validates and sorts the roster and the thresholds once, as every round will.
    roster =
        new RoundConfig(
                federationId,
                0,
                RoundConfig.PROTOCOL_VERSION,
                roster,
                threshold,
                minSurvivors,
                bits,
                encoding.encodedLength(),
                securityModel,
                assumedColluders)
            .roster();
  }

  /** The public parameters of round {@code round}. */
  public RoundConfig roundConfig(long round) {
    return new RoundConfig(
        federationId,
        round,
        RoundConfig.PROTOCOL_VERSION,
        roster,
        threshold,
        minSurvivors,
        bits,
        encoding.encodedLength(),
        securityModel,
        assumedColluders);
  }

  /** The number of model parameters: the encoding's dimension. */
  public int dimension() {
    return encoding.dimension();
  }
}
