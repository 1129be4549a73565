package org.fedsum.aggregator.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.fedsum.aggregator.round.GlobalModel;
import org.fedsum.aggregator.store.Float32Vector;

/**
 * Streams a model as float32 little-endian words, a chunk at a time and only as fast as the client
 * reads (back-pressure), so a large model is never copied whole into the response queue.
 */
final class ModelStream {
  /** The model's SHA-256 (hex), as round tasks announce it. */
  static final String SHA256_HEADER = "X-FedSum-Model-Sha256";

  /** How many finished rounds produced the model. */
  static final String ROUNDS_HEADER = "X-FedSum-Rounds-Finished";

  // 64 KiB: what n concurrent downloads keep in flight (n x 4 chunks) is the part of the
  // aggregator's heap that grows with n; 256 KiB chunks made it 1 MiB per download.
  private static final int CHUNK_FLOATS = 16 * 1024;
  private static final int MAX_CHUNKS_IN_FLIGHT = 4;

  private ModelStream() {}

  static void send(HttpServerResponse response, GlobalModel model) {
    response
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
        .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(model.byteLength()))
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader(SHA256_HEADER, model.sha256())
        .putHeader(ROUNDS_HEADER, Integer.toString(model.roundsFinished()));
    new Writer(response, model.vector()).pump();
  }

  /**
   * Writes the model chunk by chunk, at most {@value #MAX_CHUNKS_IN_FLIGHT} chunks not yet handed
   * to the socket. The stream's write queue alone is not enough: over HTTP/2 it only fills when the
   * client's flow-control window is used up, and the JDK's client grants windows of megabytes, so n
   * concurrent downloads would each queue that much (the heap grew with n during downloads). What
   * stays is 4 chunks of 64 KiB per download: 12.5 MiB for 50 concurrent downloads.
   */
  private static final class Writer {
    private final HttpServerResponse response;
    private final Float32Vector values;
    // Little-endian conversion scratch, reused: Buffer.buffer copies out of it.
    private final ByteBuffer scratch =
        ByteBuffer.allocate(4 * CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
    private int position;
    private int inFlight;
    private boolean ended;

    Writer(HttpServerResponse response, Float32Vector values) {
      this.response = response;
      this.values = values;
    }

    /** Runs on the response's event loop only (write completions come back there). */
    void pump() {
      while (position < values.dimension() && inFlight < MAX_CHUNKS_IN_FLIGHT) {
        if (response.closed()) {
          return;
        }
        if (response.writeQueueFull()) {
          response.drainHandler(drained -> pump());
          return;
        }
        int count = Math.min(CHUNK_FLOATS, values.dimension() - position);
        scratch.clear();
        values.putLittleEndian(position, count, scratch);
        Buffer chunk = Buffer.buffer(4 * count).appendBytes(scratch.array(), 0, 4 * count);
        position += count;
        inFlight++;
        response
            .write(chunk)
            .onComplete(
                written -> {
                  inFlight--;
                  pump();
                });
      }
      if (position == values.dimension() && !ended && !response.closed()) {
        ended = true;
        response.end();
      }
    }
  }
}
