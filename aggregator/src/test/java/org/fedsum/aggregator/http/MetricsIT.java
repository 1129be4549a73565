package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedsum.protocol.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics}, {@code GET /v1/runs/{runId}/rounds} and the dashboard's files over real
 * mutual TLS, after a round with five silos in which one drops out before its masked vector.
 */
class MetricsIT {
  private static final List<String> ROSTER =
      List.of("silo-1", "silo-2", "silo-3", "silo-4", "silo-5");
  private static final int PARAMETERS = 2_000;

  @TempDir Path directory;

  private FederationRun federation;

  /** One sample of the text format: {@code name{label="value",…} number}. */
  record Sample(String name, Map<String, String> labels, double value) {}

  @BeforeEach
  void start() throws Exception {
    federation = new FederationRun(directory, ROSTER);
  }

  @AfterEach
  void stop() throws Exception {
    federation.close();
  }

  @Test
  void metrics_afterARoundWithADropout_countTheRoundStagesAndTraffic() throws Exception {
    federation.createAndStart("metered", 1, PARAMETERS, "3s", "clipNorm: 10", "noiseMultiplier: 0");
    federation.playRound(Map.of("silo-4", Stage.MASKED_INPUT));
    federation.waitFor("metered", view -> view.getString("phase").equals("COMPLETED"));

    Calls.Reply reply = await(Calls.get(federation.operator, federation.port(), "/metrics"));
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    List<Sample> samples = parse(reply.body().toString());

    assertThat(value(samples, "fedsum_rounds_started_total", Map.of())).isEqualTo(1);
    assertThat(value(samples, "fedsum_rounds_finished_total", Map.of())).isEqualTo(1);
    assertThat(sum(samples, "fedsum_rounds_aborted_total", Map.of())).isZero();
    assertThat(value(samples, "fedsum_round_survivors_count", Map.of())).isEqualTo(1);
    assertThat(value(samples, "fedsum_round_survivors_sum", Map.of())).isEqualTo(4);
    assertThat(value(samples, "fedsum_round_duration_seconds_count", Map.of("outcome", "finished")))
        .isEqualTo(1);
    for (Stage stage : Stage.values()) {
      Map<String, String> label = Map.of("stage", stage.name());
      assertThat(value(samples, "fedsum_stage_duration_seconds_count", label))
          .as("stage %s closed once", stage)
          .isEqualTo(1);
      assertThat(value(samples, "fedsum_stage_duration_seconds_sum", label)).isPositive();
    }
    // Five advertised and shared; silo-4 went silent before its masked vector.
    assertThat(value(samples, "fedsum_stage_participants_sum", Map.of("stage", "SHARE_KEYS")))
        .isEqualTo(5);
    assertThat(value(samples, "fedsum_stage_participants_sum", Map.of("stage", "MASKED_INPUT")))
        .isEqualTo(4);
    // The deadline closed MASKED_INPUT: it was open for at least its 3 s.
    assertThat(value(samples, "fedsum_stage_duration_seconds_sum", Map.of("stage", "MASKED_INPUT")))
        .isGreaterThanOrEqualTo(2.9);

    // Four masked vectors of 4 bytes per word came in; five models of 4 bytes per value went out.
    double vectorBytes = 4.0 * 4 * PARAMETERS;
    double modelBytes = 5.0 * 4 * PARAMETERS;
    assertThat(sum(samples, "fedsum_http_request_body_bytes_total", Map.of("role", "silo")))
        .isGreaterThan(vectorBytes);
    assertThat(sum(samples, "fedsum_http_response_body_bytes_total", Map.of("role", "silo")))
        .isGreaterThan(modelBytes);
    for (String silo : ROSTER) {
      assertThat(
              value(
                  samples,
                  "fedsum_http_response_body_bytes_total",
                  Map.of("role", "silo", "site", silo)))
          .as("%s downloaded the model", silo)
          .isGreaterThan(4.0 * PARAMETERS);
    }
    assertThat(
            value(
                samples,
                "fedsum_http_request_body_bytes_total",
                Map.of("role", "silo", "site", "silo-2")))
        .as("silo-2 sent its masked vector")
        .isGreaterThan(4.0 * PARAMETERS);
    assertThat(
            value(
                samples,
                "fedsum_http_request_body_bytes_total",
                Map.of("role", "silo", "site", "silo-4")))
        .as("silo-4 sent no masked vector")
        .isLessThan(4.0 * PARAMETERS);
    assertThat(value(samples, "fedsum_http_requests_total", Map.of("role", "operator")))
        .isGreaterThanOrEqualTo(3);
    // The run completed and was released: no active run.
    assertThat(value(samples, "fedsum_run_active", Map.of())).isZero();
    assertThat(sum(samples, "fedsum_run_phase", Map.of())).isZero();
    assertThat(samples).anyMatch(sample -> sample.name().startsWith("jvm_memory_used_bytes"));
  }

  @Test
  void metrics_activeRunGaugesAndRefusalsByCode() throws Exception {
    federation.create("waiting", 1, 10, "3s", "clipNorm: 1", "noiseMultiplier: 0");
    HttpClient silo = federation.clientFor(federation.silos.get("silo-1"));
    for (String path : List.of("/metrics", "/dashboard", "/v1/runs/waiting/rounds")) {
      Calls.assertError(
          await(Calls.get(silo, federation.port(), path)), 403, "WRONG_ROLE", false, null);
    }
    Calls.assertError(
        await(Calls.get(federation.operator, federation.port(), "/v1/runs/nope/rounds")),
        404,
        "RUN_NOT_FOUND",
        false,
        null);

    List<Sample> samples =
        parse(
            await(Calls.get(federation.operator, federation.port(), "/metrics")).body().toString());
    assertThat(value(samples, "fedsum_http_refused_total", Map.of("code", "WRONG_ROLE")))
        .isEqualTo(3);
    assertThat(value(samples, "fedsum_http_refused_total", Map.of("code", "RUN_NOT_FOUND")))
        .isEqualTo(1);
    assertThat(
            value(samples, "fedsum_http_requests_total", Map.of("role", "silo", "site", "silo-1")))
        .isEqualTo(3);
    assertThat(value(samples, "fedsum_run_active", Map.of())).isEqualTo(1);
    assertThat(value(samples, "fedsum_run_phase", Map.of("phase", "IDLE"))).isEqualTo(1);
    assertThat(sum(samples, "fedsum_run_phase", Map.of())).isEqualTo(1);
    assertThat(value(samples, "fedsum_run_round", Map.of())).isEqualTo(-1);
  }

  @Test
  void rounds_afterADropoutWithoutDp_listStagesDropoutsAndNoDp() throws Exception {
    federation.createAndStart("plain", 1, PARAMETERS, "3s", "clipNorm: 10", "noiseMultiplier: 0");
    federation.playRound(Map.of("silo-4", Stage.MASKED_INPUT));
    federation.waitFor("plain", view -> view.getString("phase").equals("COMPLETED"));

    JsonObject body = federation.operatorJson("/v1/runs/plain/rounds");
    assertThat(body.getString("runId")).isEqualTo("plain");
    JsonObject privacy = body.getJsonObject("privacy");
    assertThat(privacy.getBoolean("differentialPrivacy")).isFalse();
    assertThat(privacy.getValue("spent")).isNull();
    assertThat(privacy.getString("unit")).isEqualTo("silo");
    JsonArray rounds = body.getJsonArray("rounds");
    assertThat(rounds).hasSize(1);
    JsonObject round = rounds.getJsonObject(0);
    assertThat(round.getLong("round")).isEqualTo(1);
    assertThat(round.getString("outcome")).isEqualTo("finished");
    assertThat(round.getValue("abort")).isNull();
    assertThat(round.getValue("privacySpent")).isNull();
    assertThat(round.getJsonArray("survivors").stream().map(String::valueOf).toList())
        .containsExactly("silo-1", "silo-2", "silo-3", "silo-5");
    JsonArray stages = round.getJsonArray("stages");
    assertThat(stages).hasSize(5);
    Map<String, JsonObject> byStage = new LinkedHashMap<>();
    stages.forEach(
        stage -> byStage.put(((JsonObject) stage).getString("stage"), (JsonObject) stage));
    assertThat(byStage.keySet())
        .containsExactly(
            "ADVERTISE_KEYS", "SHARE_KEYS", "MASKED_INPUT", "CONSISTENCY_CHECK", "UNMASK");
    JsonObject masked = byStage.get("MASKED_INPUT");
    assertThat(masked.getString("status")).isEqualTo("closed");
    assertThat(masked.getString("closedBy")).isEqualTo("deadline");
    assertThat(masked.getJsonArray("dropouts").stream().map(String::valueOf).toList())
        .containsExactly("silo-4");
    assertThat(masked.getJsonArray("participants").stream().map(String::valueOf).toList())
        .containsExactly("silo-1", "silo-2", "silo-3", "silo-5");
    assertThat(masked.getLong("durationMillis")).isGreaterThanOrEqualTo(2_900);
    assertThat(
            byStage.get("SHARE_KEYS").getJsonArray("dropouts").stream()
                .map(String::valueOf)
                .toList())
        .isEmpty();
    assertThat(byStage.get("SHARE_KEYS").getString("closedBy")).isEqualTo("all-answered");
    JsonObject aggregate = round.getJsonObject("aggregate");
    assertThat(aggregate.getLong("totalWeight")).isEqualTo(4);
    assertThat(aggregate.getDouble("noiseStandardDeviation")).isZero();
    assertThat(aggregate.getString("modelSha256"))
        .isEqualTo(federation.operatorJson("/v1/runs/plain").getString("modelSha256"));
  }

  @Test
  void dashboard_operator_getsThePageAndAssetsWithTheirPolicy() throws Exception {
    Map<String, String> types =
        Map.of(
            "/dashboard", "text/html; charset=utf-8",
            "/dashboard/dashboard.js", "text/javascript; charset=utf-8",
            "/dashboard/dashboard.css", "text/css; charset=utf-8",
            "/dashboard/icon.svg", "image/svg+xml");
    for (Map.Entry<String, String> asset : types.entrySet()) {
      Calls.Reply reply = await(Calls.get(federation.operator, federation.port(), asset.getKey()));
      assertThat(reply.status()).as("%s", asset.getKey()).isEqualTo(200);
      assertThat(reply.contentType()).isEqualTo(asset.getValue());
      assertThat(reply.body().length()).isPositive();
    }
    String page =
        await(Calls.get(federation.operator, federation.port(), "/dashboard")).body().toString();
    assertThat(page).contains("/dashboard/dashboard.js").doesNotContain("<script>");
    // Nothing is loaded from another origin.
    assertThat(page).doesNotContainPattern("(src|href)=\"(https?:)?//");
  }

  // ---------------------------------------------------------------------------------------------

  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"([^\"]*)\"");

  static List<Sample> parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher matcher = SAMPLE.matcher(line);
      assertThat(matcher.matches()).as("a sample line: %s", line).isTrue();
      Map<String, String> labels = new LinkedHashMap<>();
      if (matcher.group(3) != null) {
        Matcher label = LABEL.matcher(matcher.group(3));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      samples.add(new Sample(matcher.group(1), labels, Double.parseDouble(matcher.group(4))));
    }
    return samples;
  }

  private static List<Sample> matching(
      List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream()
        .filter(sample -> sample.name().equals(name))
        .filter(sample -> sample.labels().entrySet().containsAll(labels.entrySet()))
        .toList();
  }

  /** The one sample with this name and these labels (among others). */
  static double value(List<Sample> samples, String name, Map<String, String> labels) {
    List<Sample> found = matching(samples, name, labels);
    assertThat(found).as("samples of %s%s", name, labels).hasSize(1);
    return found.get(0).value();
  }

  /** The sum of the samples with this name and these labels; 0 if there are none. */
  static double sum(List<Sample> samples, String name, Map<String, String> labels) {
    return matching(samples, name, labels).stream().mapToDouble(Sample::value).sum();
  }
}
