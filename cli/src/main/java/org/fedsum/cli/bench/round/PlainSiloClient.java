package org.fedsum.cli.bench.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.VectorFrame;

/**
 * A silo's side of {@link PlainSumRoutes}, built like {@code
 * org.fedsum.silo.client.AggregatorClient} (the JDK's HTTP/2 client, TLS 1.3 with the silo's
 * certificate, host-name check on) and streaming its frame the same way (an input stream that
 * encodes the words as the connection takes them), so that the plain round differs from the secure
 * one only by what secure aggregation adds.
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

  /** Streams {@code vector} as round {@code round}'s plain vector. */
  void sendVector(long round, int bits, WordVector vector)
      throws IOException, InterruptedException {
    int[] words = vector.words();
    byte[] header =
        VectorFrame.encodeHeader(
            new VectorFrame.Header(bits, round, words.length, vector.sha256()));
    long length = header.length + 4L * words.length;
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("/bench/plain/rounds/" + round + "/vector"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/octet-stream")
            .PUT(
                HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new FrameStream(header, words)),
                    length))
            .build();
    check(http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
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

  /** As the silo client's frame stream: header, then the words encoded 64 KiB at a time. */
  private static final class FrameStream extends InputStream {
    private final byte[] header;
    private final int[] words;
    private final ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private int headerPosition;
    private int nextWord;

    FrameStream(byte[] header, int[] words) {
      this.header = header;
      this.words = words;
      chunk.limit(0);
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      if (headerPosition < header.length) {
        int count = Math.min(length, header.length - headerPosition);
        System.arraycopy(header, headerPosition, buffer, offset, count);
        headerPosition += count;
        return count;
      }
      if (!chunk.hasRemaining()) {
        if (nextWord == words.length) {
          return -1;
        }
        chunk.clear();
        int count = Math.min(chunk.capacity() / 4, words.length - nextWord);
        chunk.asIntBuffer().put(words, nextWord, count);
        chunk.limit(4 * count);
        nextWord += count;
      }
      int count = Math.min(length, chunk.remaining());
      chunk.get(buffer, offset, count);
      return count;
    }
  }
}
