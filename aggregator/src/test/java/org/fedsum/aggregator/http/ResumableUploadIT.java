package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.codec.VectorFrame;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.TransportRetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Masked vectors uploaded in parts, and an upload that breaks off resumed from the bytes the
 * aggregator holds instead of sent again whole (docs/API.md, "Resumable uploads"), over real mutual
 * TLS on 127.0.0.1 with a real round: three silos, 100,000 parameters (a frame of 400 KB).
 *
 * <ul>
 *   <li>The wire: one silo sends its frame by hand, part by part, through every answer a silo can
 *       get (a part acknowledged, the progress asked, a wrong offset, a bad header, a request reset
 *       mid-part, the last part, a part after the end).
 *   <li>The silo client: one silo's connection is cut (a TCP reset) 300 KB into its frame. It
 *       retries as a silo does ({@link TransportRetry}), asks how far the upload got and sends the
 *       rest: the bytes it sent in all stay well below what sending the frame again would cost.
 * </ul>
 *
 * In both, the round must finish with every silo counted exactly once.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ResumableUploadIT {
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3");
  private static final int PARAMETERS = 100_000;
  private static final String MASKED_INPUT = "/v1/silo/rounds/1/masked-input";

  @TempDir Path directory;

  private final List<HttpClient> clients = new ArrayList<>();
  private Vertx vertx;
  private AggregatorServer server;
  private StallingTcpProxy proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    for (HttpClient client : clients) {
      await(client.close());
    }
    if (server != null) {
      await(server.close());
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  /** A started run of one round, and the silos' drivers. */
  private record Federation(
      FederationFixture fixture, OperatorCalls operator, Map<String, SiloDriver> drivers) {}

  private Federation start(String runId) throws Exception {
    FederationFixture fixture = FederationFixture.create(directory);
    server =
        await(AggregatorServer.start(fixture.config("aggregator", "crl.pem", ROSTER, 1 << 20, 16)));
    vertx = Vertx.vertx();
    OperatorCalls operator =
        new OperatorCalls(
            client(fixture, fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1))),
            server::port);
    Map<String, SiloDriver> drivers = new TreeMap<>();
    for (String silo : ROSTER) {
      drivers.put(
          silo,
          new SiloDriver(
              fixture, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)), PARAMETERS));
    }
    operator.create(OperatorCalls.runYaml(runId, ROSTER, 1, PARAMETERS, "60s", "60s", Map.of()));
    operator.change(runId, "start");
    return new Federation(fixture, operator, drivers);
  }

  private HttpClient client(FederationFixture fixture, Party party) {
    HttpClient client = vertx.createHttpClient(fixture.clientOptions(party));
    clients.add(client);
    return client;
  }

  /** A reply's status, the headers the resumable upload uses, and its JSON body if any. */
  private record Answer(int status, String uploadOffset, String uploadComplete, Buffer body) {
    JsonObject error() {
      return body.toJsonObject().getJsonObject("error");
    }

    @Override
    public String toString() {
      return status + " Upload-Offset " + uploadOffset + " " + body;
    }
  }

  private Answer call(
      HttpClient client, HttpMethod method, Map<String, String> headers, Buffer body)
      throws Exception {
    RequestOptions options =
        new RequestOptions()
            .setMethod(method)
            .setHost(FederationFixture.HOST)
            .setPort(server.port())
            .setURI(MASKED_INPUT);
    headers.forEach(options::addHeader);
    Future<Answer> answer =
        client
            .request(options)
            .compose(
                request -> {
                  Future<Answer> reply =
                      request
                          .response()
                          .compose(
                              response ->
                                  response
                                      .body()
                                      .map(
                                          bytes ->
                                              new Answer(
                                                  response.statusCode(),
                                                  response.getHeader(UploadParts.UPLOAD_OFFSET),
                                                  response.getHeader(UploadParts.UPLOAD_COMPLETE),
                                                  bytes)));
                  (body == null ? request.end() : request.end(body))
                      .onFailure(failure -> request.reset(0, failure));
                  return reply;
                });
    return await(answer);
  }

  private static Buffer slice(byte[] frame, int from, int to) {
    return Buffer.buffer(Arrays.copyOfRange(frame, from, to));
  }

  @Test
  void theWire_partsAcknowledged_progressAsked_wrongOffsetCorrected_resetPartResumed()
      throws Exception {
    Federation federation = start("parts");
    SiloDriver handSent = federation.drivers().get("silo-1");
    HttpClient wire = client(federation.fixture(), handSent.party());
    List<String> checked = new ArrayList<>();

    SiloDriver.VectorSender byHand =
        (client, round, bits, words) -> {
          byte[] frame = VectorFrame.encode(round, bits, words);
          // Nothing sent yet: nothing to resume.
          Answer none = call(wire, HttpMethod.HEAD, Map.of(), null);
          assertThat(none.status()).as("HEAD before any part").isEqualTo(404);
          Answer noUpload =
              call(wire, HttpMethod.PATCH, Map.of("Upload-Offset", "0"), slice(frame, 0, 10));
          assertThat(noUpload.status()).isEqualTo(404);
          assertThat(noUpload.error().getString("code")).isEqualTo("UPLOAD_NOT_FOUND");

          // A first part, acknowledged with the bytes taken.
          Answer first =
              call(wire, HttpMethod.PUT, Map.of("Upload-Complete", "?0"), slice(frame, 0, 40_000));
          assertThat(first.status()).as("first part: %s", first).isEqualTo(204);
          assertThat(first.uploadOffset()).isEqualTo("40000");
          Answer progress = call(wire, HttpMethod.HEAD, Map.of(), null);
          assertThat(progress.status()).isEqualTo(204);
          assertThat(progress.uploadOffset()).isEqualTo("40000");
          assertThat(progress.uploadComplete()).isEqualTo("?0");

          // A part at the wrong offset is refused with the right one; bad headers are named.
          Answer wrong =
              call(
                  wire,
                  HttpMethod.PATCH,
                  Map.of("Upload-Offset", "30000", "Upload-Complete", "?0"),
                  slice(frame, 30_000, 40_000));
          assertThat(wrong.status()).isEqualTo(409);
          assertThat(wrong.uploadOffset()).isEqualTo("40000");
          assertThat(wrong.error().getString("code")).isEqualTo("UPLOAD_OFFSET_MISMATCH");
          assertThat(wrong.error().getString("message")).contains("byte 40000", "byte 30000");
          Answer noOffset = call(wire, HttpMethod.PATCH, Map.of(), slice(frame, 40_000, 40_010));
          assertThat(noOffset.status()).isEqualTo(400);
          assertThat(noOffset.error().getString("message")).contains("Upload-Offset");
          Answer badComplete =
              call(
                  wire,
                  HttpMethod.PATCH,
                  Map.of("Upload-Offset", "40000", "Upload-Complete", "yes"),
                  slice(frame, 40_000, 40_010));
          assertThat(badComplete.status()).isEqualTo(400);
          assertThat(badComplete.error().getString("message")).contains("Upload-Complete", "yes");

          // A part whose stream is reset 100 KB in: the bytes that arrived stay.
          resetMidPart(wire, frame, 40_000, 100_000);
          long resumeAt = settledOffset(wire);
          assertThat(resumeAt).isBetween(40_000L, 140_000L);

          // The rest, in one last part.
          Answer last =
              call(
                  wire,
                  HttpMethod.PATCH,
                  Map.of("Upload-Offset", Long.toString(resumeAt)),
                  slice(frame, (int) resumeAt, frame.length));
          assertThat(last.status()).as("last part: %s", last).isEqualTo(202);
          Answer done = call(wire, HttpMethod.HEAD, Map.of(), null);
          assertThat(done.status()).isEqualTo(204);
          assertThat(done.uploadOffset()).isEqualTo(Integer.toString(frame.length));
          assertThat(done.uploadComplete()).isEqualTo("?1");
          Answer again =
              call(
                  wire,
                  HttpMethod.PATCH,
                  Map.of("Upload-Offset", Integer.toString(frame.length)),
                  Buffer.buffer());
          assertThat(again.status()).isEqualTo(409);
          assertThat(again.error().getString("code")).isEqualTo("DUPLICATE_SUBMISSION");
          checked.add("resumed at " + resumeAt + " of " + frame.length);
        };

    playAndCheck(federation, "parts", "silo-1", byHand, handSent.client(server.port()));
    assertThat(checked).hasSize(1);
    System.out.printf("ResumableUploadIT: by hand, %s%n", checked.get(0));
  }

  @Test
  void theSiloClient_connectionCutMidVector_resumesFromTheBytesTheAggregatorHolds()
      throws Exception {
    Federation federation = start("cut");
    proxy = new StallingTcpProxy(server.port());
    AtomicLong frame = new AtomicLong();
    // Polls, keys and shares carry a few KB before the vector: the cut comes 300 KB into it.
    proxy.cutAfter(300_000);
    SiloDriver cut = federation.drivers().get("silo-3");
    // Parts of 64 KiB, so that some were acknowledged before the cut.
    AggregatorClient throughProxy = cut.client(proxy.port(), 64 << 10);
    SiloDriver.VectorSender asASiloDoes =
        (client, round, bits, words) -> {
          frame.set(VectorFrame.frameBytes(bits, words.length()));
          TransportRetry.call(
              "the masked vector",
              retry -> {
                client.sendMaskedVector(round, bits, words, retry);
                return null;
              });
        };

    playAndCheck(federation, "cut", "silo-3", asASiloDoes, throughProxy);

    assertThat(proxy.cuts()).as("connections cut").isEqualTo(1);
    assertThat(proxy.connections()).as("connections the silo opened").isGreaterThanOrEqualTo(2);
    long frameBytes = frame.get();
    // Sent again whole, the frame alone would be 0.3 + 0.4 MB through the relay.
    assertThat(proxy.clientBytes())
        .as("bytes the silo sent through the relay, the frame being %d", frameBytes)
        .isLessThan(frameBytes + frameBytes / 4);
    System.out.printf(
        "ResumableUploadIT: cut at 300000 bytes, %d bytes sent in all for a frame of %d"
            + " (%.3f x), %d connections%n",
        proxy.clientBytes(),
        frameBytes,
        proxy.clientBytes() / (double) frameBytes,
        proxy.connections());
  }

  /**
   * Plays the run's one round with every silo, {@code special} through {@code specialClient} with
   * its masked vector sent by {@code vectors}, and checks the model moved by the average of the
   * three updates.
   */
  private void playAndCheck(
      Federation federation,
      String runId,
      String special,
      SiloDriver.VectorSender vectors,
      AggregatorClient specialClient)
      throws Exception {
    double[] expected = toDoubles(federation.operator().model(runId));
    List<CompletableFuture<SiloDriver.Played>> plays = new ArrayList<>();
    for (var entry : federation.drivers().entrySet()) {
      SiloDriver driver = entry.getValue();
      boolean isSpecial = entry.getKey().equals(special);
      AggregatorClient client = isSpecial ? specialClient : driver.client(server.port());
      plays.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return driver.play(
                      client, 0, SiloDriver.SEND, isSpecial ? vectors : SiloDriver.ONE_ATTEMPT);
                } catch (Exception e) {
                  throw new IllegalStateException(entry.getKey() + " failed", e);
                }
              }));
    }
    List<double[]> updates = new ArrayList<>();
    for (CompletableFuture<SiloDriver.Played> play : plays) {
      SiloDriver.Played played = play.get(150, TimeUnit.SECONDS);
      assertThat(played.ending()).as("%s", played).isEqualTo(SiloDriver.Ending.FINISHED);
      updates.add(played.update());
    }
    JsonObject done = federation.operator().waitForPhase(runId, "COMPLETED");
    assertThat(done.getInteger("roundsFinished")).isEqualTo(1);
    SiloDriver.assertModelClose(
        federation.operator().model(runId),
        SiloDriver.plus(expected, SiloDriver.average(updates)),
        1);
  }

  /** Sends {@code length} bytes of a part declared to run to the frame's end, then resets it. */
  private void resetMidPart(HttpClient wire, byte[] frame, int offset, int length)
      throws Exception {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.PATCH)
            .setHost(FederationFixture.HOST)
            .setPort(server.port())
            .setURI(MASKED_INPUT)
            .addHeader("Upload-Offset", Integer.toString(offset))
            .addHeader("Content-Length", Integer.toString(frame.length - offset));
    var request = await(wire.request(options));
    await(request.write(slice(frame, offset, offset + length)));
    // Let the bytes reach the aggregator before the reset overtakes them.
    Thread.sleep(500);
    await(request.reset(0));
  }

  /** The progress the aggregator reports once the reset part's last writes are done. */
  private long settledOffset(HttpClient wire) throws Exception {
    long previous = -1;
    for (int i = 0; i < 50; i++) {
      Answer progress = call(wire, HttpMethod.HEAD, Map.of(), null);
      assertThat(progress.status()).as("HEAD after the reset: %s", progress).isEqualTo(204);
      long offset = Long.parseLong(progress.uploadOffset());
      if (offset == previous) {
        return offset;
      }
      previous = offset;
      Thread.sleep(100);
    }
    throw new AssertionError("the upload's offset did not settle after the reset");
  }

  private static double[] toDoubles(float[] values) {
    double[] doubles = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      doubles[i] = values[i];
    }
    return doubles;
  }
}
