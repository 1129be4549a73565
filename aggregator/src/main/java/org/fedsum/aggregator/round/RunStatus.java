package org.fedsum.aggregator.round;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.protocol.Stage;

/**
 * An immutable snapshot of a run for the operator API and the dashboard.
 *
 * @param phase where the run is
 * @param currentRound the round in progress or being finished, or the last one started; -1 before
 *     the first
 * @param stage the stage the current round is collecting; empty when no round is open
 * @param participants per stage of the current round, the silos whose message was accepted so far
 * @param roundsFinished rounds that finished and updated the model
 * @param roundsAborted rounds that aborted (the model was kept)
 * @param consecutiveAborts aborted rounds since the last finished one
 * @param lastModelSha256 hex SHA-256 of the global model as checkpointed (float32, little-endian);
 *     empty before the first finished round
 * @param failure why the run failed, if it did ({@link Phase#FAILED})
 * @param pauseRequested an operator paused the run: the current round, if any, is its last until
 *     the run is resumed
 */
public record RunStatus(
    Phase phase,
    long currentRound,
    Optional<Stage> stage,
    Map<Stage, List<String>> participants,
    int roundsFinished,
    int roundsAborted,
    int consecutiveAborts,
    Optional<String> lastModelSha256,
    Optional<String> failure,
    boolean pauseRequested) {

  /** Where a run is. */
  public enum Phase {
    /** No round is running: before {@link RunCoordinator#startRound()}. */
    IDLE,
    /** A round is collecting messages. */
    COLLECTING,
    /** A round's sum is being unmasked, decoded, applied and checkpointed. */
    FINISHING,
    /** An operator paused the run: no round is open and none starts until it is resumed. */
    PAUSED,
    /** The configured number of rounds finished. */
    COMPLETED,
    /** Too many consecutive rounds aborted, or an operator stopped the run. */
    STOPPED,
    /**
     * The journal or the checkpoint store failed; the service reopens the run from its data
     * directory once it can be written again (or at a restart).
     */
    FAILED
  }

  public RunStatus {
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(lastModelSha256, "lastModelSha256");
    Objects.requireNonNull(failure, "failure");
    Map<Stage, List<String>> copy = new EnumMap<>(Stage.class);
    participants.forEach((key, value) -> copy.put(key, List.copyOf(value)));
    participants = Collections.unmodifiableMap(copy);
  }
}
