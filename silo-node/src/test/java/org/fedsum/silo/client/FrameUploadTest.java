package org.fedsum.silo.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLSession;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.VectorFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link FrameUpload} against an in-memory receiver that answers as the aggregator does
 * (docs/API.md, "Resumable uploads"); the aggregator itself is covered by its ResumableUploadIT.
 */
class FrameUploadTest {
  private static final URI MASKED_INPUT =
      URI.create("https://aggregator.test/v1/silo/rounds/7/masked-input");
  private static final Duration TIMEOUT = Duration.ofSeconds(9);
  private static final long ROUND = 7;
  private static final int WORDS = 1000;

  // Parts

  @ParameterizedTest(name = "bits {0}, parts of {1} bytes")
  @CsvSource({"32, 1000", "13, 400", "32, 7", "1, 50"})
  void frame_goesInParts_putThenPatchesAtTheirOffsets_lastOneEndsIt(int bits, int partBytes)
      throws Exception {
    WordVector vector = randomVector(bits);
    byte[] frame = VectorFrame.encode(ROUND, bits, vector);
    Receiver receiver = new Receiver();

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, partBytes, receiver)
            .send(ROUND, bits, vector, false);

    int parts = (frame.length + partBytes - 1) / partBytes;
    assertThat(frame.length % partBytes).as("the last part is short").isNotZero();
    assertThat(receiver.requests).hasSize(parts);
    for (int i = 0; i < parts; i++) {
      Exchanged part = receiver.requests.get(i);
      long start = (long) i * partBytes;
      boolean last = i == parts - 1;
      assertThat(part.method).as("part %d", i).isEqualTo(i == 0 ? "PUT" : "PATCH");
      assertThat(part.uploadOffset)
          .as("part %d", i)
          .isEqualTo(i == 0 ? Optional.empty() : Optional.of(Long.toString(start)));
      assertThat(part.uploadComplete).as("part %d", i).contains(last ? "?1" : "?0");
      assertThat(part.body.length)
          .as("part %d", i)
          .isEqualTo(last ? frame.length - start : partBytes);
      assertThat(part.body)
          .as("part %d", i)
          .isEqualTo(Arrays.copyOfRange(frame, (int) start, (int) start + part.body.length));
      assertThat(part.status).as("part %d", i).isEqualTo(last ? 202 : 204);
      assertThat(part.request.uri()).isEqualTo(MASKED_INPUT);
      assertThat(part.request.timeout()).contains(TIMEOUT);
      assertThat(part.request.headers().firstValue("Content-Type"))
          .contains("application/octet-stream");
    }
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(receiver.complete).isTrue();
    assertThat(reply).containsSame(receiver.requests.get(parts - 1).response);
    assertThat(new String(reply.orElseThrow().body(), UTF_8))
        .isEqualTo("{\"accepted\":true,\"round\":7}");
  }

  @ParameterizedTest(name = "bits {0}, {1} bytes over the frame's size")
  @CsvSource({"32, 0", "32, 1", "13, 0", "13, 5000"})
  void partAtLeastTheFrame_onePut_thatEndsIt(int bits, int extraBytes) throws Exception {
    WordVector vector = randomVector(bits);
    byte[] frame = VectorFrame.encode(ROUND, bits, vector);
    Receiver receiver = new Receiver();

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, frame.length + extraBytes, receiver)
            .send(ROUND, bits, vector, false);

    assertThat(receiver.requests).hasSize(1);
    Exchanged put = receiver.requests.get(0);
    assertThat(put.method).isEqualTo("PUT");
    assertThat(put.uploadOffset).isEmpty();
    assertThat(put.uploadComplete).contains("?1");
    assertThat(put.body).isEqualTo(frame);
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(reply).containsSame(put.response);
    assertThat(reply.orElseThrow().statusCode()).isEqualTo(202);
  }

  // Resuming

  @ParameterizedTest(name = "bits {0}, {1} bytes held")
  @CsvSource({
    "32, 1003", // in the body, mid-word (1003 - 52 = 951 = 4 * 237 + 3)
    "32, 30", // in the 52-byte header
    "32, 52", // the header whole, no word
    "13, 777",
    "13, 1",
    "32, 4051" // all but the last byte
  })
  void resume_asksHowFarItGot_thenSendsOnlyTheRest(int bits, int held) throws Exception {
    WordVector vector = randomVector(bits);
    byte[] frame = VectorFrame.encode(ROUND, bits, vector);
    assertThat(held).isLessThan(frame.length);
    Receiver receiver = new Receiver();
    receiver.hold(Arrays.copyOf(frame, held));

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 300, receiver).send(ROUND, bits, vector, true);

    assertThat(receiver.requests.get(0).method).isEqualTo("HEAD");
    assertThat(receiver.requests.get(0).status).isEqualTo(204);
    Exchanged first = receiver.requests.get(1);
    assertThat(first.method).isEqualTo("PATCH");
    assertThat(first.uploadOffset).contains(Integer.toString(held));
    assertThat(first.body).isEqualTo(Arrays.copyOfRange(frame, held, held + first.body.length));
    assertThat(receiver.requests.subList(1, receiver.requests.size()))
        .extracting(exchanged -> exchanged.method)
        .containsOnly("PATCH");
    assertThat(receiver.bodyBytesSent()).isEqualTo(frame.length - held);
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(reply).containsSame(receiver.lastResponse());
    assertThat(reply.orElseThrow().statusCode()).isEqualTo(202);
  }

  @Test
  void resume_receiverHasTheWholeFrame_sendsNothing_returnsEmpty() throws Exception {
    WordVector vector = randomVector(32);
    byte[] frame = VectorFrame.encode(ROUND, 32, vector);
    Receiver receiver = new Receiver();
    receiver.hold(frame);
    receiver.complete = true;

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 32, vector, true);

    assertThat(reply).isEmpty();
    assertThat(receiver.requests).extracting(exchanged -> exchanged.method).containsExactly("HEAD");
    assertThat(receiver.requests.get(0).request.uri()).isEqualTo(MASKED_INPUT);
    assertThat(receiver.requests.get(0).request.timeout()).contains(TIMEOUT);
    assertThat(receiver.held()).isEqualTo(frame);
  }

  /**
   * Every byte arrived but not the end of the last part (a request broken after its last byte): the
   * frame is finished by an empty last part at its end, not sent again, and not left hanging.
   */
  @Test
  void resume_receiverHasEveryByteButNotTheEnd_finishesWithAnEmptyLastPart() throws Exception {
    WordVector vector = randomVector(13);
    byte[] frame = VectorFrame.encode(ROUND, 13, vector);
    Receiver receiver = new Receiver();
    receiver.hold(frame);

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 13, vector, true);

    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("HEAD", "PATCH");
    Exchanged end = receiver.requests.get(1);
    assertThat(end.uploadOffset).contains(Integer.toString(frame.length));
    assertThat(end.uploadComplete).contains("?1");
    assertThat(end.body).isEmpty();
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(receiver.complete).isTrue();
    assertThat(reply).containsSame(end.response);
  }

  @Test
  void resume_nothingToResume_startsOverWithPutFromByteZero() throws Exception {
    WordVector vector = randomVector(32);
    byte[] frame = VectorFrame.encode(ROUND, 32, vector);
    Receiver receiver = new Receiver();

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1500, receiver).send(ROUND, 32, vector, true);

    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("HEAD", "PUT", "PATCH", "PATCH");
    assertThat(receiver.requests.get(0).status).isEqualTo(404);
    assertThat(receiver.requests.get(1).uploadOffset).isEmpty();
    assertThat(receiver.requests.get(1).body).isEqualTo(Arrays.copyOf(frame, 1500));
    assertThat(receiver.bodyBytesSent()).isEqualTo(frame.length);
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(reply).containsSame(receiver.lastResponse());
  }

  // Corrections

  @ParameterizedTest(name = "{0} bytes held at HEAD, {1} more landing before the PATCH")
  @CsvSource({"1003, 250", "30, 31", "30, 1", "1003, 3049"})
  void lateWriteAfterHead_patchRefusedWithTheOffsetHeld_goesOnFromThere(int held, int late)
      throws Exception {
    WordVector vector = randomVector(32);
    byte[] frame = VectorFrame.encode(ROUND, 32, vector);
    Receiver receiver = new Receiver();
    receiver.hold(Arrays.copyOf(frame, held));
    receiver.lateWrite = Arrays.copyOfRange(frame, held, held + late);

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 32, vector, true);

    Exchanged refused = receiver.requests.get(1);
    assertThat(refused.method).isEqualTo("PATCH");
    assertThat(refused.uploadOffset).contains(Integer.toString(held));
    assertThat(refused.status).isEqualTo(409);
    Exchanged corrected = receiver.requests.get(2);
    assertThat(corrected.method).isEqualTo("PATCH");
    assertThat(corrected.uploadOffset).contains(Integer.toString(held + late));
    assertThat(corrected.body)
        .isEqualTo(Arrays.copyOfRange(frame, held + late, held + late + corrected.body.length));
    assertThat(receiver.requests.subList(2, receiver.requests.size()))
        .extracting(exchanged -> exchanged.status)
        .doesNotContain(409);
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(reply).containsSame(receiver.lastResponse());
    assertThat(reply.orElseThrow().statusCode()).isEqualTo(202);
  }

  @Test
  void uploadReplacedBeforeAResumedPart_patchAnswered404_startsOverFromByteZero() throws Exception {
    WordVector vector = randomVector(32);
    byte[] frame = VectorFrame.encode(ROUND, 32, vector);
    Receiver receiver = new Receiver();
    receiver.hold(Arrays.copyOf(frame, 2001));
    receiver.dropBeforeNextPatch = true;

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1500, receiver).send(ROUND, 32, vector, true);

    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("HEAD", "PATCH", "PUT", "PATCH", "PATCH");
    assertThat(receiver.requests.get(1).status).isEqualTo(404);
    assertThat(receiver.requests.get(2).uploadOffset).isEmpty();
    assertThat(receiver.requests.get(2).body).isEqualTo(Arrays.copyOf(frame, 1500));
    assertThat(receiver.requests.get(3).uploadOffset).contains("1500");
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(reply).containsSame(receiver.lastResponse());
  }

  @Test
  void uploadReplacedBetweenParts_patchAnswered404_startsOverFromByteZero() throws Exception {
    WordVector vector = randomVector(13);
    byte[] frame = VectorFrame.encode(ROUND, 13, vector);
    Receiver receiver = new Receiver();
    receiver.dropAfterPut = 1;

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 13, vector, false);

    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("PUT", "PATCH", "PUT", "PATCH");
    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.status)
        .containsExactly(204, 404, 204, 202);
    assertThat(receiver.requests.get(3).uploadOffset).contains("1000");
    assertThat(receiver.held()).isEqualTo(frame);
    assertThat(reply).containsSame(receiver.lastResponse());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void offsetMismatchForever_givenUpAfterThreeCorrections_withTheRefusal() throws Exception {
    WordVector vector = randomVector(32);
    byte[] frame = VectorFrame.encode(ROUND, 32, vector);
    Receiver receiver = new Receiver();
    receiver.hold(Arrays.copyOf(frame, 100));
    long[] moving = {100};
    receiver.patchAnswer =
        request -> {
          moving[0] += 7;
          return response(
              request,
              409,
              Map.of(FrameUpload.UPLOAD_OFFSET, List.of(Long.toString(moving[0]))),
              "{\"code\":\"UPLOAD_OFFSET_MISMATCH\"}");
        };

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 32, vector, true);

    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("HEAD", "PATCH", "PATCH", "PATCH", "PATCH");
    assertThat(receiver.requests.subList(1, 5))
        .extracting(exchanged -> exchanged.uploadOffset.orElseThrow())
        .containsExactly("100", "107", "114", "121");
    assertThat(reply).containsSame(receiver.lastResponse());
    assertThat(reply.orElseThrow().statusCode()).isEqualTo(409);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void uploadNotFoundForever_givenUpAfterThreeCorrections_withTheRefusal() throws Exception {
    WordVector vector = randomVector(32);
    Receiver receiver = new Receiver();
    receiver.patchAnswer =
        request -> response(request, 404, Map.of(), "{\"code\":\"UPLOAD_NOT_FOUND\"}");

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 32, vector, false);

    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("PUT", "PATCH", "PUT", "PATCH", "PUT", "PATCH", "PUT", "PATCH");
    assertThat(reply).containsSame(receiver.lastResponse());
    assertThat(reply.orElseThrow().statusCode()).isEqualTo(404);
  }

  @Test
  void offsetMismatchOnAPut_isTheAnswer_notCorrected() throws Exception {
    WordVector vector = randomVector(32);
    Receiver receiver = new Receiver();
    receiver.putAnswer =
        request ->
            response(
                request,
                409,
                Map.of(FrameUpload.UPLOAD_OFFSET, List.of("52")),
                "{\"code\":\"UPLOAD_OFFSET_MISMATCH\"}");

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 32, vector, false);

    assertThat(receiver.requests).extracting(exchanged -> exchanged.method).containsExactly("PUT");
    assertThat(reply).containsSame(receiver.lastResponse());
  }

  // Acknowledgements that do not advance

  @ParameterizedTest(name = "acknowledged at {0}")
  @ValueSource(strings = {"0", "-1", "", "4053", "9999"})
  void firstPartAcknowledgedWithoutAdvancing_failsNamingTheOffset(String acknowledged) {
    WordVector vector = randomVector(32);
    assertThat(VectorFrame.frameBytes(32, WORDS)).isEqualTo(4052);
    Receiver receiver = new Receiver();
    receiver.putAnswer =
        request ->
            response(
                request,
                204,
                acknowledged.isEmpty()
                    ? Map.of()
                    : Map.of(FrameUpload.UPLOAD_OFFSET, List.of(acknowledged)),
                "");
    FrameUpload upload = new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver);

    assertThatThrownBy(() -> upload.send(ROUND, 32, vector, false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("at byte " + (acknowledged.isEmpty() ? "(none)" : acknowledged))
        .hasMessageContaining("1..4052");
    assertThat(receiver.requests).hasSize(1);
  }

  @ParameterizedTest(name = "acknowledged at {0}")
  @ValueSource(longs = {1000, 999, 4053})
  void laterPartAcknowledgedWithoutAdvancing_failsNamingTheOffset(long acknowledged) {
    WordVector vector = randomVector(32);
    Receiver receiver = new Receiver();
    receiver.patchAnswer =
        request ->
            response(
                request,
                204,
                Map.of(FrameUpload.UPLOAD_OFFSET, List.of(Long.toString(acknowledged))),
                "");
    FrameUpload upload = new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver);

    assertThatThrownBy(() -> upload.send(ROUND, 32, vector, false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("at byte " + acknowledged)
        .hasMessageContaining("1001..4052");
    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("PUT", "PATCH");
  }

  // Refusals

  @Test
  void refusalOfTheFirstPart_isTheReply_notRetried() throws Exception {
    WordVector vector = randomVector(32);
    Receiver receiver = new Receiver();
    String error = "{\"code\":\"VECTOR_LENGTH_MISMATCH\",\"message\":\"1000 words, not 500\"}";
    receiver.putAnswer =
        request ->
            response(request, 422, Map.of("Content-Type", List.of("application/json")), error);

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 32, vector, false);

    assertThat(receiver.requests).hasSize(1);
    assertThat(reply).containsSame(receiver.lastResponse());
    assertThat(reply.orElseThrow().statusCode()).isEqualTo(422);
    assertThat(new String(reply.orElseThrow().body(), UTF_8)).isEqualTo(error);
  }

  @Test
  void refusalOfALaterPart_isTheReply_notRetried() throws Exception {
    WordVector vector = randomVector(32);
    Receiver receiver = new Receiver();
    receiver.patchAnswer =
        request -> response(request, 409, Map.of(), "{\"code\":\"DUPLICATE_SUBMISSION\"}");

    Optional<HttpResponse<byte[]>> reply =
        new FrameUpload(MASKED_INPUT, TIMEOUT, 1000, receiver).send(ROUND, 32, vector, false);

    assertThat(receiver.requests)
        .extracting(exchanged -> exchanged.method)
        .containsExactly("PUT", "PATCH");
    assertThat(reply).containsSame(receiver.lastResponse());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void partOfLessThanOneByte_refusedNamingTheSize(int partBytes) {
    assertThatThrownBy(() -> new FrameUpload(MASKED_INPUT, TIMEOUT, partBytes, new Receiver()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith("not " + partBytes);
  }

  private static WordVector randomVector(int bits) {
    SplittableRandom random = new SplittableRandom(bits * 31L + WORDS);
    int[] words = new int[WORDS];
    for (int i = 0; i < words.length; i++) {
      words[i] = bits == 32 ? random.nextInt() : random.nextInt(1 << bits);
    }
    return WordVector.wrap(words);
  }

  /** One request as the receiver saw it, and its answer. */
  private static final class Exchanged {
    final HttpRequest request;
    final String method;
    final Optional<String> uploadOffset;
    final Optional<String> uploadComplete;
    final byte[] body;
    HttpResponse<byte[]> response;
    int status;

    Exchanged(HttpRequest request, byte[] body) {
      this.request = request;
      this.method = request.method();
      this.uploadOffset = request.headers().firstValue(FrameUpload.UPLOAD_OFFSET);
      this.uploadComplete = request.headers().firstValue(FrameUpload.UPLOAD_COMPLETE);
      this.body = body;
    }
  }

  /**
   * The aggregator's side of an upload, in memory: {@code PUT} starts over from byte 0, {@code
   * PATCH} goes on at the bytes held ({@code 409} with them at another offset, {@code 404} with
   * none), a part with more to follow is acknowledged {@code 204} with the bytes held, the last
   * answered {@code 202}; {@code HEAD} tells the bytes held and whether the frame is complete.
   */
  private static final class Receiver implements FrameUpload.Exchange {
    final List<Exchanged> requests = new ArrayList<>();
    private ByteArrayOutputStream held;
    boolean complete;

    /** Bytes of a broken attempt that land after the {@code HEAD}, before the next PATCH. */
    byte[] lateWrite;

    /** Whether a newer upload replaces this one before the next PATCH. */
    boolean dropBeforeNextPatch;

    /** How many times the upload is replaced right after a {@code PUT}. */
    int dropAfterPut;

    /** Answers instead of the model's, if set. */
    Function<HttpRequest, HttpResponse<byte[]>> putAnswer;

    Function<HttpRequest, HttpResponse<byte[]>> patchAnswer;

    void hold(byte[] bytes) {
      held = new ByteArrayOutputStream();
      held.writeBytes(bytes);
    }

    byte[] held() {
      return held == null ? null : held.toByteArray();
    }

    long bodyBytesSent() {
      return requests.stream().mapToLong(exchanged -> exchanged.body.length).sum();
    }

    HttpResponse<byte[]> lastResponse() {
      return requests.get(requests.size() - 1).response;
    }

    @Override
    public HttpResponse<byte[]> send(HttpRequest request) throws IOException {
      Exchanged exchanged = new Exchanged(request, body(request));
      requests.add(exchanged);
      exchanged.response = answer(request, exchanged);
      exchanged.status = exchanged.response.statusCode();
      return exchanged.response;
    }

    private HttpResponse<byte[]> answer(HttpRequest request, Exchanged exchanged) {
      return switch (exchanged.method) {
        case "HEAD" -> progress(request, exchanged);
        case "PUT" -> startOver(request, exchanged);
        case "PATCH" -> goOn(request, exchanged);
        default -> throw new AssertionError("unexpected method " + exchanged.method);
      };
    }

    private HttpResponse<byte[]> progress(HttpRequest request, Exchanged exchanged) {
      assertThat(exchanged.body).isEmpty();
      if (held == null) {
        return response(request, 404, Map.of(), "");
      }
      return response(
          request,
          204,
          Map.of(
              FrameUpload.UPLOAD_OFFSET,
              List.of(Integer.toString(held.size())),
              FrameUpload.UPLOAD_COMPLETE,
              List.of(complete ? "?1" : "?0")),
          "");
    }

    private HttpResponse<byte[]> startOver(HttpRequest request, Exchanged exchanged) {
      if (putAnswer != null) {
        return putAnswer.apply(request);
      }
      assertThat(exchanged.uploadOffset).as("a PUT's Upload-Offset").isEmpty();
      held = new ByteArrayOutputStream();
      complete = false;
      HttpResponse<byte[]> reply = take(request, exchanged);
      if (dropAfterPut > 0) {
        dropAfterPut--;
        held = null;
      }
      return reply;
    }

    private HttpResponse<byte[]> goOn(HttpRequest request, Exchanged exchanged) {
      if (patchAnswer != null) {
        return patchAnswer.apply(request);
      }
      if (dropBeforeNextPatch) {
        dropBeforeNextPatch = false;
        held = null;
      }
      if (lateWrite != null && held != null) {
        held.writeBytes(lateWrite);
        lateWrite = null;
      }
      if (held == null) {
        return response(request, 404, Map.of(), "{\"code\":\"UPLOAD_NOT_FOUND\"}");
      }
      if (complete) {
        return response(request, 409, Map.of(), "{\"code\":\"DUPLICATE_SUBMISSION\"}");
      }
      long offset = Long.parseLong(exchanged.uploadOffset.orElseThrow());
      if (offset != held.size()) {
        return response(
            request,
            409,
            Map.of(FrameUpload.UPLOAD_OFFSET, List.of(Integer.toString(held.size()))),
            "{\"code\":\"UPLOAD_OFFSET_MISMATCH\"}");
      }
      return take(request, exchanged);
    }

    private HttpResponse<byte[]> take(HttpRequest request, Exchanged exchanged) {
      held.writeBytes(exchanged.body);
      if (exchanged.uploadComplete.orElse("?1").equals("?0")) {
        return response(
            request,
            204,
            Map.of(FrameUpload.UPLOAD_OFFSET, List.of(Integer.toString(held.size()))),
            "");
      }
      complete = true;
      return response(
          request,
          202,
          Map.of("Content-Type", List.of("application/json")),
          "{\"accepted\":true,\"round\":" + ROUND + "}");
    }
  }

  /** A request's body, read as a connection would, checked against its declared length. */
  private static byte[] body(HttpRequest request) throws IOException {
    HttpRequest.BodyPublisher publisher = request.bodyPublisher().orElseThrow();
    CompletableFuture<byte[]> read = new CompletableFuture<>();
    publisher.subscribe(
        new Flow.Subscriber<ByteBuffer>() {
          private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(ByteBuffer item) {
            byte[] chunk = new byte[item.remaining()];
            item.get(chunk);
            bytes.writeBytes(chunk);
          }

          @Override
          public void onError(Throwable throwable) {
            read.completeExceptionally(throwable);
          }

          @Override
          public void onComplete() {
            read.complete(bytes.toByteArray());
          }
        });
    byte[] body;
    try {
      body = read.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("reading the request body failed", e);
    }
    assertThat((long) body.length)
        .as("the body's length against its declared content length")
        .isEqualTo(publisher.contentLength());
    return body;
  }

  private static HttpResponse<byte[]> response(
      HttpRequest request, int status, Map<String, List<String>> headers, String body) {
    return new FakeResponse(request, status, headers, body.getBytes(UTF_8));
  }

  private static final class FakeResponse implements HttpResponse<byte[]> {
    private final HttpRequest request;
    private final int status;
    private final HttpHeaders headers;
    private final byte[] body;

    FakeResponse(HttpRequest request, int status, Map<String, List<String>> headers, byte[] body) {
      this.request = request;
      this.status = status;
      this.headers = HttpHeaders.of(new TreeMap<>(headers), (name, value) -> true);
      this.body = body;
    }

    @Override
    public int statusCode() {
      return status;
    }

    @Override
    public HttpRequest request() {
      return request;
    }

    @Override
    public Optional<HttpResponse<byte[]>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
      return headers;
    }

    @Override
    public byte[] body() {
      return body;
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }

    @Override
    public URI uri() {
      return request.uri();
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
