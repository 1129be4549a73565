package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FedProxSyntheticTest {
  @Test
  void device_hasSixtyFeaturesAndTenClasses() {
    LabeledDataset device = FedProxSynthetic.create(1, 1, 7).device(3, 500);
    assertThat(device.size()).isEqualTo(500);
    assertThat(device.featureShape()).containsExactly(60);
    assertThat(device.classCount()).isEqualTo(10);
  }

  @Test
  void device_isAFunctionOfSeedAndDevice_andAPrefixOfLargerRequests() {
    FedProxSynthetic generator = FedProxSynthetic.create(0.5, 0.5, 7);
    LabeledDataset small = generator.device(2, 50);
    LabeledDataset large = FedProxSynthetic.create(0.5, 0.5, 7).device(2, 80);
    assertThat(Arrays.copyOf(large.features(), 50 * 60)).containsExactly(small.features());
    assertThat(Arrays.copyOf(large.labels(), 50)).containsExactly(small.labels());
    assertThat(generator.device(3, 50).features()).isNotEqualTo(small.features());
    assertThat(FedProxSynthetic.create(0.5, 0.5, 8).device(2, 50).features())
        .isNotEqualTo(small.features());
  }

  @Test
  void device_featureVariancesFollowTheDiagonalCovariance() {
    // Within one device x_j ~ N(v_j, j^-1.2): feature 1 has variance 1, feature 60 about 0.0074.
    LabeledDataset device = FedProxSynthetic.create(0, 0, 3).device(0, 20_000);
    assertThat(variance(device, 0)).isCloseTo(1.0, within(0.05));
    assertThat(variance(device, 9)).isCloseTo(Math.pow(10, -1.2), within(0.01));
    assertThat(variance(device, 59)).isCloseTo(Math.pow(60, -1.2), within(0.001));
  }

  @Test
  void beta_controlsHowFarApartTheDevicesFeatureMeansAre() {
    // v_k's entries are N(B_k, 1) with B_k ~ N(0, β): the spread of per-device means grows with β.
    assertThat(spreadOfDeviceMeans(0)).isLessThan(1.6);
    assertThat(spreadOfDeviceMeans(10)).isGreaterThan(4);
  }

  @Test
  void labels_useSeveralClasses() {
    LabeledDataset device = FedProxSynthetic.create(0, 0, 11).device(1, 2_000);
    long classesUsed = Arrays.stream(device.labelCounts()).filter(count -> count > 0).count();
    assertThat(classesUsed).isGreaterThanOrEqualTo(2);
  }

  @Test
  void deviceSizes_areAtLeastFiftyAndCapped() {
    int[] sizes = FedProxSynthetic.deviceSizes(30, 2_000, 1);
    assertThat(sizes).hasSize(30);
    assertThat(Arrays.stream(sizes).min().getAsInt()).isGreaterThanOrEqualTo(50);
    assertThat(Arrays.stream(sizes).max().getAsInt()).isLessThanOrEqualTo(2_000);
    assertThat(FedProxSynthetic.deviceSizes(30, 2_000, 1)).containsExactly(sizes);
    assertThat(Arrays.stream(sizes).distinct().count()).isGreaterThan(10);
  }

  @Test
  void create_badParameters_areRefused() {
    assertThatThrownBy(() -> FedProxSynthetic.create(-1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("alpha must be finite and >= 0, not -1.0");
    assertThatThrownBy(() -> FedProxSynthetic.create(0, Double.NaN, 1))
        .hasMessage("beta must be finite and >= 0, not NaN");
  }

  private static double variance(LabeledDataset data, int feature) {
    float[] x = data.features();
    double sum = 0;
    double squares = 0;
    for (int i = 0; i < data.size(); i++) {
      double value = x[i * 60 + feature];
      sum += value;
      squares += value * value;
    }
    double mean = sum / data.size();
    return squares / data.size() - mean * mean;
  }

  /** The standard deviation, across 30 devices, of each device's mean of feature 0. */
  private static double spreadOfDeviceMeans(double beta) {
    FedProxSynthetic generator = FedProxSynthetic.create(0, beta, 5);
    double[] means = new double[30];
    for (int k = 0; k < 30; k++) {
      float[] x = generator.device(k, 200).features();
      double sum = 0;
      for (int i = 0; i < 200; i++) {
        sum += x[i * 60];
      }
      means[k] = sum / 200;
    }
    double mean = Arrays.stream(means).average().orElseThrow();
    return Math.sqrt(Arrays.stream(means).map(m -> (m - mean) * (m - mean)).sum() / 30);
  }
}
