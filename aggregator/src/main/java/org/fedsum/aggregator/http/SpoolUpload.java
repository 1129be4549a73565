package org.fedsum.aggregator.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fedsum.aggregator.store.SpoolWriter;
import org.fedsum.aggregator.store.SpooledVector;

/**
 * Streams a request's body (a masked vector's frame) into a {@link SpoolWriter} on worker threads,
 * several chunks per hand-off: chunks gather on the event loop while a batch is being written and
 * go to the worker together once it is done. HTTP/2 DATA frames are 16 KiB, so a hand-off per chunk
 * was a thread wake-up per 16 KiB, some 256 per vector of 4 MB. The request is paused while {@link
 * #MAX_PENDING_BYTES} or more wait, so an upload holds at most about twice that in memory (the
 * batch being written and the one gathering), however fast the silo sends.
 *
 * <p>Everything but the writes runs on the request's event loop; one batch is written at a time, so
 * the chunks reach the writer in order.
 *
 * <p>A write to the spool file that fails in I/O (a full or read-only data directory) fails the
 * upload with a {@link SpoolWriteFailure}, so that the caller can tell the data directory's failure
 * from the silo's (a reset stream, a refused frame).
 *
 * <p>A request carries one part of the frame ({@link SpoolWriter.Part}): the whole of it, or, in a
 * resumable upload, the bytes from where the last part ended. A request that fails (the connection
 * broke, the stream was reset) leaves the bytes written so far in the spool for the silo to resume
 * from; only a refusal or a failed write ends the upload.
 */
public final class SpoolUpload {
  /** Bytes of an upload that may wait for the worker before the request is paused. */
  public static final int MAX_PENDING_BYTES = 256 * 1024;

  private final Vertx vertx;
  private final HttpServerRequest request;
  private final SpoolWriter.Part part;
  private final boolean lastPart;
  private final Promise<Outcome> done = Promise.promise();
  private final List<Buffer> pending = new ArrayList<>();
  private int pendingBytes;
  private boolean writing;
  private boolean paused;
  private boolean ended;
  private boolean finishing;

  private SpoolUpload(
      Vertx vertx, HttpServerRequest request, SpoolWriter.Part part, boolean lastPart) {
    this.vertx = vertx;
    this.request = request;
    this.part = part;
    this.lastPart = lastPart;
  }

  /**
   * What a request's part came to: the whole frame, spooled and checked ({@code vector} set), or a
   * part that ended where the next one is to start ({@code bytesReceived}, the frame bytes taken).
   */
  public record Outcome(Optional<SpooledVector> vector, long bytesReceived) {}

  /**
   * Streams {@code request}'s body into {@code part}; if it is the {@code lastPart}, finishes the
   * upload (the frame must then be whole), else answers the bytes taken once they are all written.
   * Fails with the first failure of the request, a write, or the writer's checks. Call on the
   * request's event loop with the request paused; it is resumed here.
   */
  public static Future<Outcome> stream(
      Vertx vertx, HttpServerRequest request, SpoolWriter.Part part, boolean lastPart) {
    SpoolUpload upload = new SpoolUpload(vertx, request, part, lastPart);
    request.handler(upload::chunk);
    request.endHandler(end -> upload.end());
    request.exceptionHandler(upload::fail);
    request.resume();
    return upload.done.future();
  }

  private void chunk(Buffer chunk) {
    pending.add(chunk);
    pendingBytes += chunk.length();
    if (pendingBytes >= MAX_PENDING_BYTES && !paused) {
      paused = true;
      request.pause();
    }
    drain();
  }

  private void end() {
    ended = true;
    drain();
  }

  private void drain() {
    if (writing || finishing || done.future().isComplete()) {
      return;
    }
    if (pending.isEmpty()) {
      if (ended && !lastPart) {
        finishing = true;
        done.tryComplete(new Outcome(Optional.empty(), part.bytesReceived()));
      } else if (ended) {
        finishing = true;
        vertx
            .executeBlocking(
                () -> {
                  try {
                    SpooledVector vector = part.finish();
                    return new Outcome(Optional.of(vector), part.bytesReceived());
                  } catch (IOException e) {
                    throw new SpoolWriteFailure(e);
                  }
                },
                false)
            .onSuccess(done::tryComplete)
            .onFailure(this::fail);
      }
      return;
    }
    List<Buffer> batch = new ArrayList<>(pending);
    pending.clear();
    pendingBytes = 0;
    if (paused) {
      paused = false;
      request.resume();
    }
    writing = true;
    vertx
        .<Void>executeBlocking(
            () -> {
              try {
                for (Buffer chunk : batch) {
                  part.write(chunk.getBytes(), 0, chunk.length());
                }
              } catch (IOException e) {
                throw new SpoolWriteFailure(e);
              }
              return null;
            },
            false)
        .onSuccess(
            written -> {
              writing = false;
              drain();
            })
        .onFailure(this::fail);
  }

  /** The spool file could not be written: the data directory failed, not the upload. */
  public static final class SpoolWriteFailure extends IOException {
    private static final long serialVersionUID = 1L;

    SpoolWriteFailure(IOException cause) {
      super("writing a masked vector to the spool failed: " + cause.getMessage(), cause);
    }
  }

  private void fail(Throwable failure) {
    // The writer has ended the upload itself if it refused the bytes or could not write them; a
    // broken request leaves it as it is, for the silo to resume.
    pending.clear();
    done.tryFail(failure);
  }
}
