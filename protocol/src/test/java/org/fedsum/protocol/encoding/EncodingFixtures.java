package org.fedsum.protocol.encoding;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.List;

/** Shared helpers of the encoding tests: reproducible randomness, random updates, modular sums. */
final class EncodingFixtures {
  private EncodingFixtures() {}

  /** A deterministic {@link SecureRandom}: SHA1PRNG seeded before its first use. */
  static SecureRandom seeded(long seed) {
    try {
      SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
      random.setSeed(seed);
      return random;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: every JDK has SHA1PRNG", e);
    }
  }

  /** A Gaussian direction scaled to L2 norm {@code norm}. */
  static double[] randomUpdate(SecureRandom random, int dimension, double norm) {
    double[] update = new double[dimension];
    for (int i = 0; i < dimension; i++) {
      update[i] = random.nextGaussian();
    }
    double scale = norm / UpdateEncoder.l2Norm(update);
    for (int i = 0; i < dimension; i++) {
      update[i] *= scale;
    }
    return update;
  }

  /** The sum of the encodings modulo 2^32, left unreduced as an aggregator may hand it over. */
  static int[] sumModulo2To32(List<EncodedUpdate> encodings) {
    int[] sum = new int[encodings.get(0).length()];
    for (EncodedUpdate encoding : encodings) {
      int[] words = encoding.words();
      for (int i = 0; i < sum.length; i++) {
        sum[i] += words[i];
      }
    }
    return sum;
  }

  /** The sum of the encodings reduced modulo 2^bits. */
  static int[] sumModulo(List<EncodedUpdate> encodings, int bits) {
    int[] sum = sumModulo2To32(encodings);
    int mask = UpdateEncoder.mask(bits);
    for (int i = 0; i < sum.length; i++) {
      sum[i] &= mask;
    }
    return sum;
  }

  static double[] add(double[] left, double[] right) {
    double[] sum = new double[left.length];
    for (int i = 0; i < sum.length; i++) {
      sum[i] = left[i] + right[i];
    }
    return sum;
  }

  static double[] subtract(double[] left, double[] right) {
    double[] difference = new double[left.length];
    for (int i = 0; i < difference.length; i++) {
      difference[i] = left[i] - right[i];
    }
    return difference;
  }

  static double maxAbs(double[] vector) {
    double largest = 0;
    for (double value : vector) {
      largest = Math.max(largest, Math.abs(value));
    }
    return largest;
  }

  /** The centred lift of the words to {@code [-2^(bits-1), 2^(bits-1))}. */
  static long[] centredLift(int[] words, int bits) {
    long modulus = 1L << bits;
    long[] lifted = new long[words.length];
    for (int i = 0; i < words.length; i++) {
      long residue = words[i] & (modulus - 1);
      lifted[i] = residue >= modulus / 2 ? residue - modulus : residue;
    }
    return lifted;
  }
}
