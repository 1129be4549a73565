package org.fedsum.silo.training;

import java.util.List;
import java.util.Objects;
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
 */
public record TrainingReport(
    OptionalDouble lossBefore,
    OptionalDouble lossAfter,
    List<EpochReport> epochs,
    int examples,
    double seconds) {
  public TrainingReport {
    Objects.requireNonNull(lossBefore, "lossBefore");
    Objects.requireNonNull(lossAfter, "lossAfter");
    epochs = List.copyOf(epochs);
    if (examples < 0 || seconds < 0) {
      throw new IllegalArgumentException("examples and seconds must be >= 0");
    }
  }
}
