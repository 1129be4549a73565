package org.fedsum.aggregator.round;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests the aggregator refused (bad input, refused callers, out-of-order messages), counted
 * by error code until the end of the next round journals them in its {@code round-finished} or
 * {@code round-aborted} record, so that an offline audit sees them. Refused requests change no
 * state and are not journaled one by one: a hostile caller must not be able to grow the journal.
 *
 * <p>Counting never blocks (the event loop counts); draining takes every count exactly once.
 */
public final class RefusalCounts {
  private final ConcurrentHashMap<String, AtomicLong> counts = new ConcurrentHashMap<>();

  /** Counts one refusal with error code {@code code}. */
  public void count(String code) {
    Objects.requireNonNull(code, "code");
    counts.computeIfAbsent(code, ignored -> new AtomicLong()).incrementAndGet();
  }

  /** The counts since the previous drain, by code (sorted, no zeros); they start again at zero. */
  public Map<String, Long> drain() {
    Map<String, Long> drained = new TreeMap<>();
    counts.forEach(
        (code, count) -> {
          long value = count.getAndSet(0);
          if (value > 0) {
            drained.put(code, value);
          }
        });
    return drained;
  }
}
