package org.fedsum.silo.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * Seeded random streams and the few distributions the generators and partitioners draw from.
 * Statistical quality, not secrecy: nothing here protects data.
 */
final class RandomStreams {
  private RandomStreams() {}

  /**
   * An independent stream for {@code (seed, purpose, index)}. Hashing keeps streams for nearby
   * seeds or indices unrelated (seeding {@link SplittableRandom} with {@code seed + index} would
   * give shifted copies of one stream).
   */
  static SplittableRandom derive(long seed, String purpose, long index) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 is missing from the JDK", e);
    }
    sha256.update(purpose.getBytes(StandardCharsets.UTF_8));
    sha256.update(ByteBuffer.allocate(16).putLong(seed).putLong(index).array());
    return new SplittableRandom(ByteBuffer.wrap(sha256.digest()).getLong());
  }

  /** Fisher–Yates shuffle in place. */
  static void shuffle(int[] values, SplittableRandom random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = values[i];
      values[i] = values[j];
      values[j] = swap;
    }
  }

  /** {@code [0, 1, ..., n - 1]} shuffled. */
  static int[] permutation(int n, SplittableRandom random) {
    int[] values = new int[n];
    for (int i = 0; i < n; i++) {
      values[i] = i;
    }
    shuffle(values, random);
    return values;
  }

  /**
   * A draw from the symmetric Dirichlet({@code concentration}, …) over {@code parts} parts, through
   * normalized Gamma draws taken in log space so that small concentrations (β = 0.1 puts nearly all
   * mass on one part) do not underflow to an all-zero vector.
   */
  static double[] symmetricDirichlet(int parts, double concentration, SplittableRandom random) {
    double[] logs = new double[parts];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < parts; i++) {
      logs[i] = logGamma(concentration, random);
      max = Math.max(max, logs[i]);
    }
    double sum = 0;
    double[] proportions = new double[parts];
    for (int i = 0; i < parts; i++) {
      proportions[i] = Math.exp(logs[i] - max);
      sum += proportions[i];
    }
    for (int i = 0; i < parts; i++) {
      proportions[i] /= sum;
    }
    return proportions;
  }

  /**
   * The logarithm of a Gamma(shape, 1) draw: Marsaglia and Tsang, "A simple method for generating
   * gamma variables" (ACM TOMS 2000), with their boost {@code Gamma(a) = Gamma(a + 1) · U^(1/a)}
   * for {@code a < 1}.
   */
  static double logGamma(double shape, SplittableRandom random) {
    if (shape < 1) {
      double uniform = 1.0 - random.nextDouble(); // in (0, 1], so the log is finite
      return logGamma(shape + 1, random) + Math.log(uniform) / shape;
    }
    double d = shape - 1.0 / 3.0;
    double c = 1.0 / Math.sqrt(9 * d);
    while (true) {
      double x = random.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double uniform = 1.0 - random.nextDouble();
      if (uniform < 1 - 0.0331 * x * x * x * x
          || Math.log(uniform) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return Math.log(d * v);
      }
    }
  }
}
