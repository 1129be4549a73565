package org.fedsum.silo.training;

/**
 * One epoch of local training.
 *
 * @param epoch 1-based
 * @param epochs the number of epochs of the round
 * @param meanLoss the mean cross-entropy over the epoch's batches as they were trained (each batch
 *     weighted by its size, the model changing between batches), without the FedProx term; with
 *     DP-SGD over the records sampled in the epoch, NaN if none was
 * @param examples the examples seen in the epoch (with DP-SGD, the records its Poisson samples
 *     drew, counted with repetition across steps)
 * @param seconds wall-clock time of the epoch
 */
public record EpochReport(int epoch, int epochs, double meanLoss, int examples, double seconds) {
  public EpochReport {
    if (epoch < 1 || epoch > epochs) {
      throw new IllegalArgumentException("epoch " + epoch + " is outside [1, " + epochs + "]");
    }
    if (examples < 0 || seconds < 0) {
      throw new IllegalArgumentException("examples and seconds must be >= 0");
    }
  }
}
