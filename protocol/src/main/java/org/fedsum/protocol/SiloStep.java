package org.fedsum.protocol;

import java.util.List;
import java.util.Objects;

/** The result of one silo transition: the next state and the messages to send. */
public record SiloStep(SiloState state, List<SiloMessage> outbound) {
  public SiloStep {
    Objects.requireNonNull(state, "state");
    outbound = List.copyOf(outbound);
  }
}
