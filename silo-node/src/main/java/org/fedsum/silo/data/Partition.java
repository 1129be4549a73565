package org.fedsum.silo.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An assignment of a dataset's examples to silos, made by {@link Partitioner}: silo {@code s} gets
 * the examples at {@link #indices(int) indices(s)}. Every example of the dataset is assigned to
 * exactly one silo.
 */
public final class Partition {
  private final int datasetSize;
  private final int[][] indices;

  private Partition(int datasetSize, int[][] indices) {
    this.datasetSize = datasetSize;
    this.indices = indices;
  }

  /**
   * Wraps per-silo index lists, checking that together they assign each of {@code datasetSize}
   * examples exactly once.
   */
  static Partition of(int datasetSize, int[][] indices) {
    boolean[] seen = new boolean[datasetSize];
    int total = 0;
    for (int silo = 0; silo < indices.length; silo++) {
      for (int index : indices[silo]) {
        if (index < 0 || index >= datasetSize || seen[index]) {
          throw new IllegalStateException(
              "bug: example " + index + " assigned twice or out of range (silo " + silo + ")");
        }
        seen[index] = true;
      }
      total += indices[silo].length;
    }
    if (total != datasetSize) {
      throw new IllegalStateException(
          "bug: " + total + " of " + datasetSize + " examples assigned");
    }
    return new Partition(datasetSize, indices);
  }

  /** The number of silos. */
  public int silos() {
    return indices.length;
  }

  /** The size of the partitioned dataset. */
  public int datasetSize() {
    return datasetSize;
  }

  /** The indices of the examples assigned to {@code silo} (a copy), in no particular order. */
  public int[] indices(int silo) {
    return indices[Objects.checkIndex(silo, indices.length)].clone();
  }

  /** The number of examples of each silo. */
  public int[] sizes() {
    return Arrays.stream(indices).mapToInt(silo -> silo.length).toArray();
  }

  /** Each silo's examples of {@code dataset}, which must be the dataset that was partitioned. */
  public List<LabeledDataset> apply(LabeledDataset dataset) {
    Objects.requireNonNull(dataset, "dataset");
    if (dataset.size() != datasetSize) {
      throw new IllegalArgumentException(
          "this partition is of " + datasetSize + " examples, the dataset has " + dataset.size());
    }
    List<LabeledDataset> silos = new ArrayList<>(indices.length);
    for (int[] silo : indices) {
      silos.add(dataset.subset(silo));
    }
    return List.copyOf(silos);
  }

  @Override
  public String toString() {
    return "Partition[" + datasetSize + " examples over silos of " + Arrays.toString(sizes()) + "]";
  }
}
