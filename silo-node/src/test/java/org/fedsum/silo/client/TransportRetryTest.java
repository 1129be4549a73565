package org.fedsum.silo.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransportRetryTest {
  private static final Duration NO_WAIT = Duration.ofMillis(1);

  @Test
  void transportFailures_retriedUntilTheCallGoesThrough_retryFlagSetAfterTheFirst()
      throws Exception {
    List<Boolean> retryFlags = new ArrayList<>();

    String result =
        TransportRetry.call(
            "test call",
            retry -> {
              retryFlags.add(retry);
              if (retryFlags.size() < 3) {
                throw new IOException("connection reset");
              }
              return "answer";
            },
            NO_WAIT);

    assertThat(result).isEqualTo("answer");
    assertThat(retryFlags).containsExactly(false, true, true);
  }

  @Test
  void transportFailures_givenUpAfterTheLastAttempt_withTheLastFailure() {
    List<Boolean> attempts = new ArrayList<>();

    assertThatThrownBy(
            () ->
                TransportRetry.call(
                    "test call",
                    retry -> {
                      attempts.add(retry);
                      throw new IOException("cut #" + attempts.size());
                    },
                    NO_WAIT))
        .isInstanceOf(IOException.class)
        .hasMessage("cut #" + TransportRetry.ATTEMPTS);
    assertThat(attempts).hasSize(TransportRetry.ATTEMPTS);
  }

  @Test
  void refusal_isAnAnswer_notRetried() {
    List<Boolean> attempts = new ArrayList<>();
    AggregatorRefusal refusal =
        new AggregatorRefusal(409, "STAGE_CLOSED", "the stage is over", 3L, false);

    assertThatThrownBy(
            () ->
                TransportRetry.call(
                    "test call",
                    retry -> {
                      attempts.add(retry);
                      throw refusal;
                    },
                    NO_WAIT))
        .isSameAs(refusal);
    assertThat(attempts).hasSize(1);
  }
}
