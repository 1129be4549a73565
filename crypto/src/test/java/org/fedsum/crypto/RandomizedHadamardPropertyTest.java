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
    assertThat(rotation.paddedDimension()).isLessThan(2 * dimension);
    assertThat(Integer.bitCount(rotation.paddedDimension())).isEqualTo(1);
    assertThat(RandomizedHadamardTest.norm(rotated)).isCloseTo(norm, within(1e-9 * norm));

    double[] back = rotation.inverse(rotated);
    assertThat(back).hasSize(dimension);
    assertThat(maxDifference(back, x)).isLessThanOrEqualTo(1e-12 * norm);
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
