package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PartitionerTest {
  /** 5,000 examples over 10 classes with unequal class sizes. */
  static final LabeledDataset DATA = dataset(5_000, 10, 1);

  static LabeledDataset dataset(int size, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] labels = new int[size];
    for (int i = 0; i < size; i++) {
      // Skewed: label c has weight c + 1.
      int draw = random.nextInt(classes * (classes + 1) / 2);
      int label = 0;
      while (draw >= label + 1) {
        draw -= label + 1;
        label++;
      }
      labels[i] = label;
    }
    float[] features = new float[size];
    for (int i = 0; i < size; i++) {
      features[i] = i;
    }
    return LabeledDataset.create(features, labels, new int[] {1}, classes);
  }

  static int distinctLabels(LabeledDataset silo) {
    return (int) Arrays.stream(silo.labelCounts()).filter(count -> count > 0).count();
  }

  @Test
  void iid_sizesDifferByAtMostOne_andLabelProportionsFollowTheWhole() {
    Partition partition = Partitioner.iid(DATA, 7, 3);
    int[] sizes = partition.sizes();
    assertThat(Arrays.stream(sizes).max().getAsInt() - Arrays.stream(sizes).min().getAsInt())
        .isLessThanOrEqualTo(1);
    double[] global = proportions(DATA.labelCounts());
    for (LabeledDataset silo : partition.apply(DATA)) {
      double[] local = proportions(silo.labelCounts());
      for (int label = 0; label < 10; label++) {
        // About 714 examples per silo: a 4.5-sigma band for the rarest and commonest classes.
        assertThat(local[label]).as("label %d", label).isCloseTo(global[label], within(0.05));
      }
    }
  }

  @Test
  void classesPerSilo_two_givesEachSiloExactlyTwoLabels() {
    for (int silos : new int[] {5, 10, 13}) {
      Partition partition = Partitioner.classesPerSilo(DATA, silos, 2, 8);
      for (LabeledDataset silo : partition.apply(DATA)) {
        assertThat(distinctLabels(silo)).as("%d silos", silos).isEqualTo(2);
      }
    }
  }

  @Test
  void classesPerSilo_eachKFromOneToAll_givesExactlyKLabels() {
    for (int k = 1; k <= 10; k++) {
      Partition partition = Partitioner.classesPerSilo(DATA, 10, k, k);
      for (LabeledDataset silo : partition.apply(DATA)) {
        assertThat(distinctLabels(silo)).as("#C = %d", k).isEqualTo(k);
      }
    }
  }

  @Test
  void classesPerSilo_fewSilos_coversEveryLabelAfterRepair() {
    // 4 silos × 3 labels = 12 slots for 10 labels: NIID-Bench's draw alone often misses one.
    for (long seed = 0; seed < 20; seed++) {
      Partition partition = Partitioner.classesPerSilo(DATA, 4, 3, seed);
      assertThat(Arrays.stream(partition.sizes()).sum()).isEqualTo(DATA.size());
      for (LabeledDataset silo : partition.apply(DATA)) {
        assertThat(distinctLabels(silo)).isEqualTo(3);
      }
    }
  }

  @Test
  void classesPerSilo_impossibleRequests_areRefused() {
    assertThatThrownBy(() -> Partitioner.classesPerSilo(DATA, 3, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "3 silos × 2 classes cannot cover the 10 labels present, so some examples could not"
                + " be assigned");
    assertThatThrownBy(() -> Partitioner.classesPerSilo(DATA, 3, 11, 1))
        .hasMessage("classesPerSilo must be in [1, 10] (the labels present), not 11");
    LabeledDataset tiny =
        LabeledDataset.create(new float[4], new int[] {0, 0, 0, 1}, new int[] {1}, 2);
    assertThatThrownBy(() -> Partitioner.classesPerSilo(tiny, 3, 2, 1))
        .hasMessage("label 1 has 1 examples but 3 silos own it; each needs at least one");
  }

  @Test
  void dirichletLabelSkew_isReproducibleFromTheSeed_andSeedsDiffer() {
    Partition first = Partitioner.dirichletLabelSkew(DATA, 10, 0.5, 42);
    Partition again = Partitioner.dirichletLabelSkew(DATA, 10, 0.5, 42);
    Partition other = Partitioner.dirichletLabelSkew(DATA, 10, 0.5, 43);
    for (int silo = 0; silo < 10; silo++) {
      assertThat(again.indices(silo)).containsExactly(first.indices(silo));
    }
    assertThat(other.sizes()).isNotEqualTo(first.sizes());
  }

  @Test
  void dirichletLabelSkew_smallBetaSkewsLabelsMoreThanLargeBeta() {
    double skewedDistance =
        meanDistanceFromGlobal(Partitioner.dirichletLabelSkew(DATA, 10, 0.1, 5));
    double mildDistance = meanDistanceFromGlobal(Partitioner.dirichletLabelSkew(DATA, 10, 100, 5));
    double iidDistance = meanDistanceFromGlobal(Partitioner.iid(DATA, 10, 5));
    assertThat(skewedDistance).isGreaterThan(0.5);
    assertThat(mildDistance).isLessThan(0.25).isGreaterThan(iidDistance / 2);
    assertThat(skewedDistance).isGreaterThan(3 * mildDistance);
  }

  @Test
  void dirichletLabelSkew_everySiloGetsAtLeastTenExamples() {
    for (long seed = 0; seed < 10; seed++) {
      int[] sizes = Partitioner.dirichletLabelSkew(DATA, 20, 0.1, seed).sizes();
      assertThat(Arrays.stream(sizes).min().getAsInt()).isGreaterThanOrEqualTo(10);
    }
  }

  @Test
  void quantitySkew_sizesVaryButLabelsStayIid() {
    Partition partition = Partitioner.quantitySkew(DATA, 5, 0.5, 9);
    int[] sizes = partition.sizes();
    assertThat(Arrays.stream(sizes).max().getAsInt())
        .isGreaterThan(2 * Arrays.stream(sizes).min().getAsInt());
    assertThat(Arrays.stream(sizes).min().getAsInt()).isGreaterThanOrEqualTo(10);
    Partition again = Partitioner.quantitySkew(DATA, 5, 0.5, 9);
    assertThat(again.sizes()).containsExactly(sizes);
    assertThat(Partitioner.quantitySkew(DATA, 5, 0.5, 10).sizes()).isNotEqualTo(sizes);
    List<LabeledDataset> silos = partition.apply(DATA);
    LabeledDataset largest = silos.get(indexOfMax(sizes));
    double[] global = proportions(DATA.labelCounts());
    double[] local = proportions(largest.labelCounts());
    for (int label = 0; label < 10; label++) {
      assertThat(local[label]).isCloseTo(global[label], within(0.06));
    }
  }

  @Test
  void partitioners_badArguments_areRefused() {
    assertThatThrownBy(() -> Partitioner.iid(DATA, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("silos must be at least 1, not 0");
    LabeledDataset three = dataset(3, 2, 1);
    assertThatThrownBy(() -> Partitioner.iid(three, 4, 1))
        .hasMessage("cannot give each of 4 silos an example of 3");
    assertThatThrownBy(() -> Partitioner.dirichletLabelSkew(DATA, 4, 0, 1))
        .hasMessage("beta must be finite and positive, not 0.0");
    assertThatThrownBy(() -> Partitioner.quantitySkew(DATA, 4, Double.NaN, 1))
        .hasMessage("beta must be finite and positive, not NaN");
  }

  @Test
  void apply_otherDataset_isRefused() {
    Partition partition = Partitioner.iid(DATA, 2, 1);
    assertThatThrownBy(() -> partition.apply(dataset(10, 2, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("this partition is of 5000 examples, the dataset has 10");
  }

  private static double meanDistanceFromGlobal(Partition partition) {
    double[] global = proportions(DATA.labelCounts());
    double total = 0;
    for (LabeledDataset silo : partition.apply(DATA)) {
      double[] local = proportions(silo.labelCounts());
      double distance = 0;
      for (int label = 0; label < global.length; label++) {
        distance += Math.abs(local[label] - global[label]);
      }
      total += distance;
    }
    return total / partition.silos();
  }

  static double[] proportions(int[] counts) {
    double sum = Arrays.stream(counts).sum();
    return Arrays.stream(counts).mapToDouble(count -> count / sum).toArray();
  }

  private static int indexOfMax(int[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
