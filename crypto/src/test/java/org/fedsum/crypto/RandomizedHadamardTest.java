package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomizedHadamardTest {
  private static final byte[] SEED =
      "round 42 public rotation seed".getBytes(StandardCharsets.UTF_8);

  @Test
  void create_paddedDimension_isNextPowerOfTwo() {
    int[][] cases = {
      {1, 1}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {1000, 1024}, {1024, 1024}, {1025, 2048}
    };
    for (int[] c : cases) {
      RandomizedHadamard rotation = RandomizedHadamard.create(c[0], SEED);
      assertThat(rotation.dimension()).isEqualTo(c[0]);
      assertThat(rotation.paddedDimension()).as("dimension %s", c[0]).isEqualTo(c[1]);
    }
  }

  @Test
  void rotate_smallCase_matchesDefinition() {
    // y = H·D·x / √d written out for d = 4 against the signs that rotate() itself reveals.
    RandomizedHadamard rotation = RandomizedHadamard.create(3, SEED);
    double[] signs = new double[3];
    for (int i = 0; i < 3; i++) {
      double[] unit = new double[3];
      unit[i] = 1;
      // H's first row is all ones, so y_0 = D_ii / 2 for the unit vector e_i.
      signs[i] = Math.signum(rotation.rotate(unit)[0]);
    }
    double[] x = {1.5, -2, 4};
    int[][] hadamard = {{1, 1, 1, 1}, {1, -1, 1, -1}, {1, 1, -1, -1}, {1, -1, -1, 1}};
    double[] expected = new double[4];
    for (int row = 0; row < 4; row++) {
      for (int col = 0; col < 3; col++) {
        expected[row] += hadamard[row][col] * signs[col] * x[col] / 2;
      }
    }
    assertThat(rotation.rotate(x)).containsExactly(expected, within(1e-12));
  }

  @Test
  void rotate_matchesNaiveHadamardProduct() {
    // H[i][j] = (-1)^popcount(i & j). Padded sizes 4096 (one wide stage after the cache-sized
    // blocks) and 8192 (two wide stages in one pass); sampled rows keep the O(d²) check fast.
    for (int dimension : new int[] {3000, 5000}) {
      RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
      int padded = rotation.paddedDimension();
      double[] x = randomVector(new SplittableRandom(dimension), dimension);
      double[] signs = signs(rotation);
      double[] rotated = rotation.rotate(x);
      for (int row = 0; row < padded; row += 37) {
        double expected = 0;
        for (int col = 0; col < dimension; col++) {
          double term = signs[col] * x[col];
          expected += Integer.bitCount(row & col) % 2 == 0 ? term : -term;
        }
        expected /= Math.sqrt(padded);
        if (Math.abs(rotated[row] - expected) > 1e-9) {
          throw new AssertionError(
              "dimension " + dimension + " row " + row + ": " + rotated[row] + " vs " + expected);
        }
      }
    }
  }

  @Test
  void rotate_oneHot_spreadsEvenly() {
    for (int dimension : new int[] {1, 7, 64, 1000, 4097}) {
      RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
      double[] oneHot = new double[dimension];
      oneHot[dimension / 2] = 3;
      double[] rotated = rotation.rotate(oneHot);
      double expectedMagnitude = 3 / Math.sqrt(rotation.paddedDimension());
      for (double value : rotated) {
        assertThat(Math.abs(value)).isCloseTo(expectedMagnitude, within(1e-12));
      }
    }
  }

  @Test
  void create_signs_followDocumentedSha256CounterMode() throws Exception {
    int dimension = 600; // three SHA-256 blocks, the last one partly used
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    double[] signs = signs(rotation);
    int mismatches = 0;
    for (int block = 0; block * 256 < dimension; block++) {
      sha256.update("FedSum randomized Hadamard signs v1".getBytes(StandardCharsets.US_ASCII));
      sha256.update((byte) 0);
      sha256.update(ByteBuffer.allocate(4).putInt(SEED.length).array());
      sha256.update(SEED);
      byte[] hash = sha256.digest(ByteBuffer.allocate(8).putLong(block).array());
      for (int j = 0; j < 256 && block * 256 + j < dimension; j++) {
        int index = block * 256 + j;
        boolean negative = ((hash[j / 8] >> (7 - j % 8)) & 1) == 1;
        if ((signs[index] < 0) != negative) {
          mismatches++;
        }
      }
    }
    assertThat(mismatches).isZero();
  }

  @Test
  void create_sameSeed_sameRotation() {
    double[] x = randomVector(new SplittableRandom(1), 777);
    double[] first = RandomizedHadamard.create(777, SEED).rotate(x);
    double[] second = RandomizedHadamard.create(777, SEED.clone()).rotate(x);
    assertThat(second).containsExactly(first);
  }

  @Test
  void create_differentSeeds_differentSigns() {
    byte[] otherSeed = SEED.clone();
    otherSeed[0] ^= 1;
    int dimension = 1000;
    double[] a = signs(RandomizedHadamard.create(dimension, SEED));
    double[] b = signs(RandomizedHadamard.create(dimension, otherSeed));
    int differing = 0;
    for (int i = 0; i < dimension; i++) {
      if (a[i] != b[i]) {
        differing++;
      }
    }
    // Independent fair signs: about 500 of 1000 differ; 400..600 is beyond 6 standard deviations.
    assertThat(differing).isBetween(400, 600);
  }

  @Test
  void create_seed_isCopied() {
    byte[] seed = SEED.clone();
    RandomizedHadamard rotation = RandomizedHadamard.create(100, seed);
    double[] x = randomVector(new SplittableRandom(2), 100);
    double[] before = rotation.rotate(x);
    Arrays.fill(seed, (byte) 0);
    assertThat(rotation.rotate(x)).containsExactly(before);
  }

  @Test
  void rotate_doesNotModifyInput() {
    RandomizedHadamard rotation = RandomizedHadamard.create(10, SEED);
    double[] x = randomVector(new SplittableRandom(3), 10);
    double[] copy = x.clone();
    double[] rotated = rotation.rotate(x);
    double[] rotatedCopy = rotated.clone();
    rotation.inverse(rotated);
    assertThat(x).containsExactly(copy);
    assertThat(rotated).containsExactly(rotatedCopy);
  }

  @Test
  void rotate_largeDimension_isIsometryAndInvertible() {
    // Beyond the cache block, so that the wide stages run too.
    int dimension = (1 << 20) + 3;
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
    double[] x = randomVector(new SplittableRandom(4), dimension);
    double[] rotated = rotation.rotate(x);
    assertThat(rotated).hasSize(1 << 21);
    assertThat(norm(rotated)).isCloseTo(norm(x), within(1e-9 * norm(x)));
    double[] back = rotation.inverse(rotated);
    double tolerance = 1e-12 * norm(x);
    for (int i = 0; i < dimension; i++) {
      if (Math.abs(back[i] - x[i]) > tolerance) {
        throw new AssertionError("coordinate " + i + ": " + back[i] + " vs " + x[i]);
      }
    }
  }

  @Test
  void rotate_wrongLength_throwsNamingBoth() {
    RandomizedHadamard rotation = RandomizedHadamard.create(5, SEED);
    assertThatThrownBy(() -> rotation.rotate(new double[4]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5")
        .hasMessageContaining("not 4");
    assertThatThrownBy(() -> rotation.inverse(new double[5]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("length 8")
        .hasMessageContaining("not 5");
    assertThatThrownBy(() -> rotation.rotate(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void create_invalidArguments_throwNamingValue() {
    assertThatThrownBy(() -> RandomizedHadamard.create(0, SEED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 0");
    assertThatThrownBy(() -> RandomizedHadamard.create((1 << 30) + 1, SEED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not " + ((1 << 30) + 1));
    assertThatThrownBy(() -> RandomizedHadamard.create(10, new byte[15]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 16 bytes, not 15");
    assertThatThrownBy(() -> RandomizedHadamard.create(10, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void toString_showsDimensions() {
    assertThat(RandomizedHadamard.create(5, SEED).toString())
        .isEqualTo("RandomizedHadamard[dimension=5, paddedDimension=8]");
  }

  /** The diagonal of D: H's first column is all ones, so inverse(e_0) = D·(1, ..., 1)/√d. */
  private static double[] signs(RandomizedHadamard rotation) {
    double[] firstUnit = new double[rotation.paddedDimension()];
    firstUnit[0] = 1;
    double[] scaled = rotation.inverse(firstUnit);
    double[] signs = new double[scaled.length];
    for (int i = 0; i < scaled.length; i++) {
      signs[i] = Math.signum(scaled[i]);
    }
    return signs;
  }

  static double[] randomVector(SplittableRandom random, int length) {
    double[] vector = new double[length];
    for (int i = 0; i < length; i++) {
      vector[i] = random.nextDouble(-10, 10);
    }
    return vector;
  }

  static double norm(double[] vector) {
    double sum = 0;
    for (double value : vector) {
      sum += value * value;
    }
    return Math.sqrt(sum);
  }
}
