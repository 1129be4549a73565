package org.fedsum.aggregator.round;

import java.time.Duration;
import java.util.Objects;

/**
 * When a stage with silent silos may close before its deadline: once the stage has its quorum
 * ({@link org.fedsum.protocol.AggregatorProtocol#quorum}), the coordinator waits a grace period of
 * {@code max(minimumGrace, graceFactor × the time the quorum took since the stage opened)} and then
 * closes the stage with the silos that answered. The stage deadline stays the upper bound: a grace
 * that would end at or after the deadline is not started. Every silo answering still closes the
 * stage at once.
 *
 * <p>The grace is relative to the quorum's own time so that a slow federation (large vectors, long
 * round trips) waits longer for its stragglers than a fast one: with a factor of 2, a silo up to
 * three times slower than the quorum's slowest member is still counted.
 *
 * @param enabled whether stages close early at all (off: every stage waits for every silo or its
 *     deadline)
 * @param minimumGrace the least grace period, ≥ 0
 * @param graceFactor the grace as a multiple of the quorum's time, finite and ≥ 0
 */
public record EarlyClose(boolean enabled, Duration minimumGrace, double graceFactor) {

  /**
   * The default least grace: enough for a silo whose request failed to get back in through the silo
   * client's retries (waits of 1, 2, 4 and 8 s, TransportRetry) on a WAN link, and still a quarter
   * of the default 60 s stage deadline.
   */
  public static final Duration DEFAULT_MINIMUM_GRACE = Duration.ofSeconds(15);

  /** The default factor: a silo up to three times slower than the quorum is still counted. */
  public static final double DEFAULT_GRACE_FACTOR = 2.0;

  /** The largest factor accepted: beyond it the deadline is the bound anyway. */
  public static final double MAX_GRACE_FACTOR = 1000.0;

  /** The defaults: on, 15 s, factor 2. */
  public static final EarlyClose DEFAULT =
      new EarlyClose(true, DEFAULT_MINIMUM_GRACE, DEFAULT_GRACE_FACTOR);

  /** Never closes early: the behaviour before early close existed. */
  public static final EarlyClose OFF = new EarlyClose(false, DEFAULT_MINIMUM_GRACE, 0);

  public EarlyClose {
    Objects.requireNonNull(minimumGrace, "minimumGrace");
    if (minimumGrace.isNegative()) {
      throw new IllegalArgumentException(
          "earlyClose.minimumGrace must be at least 0, not " + minimumGrace);
    }
    if (!Double.isFinite(graceFactor) || graceFactor < 0 || graceFactor > MAX_GRACE_FACTOR) {
      throw new IllegalArgumentException(
          "earlyClose.graceFactor must be between 0 and "
              + MAX_GRACE_FACTOR
              + ", not "
              + graceFactor);
    }
  }

  /**
   * The grace period after a quorum that took {@code quorumTook} since the stage opened, or empty
   * if the stage should simply wait for its {@code deadline} (early close off, or a grace that
   * would not end before the deadline).
   */
  public java.util.Optional<Duration> grace(Duration quorumTook, Duration deadline) {
    if (!enabled) {
      return java.util.Optional.empty();
    }
    Duration took = quorumTook.isNegative() ? Duration.ZERO : quorumTook;
    // Saturating: a factor times a long stage must not overflow into a short grace.
    double scaledNanos = graceFactor * (took.getSeconds() * 1e9 + took.getNano());
    Duration scaled =
        scaledNanos >= Long.MAX_VALUE / 2.0
            ? deadline
            : Duration.ofNanos((long) Math.ceil(scaledNanos));
    Duration grace = scaled.compareTo(minimumGrace) > 0 ? scaled : minimumGrace;
    if (took.plus(grace).compareTo(deadline) >= 0) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(grace);
  }
}
