package org.fedsum.aggregator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A model held as raw bits over a longer array (the aggregator's next model, written over the
 * round's sum) reads, hashes and serializes exactly as the same model held as floats.
 */
class Float32VectorTest {
  @Test
  void bitsOverALongerArray_readLikeTheFloats() {
    Random random = new Random(5);
    int dimension = 40_000; // more than one hashing chunk
    float[] floats = new float[dimension];
    int[] words = new int[dimension + 77]; // padding and a weight word beyond the model
    for (int i = 0; i < dimension; i++) {
      floats[i] = (float) random.nextGaussian();
      words[i] = Float.floatToRawIntBits(floats[i]);
    }
    for (int i = dimension; i < words.length; i++) {
      words[i] = random.nextInt();
    }
    Float32Vector asFloats = Float32Vector.wrap(floats);
    Float32Vector asBits = Float32Vector.overBits(words, dimension);

    assertThat(asBits.dimension()).isEqualTo(dimension);
    assertThat(asBits.toFloatArray()).isEqualTo(floats);
    assertThat(asBits.toDoubleArray()).isEqualTo(asFloats.toDoubleArray());
    assertThat(asBits.sha256()).isEqualTo(asFloats.sha256()).hasSize(64);
    double[] range = new double[100];
    asBits.widen(dimension - 100, 100, range);
    for (int i = 0; i < 100; i++) {
      assertThat(range[i]).isEqualTo(floats[dimension - 100 + i]);
    }
    ByteBuffer fromBits = ByteBuffer.allocate(4 * 1000).order(ByteOrder.BIG_ENDIAN);
    ByteBuffer fromFloats = ByteBuffer.allocate(4 * 1000);
    asBits.putLittleEndian(500, 1000, fromBits);
    asFloats.putLittleEndian(500, 1000, fromFloats);
    assertThat(fromBits.position()).isEqualTo(4000);
    assertThat(fromBits.order())
        .as("the buffer's own order is left as it was")
        .isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThat(fromBits.array()).isEqualTo(fromFloats.array());
    assertThat(ByteBuffer.wrap(fromBits.array()).order(ByteOrder.LITTLE_ENDIAN).getFloat(0))
        .isEqualTo(floats[500]);
  }

  @Test
  void ranges_beyondTheDimension_areRefused() {
    Float32Vector vector = Float32Vector.overBits(new int[10], 8);
    assertThatThrownBy(() -> vector.widen(4, 5, new double[5]))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> vector.putLittleEndian(8, 1, ByteBuffer.allocate(4)))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Float32Vector.overBits(new int[10], 11))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between 0 and 10");
  }
}
