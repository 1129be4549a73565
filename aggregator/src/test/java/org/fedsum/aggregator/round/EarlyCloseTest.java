package org.fedsum.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EarlyCloseTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @Test
  void grace_isTheMinimum_whenTheQuorumCameQuickly() {
    EarlyClose rule = new EarlyClose(true, Duration.ofSeconds(5), 2.0);
    assertThat(rule.grace(Duration.ofMillis(300), DEADLINE)).contains(Duration.ofSeconds(5));
  }

  @Test
  void grace_growsWithTheQuorumsTime() {
    EarlyClose rule = new EarlyClose(true, Duration.ofSeconds(5), 2.0);
    assertThat(rule.grace(Duration.ofSeconds(10), DEADLINE)).contains(Duration.ofSeconds(20));
  }

  @Test
  void grace_thatWouldNotEndBeforeTheDeadline_isNotStarted() {
    EarlyClose rule = new EarlyClose(true, Duration.ofSeconds(5), 2.0);
    assertThat(rule.grace(Duration.ofSeconds(20), DEADLINE)).isEmpty();
    assertThat(rule.grace(Duration.ofSeconds(1), Duration.ofSeconds(6))).isEmpty();
    assertThat(rule.grace(Duration.ofSeconds(1), Duration.ofMillis(6001)))
        .contains(Duration.ofSeconds(5));
  }

  @Test
  void grace_isNeverStarted_whenEarlyCloseIsOff() {
    assertThat(EarlyClose.OFF.grace(Duration.ZERO, DEADLINE)).isEmpty();
  }

  @Test
  void grace_ofAHugeFactorTimesALongStage_doesNotOverflow() {
    EarlyClose rule = new EarlyClose(true, Duration.ZERO, EarlyClose.MAX_GRACE_FACTOR);
    assertThat(rule.grace(Duration.ofDays(365 * 1000), Duration.ofDays(7))).isEmpty();
  }

  @Test
  void badValues_areRefusedNamingTheKey() {
    assertThatThrownBy(() -> new EarlyClose(true, Duration.ofSeconds(-1), 1))
        .hasMessageContaining("earlyClose.minimumGrace");
    assertThatThrownBy(() -> new EarlyClose(true, Duration.ZERO, Double.NaN))
        .hasMessageContaining("earlyClose.graceFactor");
    assertThatThrownBy(() -> new EarlyClose(true, Duration.ZERO, -0.5))
        .hasMessageContaining("earlyClose.graceFactor");
  }
}
