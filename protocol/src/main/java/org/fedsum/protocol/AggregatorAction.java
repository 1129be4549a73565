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

  /**
   * {@code stage} has just received its quorum of answers ({@link AggregatorProtocol#quorum}) but
   * not every expected answer: the shell may start a grace period and then apply {@link
   * AggregatorEvent.GraceElapsed}, so that a silent silo costs the grace, not the whole deadline.
   * Emitted at most once per stage, only for stages that {@linkplain AggregatorProtocol#closesEarly
   * close early}.
   *
   * @param answered how many silos have answered (the quorum)
   * @param expected how many silos the stage waits for
   */
  record QuorumReached(Stage stage, int answered, int expected) implements AggregatorAction {
    public QuorumReached {
      Objects.requireNonNull(stage, "stage");
    }
  }
}
