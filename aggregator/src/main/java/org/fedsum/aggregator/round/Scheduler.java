package org.fedsum.aggregator.round;

import java.time.Duration;

/**
 * Runs a task once after a delay: the stage deadlines of {@link RunCoordinator}. The service passes
 * Vert.x timers; tests pass a clock they advance by hand.
 */
public interface Scheduler {
  /** A scheduled task that may still be called off. */
  interface Cancellable {
    /** Calls the task off if it has not run; does nothing otherwise. */
    void cancel();
  }

  /**
   * Runs {@code task} once, {@code delay} from now, on a thread of the scheduler's choosing. The
   * task may block (it journals with an fsync): a scheduler on an event loop must hand it to a
   * worker thread.
   *
   * @return a handle that cancels the task
   */
  Cancellable schedule(Duration delay, Runnable task);
}
