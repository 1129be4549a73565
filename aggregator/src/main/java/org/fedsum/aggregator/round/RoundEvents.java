package org.fedsum.aggregator.round;

import java.time.Duration;
import org.fedsum.protocol.Stage;

/**
 * What a {@link RunCoordinator} tells an observer (metrics) about its rounds, each call made just
 * after the matching journal record is durable, so an observer never counts what the journal does
 * not hold. Durations come from the coordinator's clock.
 *
 * <p>Calls are made with the coordinator's lock held, from whichever thread changed the state: an
 * implementation must only record the news (increment a counter, set a gauge), never block and
 * never call back into the coordinator. Every method does nothing by default.
 */
public interface RoundEvents {
  /** Ignores every event. */
  RoundEvents NONE = new RoundEvents() {};

  /** Round {@code round} started ({@code round-started} is journaled). */
  default void roundStarted(long round) {}

  /**
   * A stage of round {@code round} closed normally ({@code stage-closed}), after {@code duration}
   * open, with {@code participants} silos whose message for it was accepted.
   */
  default void stageClosed(long round, Stage stage, Duration duration, int participants) {}

  /**
   * Round {@code round} finished ({@code round-finished}): its sum of {@code survivors} silos was
   * unmasked and applied; {@code duration} runs from its start to the end of the aggregation.
   */
  default void roundFinished(long round, int survivors, Duration duration) {}

  /**
   * Round {@code round} aborted in {@code stage} ({@code round-aborted}) for {@code reason}, a
   * protocol error code or one of the coordinator's reasons ({@link
   * RunCoordinator#REASON_OPERATOR_STOPPED}, {@link RunCoordinator#REASON_AGGREGATION_FAILED}). Not
   * called for the abort that recovery journals for a round a restart interrupted: no observer is
   * registered yet then.
   */
  default void roundAborted(long round, Stage stage, String reason, Duration duration) {}
}
