package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LabeledDatasetTest {
  @Test
  void create_copiesInAndOut() {
    float[] features = {1, 2, 3, 4};
    int[] labels = {0, 1};
    LabeledDataset data = LabeledDataset.create(features, labels, new int[] {1, 2}, 2);
    features[0] = 99;
    labels[0] = 1;
    data.features()[1] = 99;
    data.labels()[1] = 0;
    assertThat(data.features()).containsExactly(1, 2, 3, 4);
    assertThat(data.labels()).containsExactly(0, 1);
    assertThat(data.featureCount()).isEqualTo(2);
    assertThat(data.labelCounts()).containsExactly(1, 1);
    float[] row = new float[3];
    data.copyFeatures(1, row, 1);
    assertThat(row).containsExactly(0, 3, 4);
  }

  @Test
  void create_badValues_areRefusedByName() {
    assertThatThrownBy(() -> LabeledDataset.create(new float[3], new int[2], new int[] {2}, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("features must hold 2 examples × 2 features = 4 values, not 3");
    assertThatThrownBy(
            () -> LabeledDataset.create(new float[4], new int[] {0, 2}, new int[] {2}, 2))
        .hasMessage("label of example 1 is 2, outside [0, 2)");
    assertThatThrownBy(
            () ->
                LabeledDataset.create(
                    new float[] {0, 0, Float.NaN, 0}, new int[2], new int[] {2}, 2))
        .hasMessage("feature 0 of example 1 is NaN; features must be finite");
    assertThatThrownBy(() -> LabeledDataset.create(new float[0], new int[0], new int[] {0}, 2))
        .hasMessage("featureShape dimensions must be positive, not [0]");
    assertThatThrownBy(() -> LabeledDataset.create(new float[0], new int[0], new int[] {1}, 1))
        .hasMessage("classCount must be at least 2, not 1");
  }

  @Test
  void subset_takesTheExamplesInTheGivenOrder() {
    LabeledDataset data =
        LabeledDataset.create(new float[] {0, 1, 2}, new int[] {0, 1, 2}, new int[] {1}, 3);
    LabeledDataset subset = data.subset(new int[] {2, 0, 2});
    assertThat(subset.features()).containsExactly(2, 0, 2);
    assertThat(subset.labels()).containsExactly(2, 0, 2);
    assertThat(subset.classCount()).isEqualTo(3);
    assertThatThrownBy(() -> data.subset(new int[] {3}))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
