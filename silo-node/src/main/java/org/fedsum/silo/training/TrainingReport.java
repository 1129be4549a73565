package org.fedsum.silo.training;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One round of local training.
 *
 * @param lossBefore the mean cross-entropy on the whole training set before the first epoch, when
 *     {@link LocalTrainingConfig#evaluateBeforeAndAfter()} asked for it
 * @param lossAfter the same after the last epoch
 * @param epochs one report per epoch, in order
 * @param examples the size of the training set, the {@code n_k} of weighted FedAvg
 * @param seconds wall-clock time of the whole call, the loss measurements included
 * @param recordLevelDp the DP-SGD settings the round was trained with; empty for ordinary
 *     mini-batch training
 * @param optimizerSteps the optimizer steps taken: mini-batches for ordinary training, and for
 *     DP-SGD {@link RecordLevelDp#steps(int)} of the epochs, the count the record-level accountant
 *     composes (0 in reports built with the five-argument constructor, which does not know it)
 */
public record TrainingReport(
    OptionalDouble lossBefore,
    OptionalDouble lossAfter,
    List<EpochReport> epochs,
    int examples,
    double seconds,
    Optional<RecordLevelDp> recordLevelDp,
    long optimizerSteps) {
  public TrainingReport {
    Objects.requireNonNull(lossBefore, "lossBefore");
    Objects.requireNonNull(lossAfter, "lossAfter");
    Objects.requireNonNull(recordLevelDp, "recordLevelDp");
    epochs = List.copyOf(epochs);
    if (examples < 0 || seconds < 0 || optimizerSteps < 0) {
      throw new IllegalArgumentException("examples, seconds and optimizerSteps must be >= 0");
    }
  }

  /** A report of ordinary (non-DP) training whose step count was not recorded. */
  public TrainingReport(
      OptionalDouble lossBefore,
      OptionalDouble lossAfter,
      List<EpochReport> epochs,
      int examples,
      double seconds) {
    this(lossBefore, lossAfter, epochs, examples, seconds, Optional.empty(), 0);
  }

  /** Whether the round was trained with DP-SGD (record-level differential privacy). */
  public boolean dpSgd() {
    return recordLevelDp.isPresent();
  }
}
