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
 * @param messages the silo's queued messages of that round from the poll's cursor on, in order
 * @param nextCursor the cursor of the silo's next poll of the same round: how many messages the
 *     round has queued for the silo so far
 * @param modelSha256 hex SHA-256 of the global model the round starts from (float32 little-endian,
 *     as downloaded); empty when no round is open
 * @param runOver true once the run completed, stopped or failed: no further round will start
 */
public record SiloTask(
    Optional<RoundConfig> round,
    List<AggregatorMessage> messages,
    int nextCursor,
    Optional<String> modelSha256,
    boolean runOver) {
  public SiloTask {
    Objects.requireNonNull(round, "round");
    Objects.requireNonNull(modelSha256, "modelSha256");
    messages = List.copyOf(messages);
    if (nextCursor < 0) {
      throw new IllegalArgumentException("nextCursor must be >= 0, not " + nextCursor);
    }
  }
}
