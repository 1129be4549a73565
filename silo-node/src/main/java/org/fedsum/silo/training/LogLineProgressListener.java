package org.fedsum.silo.training;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Plain, complete log lines for non-interactive output (log files, journald, CI): one line each
 * time a tenth of an epoch's batches is done, and one line per finished epoch, for example
 *
 * <pre>
 * epoch 1/5: batch 94/938 (10%), loss 0.6931
 * epoch 1/5 done: mean loss 0.5123, 60000 examples in 12.3 s
 * </pre>
 */
public final class LogLineProgressListener implements TrainingProgressListener {
  private static final int REPORTS_PER_EPOCH = 10;

  private final Consumer<String> sink;
  private int nextReport;

  /** Lines go to {@code sink}, for example a logger's {@code info} method. */
  public LogLineProgressListener(Consumer<String> sink) {
    this.sink = Objects.requireNonNull(sink, "sink");
  }

  /** Lines are printed to {@code out}. */
  public static LogLineProgressListener to(PrintStream out) {
    Objects.requireNonNull(out, "out");
    return new LogLineProgressListener(out::println);
  }

  @Override
  public void onEpochStart(int epoch, int epochs, int batches) {
    nextReport = 1;
  }

  @Override
  public void onBatchEnd(int epoch, int epochs, int batch, int batches, double loss) {
    // Report when the batch crosses the next tenth, so at most ten lines per epoch.
    if (nextReport < REPORTS_PER_EPOCH
        && (long) batch * REPORTS_PER_EPOCH >= (long) nextReport * batches) {
      int percent = (int) (100L * batch / batches);
      sink.accept(
          String.format(
              Locale.ROOT,
              "epoch %d/%d: batch %d/%d (%d%%), loss %.4f",
              epoch,
              epochs,
              batch,
              batches,
              percent,
              loss));
      while (nextReport < REPORTS_PER_EPOCH
          && (long) batch * REPORTS_PER_EPOCH >= (long) nextReport * batches) {
        nextReport++;
      }
    }
  }

  @Override
  public void onEpochEnd(EpochReport report) {
    sink.accept(
        String.format(
            Locale.ROOT,
            "epoch %d/%d done: mean loss %.4f, %d examples in %.1f s",
            report.epoch(),
            report.epochs(),
            report.meanLoss(),
            report.examples(),
            report.seconds()));
  }
}
