package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FeatureScalerTest {
  private static final LabeledDataset TRAINING =
      LabeledDataset.create(
          new float[] {1, 10, 5, 3, 20, 5, 5, 30, 5}, new int[] {0, 1, 0}, new int[] {3}, 2);

  @Test
  void fitStandardization_givesZeroMeanUnitDeviationOnTheTrainingData() {
    FeatureScaler scaler = FeatureScaler.fitStandardization(TRAINING);
    assertThat(scaler.means()).containsExactly(3, 20, 5);
    double deviation = Math.sqrt(8.0 / 3);
    assertThat(scaler.standardDeviations()[0]).isCloseTo(deviation, within(1e-12));
    assertThat(scaler.standardDeviations()[2]).as("constant feature").isEqualTo(1.0);

    float[] scaled = scaler.apply(TRAINING).features();
    assertThat(scaled[0]).isCloseTo((float) (-2 / deviation), within(1e-6f));
    assertThat(scaled[3]).isZero();
    assertThat(scaled[2]).as("constant feature maps to 0").isZero();
  }

  @Test
  void apply_heldOutData_usesTheTrainingStatistics() {
    FeatureScaler scaler = FeatureScaler.fitStandardization(TRAINING);
    LabeledDataset heldOut =
        LabeledDataset.create(new float[] {3, 20, 7}, new int[] {1}, new int[] {3}, 2);
    LabeledDataset scaled = scaler.apply(heldOut);
    assertThat(scaled.features()[0]).isZero();
    assertThat(scaled.features()[2]).isEqualTo(2f);
    assertThat(scaled.labels()).containsExactly(1);
  }

  @Test
  void apply_otherFeatureCount_isRefused() {
    FeatureScaler scaler = FeatureScaler.fitStandardization(TRAINING);
    LabeledDataset other =
        LabeledDataset.create(new float[] {1, 2}, new int[] {0}, new int[] {2}, 2);
    assertThatThrownBy(() -> scaler.apply(other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("this scaler was fitted on 3 features, the dataset has 2");
  }

  @Test
  void create_restoresSavedStatistics_andValidates() {
    FeatureScaler fitted = FeatureScaler.fitStandardization(TRAINING);
    FeatureScaler restored = FeatureScaler.create(fitted.means(), fitted.standardDeviations());
    assertThat(restored.apply(TRAINING).features())
        .containsExactly(fitted.apply(TRAINING).features());
    assertThatThrownBy(() -> FeatureScaler.create(new double[] {0}, new double[] {0}))
        .hasMessage("standard deviation of feature 0 must be finite and positive, not 0.0");
    assertThatThrownBy(() -> FeatureScaler.create(new double[] {0, 1}, new double[] {1}))
        .hasMessage("means and standardDeviations must have the same positive length, not 2 and 1");
  }
}
