package org.fedsum.aggregator.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedsum.aggregator.round.RunStatus;

/** What a run's journal says about the run as a whole, for runs that are no longer active. */
final class JournalSummary {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JournalSummary() {}

  /** Whether the journal ends the run ({@code run-completed} or {@code run-stopped}). */
  static boolean ended(List<String> lines) throws IOException {
    for (String line : lines) {
      String type = JSON.readTree(line).path("type").asText();
      if (type.equals("run-completed") || type.equals("run-stopped")) {
        return true;
      }
    }
    return false;
  }

  /** The status of a run that is not active, rebuilt from its journal. */
  static RunStatus status(List<String> lines) throws IOException {
    RunStatus.Phase phase = RunStatus.Phase.IDLE;
    long lastRound = -1;
    int finished = 0;
    int aborted = 0;
    int consecutive = 0;
    String modelSha256 = null;
    for (String line : lines) {
      JsonNode record = JSON.readTree(line);
      JsonNode body = record.path("body");
      switch (record.path("type").asText()) {
        case "round-started" -> lastRound = body.path("round").asLong();
        case "round-finished" -> {
          finished++;
          consecutive = 0;
          modelSha256 = body.path("modelSha256").asText();
        }
        case "round-aborted" -> {
          aborted++;
          consecutive++;
        }
        case "run-completed" -> phase = RunStatus.Phase.COMPLETED;
        case "run-stopped" -> phase = RunStatus.Phase.STOPPED;
        default -> {
          // Other records do not change the summary.
        }
      }
    }
    return new RunStatus(
        phase,
        lastRound,
        Optional.empty(),
        Map.of(),
        finished,
        aborted,
        consecutive,
        Optional.ofNullable(modelSha256),
        Optional.empty(),
        false);
  }
}
