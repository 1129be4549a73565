package org.fedsum.aggregator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.fedsum.aggregator.round.RunCoordinator;
import org.fedsum.aggregator.round.SiloMetrics;
import org.fedsum.aggregator.round.SiloTask;
import org.fedsum.aggregator.service.Federation;
import org.fedsum.aggregator.store.SpoolWriter;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.fedsum.protocol.codec.RoundConfigCodec;

/**
 * The silo side of the API (DESIGN.md §6; docs/API.md has the wire formats). Silos only make
 * outbound requests:
 *
 * <ul>
 *   <li>{@code GET /v1/silo/task?round=R&after=K&waitMillis=W}: long poll for the silo's next task
 *       (the round's parameters, the run's plan, the model hash, and the messages queued for it
 *       from cursor {@code K} on). Answers at once when there is something new, else after {@code
 *       W} milliseconds (at most {@value #MAX_WAIT_MILLIS}) with no messages.
 *   <li>{@code POST /v1/silo/messages}: one JSON control message.
 *   <li>{@code PUT /v1/silo/rounds/{round}/masked-input}: the masked vector as a binary frame,
 *       streamed to the spool as it arrives (never held in memory), checked before it counts. The
 *       frame may come in parts: a request with {@code Upload-Complete: ?0} carries one and is
 *       answered {@code 204} with the bytes taken ({@code Upload-Offset}); {@code PATCH} with
 *       {@code Upload-Offset} goes on from there, also after a broken connection; {@code HEAD}
 *       tells how far an upload got.
 *   <li>{@code GET /v1/silo/model}: the global model, float32 little-endian, streamed.
 *   <li>{@code POST /v1/silo/metrics}: a silo that shares its metrics reports its held-out figures
 *       for the open round's starting model ({@code {"round", "examples", "metrics"}}).
 *   <li>{@code POST /v1/silo/declines}: a silo refuses the open round before advertising keys
 *       ({@code {"round", "reason"}}), so that the round need not wait for it.
 * </ul>
 *
 * Blocking work (the coordinator's journal fsyncs, spool writes, the model snapshot) runs on worker
 * threads; the event loop only moves bytes.
 */
final class SiloRoutes implements ApiRoutes {
  static final long MAX_WAIT_MILLIS = 30_000;
  static final long DEFAULT_WAIT_MILLIS = 25_000;
  static final Pattern MASKED_INPUT_PATH =
      Pattern.compile("/v1/silo/rounds/([0-9]{1,18})/masked-input");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> METRICS_FIELDS = Set.of("round", "examples", "metrics");
  private static final Set<String> DECLINE_FIELDS = Set.of("round", "reason");

  private final Vertx vertx;
  private final Federation federation;
  private final List<Runnable> waiters = new ArrayList<>();
  // Counted under the coordinator's lock as each change happens: a poll that read the state
  // before a change but parks after it sees the count moved and polls again, instead of missing
  // the wake-up and sleeping for its whole wait (polls wait for fsyncs, which widens that window).
  private final AtomicLong changes = new AtomicLong();

  SiloRoutes(Vertx vertx, Federation federation) {
    this.vertx = vertx;
    this.federation = federation;
    var context = vertx.getOrCreateContext();
    // Told under the coordinator's lock: only hop to the event loop there.
    federation.onChange(
        () -> {
          changes.incrementAndGet();
          context.runOnContext(ignored -> wakeWaiters());
        });
  }

  /** Whether {@code request} streams its body itself (the body handler must leave it alone). */
  static boolean streamsBody(HttpServerRequest request) {
    return (request.method() == HttpMethod.PUT || request.method() == HttpMethod.PATCH)
        && MASKED_INPUT_PATH.matcher(request.path()).matches();
  }

  @Override
  public void mount(Router router) {
    var silo = Access.only(SiteRole.SILO);
    router.get("/v1/silo/task").handler(silo).handler(this::task);
    router.post("/v1/silo/messages").handler(silo).handler(this::message);
    router.putWithRegex(MASKED_INPUT_PATH.pattern()).handler(silo).handler(this::maskedInput);
    router.patchWithRegex(MASKED_INPUT_PATH.pattern()).handler(silo).handler(this::maskedInput);
    router
        .headWithRegex(MASKED_INPUT_PATH.pattern())
        .handler(silo)
        .handler(this::maskedInputProgress);
    router.get("/v1/silo/model").handler(silo).handler(this::model);
    router.post("/v1/silo/metrics").handler(silo).handler(this::metrics);
    router.post("/v1/silo/declines").handler(silo).handler(this::decline);
  }

  private void task(RoutingContext context) {
    String siloId = Access.identity(context).siteId();
    long round = QueryParameters.longValue(context, "round", -1, -1, Long.MAX_VALUE);
    int after = (int) QueryParameters.longValue(context, "after", 0, 0, Integer.MAX_VALUE);
    long wait =
        QueryParameters.longValue(context, "waitMillis", DEFAULT_WAIT_MILLIS, 0, MAX_WAIT_MILLIS);
    long deadline = System.nanoTime() + wait * 1_000_000;
    answerTask(context, siloId, round, after, deadline);
  }

  private void answerTask(
      RoutingContext context, String siloId, long round, int after, long deadline) {
    if (context.response().closed()) {
      return;
    }
    long changesBefore = changes.get();
    vertx
        .executeBlocking(() -> poll(siloId, round, after), false)
        .onSuccess(
            polled -> {
              // With no active run, only a silo that believes a round is on has news (its run is
              // over); the others wait here for the next run instead of polling in a tight loop.
              boolean news =
                  polled.task == null
                      ? round != -1
                      : (polled.task.runOver()
                          || !polled.task.messages().isEmpty()
                          || polled
                              .task
                              .round()
                              .map(config -> config.round() != round)
                              .orElse(round != -1));
              long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
              if (news || remainingMillis <= 0) {
                reply(context, polled);
              } else if (changes.get() != changesBefore) {
                answerTask(context, siloId, round, after, deadline);
              } else {
                waitForChange(
                    context,
                    remainingMillis,
                    () -> answerTask(context, siloId, round, after, deadline));
              }
            })
        .onFailure(context::fail);
  }

  /** Parks the request until the federation changes or the wait is over, whichever comes first. */
  private void waitForChange(RoutingContext context, long millis, Runnable retry) {
    Runnable[] waiter = new Runnable[1];
    long timer =
        vertx.setTimer(
            millis,
            id -> {
              if (waiters.remove(waiter[0])) {
                retry.run();
              }
            });
    waiter[0] =
        () -> {
          vertx.cancelTimer(timer);
          retry.run();
        };
    waiters.add(waiter[0]);
    context
        .response()
        .closeHandler(
            closed -> {
              waiters.remove(waiter[0]);
              vertx.cancelTimer(timer);
            });
  }

  private void wakeWaiters() {
    List<Runnable> woken = new ArrayList<>(waiters);
    waiters.clear();
    woken.forEach(Runnable::run);
  }

  /**
   * A poll's result: no active run (task null; runId the run that ended last, if any), or the run's
   * plan and the silo's task.
   */
  private record Polled(String runId, ObjectNode plan, SiloTask task) {}

  private Polled poll(String siloId, long round, int after) throws ProtocolException {
    var active = federation.active();
    if (active.isEmpty()) {
      return new Polled(federation.lastEndedRun().orElse(null), null, null);
    }
    RunCoordinator coordinator = active.get().coordinator();
    SiloTask task = coordinator.poll(siloId, round, after);
    if (coordinator.failed()) {
      // Not over, as the task says: once the directory can be written the run is reopened and
      // goes on. Silos wait.
      throw storageFailed();
    }
    return new Polled(active.get().config().runId(), active.get().config().plan(), task);
  }

  private static void reply(RoutingContext context, Polled polled) {
    ObjectNode body = JSON.createObjectNode();
    if (polled.task == null) {
      if (polled.runId == null) {
        body.putNull("runId");
      } else {
        body.put("runId", polled.runId);
      }
      body.put("runOver", polled.runId != null);
      body.putNull("round");
      body.putNull("plan");
      body.putNull("modelSha256");
      body.putArray("messages");
      body.put("next", 0);
    } else {
      SiloTask task = polled.task;
      body.put("runId", polled.runId);
      body.put("runOver", task.runOver());
      if (task.round().isPresent()) {
        body.set("round", RoundConfigCodec.toJson(task.round().get()));
        body.set("plan", polled.plan);
        body.put("modelSha256", task.modelSha256().orElseThrow());
      } else {
        body.putNull("round");
        body.set("plan", polled.plan);
        body.putNull("modelSha256");
      }
      ArrayNode messages = body.putArray("messages");
      for (AggregatorMessage message : task.messages()) {
        try {
          messages.add(JSON.readTree(JsonMessageCodec.encode(message)));
        } catch (IOException e) {
          throw new IllegalStateException("bug: the codec wrote invalid JSON", e);
        }
      }
      body.put("next", task.nextCursor());
    }
    context
        .response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(body.toString());
  }

  private void message(RoutingContext context) {
    String siloId = Access.identity(context).siteId();
    byte[] json =
        context.body().buffer() == null ? new byte[0] : context.body().buffer().getBytes();
    acceptOffTheEventLoop(
        context,
        () -> {
          SiloMessage message = JsonMessageCodec.decodeSiloMessage(json, siloId);
          coordinator(message.round()).submit(siloId, message);
          return message.round();
        });
  }

  /**
   * Runs {@code work} (journal fsyncs) on a worker, then answers 202 with the round it returns. A
   * failure to write the data directory answers {@code STORAGE_FAILED}, not an internal error.
   */
  private void acceptOffTheEventLoop(RoutingContext context, Callable<Long> work) {
    vertx
        .executeBlocking(() -> storageChecked(work), false)
        .onSuccess(round -> accepted(context, round))
        .onFailure(context::fail);
  }

  private void metrics(RoutingContext context) {
    String siloId = Access.identity(context).siteId();
    SiloMetrics metrics;
    try {
      metrics = parseMetrics(context);
    } catch (ApiException e) {
      context.fail(e);
      return;
    }
    acceptOffTheEventLoop(
        context,
        () -> {
          coordinator(metrics.round()).recordSiloMetrics(siloId, metrics);
          return metrics.round();
        });
  }

  private void decline(RoutingContext context) {
    String siloId = Access.identity(context).siteId();
    long round;
    String reason;
    try {
      JsonNode body = jsonObject(context, "refusal", DECLINE_FIELDS);
      round = longField(body, "round");
      JsonNode reasonNode = body.get("reason");
      if (reasonNode == null || !reasonNode.isTextual()) {
        throw ApiException.of(AggregatorErrorCode.BAD_REQUEST, "reason must be a string");
      }
      reason = reasonNode.asText();
    } catch (ApiException e) {
      context.fail(e);
      return;
    }
    acceptOffTheEventLoop(
        context,
        () -> {
          coordinator(round).decline(siloId, round, reason);
          return round;
        });
  }

  /** The request body as a JSON object with only {@code allowed} fields, or a BAD_REQUEST. */
  private static JsonNode jsonObject(RoutingContext context, String what, Set<String> allowed) {
    JsonNode body;
    try {
      byte[] bytes =
          context.body().buffer() == null ? new byte[0] : context.body().buffer().getBytes();
      body = JSON.readTree(bytes);
    } catch (IOException e) {
      throw ApiException.of(AggregatorErrorCode.BAD_REQUEST, "the " + what + " is not JSON");
    }
    if (body == null || !body.isObject()) {
      throw ApiException.of(
          AggregatorErrorCode.BAD_REQUEST, "the " + what + " must be a JSON object");
    }
    for (var names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw ApiException.of(
            AggregatorErrorCode.BAD_REQUEST, "unknown field '" + name + "' in the " + what);
      }
    }
    return body;
  }

  private static long longField(JsonNode body, String name) {
    JsonNode value = body.get(name);
    if (value == null || !value.canConvertToLong()) {
      throw ApiException.of(AggregatorErrorCode.BAD_REQUEST, name + " must be an integer");
    }
    return value.asLong();
  }

  /** Reads {@code {"round": R, "examples": N, "metrics": {"name": number, …}}}, strictly. */
  private static SiloMetrics parseMetrics(RoutingContext context) {
    JsonNode body = jsonObject(context, "metrics", METRICS_FIELDS);
    long round = longField(body, "round");
    long examples = longField(body, "examples");
    JsonNode values = body.get("metrics");
    if (values == null || !values.isObject()) {
      throw ApiException.of(
          AggregatorErrorCode.BAD_REQUEST, "metrics must be an object of named numbers");
    }
    Map<String, Double> figures = new LinkedHashMap<>();
    for (var fields = values.fields(); fields.hasNext(); ) {
      var field = fields.next();
      if (!field.getValue().isNumber()) {
        throw ApiException.of(
            AggregatorErrorCode.BAD_REQUEST, "metrics." + field.getKey() + " must be a number");
      }
      figures.put(field.getKey(), field.getValue().doubleValue());
    }
    try {
      return new SiloMetrics(round, examples, figures);
    } catch (IllegalArgumentException e) {
      throw ApiException.of(AggregatorErrorCode.BAD_REQUEST, e.getMessage());
    }
  }

  /**
   * Takes a part of a masked vector's frame: the first ({@code PUT}, which starts the upload anew
   * and replaces one that did not finish) or the next ({@code PATCH} at the {@code Upload-Offset}
   * the aggregator holds). The last part (no {@code Upload-Complete: ?0}) finishes the frame, which
   * is checked and submitted: {@code 202}. An earlier part is answered {@code 204} with the bytes
   * taken once they are written.
   */
  private void maskedInput(RoutingContext context) {
    HttpServerRequest request = context.request();
    // Nothing may arrive before the spool is open: hold the stream until then.
    request.pause();
    String siloId = Access.identity(context).siteId();
    long round;
    boolean lastPart;
    long offset;
    try {
      round = maskedInputRound(request);
      lastPart = UploadParts.lastPart(request);
      offset = request.method() == HttpMethod.PATCH ? UploadParts.offset(request) : 0;
    } catch (ApiException e) {
      context.fail(e);
      return;
    }
    boolean resume = request.method() == HttpMethod.PATCH;
    vertx
        .executeBlocking(() -> coordinator(round), false)
        .compose(
            coordinator ->
                vertx
                    .executeBlocking(
                        () ->
                            storageChecked(
                                () ->
                                    resume
                                        ? resumedPart(coordinator, siloId, round, offset)
                                        : coordinator.receiveMaskedVector(siloId, round).begin()),
                        false)
                    .compose(part -> SpoolUpload.stream(vertx, request, part, lastPart))
                    .recover(failure -> spoolFailed(coordinator, failure)))
        .compose(
            outcome ->
                outcome.vector().isEmpty()
                    ? Future.succeededFuture(outcome)
                    : vertx.executeBlocking(
                        () ->
                            storageChecked(
                                () -> {
                                  coordinator(round)
                                      .submitMaskedVector(siloId, round, outcome.vector().get());
                                  return outcome;
                                }),
                        false))
        .onSuccess(
            outcome -> {
              if (outcome.vector().isPresent()) {
                accepted(context, round);
              } else {
                context
                    .response()
                    .setStatusCode(204)
                    .putHeader(UploadParts.UPLOAD_OFFSET, Long.toString(outcome.bytesReceived()))
                    .end();
              }
            })
        .onFailure(context::fail);
  }

  /** The next part of {@code siloId}'s upload, at {@code offset}, or the refusal to say why not. */
  private static SpoolWriter.Part resumedPart(
      RunCoordinator coordinator, String siloId, long round, long offset) throws ProtocolException {
    SpoolWriter writer =
        coordinator
            .maskedVectorUpload(siloId, round)
            .orElseThrow(
                () ->
                    ApiException.of(
                        AggregatorErrorCode.UPLOAD_NOT_FOUND,
                        "there is no upload of "
                            + siloId
                            + "'s masked vector for round "
                            + round
                            + " to resume: send it again from its first byte (PUT)"));
    try {
      return writer.resumeAt(offset);
    } catch (SpoolWriter.OffsetMismatch e) {
      throw ApiException.of(AggregatorErrorCode.UPLOAD_OFFSET_MISMATCH, e.getMessage())
          .withUploadOffset(e.received());
    }
  }

  /**
   * {@code HEAD}: how far the silo's upload of its masked vector got. {@code 204} with {@code
   * Upload-Offset} (the frame bytes taken, where a {@code PATCH} goes on from) and {@code
   * Upload-Complete} ({@code ?1} once the whole frame arrived and passed its checks), or {@code
   * 404} if there is none to resume.
   */
  private void maskedInputProgress(RoutingContext context) {
    String siloId = Access.identity(context).siteId();
    long round;
    try {
      round = maskedInputRound(context.request());
    } catch (ApiException e) {
      context.fail(e);
      return;
    }
    vertx
        .executeBlocking(
            () -> storageChecked(() -> coordinator(round).maskedVectorUpload(siloId, round)), false)
        .onSuccess(
            upload -> {
              if (upload.isEmpty()) {
                context.fail(
                    ApiException.of(
                        AggregatorErrorCode.UPLOAD_NOT_FOUND,
                        "no upload of " + siloId + "'s masked vector for round " + round));
                return;
              }
              SpoolWriter writer = upload.get();
              context
                  .response()
                  .setStatusCode(204)
                  .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                  .putHeader(UploadParts.UPLOAD_OFFSET, Long.toString(writer.bytesReceived()))
                  .putHeader(UploadParts.UPLOAD_COMPLETE, writer.finished() ? "?1" : "?0")
                  .end();
            })
        .onFailure(context::fail);
  }

  private static long maskedInputRound(HttpServerRequest request) {
    var matcher = MASKED_INPUT_PATH.matcher(request.path());
    if (!matcher.matches()) {
      throw new IllegalStateException("bug: routed a path the pattern does not match");
    }
    try {
      return Long.parseLong(matcher.group(1));
    } catch (NumberFormatException e) {
      throw ApiException.of(AggregatorErrorCode.BAD_REQUEST, "the round is not a number");
    }
  }

  /**
   * Runs {@code work}; if it fails in I/O because the active run failed writing its data directory
   * (its phase is then {@code FAILED}), throws {@code STORAGE_FAILED} instead. So does a refusal by
   * a failed run ({@code ROUND_CLOSED}, "the run is failed"): the run is not over, it goes on once
   * it is reopened, and the silo should ask again rather than give the round up for a closed one.
   */
  private <T> T storageChecked(Callable<T> work) throws Exception {
    // The coordinator the work may have used: the run can be reopened in a new one meanwhile (once
    // its directory can be written again), and the old one stays failed.
    var before = federation.active();
    try {
      return work.call();
    } catch (IOException | ProtocolException e) {
      var active = federation.active();
      if ((before.isPresent() && before.get().coordinator().failed())
          || (active.isPresent() && active.get().coordinator().failed())) {
        throw storageFailed();
      }
      throw e;
    }
  }

  /**
   * An upload into the spool failed: if the spool file could not be written, the data directory
   * failed as surely as when a journal record cannot be, so the run fails the same way (and is
   * reopened the same way); the silo is told {@code STORAGE_FAILED}. Without this every upload got
   * {@code 500 INTERNAL_ERROR} and the run went on aborting round after round.
   */
  private <T> Future<T> spoolFailed(RunCoordinator coordinator, Throwable failure) {
    if (!(failure instanceof SpoolUpload.SpoolWriteFailure)) {
      return Future.failedFuture(failure);
    }
    return vertx.executeBlocking(
        () -> {
          // The coordinator that took the upload: the run may have been reopened in a new one.
          coordinator.failStorage((SpoolUpload.SpoolWriteFailure) failure);
          throw storageFailed();
        },
        false);
  }

  private static ApiException storageFailed() {
    return ApiException.of(
        AggregatorErrorCode.STORAGE_FAILED,
        "the aggregator could not write its data directory and stopped the run; it takes nothing"
            + " until the directory can be written again (it retries by itself) or it is"
            + " restarted, then goes on: ask again later");
  }

  private void model(RoutingContext context) {
    String siloId = Access.identity(context).siteId();
    vertx
        .executeBlocking(
            () -> {
              var active = federation.active();
              if (active.isEmpty()) {
                throw new ProtocolException(ErrorCode.NOT_READY, -1, "no run is active");
              }
              return active.get().coordinator().globalModelSnapshot(siloId);
            },
            false)
        .onSuccess(model -> ModelStream.send(context.response(), model))
        .onFailure(context::fail);
  }

  /**
   * The coordinator a silo's message for {@code round} goes to. With no run active, the round the
   * message names belonged to a run that is over (a silo only learns of rounds from its tasks), so
   * the message can never count: {@code ROUND_CLOSED}, as the coordinator answers for its own run
   * once it is over, never the retryable {@code NOT_READY}.
   */
  private RunCoordinator coordinator(long round) throws ProtocolException {
    return federation
        .active()
        .orElseThrow(() -> new ProtocolException(ErrorCode.ROUND_CLOSED, round, "no run is active"))
        .coordinator();
  }

  private static void accepted(RoutingContext context, long round) {
    HttpServerResponse response = context.response();
    response
        .setStatusCode(202)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(JSON.createObjectNode().put("accepted", true).put("round", round).toString());
  }
}
