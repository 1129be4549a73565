package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TrainHeldOutSplitTest {
  @Test
  void split_partsAreDisjointAndCoverTheData() {
    LabeledDataset data = PartitionerTest.dataset(101, 3, 1);
    TrainHeldOutSplit split = TrainHeldOutSplit.split(data, 0.2, 5);
    assertThat(split.heldOut().size()).isEqualTo(20);
    assertThat(split.training().size()).isEqualTo(81);
    // The features are the example indices (see PartitionerTest.dataset).
    float[] all = new float[101];
    System.arraycopy(split.training().features(), 0, all, 0, 81);
    System.arraycopy(split.heldOut().features(), 0, all, 81, 20);
    Arrays.sort(all);
    assertThat(all).containsExactly(toFloats(IntStream.range(0, 101).toArray()));
  }

  @Test
  void split_isReproducibleFromTheSeed() {
    LabeledDataset data = PartitionerTest.dataset(50, 3, 1);
    float[] first = TrainHeldOutSplit.split(data, 0.3, 9).heldOut().features();
    assertThat(TrainHeldOutSplit.split(data, 0.3, 9).heldOut().features()).containsExactly(first);
    assertThat(TrainHeldOutSplit.split(data, 0.3, 10).heldOut().features()).isNotEqualTo(first);
  }

  @Test
  void split_keepsAtLeastOneExampleOnEachSide() {
    LabeledDataset two = PartitionerTest.dataset(2, 2, 1);
    assertThat(TrainHeldOutSplit.split(two, 0.01, 1).heldOut().size()).isEqualTo(1);
    assertThat(TrainHeldOutSplit.split(two, 0.99, 1).training().size()).isEqualTo(1);
    assertThatThrownBy(() -> TrainHeldOutSplit.split(PartitionerTest.dataset(1, 2, 1), 0.5, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot split 1 example(s) into training and held-out parts");
    assertThatThrownBy(() -> TrainHeldOutSplit.split(two, 1, 1))
        .hasMessage("heldOutFraction must be in (0, 1), not 1.0");
  }

  private static float[] toFloats(int[] values) {
    float[] floats = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      floats[i] = values[i];
    }
    return floats;
  }
}
