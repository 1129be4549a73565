package org.fedsum.aggregator.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.fedsum.aggregator.service.RoundHistory;
import org.fedsum.aggregator.service.RoundReport;
import org.fedsum.protocol.privacy.PrivacySpend;

/**
 * The JSON of {@code GET /v1/runs/{runId}/rounds} (docs/API.md, "Dashboard and metrics"). Absent
 * values are JSON {@code null}, never left out, so a client sees every field of the format.
 */
final class RoundsJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What one neighbouring change is under silo-level DP, shown next to every ε. */
  static final String UNIT_DESCRIPTION = "one silo's whole update in one round";

  private RoundsJson() {}

  static ObjectNode of(RoundHistory history) {
    ObjectNode node = JSON.createObjectNode();
    node.put("runId", history.runId());
    ObjectNode privacy = node.putObject("privacy");
    privacy.put("differentialPrivacy", history.differentialPrivacy());
    privacy.put("unit", PrivacySpend.UNIT_SILO);
    privacy.put("unitDescription", UNIT_DESCRIPTION);
    privacy.put("noiseMultiplier", history.noiseMultiplier());
    privacy.put("clipNorm", history.clipNorm());
    privacy.put("delta", history.delta());
    privacy.put("roundsAccounted", history.roundsAccounted());
    putSpend(privacy, "spent", history.privacySpent());
    if (history.recordLevel().isPresent()) {
      ObjectNode recordLevel = privacy.putObject("recordLevel");
      recordLevel.put("unit", PrivacySpend.UNIT_RECORD);
      recordLevel.put("unitDescription", PrivacySpend.UNIT_RECORD_DESCRIPTION);
      recordLevel.put("noiseMultiplier", history.recordLevel().get().noiseMultiplier());
      recordLevel.put("clipNorm", history.recordLevel().get().clipNorm());
      recordLevel.put("expectedBatchSize", history.recordLevel().get().expectedBatchSize());
      recordLevel.put("delta", history.delta());
      recordLevel.put(
          "epsilonSource",
          "each silo's own ledger (journal privacy-spent records of unit record; fedsum audit"
              + " report): its sample rate q = expectedBatchSize / its record count, which the"
              + " aggregator never learns");
    } else {
      privacy.putNull("recordLevel");
    }
    ArrayNode rounds = node.putArray("rounds");
    for (RoundReport round : history.rounds()) {
      rounds.add(round(round));
    }
    return node;
  }

  private static ObjectNode round(RoundReport round) {
    ObjectNode node = JSON.createObjectNode();
    node.put("round", round.round());
    node.put("outcome", round.outcome().name().toLowerCase(Locale.ROOT));
    node.put("startedAt", round.startedAt().toString());
    putInstant(node, "endedAt", round.endedAt());
    if (round.endedAt().isPresent()) {
      node.put(
          "durationMillis", Duration.between(round.startedAt(), round.endedAt().get()).toMillis());
    } else {
      node.putNull("durationMillis");
    }
    if (round.abort().isPresent()) {
      RoundReport.Abort abort = round.abort().get();
      ObjectNode abortNode = node.putObject("abort");
      abortNode.put("stage", abort.stage().name());
      abortNode.put("reason", abort.reason());
      abortNode.put("detail", abort.detail());
    } else {
      node.putNull("abort");
    }
    strings(node.putArray("survivors"), round.survivors());
    ArrayNode stages = node.putArray("stages");
    for (RoundReport.StageReport stage : round.stages()) {
      ObjectNode stageNode = stages.addObject();
      stageNode.put("stage", stage.stage().name());
      stageNode.put("status", stage.status().name().toLowerCase(Locale.ROOT));
      strings(stageNode.putArray("participants"), stage.participants());
      strings(stageNode.putArray("dropouts"), stage.dropouts());
      putMillis(stageNode, "durationMillis", stage.duration());
      if (stage.closedBy().isPresent()) {
        stageNode.put("closedBy", stage.closedBy().get());
      } else {
        stageNode.putNull("closedBy");
      }
    }
    if (round.aggregate().isPresent()) {
      RoundReport.Aggregate aggregate = round.aggregate().get();
      ObjectNode aggregateNode = node.putObject("aggregate");
      aggregateNode.put("totalWeight", aggregate.totalWeight());
      aggregateNode.put("outerBandCount", aggregate.outerBandCount());
      putNumber(aggregateNode, "noiseStandardDeviation", aggregate.noiseStandardDeviation());
      aggregateNode.put("modelSha256", aggregate.modelSha256());
      aggregateNode.put("strategy", aggregate.strategy());
      aggregateNode.put("aggregationMillis", aggregate.aggregationDuration().toMillis());
    } else {
      node.putNull("aggregate");
    }
    putSpend(node, "privacySpent", round.privacySpent());
    if (round.siloMetrics().isPresent()) {
      RoundReport.SharedMetrics shared = round.siloMetrics().get();
      ObjectNode metricsNode = node.putObject("siloMetrics");
      shared.silos().forEach(metricsNode.putArray("silos")::add);
      metricsNode.put("examples", shared.examples());
      ObjectNode mean = metricsNode.putObject("mean");
      shared.mean().forEach(mean::put);
    } else {
      node.putNull("siloMetrics");
    }
    return node;
  }

  private static void putSpend(ObjectNode node, String field, Optional<PrivacySpend> spend) {
    if (spend.isEmpty()) {
      node.putNull(field);
      return;
    }
    ObjectNode spent = node.putObject(field);
    putNumber(spent, "epsilon", spend.get().enforcedEpsilon());
    putNumber(spent, "epsilonRdp", spend.get().epsilonRdp());
    putNumber(spent, "epsilonGdp", spend.get().epsilonGdp());
    spent.put("delta", spend.get().delta());
    spent.put("unit", spend.get().unit());
  }

  /** JSON has no infinity or NaN: such a value is written as null. */
  private static void putNumber(ObjectNode node, String field, double value) {
    if (Double.isFinite(value)) {
      node.put(field, value);
    } else {
      node.putNull(field);
    }
  }

  private static void putInstant(ObjectNode node, String field, Optional<Instant> instant) {
    if (instant.isPresent()) {
      node.put(field, instant.get().toString());
    } else {
      node.putNull(field);
    }
  }

  private static void putMillis(ObjectNode node, String field, Optional<Duration> duration) {
    if (duration.isPresent()) {
      node.put(field, duration.get().toMillis());
    } else {
      node.putNull(field);
    }
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}
