package org.fedsum.protocol;

import java.util.List;
import java.util.Objects;

/** The result of one aggregator transition: the next state and what the shell must do. */
public record AggregatorStep(AggregatorState state, List<AggregatorAction> actions) {
  public AggregatorStep {
    Objects.requireNonNull(state, "state");
    actions = List.copyOf(actions);
  }
}
