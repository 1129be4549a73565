package org.fedsum.silo.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body read as a stream that fails when no byte arrives for {@code idleTimeout}.
 *
 * <p>The JDK client's request timeout ends once the response headers are in: a peer (or a
 * middlebox) that sends the headers and then stops sending the body, without closing the
 * connection, would otherwise keep the reader waiting for good. This body asks for one batch of
 * buffers at a time, so it holds no more than the JDK's own buffers plus one batch (memory stays as
 * with {@link HttpResponse.BodyHandlers#ofInputStream()}), and waits for each batch at most {@code
 * idleTimeout}: a slow but moving body is fine, a silent one fails with an {@link
 * HttpTimeoutException} naming the stall and the bytes received so far.
 */
final class StallBoundedBody extends InputStream
    implements HttpResponse.BodySubscriber<InputStream> {
  /** Queued when the body is complete. */
  private static final Object END = new Object();

  private final String what;
  private final Duration idleTimeout;
  private final long announcedBytes;

  /** Batches of buffers ({@code List<ByteBuffer>}), then {@link #END} or the failure. */
  private final BlockingQueue<Object> arrivals = new LinkedBlockingQueue<>();

  private Flow.Subscription subscription;
  private boolean closed;
  private Iterator<ByteBuffer> batch = Collections.emptyIterator();
  private ByteBuffer current;
  private boolean ended;
  private long received;

  /**
   * @param what what the body is, for the error (e.g. "the model download")
   * @param announcedBytes the body's Content-Length, or -1 if unknown, for the error
   */
  StallBoundedBody(String what, Duration idleTimeout, long announcedBytes) {
    this.what = Objects.requireNonNull(what, "what");
    this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
    this.announcedBytes = announcedBytes;
  }

  /** A handler whose bodies fail after {@code idleTimeout} without a byte. */
  static HttpResponse.BodyHandler<InputStream> handler(String what, Duration idleTimeout) {
    return info ->
        new StallBoundedBody(
            what, idleTimeout, info.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  @Override
  public CompletionStage<InputStream> getBody() {
    // Available once the headers are in, as with ofInputStream: the caller reads as bytes come.
    return CompletableFuture.completedFuture(this);
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    boolean cancel;
    synchronized (this) {
      this.subscription = subscription;
      cancel = closed;
    }
    if (cancel) {
      subscription.cancel();
    } else {
      subscription.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    arrivals.add(item);
  }

  @Override
  public void onError(Throwable throwable) {
    arrivals.add(throwable);
  }

  @Override
  public void onComplete() {
    arrivals.add(END);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int read = read(one, 0, 1);
    return read < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    Objects.checkFromIndexSize(offset, length, buffer.length);
    if (length == 0) {
      return 0;
    }
    if (!nextBuffer()) {
      return -1;
    }
    int count = Math.min(length, current.remaining());
    current.get(buffer, offset, count);
    received += count;
    return count;
  }

  /** Makes {@link #current} a buffer with bytes left; false at the end of the body. */
  private boolean nextBuffer() throws IOException {
    while (current == null || !current.hasRemaining()) {
      synchronized (this) {
        if (closed) {
          throw new IOException(what + ": the body was closed");
        }
      }
      if (batch.hasNext()) {
        current = batch.next();
        continue;
      }
      if (ended) {
        return false;
      }
      Object next;
      try {
        next = arrivals.poll(idleTimeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        close();
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(what + " was interrupted");
      }
      if (next == null) {
        close();
        throw new HttpTimeoutException(
            what
                + " stalled: no byte for "
                + idleTimeout.toMillis()
                + " ms after "
                + received
                + (announcedBytes >= 0 ? " of " + announcedBytes : "")
                + " bytes; giving up on this connection");
      }
      if (next == END) {
        ended = true;
      } else if (next instanceof Throwable) {
        Throwable failure = (Throwable) next;
        throw new IOException(
            what + " failed after " + received + " bytes: " + failure.getMessage(), failure);
      } else {
        @SuppressWarnings("unchecked")
        List<ByteBuffer> buffers = (List<ByteBuffer>) next;
        batch = buffers.iterator();
        // The next batch may come while this one is read; never more than one waits.
        requestMore();
      }
    }
    return true;
  }

  private void requestMore() {
    Flow.Subscription asked;
    synchronized (this) {
      asked = subscription;
    }
    if (asked != null) {
      asked.request(1);
    }
  }

  @Override
  public void close() {
    Flow.Subscription cancelled;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      cancelled = ended ? null : subscription;
    }
    if (cancelled != null) {
      cancelled.cancel();
    }
  }
}
