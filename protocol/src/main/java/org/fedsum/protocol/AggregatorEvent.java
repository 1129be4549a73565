package org.fedsum.protocol;

import java.util.Objects;

/** What can happen to the aggregator's round: a message arrives, or a stage's deadline passes. */
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
}
