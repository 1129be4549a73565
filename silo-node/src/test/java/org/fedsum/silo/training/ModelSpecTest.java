package org.fedsum.silo.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModelSpecTest {
  @Test
  void parameterCount_niidBenchCnnOnFashionMnist_is44426() {
    // conv 1→6 (156) + conv 6→16 (2,416) + 256→120 (30,840) + 120→84 (10,164) + 84→10 (850)
    assertThat(ModelSpec.smallCnn(new int[] {1, 28, 28}, 10).parameterCount()).isEqualTo(44_426);
    // On CIFAR-10's 3 × 32 × 32 the flattened size is 16 · 5 · 5 = 400 (NIID-Bench: 62,006).
    assertThat(ModelSpec.smallCnn(new int[] {3, 32, 32}, 10).parameterCount()).isEqualTo(62_006);
  }

  @Test
  void parameterCount_denseModels_matchTheFormula() {
    assertThat(ModelSpec.logisticRegression(new int[] {1, 28, 28}, 10).parameterCount())
        .isEqualTo(784 * 10 + 10);
    assertThat(ModelSpec.multilayerPerceptron(new int[] {60}, 10, 200, 100).parameterCount())
        .isEqualTo(60 * 200 + 200 + 200 * 100 + 100 + 100 * 10 + 10);
  }

  @Test
  void create_badValues_areRefusedByName() {
    assertThatThrownBy(() -> ModelSpec.logisticRegression(new int[] {5, 0}, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("inputShape dimensions must be positive, not [5, 0]");
    assertThatThrownBy(() -> ModelSpec.logisticRegression(new int[0], 3))
        .hasMessage("inputShape must have at least one dimension");
    assertThatThrownBy(() -> ModelSpec.logisticRegression(new int[] {5}, 1))
        .hasMessage("classes must be at least 2, not 1");
    assertThatThrownBy(() -> ModelSpec.multilayerPerceptron(new int[] {5}, 3))
        .hasMessage("a multilayer perceptron needs hidden layer sizes");
    assertThatThrownBy(() -> ModelSpec.multilayerPerceptron(new int[] {5}, 3, 8, -1))
        .hasMessage("hidden layer sizes must be positive, not [8, -1]");
    assertThatThrownBy(
            () -> ModelSpec.create(ModelKind.LOGISTIC_REGRESSION, new int[] {5}, 3, new int[] {4}))
        .hasMessage("LOGISTIC_REGRESSION takes no hidden layer sizes, not [4]");
    assertThatThrownBy(() -> ModelSpec.smallCnn(new int[] {784}, 10))
        .hasMessageContaining("SMALL_CNN needs inputShape [channels, height, width]")
        .hasMessageEndingWith("not [784]");
    assertThatThrownBy(() -> ModelSpec.smallCnn(new int[] {1, 15, 28}, 10))
        .hasMessageContaining("height and width >= 16");
  }

  @Test
  void accessors_returnCopies() {
    int[] shape = {1, 28, 28};
    ModelSpec spec = ModelSpec.smallCnn(shape, 10);
    shape[1] = 99;
    spec.inputShape()[2] = 99;
    assertThat(spec.inputShape()).containsExactly(1, 28, 28);
    assertThat(spec.inputFeatures()).isEqualTo(784);
  }

  @Test
  void equals_comparesKindShapeClassesAndHiddenSizes() {
    ModelSpec a = ModelSpec.multilayerPerceptron(new int[] {60}, 10, 32, 16);
    assertThat(a)
        .isEqualTo(ModelSpec.multilayerPerceptron(new int[] {60}, 10, 32, 16))
        .hasSameHashCodeAs(ModelSpec.multilayerPerceptron(new int[] {60}, 10, 32, 16))
        .isNotEqualTo(ModelSpec.multilayerPerceptron(new int[] {60}, 10, 32, 8))
        .isNotEqualTo(ModelSpec.multilayerPerceptron(new int[] {60}, 9, 32, 16))
        .isNotEqualTo(ModelSpec.logisticRegression(new int[] {60}, 10));
    assertThat(a)
        .hasToString("ModelSpec[MULTILAYER_PERCEPTRON, input [60], 10 classes, hidden [32, 16]]");
  }
}
