package org.fedsum.silo.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A silo's data split into a training part and a held-out part for federated evaluation. The split
 * is a seeded uniformly random one; held-out examples never appear in the training part.
 */
public final class TrainHeldOutSplit {
  private final LabeledDataset training;
  private final LabeledDataset heldOut;

  private TrainHeldOutSplit(LabeledDataset training, LabeledDataset heldOut) {
    this.training = training;
    this.heldOut = heldOut;
  }

  /**
   * Holds out {@code round(heldOutFraction · size)} examples, at least one and at most {@code size
   * - 1}.
   *
   * @param heldOutFraction in {@code (0, 1)}
   * @throws IllegalArgumentException if the fraction is out of range or the dataset has fewer than
   *     two examples
   */
  public static TrainHeldOutSplit split(LabeledDataset dataset, double heldOutFraction, long seed) {
    Objects.requireNonNull(dataset, "dataset");
    if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
      throw new IllegalArgumentException(
          "heldOutFraction must be in (0, 1), not " + heldOutFraction);
    }
    int size = dataset.size();
    if (size < 2) {
      throw new IllegalArgumentException(
          "cannot split " + size + " example(s) into training and held-out parts");
    }
    int heldOut = (int) Math.max(1, Math.min(size - 1, Math.round(heldOutFraction * size)));
    SplittableRandom random = RandomStreams.derive(seed, "train-held-out-split", size);
    int[] order = RandomStreams.permutation(size, random);
    int[] heldOutIndices = Arrays.copyOfRange(order, 0, heldOut);
    int[] trainingIndices = Arrays.copyOfRange(order, heldOut, size);
    // Ascending order keeps the parts in file order; training shuffles per epoch anyway.
    Arrays.sort(heldOutIndices);
    Arrays.sort(trainingIndices);
    return new TrainHeldOutSplit(dataset.subset(trainingIndices), dataset.subset(heldOutIndices));
  }

  /** The part to train on. */
  public LabeledDataset training() {
    return training;
  }

  /** The part to evaluate on. */
  public LabeledDataset heldOut() {
    return heldOut;
  }

  @Override
  public String toString() {
    return "TrainHeldOutSplit[" + training.size() + " training, " + heldOut.size() + " held out]";
  }
}
