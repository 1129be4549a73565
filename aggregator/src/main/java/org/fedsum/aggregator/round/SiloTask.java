package org.fedsum.aggregator.round;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.RoundConfig;

/**
 * What a silo's poll returns: the round in progress, if any, so that the silo can start it, and the
 * messages the aggregator sent it in that round since its last poll, in order.
 *
 * @param round the current round's parameters; empty between rounds and after the run
 * @param messages the silo's queued messages of that round (drained by the poll)
 * @param runOver true once the run completed or stopped: no further round will start
 */
public record SiloTask(
    Optional<RoundConfig> round, List<AggregatorMessage> messages, boolean runOver) {
  public SiloTask {
    Objects.requireNonNull(round, "round");
    messages = List.copyOf(messages);
  }
}
