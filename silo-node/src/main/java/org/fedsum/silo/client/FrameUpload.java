package org.fedsum.silo.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.VectorFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a masked vector's frame ({@link VectorFrame}) in parts, and resumes an upload that broke
 * off from the bytes the receiver holds instead of sending it all again (docs/API.md, "Resumable
 * uploads"; the header names follow the IETF draft "Resumable Uploads for HTTP").
 *
 * <ul>
 *   <li>The first part is a {@code PUT} from byte 0; each next one a {@code PATCH} with {@code
 *       Upload-Offset}, the byte it starts at. Every part but the last says {@code Upload-Complete:
 *       ?0} and is answered {@code 204} with the bytes the receiver has written: an
 *       acknowledgement. The last part's answer is the upload's.
 *   <li>On a retry after a transport failure, a {@code HEAD} first asks how far the upload got: the
 *       rest goes from there ({@code PATCH}); from byte 0 if the receiver has none of it ({@code
 *       404}); not at all if it has all of it (the reply to the last part was what got lost).
 * </ul>
 *
 * Each part is one request with its own timeout, so a large vector on a slow link is not bound by
 * one request's timeout, and a part is produced as the connection takes it (the words are packed
 * from the vector on the fly: no copy of the frame is held).
 */
public final class FrameUpload {
  /** The frame bytes the receiver has taken, or a part starts at. */
  public static final String UPLOAD_OFFSET = "Upload-Offset";

  /** {@code ?0} on a part that more parts follow; {@code ?1} on the last. */
  public static final String UPLOAD_COMPLETE = "Upload-Complete";

  /** The default part size: 16 MiB, one request per 4 million words at 32 bits. */
  public static final int DEFAULT_PART_BYTES = 16 << 20;

  /** Corrections of the offset (a part answered {@code 409} with the right one) per attempt. */
  private static final int MAX_CORRECTIONS = 3;

  private static final Logger LOG = LoggerFactory.getLogger(FrameUpload.class);

  /** Sends one request and reads its whole reply. */
  @FunctionalInterface
  public interface Exchange {
    HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException;
  }

  /** How far an earlier attempt got, as the receiver tells it. */
  private record Progress(long offset, boolean complete) {}

  private final URI uri;
  private final Duration timeout;
  private final int partBytes;
  private final Exchange exchange;

  /**
   * @param uri where the frame goes (the aggregator's {@code .../masked-input})
   * @param timeout each request's timeout
   * @param partBytes the bytes of each part but the last, at least 1
   */
  public FrameUpload(URI uri, Duration timeout, int partBytes, Exchange exchange) {
    this.uri = Objects.requireNonNull(uri, "uri");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.exchange = Objects.requireNonNull(exchange, "exchange");
    if (partBytes < 1) {
      throw new IllegalArgumentException("an upload part has at least 1 byte, not " + partBytes);
    }
    this.partBytes = partBytes;
  }

  /**
   * Sends the frame of {@code vector} for {@code round}, packed at {@code bits} bits per word.
   *
   * @param resume whether an earlier attempt may have sent part of it: ask how far it got first
   * @return the reply to the last part (a refusal included: the caller reads it), or, when the
   *     receiver already had the whole frame, empty
   * @throws IOException if a request failed in transport: call again with {@code resume}
   */
  public Optional<HttpResponse<byte[]>> send(
      long round, int bits, WordVector vector, boolean resume)
      throws IOException, InterruptedException {
    long total = VectorFrame.frameBytes(bits, vector.length());
    long offset = 0;
    boolean started = false;
    if (resume) {
      Optional<Progress> progress = progress();
      if (progress.isPresent() && progress.get().complete()) {
        LOG.info("round {}: the aggregator has the whole masked vector already", round);
        return Optional.empty();
      }
      if (progress.isPresent()) {
        offset = progress.get().offset();
        started = true;
        LOG.info(
            "round {}: resuming the masked vector's upload at byte {} of {}", round, offset, total);
      }
    }
    int corrections = 0;
    while (true) {
      long end = Math.min(total, offset + partBytes);
      boolean last = end == total;
      HttpResponse<byte[]> reply = exchange.send(part(round, bits, vector, offset, end, started));
      OptionalLong taken = reply.headers().firstValueAsLong(UPLOAD_OFFSET);
      if (!last && reply.statusCode() == 204) {
        if (taken.isEmpty() || taken.getAsLong() <= offset || taken.getAsLong() > total) {
          throw new IOException(
              "the aggregator acknowledged a part of the masked vector at byte "
                  + (taken.isPresent() ? taken.getAsLong() : "(none)")
                  + ", not within bytes "
                  + (offset + 1)
                  + ".."
                  + total);
        }
        offset = taken.getAsLong();
        started = true;
      } else if (reply.statusCode() == 409
          && started
          && taken.isPresent()
          && taken.getAsLong() >= 0
          && taken.getAsLong() <= total
          && corrections < MAX_CORRECTIONS) {
        // A late write of a broken attempt landed between the HEAD and this part.
        corrections++;
        offset = taken.getAsLong();
      } else if (reply.statusCode() == 404 && started && corrections < MAX_CORRECTIONS) {
        // Nothing to resume after all (a newer upload replaced it, or it was refused): start over.
        corrections++;
        offset = 0;
        started = false;
      } else {
        return Optional.of(reply);
      }
    }
  }

  /** The request carrying frame bytes {@code from} to {@code to}, exclusive. */
  private HttpRequest part(
      long round, int bits, WordVector vector, long from, long to, boolean started) {
    long length = to - from;
    // An empty last part ends an upload that has every byte but not its end (a request broken
    // after its last byte); fromPublisher refuses a length of 0.
    HttpRequest.BodyPublisher body =
        length == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> new Prefix(VectorFrame.stream(round, bits, vector, from), length)),
                length);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/octet-stream")
            .header(
                UPLOAD_COMPLETE, to == VectorFrame.frameBytes(bits, vector.length()) ? "?1" : "?0");
    if (started) {
      return request.header(UPLOAD_OFFSET, Long.toString(from)).method("PATCH", body).build();
    }
    return request.PUT(body).build();
  }

  /**
   * Asks how far an upload got: its offset, and whether it is complete; empty if the receiver has
   * none to resume, or answers something else (the parts' replies will say what).
   */
  private Optional<Progress> progress() throws IOException, InterruptedException {
    HttpResponse<byte[]> reply =
        exchange.send(
            HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());
    OptionalLong offset = reply.headers().firstValueAsLong(UPLOAD_OFFSET);
    if (reply.statusCode() != 204 || offset.isEmpty() || offset.getAsLong() < 0) {
      return Optional.empty();
    }
    boolean complete = reply.headers().firstValue(UPLOAD_COMPLETE).orElse("?0").equals("?1");
    return Optional.of(new Progress(offset.getAsLong(), complete));
  }

  /** The first {@code limit} bytes of a stream. */
  private static final class Prefix extends FilterInputStream {
    private long left;

    Prefix(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left == 0) {
        return -1;
      }
      int read = super.read();
      if (read >= 0) {
        left--;
      }
      return read;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (left == 0) {
        return -1;
      }
      int read = super.read(buffer, offset, (int) Math.min(length, left));
      if (read > 0) {
        left -= read;
      }
      return read;
    }
  }
}
