package org.fedsum.cli.bench.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.fedsum.protocol.WordVector;
import org.fedsum.silo.client.FrameUpload;

/**
 * A silo's side of {@link PlainSumRoutes}, built like {@code
 * org.fedsum.silo.client.AggregatorClient} (the JDK's HTTP/2 client, TLS 1.3 with the silo's
 * certificate, host-name check on) and streaming its frame the same way (in parts, {@link
 * FrameUpload}, each an input stream that packs the words as the connection takes them), so that
 * the plain round differs from the secure one only by what secure aggregation adds.
 */
final class PlainSiloClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;

  PlainSiloClient(URI base, SSLContext tls) {
    SSLParameters parameters = new SSLParameters();
    parameters.setProtocols(new String[] {"TLSv1.3"});
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    this.base = base;
    this.http =
        HttpClient.newBuilder()
            .sslContext(tls)
            .sslParameters(parameters)
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_2)
            .build();
  }

  /** The open plain round, or -1. */
  long openRound() throws IOException, InterruptedException {
    HttpResponse<byte[]> reply =
        http.send(
            HttpRequest.newBuilder(base.resolve("/bench/plain/task"))
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    JsonNode body = JSON.readTree(check(reply));
    return body.path("round").asLong(-1);
  }

  /**
   * Streams {@code vector} as round {@code round}'s plain vector, packed at {@code bits} bits, in
   * the parts a silo's masked vector goes in ({@link FrameUpload}).
   */
  void sendVector(long round, int bits, WordVector vector)
      throws IOException, InterruptedException {
    FrameUpload upload =
        new FrameUpload(
            base.resolve("/bench/plain/rounds/" + round + "/vector"),
            Duration.ofSeconds(60),
            FrameUpload.DEFAULT_PART_BYTES,
            request -> http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
    check(upload.send(round, bits, vector, false).orElseThrow());
  }

  private static byte[] check(HttpResponse<byte[]> reply) throws IOException {
    if (reply.statusCode() / 100 != 2) {
      throw new IOException(
          "plain harness refused: HTTP "
              + reply.statusCode()
              + " "
              + new String(reply.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return reply.body();
  }
}
