package org.fedsum.cli.bench.round;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedsum.aggregator.http.Access;
import org.fedsum.aggregator.http.ApiRoutes;
import org.fedsum.aggregator.http.SpoolUpload;
import org.fedsum.aggregator.http.UploadParts;
import org.fedsum.aggregator.store.SpoolWriter;
import org.fedsum.aggregator.store.SpooledVector;
import org.fedsum.aggregator.store.VectorSpool;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.ProtocolException;

/**
 * The benchmark's "secure aggregation off" baseline, mounted into the real aggregator server in the
 * benchmark's process only (never part of the service): silos upload their plain encoded update
 * over the same mutual-TLS HTTP/2 server, through the same upload path ({@link SpoolUpload}) into
 * the same streaming {@link SpoolWriter} (header and word checks, SHA-256, spool file) and the same
 * chunked {@link SpooledVector#addTo} on a two-thread executor, one vector after another, as {@code
 * SiloRoutes} and {@code RunCoordinator} do for masked vectors. What it leaves out is exactly
 * secure aggregation: keys, shares, masks, consistency signatures, unmasking, and the journal
 * records of those messages.
 *
 * <ul>
 *   <li>{@code GET /bench/plain/task}: the open round, as JSON {@code {"round":k}} ({@code -1} if
 *       none); the silo's one control request per round, standing in for its task poll.
 *   <li>{@code PUT /bench/plain/rounds/{k}/vector}: the plain vector as a {@code VectorFrame}.
 * </ul>
 */
final class PlainSumRoutes implements ApiRoutes {
  private static final Pattern VECTOR_PATH =
      Pattern.compile("/bench/plain/rounds/([0-9]{1,18})/vector");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One plain round: its running sum and when the last vector was added into it. */
  static final class PlainRound {
    final long round;
    final int silos;
    final int[] sum;
    final CompletableFuture<Long> summedAtNanos = new CompletableFuture<>();
    private CompletableFuture<Void> sumWork = CompletableFuture.completedFuture(null);
    private int added;

    PlainRound(long round, int silos, int length) {
      this.round = round;
      this.silos = silos;
      this.sum = new int[length];
    }
  }

  private final VectorSpool spool;
  private final Executor sumExecutor;
  private final int bits;
  private final int length;
  private volatile PlainRound open;

  PlainSumRoutes(VectorSpool spool, Executor sumExecutor, int bits, int length) {
    this.spool = spool;
    this.sumExecutor = sumExecutor;
    this.bits = bits;
    this.length = length;
  }

  /** Opens round {@code round} for {@code silos} uploads. */
  PlainRound open(long round, int silos) {
    PlainRound next = new PlainRound(round, silos, length);
    open = next;
    return next;
  }

  @Override
  public void mount(Router router) {
    router.get("/bench/plain/task").handler(Access.only(SiteRole.SILO)).handler(this::task);
    router
        .putWithRegex(VECTOR_PATH.pattern())
        .handler(Access.only(SiteRole.SILO))
        .handler(this::vector);
    router
        .patchWithRegex(VECTOR_PATH.pattern())
        .handler(Access.only(SiteRole.SILO))
        .handler(this::vector);
  }

  @Override
  public boolean streamsRequestBody(HttpServerRequest request) {
    return (request.method() == HttpMethod.PUT || request.method() == HttpMethod.PATCH)
        && VECTOR_PATH.matcher(request.path()).matches();
  }

  private void task(RoutingContext context) {
    PlainRound round = open;
    context
        .response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(
            JSON.createObjectNode()
                .put("round", round == null ? -1 : round.round)
                .put("length", length)
                .put("bits", bits)
                .toString());
  }

  private void vector(RoutingContext context) {
    HttpServerRequest request = context.request();
    request.pause();
    String siloId = Access.identity(context).siteId();
    Matcher matcher = VECTOR_PATH.matcher(request.path());
    PlainRound round = open;
    if (!matcher.matches() || round == null || Long.parseLong(matcher.group(1)) != round.round) {
      context.response().setStatusCode(409).end("{\"error\":\"not the open plain round\"}");
      return;
    }
    // In parts, as the silos upload their masked vectors (UploadParts), so that both rounds pay
    // for the same requests.
    SpoolWriter.Part part;
    boolean lastPart;
    try {
      lastPart = UploadParts.lastPart(request);
      part =
          request.method() == HttpMethod.PATCH
              ? spool
                  .upload(round.round, siloId)
                  .orElseThrow(() -> new IllegalStateException("no plain upload to go on with"))
                  .resumeAt(UploadParts.offset(request))
              : spool.receive(round.round, siloId, bits, length).begin();
    } catch (SpoolWriter.OffsetMismatch | ProtocolException | RuntimeException e) {
      context.fail(e);
      return;
    }
    SpoolUpload.stream(context.vertx(), request, part, lastPart)
        .onSuccess(
            outcome -> {
              if (outcome.vector().isEmpty()) {
                context
                    .response()
                    .setStatusCode(204)
                    .putHeader(UploadParts.UPLOAD_OFFSET, Long.toString(outcome.bytesReceived()))
                    .end();
                return;
              }
              add(round, outcome.vector().get());
              context
                  .response()
                  .setStatusCode(202)
                  .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                  .end(
                      JSON.createObjectNode()
                          .put("accepted", true)
                          .put("round", round.round)
                          .toString());
            })
        .onFailure(context::fail);
  }

  /** As {@code RunCoordinator.addIntoSum}: one vector after another on the sum executor. */
  private void add(PlainRound round, SpooledVector vector) {
    synchronized (round) {
      round.sumWork =
          round.sumWork.thenRunAsync(
              () -> {
                try {
                  vector.addTo(round.sum);
                  vector.delete();
                } catch (IOException e) {
                  round.summedAtNanos.completeExceptionally(e);
                  return;
                }
                round.added++;
                if (round.added == round.silos) {
                  round.summedAtNanos.complete(System.nanoTime());
                }
              },
              sumExecutor);
    }
  }
}
