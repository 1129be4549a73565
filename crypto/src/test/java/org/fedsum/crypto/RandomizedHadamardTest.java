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
  void create_paddedDimensionAndBlocks_followTheRule() {
    // {m, d', blocks...}: d' is m rounded up to a multiple of 2^max(0, ⌊log₂ m⌋ - 6), split by its
    // binary expansion, largest block first.
    int[][] cases = {
      {1, 1, 1},
      {2, 2, 2},
      {3, 3, 2, 1},
      {63, 63, 32, 16, 8, 4, 2, 1},
      {64, 64, 64},
      {65, 65, 64, 1},
      {127, 127, 64, 32, 16, 8, 4, 2, 1},
      {128, 128, 128},
      {129, 130, 128, 2},
      {1000, 1000, 512, 256, 128, 64, 32, 8},
      {1001, 1008, 512, 256, 128, 64, 32, 16},
      {1024, 1024, 1024},
      {1025, 1040, 1024, 16},
      {1_000_000, 1_007_616, 1 << 19, 1 << 18, 1 << 17, 1 << 16, 1 << 14, 1 << 13},
      // 2^23 + 2^20 + 2^19 + 2^17, with 2^23 split into blocks of at most 2^20.
      {
        10_000_000,
        10_092_544,
        1 << 20,
        1 << 20,
        1 << 20,
        1 << 20,
        1 << 20,
        1 << 20,
        1 << 20,
        1 << 20,
        1 << 20,
        1 << 19,
        1 << 17
      },
      {(1 << 30) - 1, 1 << 30, 1 << 30},
    };
    for (int[] c : cases) {
      int dimension = c[0];
      assertThat(RandomizedHadamard.paddedDimensionOf(dimension))
          .as("dimension %s", dimension)
          .isEqualTo(c[1]);
      if (dimension <= 10_000_000) {
        RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
        assertThat(rotation.dimension()).isEqualTo(dimension);
        assertThat(rotation.paddedDimension()).as("dimension %s", dimension).isEqualTo(c[1]);
        assertThat(rotation.blockLengths())
            .as("dimension %s", dimension)
            .containsExactly(Arrays.copyOfRange(c, 2, c.length));
      }
    }
  }

  @Test
  void paddedDimensionOf_boundsPaddingAndBlocks_forEveryDimensionUpTo2To16() {
    for (int dimension = 1; dimension <= 1 << 16; dimension++) {
      int padded = RandomizedHadamard.paddedDimensionOf(dimension);
      int topBit = Integer.highestOneBit(dimension);
      int minBlock = Math.max(1, topBit / 64);
      if (padded < dimension
          || padded - dimension >= minBlock
          || padded % minBlock != 0
          || (dimension < 128 && padded != dimension)
          || (dimension >= 64 && 64L * (padded - dimension) >= dimension)
          || Integer.bitCount(padded) > 7
          || padded / Integer.lowestOneBit(padded) > 128) {
        throw new AssertionError("dimension " + dimension + " padded to " + padded);
      }
    }
  }

  @Test
  void rotate_smallCase_matchesDefinition() {
    // m = 3 is two blocks, {0, 1} and {2}: y = (H_2·D·x_{0,1}/√2, D_22·x_2).
    RandomizedHadamard rotation = RandomizedHadamard.create(3, SEED);
    double[] signs = signs(rotation);
    double[] x = {1.5, -2, 4};
    double[] expected = {
      (signs[0] * x[0] + signs[1] * x[1]) / Math.sqrt(2),
      (signs[0] * x[0] - signs[1] * x[1]) / Math.sqrt(2),
      signs[2] * x[2]
    };
    assertThat(rotation.rotate(x)).containsExactly(expected, within(1e-12));
  }

  @Test
  void rotate_matchesNaiveBlockHadamardProduct() {
    // H_L[i][j] = (-1)^popcount(i & j) within each block. 3000 pads to 3008 = 2048 + 512 + 256 +
    // 128 + 64 (the 2048 block is one cache block); 4096 is one block with one wide stage; 8192 + 5
    // pads to 8320 = 8192 + 128 (two wide stages in one pass, then a small block). Sampled rows
    // keep
    // the O(d·L) check fast.
    for (int dimension : new int[] {3000, 4096, 8197}) {
      RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
      double[] x = randomVector(new SplittableRandom(dimension), dimension);
      double[] signs = signs(rotation);
      double[] rotated = rotation.rotate(x);
      int blockStart = 0;
      for (int length : rotation.blockLengths()) {
        for (int row = 0; row < length; row += 37) {
          double expected = 0;
          for (int col = 0; col < length && blockStart + col < dimension; col++) {
            double term = signs[blockStart + col] * x[blockStart + col];
            expected += Integer.bitCount(row & col) % 2 == 0 ? term : -term;
          }
          expected /= Math.sqrt(length);
          if (Math.abs(rotated[blockStart + row] - expected) > 1e-9) {
            throw new AssertionError(
                "dimension "
                    + dimension
                    + " block at "
                    + blockStart
                    + " row "
                    + row
                    + ": "
                    + rotated[blockStart + row]
                    + " vs "
                    + expected);
          }
        }
        blockStart += length;
      }
      assertThat(blockStart).isEqualTo(rotated.length);
    }
  }

  @Test
  void rotate_oneHot_spreadsEvenlyOverItsBlockOnly() {
    for (int dimension : new int[] {1, 7, 64, 1000, 4097}) {
      RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
      int[] lengths = rotation.blockLengths();
      for (int hot : new int[] {0, dimension / 2, dimension - 1}) {
        double[] oneHot = new double[dimension];
        oneHot[hot] = 3;
        double[] rotated = rotation.rotate(oneHot);
        int blockStart = 0;
        for (int length : lengths) {
          boolean hotBlock = hot >= blockStart && hot < blockStart + length;
          double expectedMagnitude = hotBlock ? 3 / Math.sqrt(length) : 0;
          for (int i = blockStart; i < blockStart + length; i++) {
            assertThat(Math.abs(rotated[i]))
                .as("dimension %s, hot %s, coordinate %s", dimension, hot, i)
                .isCloseTo(expectedMagnitude, within(1e-12));
          }
          blockStart += length;
        }
      }
    }
  }

  @Test
  void rotate_powerOfTwoDimension_isTheSingleBlockTransform() {
    // One block: y = H·D·x/√d, the whole-vector transform used before blocks existed.
    int dimension = 16;
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
    assertThat(rotation.blockLengths()).containsExactly(16);
    double[] signs = signs(rotation);
    double[] x = randomVector(new SplittableRandom(5), dimension);
    double[] rotated = rotation.rotate(x);
    for (int row = 0; row < dimension; row++) {
      double expected = 0;
      for (int col = 0; col < dimension; col++) {
        double term = signs[col] * x[col];
        expected += Integer.bitCount(row & col) % 2 == 0 ? term : -term;
      }
      assertThat(rotated[row]).isCloseTo(expected / 4, within(1e-12));
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
    // Beyond the cache block, so that the wide stages run too; 2^20 + 3 pads to 2^20 + 2^14.
    int dimension = (1 << 20) + 3;
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
    double[] x = randomVector(new SplittableRandom(4), dimension);
    double[] rotated = rotation.rotate(x);
    assertThat(rotated).hasSize((1 << 20) + (1 << 14));
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
  void inverseBlock_equalsTheWholeInverseBitForBit() {
    // 2^20 + 2^14 + 5 pads to 2^20 + 2^15: a wide block and a padded one.
    for (int dimension : new int[] {1, 3, 65, 1001, (1 << 20) + (1 << 14) + 5}) {
      RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
      double[] rotated = randomVector(new SplittableRandom(dimension), rotation.paddedDimension());
      double[] whole = rotation.inverse(rotated);
      int start = 0;
      int[] lengths = rotation.blockLengths();
      for (int block = 0; block < lengths.length; block++) {
        double[] values = Arrays.copyOfRange(rotated, start, start + lengths[block]);
        rotation.inverseBlock(block, values);
        for (int i = 0; i < lengths[block] && start + i < dimension; i++) {
          if (Double.doubleToRawLongBits(values[i])
              != Double.doubleToRawLongBits(whole[start + i])) {
            throw new AssertionError(
                "dimension " + dimension + " coordinate " + (start + i) + " differs");
          }
        }
        start += lengths[block];
      }
    }
  }

  @Test
  void inverseBlock_badBlockOrLength_isRefused() {
    RandomizedHadamard rotation = RandomizedHadamard.create(129, SEED);
    assertThatThrownBy(() -> rotation.inverseBlock(2, new double[2]))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> rotation.inverseBlock(-1, new double[2]))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> rotation.inverseBlock(1, new double[128]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("block 1 has length 2, values have length 128");
  }

  @Test
  void rotate_wrongLength_throwsNamingBoth() {
    RandomizedHadamard rotation = RandomizedHadamard.create(129, SEED);
    assertThatThrownBy(() -> rotation.rotate(new double[128]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("129")
        .hasMessageContaining("not 128");
    assertThatThrownBy(() -> rotation.inverse(new double[129]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("length 130")
        .hasMessageContaining("not 129");
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
    assertThatThrownBy(() -> RandomizedHadamard.paddedDimensionOf(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 0");
    assertThatThrownBy(() -> RandomizedHadamard.paddedDimensionOf((1 << 30) + 1))
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
    assertThat(RandomizedHadamard.create(129, SEED).toString())
        .isEqualTo("RandomizedHadamard[dimension=129, paddedDimension=130, blockLengths=[128, 2]]");
  }

  /**
   * The diagonal of D: each block's H has a first column of ones, so the inverse of the vector with
   * a 1 at the start of every block is D·(1/√L_0, ..., 1/√L_1, ...).
   */
  static double[] signs(RandomizedHadamard rotation) {
    double[] blockStarts = new double[rotation.paddedDimension()];
    int start = 0;
    for (int length : rotation.blockLengths()) {
      blockStarts[start] = 1;
      start += length;
    }
    double[] scaled = rotation.inverse(blockStarts);
    double[] signs = new double[scaled.length];
    for (int i = 0; i < scaled.length; i++) {
      signs[i] = Math.signum(scaled[i]);
    }
    return signs;
  }

  /**
   * Above 2^20 coordinates the blocks are capped at 2^20: a spike in the second full block spreads
   * over exactly that block's 2^20 coordinates, each of magnitude 1/1024, and nowhere else; and the
   * inverse gives the vector back.
   */
  @Test
  void largeDimension_blocksCappedAt2To20_spikeSpreadsOverItsBlockOnly() {
    int dimension = 3 * RandomizedHadamard.MAX_BLOCK + 5;
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, SEED);
    assertThat(rotation.blockLengths())
        .startsWith(
            RandomizedHadamard.MAX_BLOCK,
            RandomizedHadamard.MAX_BLOCK,
            RandomizedHadamard.MAX_BLOCK);
    double[] x = new double[dimension];
    x[RandomizedHadamard.MAX_BLOCK + 12345] = 1.0;
    double[] rotated = rotation.rotate(x);
    int nonZero = 0;
    for (int i = 0; i < rotated.length; i++) {
      boolean inSecondBlock =
          i >= RandomizedHadamard.MAX_BLOCK && i < 2 * RandomizedHadamard.MAX_BLOCK;
      if (inSecondBlock) {
        assertThat(Math.abs(rotated[i])).isCloseTo(1.0 / 1024, within(1e-15));
        nonZero++;
      } else if (rotated[i] != 0.0) {
        throw new AssertionError("coordinate " + i + " outside the spike's block is " + rotated[i]);
      }
    }
    assertThat(nonZero).isEqualTo(RandomizedHadamard.MAX_BLOCK);
    double[] y = randomVector(new SplittableRandom(7), dimension);
    double[] back = rotation.inverse(rotation.rotate(y));
    double worst = 0;
    for (int i = 0; i < dimension; i++) {
      worst = Math.max(worst, Math.abs(back[i] - y[i]));
    }
    assertThat(worst).isLessThanOrEqualTo(1e-12 * norm(y));
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
