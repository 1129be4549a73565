package org.fedsum.silo.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.fedsum.protocol.codec.RoundConfigCodec;
import org.fedsum.protocol.codec.VectorFrame;

/**
 * The silo's side of the aggregator API (docs/API.md): outbound HTTPS only, TLS 1.3 with the silo's
 * certificate, the aggregator's certificate checked against the federation CA, its host name and
 * its role (see {@link org.fedsum.crypto.MutualTls}). Blocking calls; safe for concurrent use.
 *
 * <p>Every refusal arrives as an {@link AggregatorRefusal} with the aggregator's error code; a
 * transport failure as an {@link IOException}.
 */
public final class AggregatorClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_JSON_REPLY_BYTES = 64 << 20;

  private final URI base;
  private final SSLContext tls;
  private final Duration requestTimeout;
  private final int uploadPartBytes;

  /**
   * Replaced after a request times out: the JDK client keeps an HTTP/2 connection whose stream
   * timed out and sends the next request on it, and a connection that stalled (a middlebox that
   * stopped carrying bytes without closing it) would then swallow every retry. A new client opens a
   * new connection; the old one's connections close when it is collected.
   */
  private volatile HttpClient http;

  private AggregatorClient(URI base, SSLContext tls, Duration requestTimeout, int uploadPartBytes) {
    this.base = base;
    this.tls = tls;
    this.requestTimeout = requestTimeout;
    this.uploadPartBytes = uploadPartBytes;
    this.http = newHttpClient(tls);
  }

  /**
   * A client of the aggregator at {@code base} (e.g. {@code https://aggregator.example:8443}) that
   * uploads masked vectors in parts of {@link FrameUpload#DEFAULT_PART_BYTES}.
   *
   * @param tls a client context from {@link org.fedsum.crypto.MutualTls#clientContext}
   * @param requestTimeout how long one request (other than a long poll's wait) may take
   */
  public static AggregatorClient create(URI base, SSLContext tls, Duration requestTimeout) {
    return create(base, tls, requestTimeout, FrameUpload.DEFAULT_PART_BYTES);
  }

  /**
   * As {@link #create(URI, SSLContext, Duration)}, with masked vectors uploaded in parts of {@code
   * uploadPartBytes} (each part one request, acknowledged before the next is sent).
   */
  public static AggregatorClient create(
      URI base, SSLContext tls, Duration requestTimeout, int uploadPartBytes) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (!"https".equals(base.getScheme())) {
      throw new IllegalArgumentException("the aggregator URI must be https, not " + base);
    }
    if (uploadPartBytes < 1) {
      throw new IllegalArgumentException(
          "an upload part has at least 1 byte, not " + uploadPartBytes);
    }
    return new AggregatorClient(base, tls, requestTimeout, uploadPartBytes);
  }

  /** The size of the parts a masked vector is uploaded in; the last part may be shorter. */
  public int uploadPartBytes() {
    return uploadPartBytes;
  }

  private static HttpClient newHttpClient(SSLContext tls) {
    SSLParameters parameters = new SSLParameters();
    parameters.setProtocols(new String[] {"TLSv1.3"});
    // Host-name verification stays on: the JDK checks the aggregator's certificate names the host.
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    return HttpClient.newBuilder()
        .sslContext(tls)
        .sslParameters(parameters)
        .connectTimeout(CONNECT_TIMEOUT)
        .version(HttpClient.Version.HTTP_2)
        .build();
  }

  /**
   * Sends {@code request} on the current client, and drops that client if the request timed out.
   */
  private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    return exchange(http, request, handler);
  }

  private <T> HttpResponse<T> exchange(
      HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    try {
      return client.send(request, handler);
    } catch (HttpTimeoutException e) {
      replace(client);
      throw e;
    }
  }

  /** Drops {@code client} (if still current) for a new one, which opens new connections. */
  private synchronized void replace(HttpClient client) {
    if (http == client) {
      http = newHttpClient(tls);
    }
  }

  /**
   * Long-polls for the silo's task: returns at once if the aggregator has something new for the
   * silo past cursor {@code after} of round {@code round} (or another round), else after about
   * {@code wait}.
   *
   * @param round the round the silo is in, or -1 if none
   */
  public SiloTask pollTask(long round, int after, Duration wait)
      throws IOException, InterruptedException, AggregatorRefusal {
    String query = "?round=" + round + "&after=" + after + "&waitMillis=" + wait.toMillis();
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("/v1/silo/task" + query))
            .timeout(requestTimeout.plus(wait))
            .GET()
            .build();
    JsonNode body = json(send(request));
    try {
      List<AggregatorMessage> messages = new ArrayList<>();
      for (JsonNode message : body.path("messages")) {
        messages.add(JsonMessageCodec.decodeAggregatorMessage(JSON.writeValueAsBytes(message)));
      }
      JsonNode roundNode = body.path("round");
      Optional<RoundConfig> config =
          roundNode.isObject()
              ? Optional.of(RoundConfigCodec.fromJson(roundNode))
              : Optional.empty();
      return new SiloTask(
          text(body, "runId"),
          body.path("runOver").asBoolean(false),
          config,
          body.path("plan").isObject() ? Optional.of(body.get("plan")) : Optional.empty(),
          text(body, "modelSha256"),
          messages,
          body.path("next").asInt(0));
    } catch (ProtocolException e) {
      throw new IOException(
          "the aggregator sent a task this silo cannot read: " + e.getMessage(), e);
    }
  }

  /** Sends one control message (JSON). */
  public void send(SiloMessage message)
      throws IOException, InterruptedException, AggregatorRefusal {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("/v1/silo/messages"))
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(JsonMessageCodec.encode(message)))
            .build();
    json(send(request));
  }

  /**
   * Tells the aggregator that this silo refuses {@code round} (before advertising keys), so that
   * the round's first stage need not wait for it until its deadline.
   *
   * @param reason why, in words fit for the aggregator's journal (the silo's refusal reason)
   */
  public void decline(long round, String reason)
      throws IOException, InterruptedException, AggregatorRefusal {
    ObjectNode body = JSON.createObjectNode();
    body.put("round", round);
    body.put("reason", reason);
    postJson("/v1/silo/declines", body);
  }

  private void postJson(String path, ObjectNode body)
      throws IOException, InterruptedException, AggregatorRefusal {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
            .build();
    json(send(request));
  }

  /**
   * Reports this silo's held-out figures for the starting model of {@code round} (only for a silo
   * that shares its metrics): aggregate numbers, never a per-record value.
   *
   * @param figures named finite numbers, e.g. {@code loss} and {@code accuracy}
   */
  public void sendMetrics(long round, long examples, Map<String, Double> figures)
      throws IOException, InterruptedException, AggregatorRefusal {
    ObjectNode body = JSON.createObjectNode();
    body.put("round", round);
    body.put("examples", examples);
    ObjectNode values = body.putObject("metrics");
    figures.forEach(values::put);
    postJson("/v1/silo/metrics", body);
  }

  /**
   * Streams the masked vector of {@code round} as a binary frame ({@link VectorFrame}): the header
   * (with the words' SHA-256) then the words packed at {@code bits} bits each, produced as the
   * connection takes them, in parts ({@link FrameUpload}).
   *
   * @param resume whether an earlier call for this vector failed in transport: the upload goes on
   *     from the bytes the aggregator holds, or is done if it holds them all
   */
  public void sendMaskedVector(long round, int bits, WordVector vector, boolean resume)
      throws IOException, InterruptedException, AggregatorRefusal {
    FrameUpload upload =
        new FrameUpload(
            base.resolve("/v1/silo/rounds/" + round + "/masked-input"),
            requestTimeout,
            uploadPartBytes,
            this::send);
    Optional<HttpResponse<byte[]>> reply = upload.send(round, bits, vector, resume);
    if (reply.isPresent()) {
      json(reply.get());
    }
  }

  /**
   * Downloads the global model and checks its SHA-256 against the reply's header and, if given,
   * against {@code expectedSha256} (the round's announced hash).
   *
   * <p>The request timeout bounds the wait for the reply's headers and, once the body streams,
   * every wait for its next bytes: a body that stalls fails the download (an {@link
   * HttpTimeoutException}) and the next download opens a new connection.
   *
   * @throws IOException if the model is truncated, stalls, or its hash does not match
   */
  public GlobalModelDownload downloadModel(Optional<String> expectedSha256)
      throws IOException, InterruptedException, AggregatorRefusal {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("/v1/silo/model"))
            .timeout(requestTimeout)
            .GET()
            .build();
    HttpClient client = http;
    HttpResponse<InputStream> response =
        exchange(client, request, StallBoundedBody.handler("the model download", requestTimeout));
    if (response.statusCode() != 200) {
      byte[] body;
      try (InputStream in = response.body()) {
        body = in.readNBytes(MAX_JSON_REPLY_BYTES);
      }
      throw refusal(response.statusCode(), body);
    }
    String announced = response.headers().firstValue("X-FedSum-Model-Sha256").orElse("");
    int rounds =
        Integer.parseInt(response.headers().firstValue("X-FedSum-Rounds-Finished").orElse("0"));
    long bytes = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (bytes < 0 || bytes % 4 != 0 || bytes / 4 > Integer.MAX_VALUE) {
      throw new IOException("the model download has no usable Content-Length: " + bytes);
    }
    float[] values = new float[(int) (bytes / 4)];
    MessageDigest digest = sha256();
    try (InputStream in = new DigestInputStream(response.body(), digest)) {
      byte[] chunk = new byte[1 << 16];
      ByteBuffer pending = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      int index = 0;
      int read;
      while ((read = in.read(chunk)) > 0) {
        for (int i = 0; i < read; i++) {
          pending.put(chunk[i]);
          if (!pending.hasRemaining()) {
            if (index == values.length) {
              throw new IOException("the model download is longer than its Content-Length");
            }
            values[index++] = pending.getFloat(0);
            pending.clear();
          }
        }
      }
      if (index != values.length || pending.position() != 0) {
        throw new IOException(
            "the model download is truncated: " + index + " of " + values.length + " values");
      }
    } catch (HttpTimeoutException stalled) {
      // The body stopped coming on a connection that stays open: the retry needs a new one (an
      // HTTP/2 client would otherwise send it on the same, stalled connection).
      replace(client);
      throw stalled;
    }
    String hash = HexFormat.of().formatHex(digest.digest());
    if (!MessageDigest.isEqual(
        hash.getBytes(StandardCharsets.US_ASCII), announced.getBytes(StandardCharsets.US_ASCII))) {
      throw new IOException(
          "the downloaded model has SHA-256 " + hash + ", the reply announced " + announced);
    }
    if (expectedSha256.isPresent()
        && !MessageDigest.isEqual(
            hash.getBytes(StandardCharsets.US_ASCII),
            expectedSha256.get().getBytes(StandardCharsets.US_ASCII))) {
      throw new IOException(
          "the downloaded model has SHA-256 "
              + hash
              + ", the round announced "
              + expectedSha256.get());
    }
    return new GlobalModelDownload(values, hash, rounds);
  }

  @Override
  public void close() {
    // java.net.http.HttpClient gained close() in JDK 21; on 17 its threads end when unreachable.
  }

  private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
    return exchange(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  private static JsonNode json(HttpResponse<byte[]> response)
      throws IOException, AggregatorRefusal {
    if (response.statusCode() / 100 != 2) {
      throw refusal(response.statusCode(), response.body());
    }
    return JSON.readTree(response.body());
  }

  private static AggregatorRefusal refusal(int status, byte[] body) {
    try {
      JsonNode error = JSON.readTree(body).path("error");
      if (error.isObject()) {
        return new AggregatorRefusal(
            status,
            error.path("code").asText("UNKNOWN"),
            error.path("message").asText(""),
            error.path("round").isIntegralNumber() ? error.path("round").asLong() : null,
            error.path("retryable").asBoolean(false));
      }
    } catch (IOException e) {
      // Not the documented error body: reported below.
    }
    return new AggregatorRefusal(status, "UNEXPECTED_REPLY", "HTTP " + status, null, status >= 500);
  }

  private static Optional<String> text(JsonNode body, String field) {
    JsonNode value = body.path(field);
    return value.isTextual() ? Optional.of(value.textValue()) : Optional.empty();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing", e);
    }
  }
}
