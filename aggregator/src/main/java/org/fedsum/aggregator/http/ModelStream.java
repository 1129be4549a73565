package org.fedsum.aggregator.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.fedsum.aggregator.round.GlobalModel;

/**
 * Streams a model as float32 little-endian words, a chunk at a time and only as fast as the client
 * reads (back-pressure), so a large model is never copied whole into the response queue.
 */
final class ModelStream {
  /** The model's SHA-256 (hex), as round tasks announce it. */
  static final String SHA256_HEADER = "X-FedSum-Model-Sha256";

  /** How many finished rounds produced the model. */
  static final String ROUNDS_HEADER = "X-FedSum-Rounds-Finished";

  private static final int CHUNK_FLOATS = 64 * 1024;

  private ModelStream() {}

  static void send(HttpServerResponse response, GlobalModel model) {
    response
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
        .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(model.byteLength()))
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader(SHA256_HEADER, model.sha256())
        .putHeader(ROUNDS_HEADER, Integer.toString(model.roundsFinished()));
    writeFrom(response, model.values(), 0);
  }

  private static void writeFrom(HttpServerResponse response, float[] values, int from) {
    int position = from;
    while (position < values.length) {
      if (response.closed()) {
        return;
      }
      if (response.writeQueueFull()) {
        int resumeAt = position;
        response.drainHandler(drained -> writeFrom(response, values, resumeAt));
        return;
      }
      int count = Math.min(CHUNK_FLOATS, values.length - position);
      ByteBuffer bytes = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(values, position, count);
      response.write(Buffer.buffer(bytes.array()));
      position += count;
    }
    response.end();
  }
}
