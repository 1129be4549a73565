package org.fedsum.protocol;

import java.util.Objects;

/** What the aggregator's shell must do after a transition. */
public sealed interface AggregatorAction {

  /** Deliver {@code message} to {@code siloId} (on its next poll). */
  record Send(String siloId, AggregatorMessage message) implements AggregatorAction {
    public Send {
      Objects.requireNonNull(siloId, "siloId");
      Objects.requireNonNull(message, "message");
    }
  }

  /** Add the accepted masked vector of {@code siloId} into the running sum. */
  record CountMaskedInput(String siloId, MaskedVector vector) implements AggregatorAction {
    public CountMaskedInput {
      Objects.requireNonNull(siloId, "siloId");
      Objects.requireNonNull(vector, "vector");
    }
  }
}
