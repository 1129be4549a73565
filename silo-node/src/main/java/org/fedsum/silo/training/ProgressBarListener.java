package org.fedsum.silo.training;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/**
 * A one-line progress bar for a terminal, redrawn in place with a carriage return:
 *
 * <pre>epoch 2/5 [##########----------]  50%  loss 0.6931</pre>
 *
 * It redraws only when the bar or the percentage changes (at most about a hundred times per epoch,
 * however many batches), and ends each epoch with a newline and the epoch's mean loss and time. Not
 * for log files: use {@link LogLineProgressListener} there.
 */
public final class ProgressBarListener implements TrainingProgressListener {
  private static final int DEFAULT_WIDTH = 30;

  private final PrintStream out;
  private final int width;
  private int lastPercent = -1;
  private int lastLength;

  /** A 30-character bar on {@code out}. */
  public ProgressBarListener(PrintStream out) {
    this(out, DEFAULT_WIDTH);
  }

  /** A bar of {@code width} characters on {@code out}. */
  public ProgressBarListener(PrintStream out, int width) {
    this.out = Objects.requireNonNull(out, "out");
    if (width < 1) {
      throw new IllegalArgumentException("width must be positive, not " + width);
    }
    this.width = width;
  }

  @Override
  public void onEpochStart(int epoch, int epochs, int batches) {
    lastPercent = -1;
    lastLength = 0;
    draw(epoch, epochs, 0, batches, Double.NaN);
  }

  @Override
  public void onBatchEnd(int epoch, int epochs, int batch, int batches, double loss) {
    draw(epoch, epochs, batch, batches, loss);
  }

  @Override
  public void onEpochEnd(EpochReport report) {
    String line =
        String.format(
            Locale.ROOT,
            "epoch %d/%d [%s] 100%%  mean loss %.4f  %d examples in %.1f s",
            report.epoch(),
            report.epochs(),
            "#".repeat(width),
            report.meanLoss(),
            report.examples(),
            report.seconds());
    out.print("\r" + pad(line) + "\n");
    out.flush();
  }

  private void draw(int epoch, int epochs, int batch, int batches, double loss) {
    int percent = batches == 0 ? 100 : (int) (100L * batch / batches);
    if (percent == lastPercent) {
      return;
    }
    lastPercent = percent;
    int filled = batches == 0 ? width : (int) ((long) width * batch / batches);
    String line =
        String.format(
            Locale.ROOT,
            "epoch %d/%d [%s%s] %3d%%%s",
            epoch,
            epochs,
            "#".repeat(filled),
            "-".repeat(width - filled),
            percent,
            Double.isNaN(loss) ? "" : String.format(Locale.ROOT, "  loss %.4f", loss));
    out.print("\r" + pad(line));
    out.flush();
  }

  // Blank out the tail of a longer previous line.
  private String pad(String line) {
    String padded =
        line.length() < lastLength ? line + " ".repeat(lastLength - line.length()) : line;
    lastLength = line.length();
    return padded;
  }
}
