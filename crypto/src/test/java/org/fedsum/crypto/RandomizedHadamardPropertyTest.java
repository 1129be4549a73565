package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class RandomizedHadamardPropertyTest {

  @Property(tries = 200)
  void rotate_isIsometry_andInverseRecoversInput(
      @ForAll @IntRange(min = 1, max = 5000) int dimension,
      @ForAll @Size(min = 16, max = 40) byte[] seed,
      @ForAll long vectorSeed) {
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, seed);
    double[] x = RandomizedHadamardTest.randomVector(new SplittableRandom(vectorSeed), dimension);
    double norm = RandomizedHadamardTest.norm(x);

    double[] rotated = rotation.rotate(x);
    assertThat(rotated).hasSize(rotation.paddedDimension());
    assertThat(rotation.paddedDimension()).isGreaterThanOrEqualTo(dimension);
    // Padding below max(1, m/64), i.e. none below m = 64... 128.
    assertThat(64L * (rotation.paddedDimension() - dimension)).isLessThan(Math.max(64, dimension));
    assertThat(RandomizedHadamardTest.norm(rotated)).isCloseTo(norm, within(1e-9 * norm));

    double[] back = rotation.inverse(rotated);
    assertThat(back).hasSize(dimension);
    assertThat(maxDifference(back, x)).isLessThanOrEqualTo(1e-12 * norm);
  }

  @Property(tries = 200)
  void blockLengths_areDecreasingPowersOfTwoCoveringThePaddedDimension(
      @ForAll @IntRange(min = 1, max = 1 << 30) int dimension) {
    int padded = RandomizedHadamard.paddedDimensionOf(dimension);
    int minBlock = Math.max(1, Integer.highestOneBit(dimension) >> 6);
    assertThat(padded).isGreaterThanOrEqualTo(dimension);
    assertThat(padded - dimension).isLessThan(minBlock);
    assertThat(padded % minBlock).isZero();
    if (dimension <= 1 << 22) {
      int[] lengths = RandomizedHadamard.create(dimension, new byte[16]).blockLengths();
      long total = 0;
      for (int j = 0; j < lengths.length; j++) {
        assertThat(Integer.bitCount(lengths[j])).isEqualTo(1);
        assertThat(lengths[j])
            .isGreaterThanOrEqualTo(Math.min(minBlock, RandomizedHadamard.MAX_BLOCK))
            .isLessThanOrEqualTo(RandomizedHadamard.MAX_BLOCK);
        if (j > 0) {
          // Strictly decreasing below the cap; equal blocks only at the cap.
          if (lengths[j] == lengths[j - 1]) {
            assertThat(lengths[j]).isEqualTo(RandomizedHadamard.MAX_BLOCK);
          } else {
            assertThat(lengths[j]).isLessThan(lengths[j - 1]);
          }
        }
        total += lengths[j];
      }
      assertThat(total).isEqualTo(padded);
      assertThat(lengths.length).isBetween(1, padded / RandomizedHadamard.MAX_BLOCK + 7);
    }
  }

  @Property(tries = 100)
  void rotate_matchesDenseBlockDiagonalMatrix(
      @ForAll @IntRange(min = 1, max = 300) int dimension,
      @ForAll @Size(min = 16, max = 16) byte[] seed,
      @ForAll long vectorSeed) {
    // The rotation as an explicit matrix: block j of H_L/√L on the diagonal, times the signs.
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, seed);
    double[] signs = RandomizedHadamardTest.signs(rotation);
    double[] x = RandomizedHadamardTest.randomVector(new SplittableRandom(vectorSeed), dimension);
    double[] expected = new double[rotation.paddedDimension()];
    int start = 0;
    for (int length : rotation.blockLengths()) {
      for (int row = 0; row < length; row++) {
        for (int col = 0; col < length && start + col < dimension; col++) {
          double term = signs[start + col] * x[start + col] / Math.sqrt(length);
          expected[start + row] += Integer.bitCount(row & col) % 2 == 0 ? term : -term;
        }
      }
      start += length;
    }
    assertThat(maxDifference(rotation.rotate(x), expected))
        .isLessThanOrEqualTo(1e-12 * RandomizedHadamardTest.norm(x));
  }

  @Property(tries = 50)
  void rotate_isLinear(
      @ForAll @IntRange(min = 1, max = 3000) int dimension,
      @ForAll @Size(min = 16, max = 16) byte[] seed,
      @ForAll long vectorSeed) {
    RandomizedHadamard rotation = RandomizedHadamard.create(dimension, seed);
    SplittableRandom random = new SplittableRandom(vectorSeed);
    double[] a = RandomizedHadamardTest.randomVector(random, dimension);
    double[] b = RandomizedHadamardTest.randomVector(random, dimension);
    double[] sum = new double[dimension];
    for (int i = 0; i < dimension; i++) {
      sum[i] = a[i] + b[i];
    }
    double[] rotatedA = rotation.rotate(a);
    double[] rotatedB = rotation.rotate(b);
    double[] rotatedSum = rotation.rotate(sum);
    double[] sumOfRotated = new double[rotatedSum.length];
    for (int i = 0; i < rotatedSum.length; i++) {
      sumOfRotated[i] = rotatedA[i] + rotatedB[i];
    }
    assertThat(maxDifference(rotatedSum, sumOfRotated))
        .isLessThanOrEqualTo(1e-12 * RandomizedHadamardTest.norm(sum));
  }

  private static double maxDifference(double[] a, double[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
