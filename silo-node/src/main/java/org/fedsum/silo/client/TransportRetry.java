package org.fedsum.silo.client;

import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a call to the aggregator that failed in transport (a cut connection, a reset, a timeout)
 * within a round, so that one lost connection does not make the silo a dropout. Refusals by the
 * aggregator are answers, not transport failures, and are never retried here.
 *
 * <p>Waits 1, 2, 4, 8 and 16 seconds between the {@value #ATTEMPTS} attempts (31 s in all), well
 * inside a stage's deadline; a stage that closes meanwhile refuses the late call, which ends the
 * silo's round as before.
 */
public final class TransportRetry {
  /** Attempts per call, the first included. */
  public static final int ATTEMPTS = 6;

  private static final Logger LOG = LoggerFactory.getLogger(TransportRetry.class);
  private static final Duration FIRST_WAIT = Duration.ofSeconds(1);

  private TransportRetry() {}

  /** One call to the aggregator; {@code retry} is true on every attempt after the first. */
  @FunctionalInterface
  public interface Call<T> {
    T attempt(boolean retry) throws IOException, InterruptedException, AggregatorRefusal;
  }

  /**
   * Runs {@code call}, again after each transport failure, up to {@value #ATTEMPTS} times.
   *
   * @param what what the call does, for the log
   * @throws IOException the last transport failure, once the attempts are used up
   */
  public static <T> T call(String what, Call<T> call)
      throws IOException, InterruptedException, AggregatorRefusal {
    return call(what, call, FIRST_WAIT);
  }

  /** As {@link #call(String, Call)}, waiting {@code firstWait}, then twice as long each time. */
  static <T> T call(String what, Call<T> call, Duration firstWait)
      throws IOException, InterruptedException, AggregatorRefusal {
    Duration wait = firstWait;
    for (int attempt = 1; ; attempt++) {
      try {
        return call.attempt(attempt > 1);
      } catch (IOException e) {
        if (attempt == ATTEMPTS) {
          throw e;
        }
        LOG.warn(
            "{} failed in transport ({}); attempt {} of {} in {} s",
            what,
            e.getMessage(),
            attempt + 1,
            ATTEMPTS,
            wait.toSeconds());
        Thread.sleep(wait.toMillis());
        wait = wait.multipliedBy(2);
      }
    }
  }
}
