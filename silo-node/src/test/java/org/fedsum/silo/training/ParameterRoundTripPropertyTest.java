package org.fedsum.silo.training;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/** Any finite float survives setParameters → parameters unchanged, bit for bit. */
class ParameterRoundTripPropertyTest {
  private static final LocalModel MODEL =
      LocalModel.create(ModelSpec.multilayerPerceptron(new int[] {3}, 2, 4), 1);

  @AfterContainer
  static void closeModel() {
    MODEL.close();
  }

  @Property(tries = 100)
  void setParameters_anyFiniteValues_roundTripBitExact(@ForAll("finiteVectors") float[] values) {
    MODEL.setParameters(values);
    assertThat(LocalModelTest.bits(MODEL.parameters())).isEqualTo(LocalModelTest.bits(values));
  }

  @Provide
  Arbitrary<float[]> finiteVectors() {
    Arbitrary<Float> anyFinite =
        Arbitraries.integers()
            .map(Float::intBitsToFloat)
            .filter(Float::isFinite)
            .injectDuplicates(0.1);
    Arbitrary<Float> edge =
        Arbitraries.of(-0.0f, 0.0f, Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MAX_VALUE, 1e-42f);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, anyFinite), net.jqwik.api.Tuple.of(1, edge))
        .array(float[].class)
        .ofSize(MODEL.parameterCount());
  }
}
