package org.fedsum.aggregator.round;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A clock and a scheduler whose time moves only when a test advances it. */
final class ManualTime extends Clock implements Scheduler {
  private static final class Task implements Cancellable {
    final Instant due;
    final Runnable action;
    boolean cancelled;

    Task(Instant due, Runnable action) {
      this.due = due;
      this.action = action;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  private Instant now;
  private final List<Task> tasks = new ArrayList<>();

  ManualTime(Instant start) {
    this.now = start;
  }

  @Override
  public synchronized Cancellable schedule(Duration delay, Runnable task) {
    Task scheduled = new Task(now.plus(delay), task);
    tasks.add(scheduled);
    return scheduled;
  }

  /** Moves time forward by {@code step} and runs every task that fell due, in due order. */
  void advance(Duration step) {
    Instant target;
    synchronized (this) {
      target = now.plus(step);
    }
    while (true) {
      Task next;
      synchronized (this) {
        next =
            tasks.stream()
                .filter(task -> !task.cancelled && !task.due.isAfter(target))
                .min(Comparator.comparing(task -> task.due))
                .orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        now = next.due;
      }
      next.action.run();
    }
  }

  /** Tasks scheduled and neither run nor cancelled. */
  synchronized long pendingTasks() {
    return tasks.stream().filter(task -> !task.cancelled).count();
  }

  /** Forgets every scheduled task: what a crash does to timers. */
  synchronized void dropAllTasks() {
    tasks.clear();
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a manual clock has one zone");
  }
}
