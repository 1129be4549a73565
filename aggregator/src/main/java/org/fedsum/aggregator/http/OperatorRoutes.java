package org.fedsum.aggregator.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayInputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.fedsum.aggregator.config.RunConfig;
import org.fedsum.aggregator.round.RunSettings;
import org.fedsum.aggregator.round.RunStatus;
import org.fedsum.aggregator.service.Federation;
import org.fedsum.aggregator.service.FederationException;
import org.fedsum.aggregator.service.RunView;
import org.fedsum.crypto.SiteRole;

/**
 * The operator side of the API (operator certificates only; docs/API.md has the formats):
 *
 * <ul>
 *   <li>{@code POST /v1/runs}: create a run from its YAML configuration (body, {@code
 *       application/yaml}); {@code 201} with the run's view.
 *   <li>{@code PUT /v1/runs/{runId}/initial-model}: the model the run starts from, float32
 *       little-endian, exactly {@code model.parameters} values; before the start only.
 *   <li>{@code POST /v1/runs/{runId}/start}, {@code /pause}, {@code /resume}, {@code /stop}.
 *   <li>{@code GET /v1/runs}, {@code GET /v1/runs/{runId}}: status.
 *   <li>{@code GET /v1/runs/{runId}/rounds}: every round from the journal, with its stages,
 *       survivors, dropouts, durations, aggregate figures and the privacy spent (the dashboard's
 *       data; docs/API.md, "Dashboard and metrics").
 *   <li>{@code GET /v1/runs/{runId}/model}: the model, streamed; {@code GET
 *       /v1/runs/{runId}/journal}: the signed journal (JSON Lines), streamed from its file.
 *   <li>{@code GET /v1/runs/{runId}/lineage/{round}}: the signed lineage manifest of the model that
 *       round published (docs/AUDIT.md).
 * </ul>
 */
final class OperatorRoutes implements ApiRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final Federation federation;
  private final long maxInitialModelBytes;

  OperatorRoutes(Vertx vertx, Federation federation, long maxInitialModelBytes) {
    this.vertx = vertx;
    this.federation = federation;
    this.maxInitialModelBytes = maxInitialModelBytes;
  }

  /** Whether the request streams its body itself: the initial model, which may be large. */
  static boolean streamsBody(io.vertx.core.http.HttpServerRequest request) {
    return request.method() == io.vertx.core.http.HttpMethod.PUT
        && request.path().startsWith("/v1/runs/")
        && request.path().endsWith("/initial-model");
  }

  @Override
  public void mount(Router router) {
    var operator = Access.only(SiteRole.OPERATOR);
    router.post("/v1/runs").handler(operator).handler(this::create);
    router.get("/v1/runs").handler(operator).handler(this::list);
    router.get("/v1/runs/:runId").handler(operator).handler(this::view);
    router.get("/v1/runs/:runId/rounds").handler(operator).handler(this::rounds);
    router.put("/v1/runs/:runId/initial-model").handler(operator).handler(this::initialModel);
    router
        .post("/v1/runs/:runId/start")
        .handler(operator)
        .handler(c -> change(c, federation::start));
    router
        .post("/v1/runs/:runId/pause")
        .handler(operator)
        .handler(c -> change(c, federation::pause));
    router
        .post("/v1/runs/:runId/resume")
        .handler(operator)
        .handler(c -> change(c, federation::resume));
    router
        .post("/v1/runs/:runId/stop")
        .handler(operator)
        .handler(
            c ->
                change(
                    c,
                    runId ->
                        federation.stop(
                            runId, "stopped by operator " + Access.identity(c).siteId())));
    router.get("/v1/runs/:runId/model").handler(operator).handler(this::model);
    router.get("/v1/runs/:runId/journal").handler(operator).handler(this::journal);
    router.get("/v1/runs/:runId/lineage/:round").handler(operator).handler(this::lineage);
  }

  private interface RunChange {
    RunStatus apply(String runId) throws Exception;
  }

  private void create(RoutingContext context) {
    String yaml;
    try {
      Buffer body = context.body().buffer();
      yaml =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(java.nio.ByteBuffer.wrap(body == null ? new byte[0] : body.getBytes()))
              .toString();
    } catch (CharacterCodingException e) {
      context.fail(
          ApiException.of(
              AggregatorErrorCode.INVALID_RUN_CONFIG, "the run configuration is not UTF-8"));
      return;
    }
    blocking(
            () -> {
              RunConfig run = federation.createRun(yaml);
              return federation.view(run.runId());
            })
        .onSuccess(view -> json(context, 201, viewJson(view)))
        .onFailure(context::fail);
  }

  private void list(RoutingContext context) {
    blocking(
            () -> {
              ArrayNode runs = JSON.createArrayNode();
              for (String runId : federation.runIds()) {
                runs.add(viewJson(federation.view(runId)));
              }
              ObjectNode body = JSON.createObjectNode();
              body.set("runs", runs);
              return body;
            })
        .onSuccess(body -> json(context, 200, body))
        .onFailure(context::fail);
  }

  private void view(RoutingContext context) {
    String runId = context.pathParam("runId");
    blocking(() -> federation.view(runId))
        .onSuccess(view -> json(context, 200, viewJson(view)))
        .onFailure(context::fail);
  }

  private void rounds(RoutingContext context) {
    String runId = context.pathParam("runId");
    blocking(() -> RoundsJson.of(federation.rounds(runId)))
        .onSuccess(body -> json(context, 200, body))
        .onFailure(context::fail);
  }

  private void change(RoutingContext context, RunChange change) {
    String runId = context.pathParam("runId");
    blocking(
            () -> {
              change.apply(runId);
              return federation.view(runId);
            })
        .onSuccess(view -> json(context, 200, viewJson(view)))
        .onFailure(context::fail);
  }

  private void initialModel(RoutingContext context) {
    var request = context.request();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    long declared;
    try {
      declared = length == null ? -1 : Long.parseLong(length);
    } catch (NumberFormatException e) {
      declared = -1;
    }
    if (declared < 0) {
      context.fail(
          ApiException.of(
              AggregatorErrorCode.BAD_REQUEST, "the initial model needs a Content-Length header"));
      return;
    }
    if (declared > maxInitialModelBytes) {
      context.fail(
          ApiException.of(
              AggregatorErrorCode.INVALID_MODEL,
              "the model declares "
                  + declared
                  + " bytes, more than limits.maxModelParameters allows ("
                  + maxInitialModelBytes
                  + ")"));
      return;
    }
    String runId = context.pathParam("runId");
    request
        .body()
        .compose(
            body ->
                blocking(
                    () -> {
                      federation.setInitialModel(runId, new ByteArrayInputStream(body.getBytes()));
                      return federation.view(runId);
                    }))
        .onSuccess(view -> json(context, 200, viewJson(view)))
        .onFailure(context::fail);
  }

  private void model(RoutingContext context) {
    String runId = context.pathParam("runId");
    blocking(() -> federation.model(runId))
        .onSuccess(model -> ModelStream.send(context.response(), model))
        .onFailure(context::fail);
  }

  private void journal(RoutingContext context) {
    String runId = context.pathParam("runId");
    blocking(() -> federation.journalFile(runId).toString())
        .compose(
            file ->
                context
                    .response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/jsonl")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .sendFile(file))
        .onFailure(context::fail);
  }

  private void lineage(RoutingContext context) {
    String runId = context.pathParam("runId");
    long round;
    try {
      round = Long.parseLong(context.pathParam("round"));
    } catch (NumberFormatException e) {
      context.fail(ApiException.of(AggregatorErrorCode.BAD_REQUEST, "the round is not a number"));
      return;
    }
    blocking(
            () ->
                federation
                    .lineageFile(runId, round)
                    .orElseThrow(
                        () ->
                            ApiException.of(
                                AggregatorErrorCode.NOT_FOUND,
                                "run '"
                                    + runId
                                    + "' has no lineage manifest for round "
                                    + round
                                    + ": only finished rounds publish a model"))
                    .toString())
        .compose(
            file ->
                context
                    .response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .sendFile(file))
        .onFailure(context::fail);
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx
        .executeBlocking(work, false)
        .recover(
            failure ->
                Future.failedFuture(
                    failure instanceof FederationException refusal
                        ? ApiException.of(
                            AggregatorErrorCode.valueOf(refusal.reason().name()),
                            refusal.getMessage())
                        : failure));
  }

  private static void json(RoutingContext context, int status, ObjectNode body) {
    context
        .response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(body.toString());
  }

  /** The JSON of a run for the operator API and the dashboard (docs/API.md). */
  static ObjectNode viewJson(RunView view) {
    RunStatus status = view.status();
    RunSettings settings = view.config().settings();
    ObjectNode node = JSON.createObjectNode();
    node.put("runId", view.config().runId());
    node.put("active", view.active());
    node.put("phase", status.phase().name());
    node.put("pauseRequested", status.pauseRequested());
    node.put("currentRound", status.currentRound());
    if (status.stage().isPresent()) {
      node.put("stage", status.stage().get().name());
    } else {
      node.putNull("stage");
    }
    ObjectNode participants = node.putObject("participants");
    status
        .participants()
        .forEach(
            (stage, silos) -> {
              ArrayNode list = participants.putArray(stage.name());
              silos.forEach(list::add);
            });
    node.put("roundsFinished", status.roundsFinished());
    node.put("roundsAborted", status.roundsAborted());
    node.put("consecutiveAborts", status.consecutiveAborts());
    node.put("rounds", settings.rounds());
    if (status.lastModelSha256().isPresent()) {
      node.put("modelSha256", status.lastModelSha256().get());
    } else {
      node.putNull("modelSha256");
    }
    if (status.failure().isPresent()) {
      node.put("failure", status.failure().get());
    } else {
      node.putNull("failure");
    }
    ObjectNode config = node.putObject("config");
    ArrayNode roster = config.putArray("roster");
    settings.roster().forEach(roster::add);
    config.put("threshold", settings.threshold());
    config.put("minSurvivors", settings.minSurvivors());
    config.put("securityModel", settings.securityModel().name());
    config.put("parameters", settings.dimension());
    config.put("bits", settings.bits());
    config.set("strategy", JSON.valueToTree(settings.strategy().toMap()));
    config.set("plan", view.config().plan());
    return node;
  }
}
