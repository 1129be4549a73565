package org.fedsum.protocol;

import java.util.Objects;

/**
 * What can happen to the aggregator's round: a message arrives, a stage's deadline passes, or the
 * grace period after a stage's quorum ends.
 */
public sealed interface AggregatorEvent {

  /** A message from an authenticated silo. */
  record Received(SiloMessage message) implements AggregatorEvent {
    public Received {
      Objects.requireNonNull(message, "message");
    }
  }

  /** The deadline of {@code stage} passed: silos that did not answer become dropouts. */
  record DeadlinePassed(Stage stage) implements AggregatorEvent {
    public DeadlinePassed {
      Objects.requireNonNull(stage, "stage");
    }
  }

  /**
   * The grace period the shell started on {@link AggregatorAction.QuorumReached} for {@code stage}
   * ended: the stage closes with the silos that answered; those that did not become dropouts, as at
   * a deadline. Refused (state unchanged) for a stage that does not close early or has fewer
   * answers than its quorum.
   */
  record GraceElapsed(Stage stage) implements AggregatorEvent {
    public GraceElapsed {
      Objects.requireNonNull(stage, "stage");
    }
  }
}
