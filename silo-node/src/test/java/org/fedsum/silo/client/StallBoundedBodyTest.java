package org.fedsum.silo.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StallBoundedBodyTest {
  /** Counts what the body asks of its publisher. */
  private static final class Recorded implements Flow.Subscription {
    final AtomicLong requested = new AtomicLong();
    final AtomicBoolean cancelled = new AtomicBoolean();

    @Override
    public void request(long n) {
      requested.addAndGet(n);
    }

    @Override
    public void cancel() {
      cancelled.set(true);
    }
  }

  @Test
  void bodyThatStops_failsAfterTheIdleTimeout_namingTheBytesReceived() throws Exception {
    StallBoundedBody body = new StallBoundedBody("the model download", Duration.ofMillis(300), 12);
    Recorded subscription = new Recorded();
    body.onSubscribe(subscription);
    body.onNext(List.of(ByteBuffer.wrap(new byte[] {1, 2, 3, 4})));
    InputStream in = body.getBody().toCompletableFuture().get();
    byte[] buffer = new byte[16];
    assertThat(in.read(buffer)).isEqualTo(4);
    long started = System.nanoTime();
    assertThatThrownBy(() -> in.read(buffer))
        .isInstanceOf(HttpTimeoutException.class)
        .hasMessage(
            "the model download stalled: no byte for 300 ms after 4 of 12 bytes; giving up on"
                + " this connection");
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
    assertThat(subscription.cancelled).isTrue();
  }

  @Test
  void slowButMovingBody_isReadWhole_oneBatchAskedAtATime() throws Exception {
    StallBoundedBody body = new StallBoundedBody("the model download", Duration.ofMillis(500), 6);
    Recorded subscription = new Recorded();
    body.onSubscribe(subscription);
    assertThat(subscription.requested).hasValue(1);
    Thread publisher =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < 3; i++) {
                  Thread.sleep(200);
                  body.onNext(List.of(ByteBuffer.wrap(new byte[] {(byte) i, (byte) (10 + i)})));
                }
                body.onComplete();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    publisher.start();
    InputStream in = body.getBody().toCompletableFuture().get();
    assertThat(in.readAllBytes()).containsExactly(0, 10, 1, 11, 2, 12);
    publisher.join();
    // One batch asked at the start, one more as each of the three arrived: never more waiting.
    assertThat(subscription.requested).hasValue(4);
    assertThat(subscription.cancelled).isFalse();
  }

  @Test
  void failureOfTheConnection_isAnIOExceptionNamingTheBytesReceived() throws Exception {
    StallBoundedBody body = new StallBoundedBody("the model download", Duration.ofSeconds(5), 8);
    body.onSubscribe(new Recorded());
    body.onNext(List.of(ByteBuffer.wrap(new byte[] {1, 2})));
    body.onError(new IOException("connection reset"));
    InputStream in = body.getBody().toCompletableFuture().get();
    assertThat(in.read(new byte[8])).isEqualTo(2);
    assertThatThrownBy(() -> in.read(new byte[8]))
        .isInstanceOf(IOException.class)
        .hasMessage("the model download failed after 2 bytes: connection reset");
  }
}
