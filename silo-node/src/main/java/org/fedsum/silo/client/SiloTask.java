package org.fedsum.silo.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.RoundConfig;

/**
 * One answer of the aggregator's task long poll (docs/API.md).
 *
 * @param runId the active run, empty when none is
 * @param runOver the run completed, stopped or failed: no further round will start
 * @param round the open round's parameters, empty between rounds
 * @param plan the run's public plan (model, training, encoding, privacy), when a run is active
 * @param modelSha256 the SHA-256 of the model the open round starts from
 * @param messages the aggregator's messages to this silo in the round, from the poll's cursor on
 * @param next the cursor for the next poll of the same round
 */
public record SiloTask(
    Optional<String> runId,
    boolean runOver,
    Optional<RoundConfig> round,
    Optional<JsonNode> plan,
    Optional<String> modelSha256,
    List<AggregatorMessage> messages,
    int next) {
  public SiloTask {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(round, "round");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(modelSha256, "modelSha256");
    messages = List.copyOf(messages);
  }
}
