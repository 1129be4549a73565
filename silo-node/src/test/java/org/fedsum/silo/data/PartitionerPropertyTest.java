package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Whatever the strategy, silo count, seed and data: every example lands in exactly one silo. */
class PartitionerPropertyTest {
  @Property(tries = 60)
  void everyStrategy_assignsEveryExampleExactlyOnce(
      @ForAll @IntRange(min = 50, max = 600) int size,
      @ForAll @IntRange(min = 2, max = 10) int classes,
      @ForAll @IntRange(min = 1, max = 12) int silos,
      @ForAll @LongRange long seed) {
    LabeledDataset data = PartitionerTest.dataset(size, classes, seed);
    assertExactCover(Partitioner.iid(data, silos, seed), size);
    assertExactCover(Partitioner.dirichletLabelSkew(data, silos, 0.5, seed), size);
    assertExactCover(Partitioner.quantitySkew(data, silos, 1.0, seed), size);
    int present = (int) Arrays.stream(data.labelCounts()).filter(count -> count > 0).count();
    int perSilo = Math.min(present, Math.max(1, (present + silos - 1) / silos));
    boolean enoughExamples =
        Arrays.stream(data.labelCounts()).filter(c -> c > 0).allMatch(c -> c >= silos);
    if (enoughExamples) {
      Partition partition = Partitioner.classesPerSilo(data, silos, perSilo, seed);
      assertExactCover(partition, size);
      for (LabeledDataset silo : partition.apply(data)) {
        assertThat(PartitionerTest.distinctLabels(silo)).isEqualTo(perSilo);
      }
    }
  }

  private static void assertExactCover(Partition partition, int size) {
    int[] seen = new int[size];
    for (int silo = 0; silo < partition.silos(); silo++) {
      for (int index : partition.indices(silo)) {
        seen[index]++;
      }
    }
    assertThat(seen).containsOnly(1);
  }
}
