package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.fedsum.protocol.Stage;

/**
 * Blocking operator calls for the fault tests: runs created from YAML, started, watched, their
 * model and journal read, all through the operator API over mutual TLS.
 */
final class OperatorCalls {
  private final HttpClient client;
  private final IntSupplier port;

  /**
   * @param client a Vert.x client presenting an operator certificate
   * @param port the aggregator's port at each call (it changes when a test restarts it)
   */
  OperatorCalls(HttpClient client, IntSupplier port) {
    this.client = client;
    this.port = port;
  }

  Calls.Reply get(String path) throws Exception {
    return await(Calls.get(client, port.getAsInt(), path));
  }

  Calls.Reply post(String path, String body) throws Exception {
    return await(Calls.send(client, HttpMethod.POST, port.getAsInt(), path, Buffer.buffer(body)));
  }

  Calls.Reply put(String path, Buffer body) throws Exception {
    return await(Calls.send(client, HttpMethod.PUT, port.getAsInt(), path, body));
  }

  /** Creates a run from {@code yaml}; asserts the {@code 201}. */
  JsonObject create(String yaml) throws Exception {
    Calls.Reply created = post("/v1/runs", yaml);
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    return created.json();
  }

  /** POST /v1/runs/{runId}/{action} (start, pause, resume, stop); asserts the {@code 200}. */
  JsonObject change(String runId, String action) throws Exception {
    Calls.Reply reply = post("/v1/runs/" + runId + "/" + action, "");
    assertThat(reply.status()).as("%s %s: %s", action, runId, reply).isEqualTo(200);
    return reply.json();
  }

  /** Uploads {@code model} as the run's initial model; asserts the {@code 200}. */
  void initialModel(String runId, float[] model) throws Exception {
    Calls.Reply reply = put("/v1/runs/" + runId + "/initial-model", floats(model));
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
  }

  JsonObject status(String runId) throws Exception {
    Calls.Reply reply = get("/v1/runs/" + runId);
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    return reply.json();
  }

  /** Polls the run's view every 100 ms until {@code done} holds, for at most two minutes. */
  JsonObject waitFor(String runId, String what, Predicate<JsonObject> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    JsonObject status = null;
    while (System.nanoTime() < deadline) {
      status = status(runId);
      if (done.test(status)) {
        return status;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("run " + runId + ": waited in vain for " + what + "; " + status);
  }

  JsonObject waitForPhase(String runId, String phase) throws Exception {
    return waitFor(runId, "phase " + phase, status -> phase.equals(status.getString("phase")));
  }

  /** Waits until round {@code round} is collecting {@code stage} and {@code count} silos sent. */
  JsonObject waitForStage(String runId, long round, Stage stage, int count) throws Exception {
    return waitFor(
        runId,
        "round " + round + " in " + stage + " with " + count + " messages",
        status ->
            status.getLong("currentRound") == round
                && stage.name().equals(status.getString("stage"))
                && participants(status, stage).size() >= count);
  }

  static List<String> participants(JsonObject status, Stage stage) {
    var list = status.getJsonObject("participants").getJsonArray(stage.name());
    List<String> silos = new ArrayList<>();
    if (list != null) {
      list.forEach(silo -> silos.add((String) silo));
    }
    return silos;
  }

  /** The run's model through the operator API, float32 little-endian. */
  float[] model(String runId) throws Exception {
    Calls.Reply reply = get("/v1/runs/" + runId + "/model");
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    ByteBuffer bytes = ByteBuffer.wrap(reply.body().getBytes()).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  /** The run's journal records through the operator API. */
  List<JsonObject> journal(String runId) throws Exception {
    Calls.Reply reply = get("/v1/runs/" + runId + "/journal");
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    List<JsonObject> records = new ArrayList<>();
    for (String line : reply.body().toString().split("\n")) {
      if (!line.isBlank()) {
        records.add(new JsonObject(line));
      }
    }
    return records;
  }

  /** The journal's records of {@code type}, their bodies only. */
  static List<JsonObject> bodies(List<JsonObject> journal, String type) {
    return journal.stream()
        .filter(record -> type.equals(record.getString("type")))
        .map(record -> record.getJsonObject("body"))
        .toList();
  }

  /** The body of round {@code round}'s record of {@code type}; fails if not exactly one. */
  static JsonObject roundRecord(List<JsonObject> journal, String type, long round) {
    List<JsonObject> matching =
        bodies(journal, type).stream().filter(body -> body.getLong("round") == round).toList();
    assertThat(matching).as("%s records of round %d", type, round).hasSize(1);
    return matching.get(0);
  }

  static Buffer floats(float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return Buffer.buffer(bytes.array());
  }

  /**
   * A run configuration: {@code roster}, threshold 3, a test vector of {@code parameters}, no
   * noise, and the given deadlines (advertiseKeys, then one for every later stage).
   */
  static String runYaml(
      String runId,
      List<String> roster,
      int rounds,
      int parameters,
      String advertiseDeadline,
      String stageDeadline,
      Map<String, String> extra) {
    StringBuilder yaml = new StringBuilder();
    yaml.append("runId: ").append(runId).append('\n');
    yaml.append("roster: [").append(String.join(", ", roster)).append("]\n");
    yaml.append("rounds: ").append(rounds).append('\n');
    yaml.append("threshold: 3\n");
    extra.forEach((key, value) -> yaml.append(key).append(": ").append(value).append('\n'));
    yaml.append("deadlines:\n");
    yaml.append("  advertiseKeys: ").append(advertiseDeadline).append('\n');
    for (String stage : List.of("shareKeys", "maskedInput", "consistencyCheck", "unmask")) {
      yaml.append("  ").append(stage).append(": ").append(stageDeadline).append('\n');
    }
    yaml.append("model:\n  kind: test-vector\n  parameters: ").append(parameters).append('\n');
    yaml.append("privacy:\n  clipNorm: 10\n  noiseMultiplier: 0\n");
    return yaml.toString();
  }
}
