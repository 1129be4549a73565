package org.fedsum.silo.training;

import java.io.PrintStream;

/**
 * Hears how local training progresses, for a progress bar or log lines. Called on the training
 * thread between batches, so implementations must be quick; an exception thrown here aborts
 * training.
 *
 * <p>Pick the implementation with {@link #forConsole}: a redrawn bar when a person watches a
 * terminal, plain lines otherwise (a log file or journald does not understand carriage returns).
 */
public interface TrainingProgressListener {
  /** A listener that ignores everything. */
  TrainingProgressListener NONE = new TrainingProgressListener() {};

  /**
   * An epoch starts.
   *
   * @param epoch 1-based
   * @param batches the number of batches the epoch will have (with DP-SGD, its steps: {@link
   *     RecordLevelDp#stepsPerEpoch()})
   */
  default void onEpochStart(int epoch, int epochs, int batches) {}

  /**
   * A batch was trained.
   *
   * @param batch 1-based within the epoch (with DP-SGD, the step)
   * @param loss the batch's mean cross-entropy before its update; NaN for a DP-SGD step whose
   *     Poisson sample was empty (the step still applies its noise)
   */
  default void onBatchEnd(int epoch, int epochs, int batch, int batches, double loss) {}

  /** An epoch ended. */
  default void onEpochEnd(EpochReport report) {}

  /**
   * A {@link ProgressBarListener} if {@code interactive} (the caller checks, typically {@code
   * System.console() != null}), a {@link LogLineProgressListener} otherwise, both writing to {@code
   * out}.
   */
  static TrainingProgressListener forConsole(boolean interactive, PrintStream out) {
    return interactive ? new ProgressBarListener(out) : LogLineProgressListener.to(out);
  }
}
