package org.fedsum.protocol.encoding;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.fedsum.crypto.DiscreteGaussianSampler;
import org.fedsum.crypto.RandomizedHadamard;

/**
 * Turns one silo's model update into words of {@code Z_{2^b}} (DESIGN.md §4, steps 2–6): refuse
 * non-finite values, clip to L2 norm {@code C}, rotate (optional), scale by {@code 1/γ}, round by
 * conditional randomized rounding, add discrete Gaussian noise (with DP), wrap modulo {@code 2^b}.
 *
 * <p>Conditional randomized rounding follows Kairouz, Liu and Steinke (ICML 2021), §4.1 and Theorem
 * 1: every coordinate {@code x} is rounded up with probability {@code x - ⌊x⌋} (unbiased), and the
 * whole rounding is drawn again until the rounded vector's L2 norm is at most {@link
 * EncodingParameters#roundedNormBound()} (for the scaled norm bound {@code c = C/γ}; {@code w·C/γ}
 * for weight {@code w}; the update's own scaled norm when clipping is off). One attempt exceeds the
 * bound with probability at most {@code β = e^(-1/2)}, so about 2.5 attempts are drawn at worst and
 * fewer than 1.01 in practice. The bound makes the rounded vector's sensitivity deterministic,
 * which the privacy accounting relies on. Each rounding decision compares 32 fresh random bits with
 * {@code x - ⌊x⌋} rounded to a multiple of {@code 2^-32}, so a coordinate's expected rounding error
 * is at most {@code 2^-33}, far below the noise; the random bits are drawn in bulk from the
 * caller's {@link SecureRandom}.
 *
 * <p>Immutable and thread-safe; the caller hands in the randomness, so encoding is reproducible in
 * tests with a seeded generator.
 */
public final class UpdateEncoder {
  private static final int CHUNK = 1 << 13;
  private static final double TWO_TO_32 = 0x1p32;
  private static final double LONG_SAFE = 0x1p62;

  private final EncodingParameters parameters;
  private final RandomizedHadamard rotation;
  private final DiscreteGaussianSampler noise;

  private UpdateEncoder(EncodingParameters parameters) {
    this.parameters = parameters;
    this.rotation =
        parameters.rotation()
            ? RandomizedHadamard.create(parameters.dimension(), parameters.rotationSeed())
            : null;
    if (rotation != null && rotation.paddedDimension() != parameters.signalLength()) {
      throw new IllegalStateException(
          "bug: the rotation pads "
              + parameters.dimension()
              + " to "
              + rotation.paddedDimension()
              + ", the parameters expect "
              + parameters.signalLength());
    }
    this.noise =
        parameters.differentialPrivacy()
            ? DiscreteGaussianSampler.forSigma(parameters.localNoiseStandardDeviation())
            : null;
  }

  /** An encoder for {@code parameters}. */
  public static UpdateEncoder create(EncodingParameters parameters) {
    return new UpdateEncoder(Objects.requireNonNull(parameters, "parameters"));
  }

  /** The parameters this encoder follows. */
  public EncodingParameters parameters() {
    return parameters;
  }

  /**
   * Encodes an unweighted update (always so with DP).
   *
   * @param delta the update, {@link EncodingParameters#dimension()} coordinates in the fixed
   *     parameter order; not modified
   * @param random the source of rounding and noise randomness
   * @throws NonFiniteUpdateException naming the first NaN or infinite coordinate
   * @throws IllegalArgumentException if the length is wrong or the parameters are weighted
   */
  public EncodedUpdate encode(double[] delta, SecureRandom random) {
    if (parameters.weighted()) {
      throw new IllegalArgumentException(
          "the parameters are weighted: use encodeWeighted(delta, weight, random)");
    }
    return encodeScaled(delta, 1, random);
  }

  /** {@link #encode(double[], SecureRandom)} for a {@code float} update, as DJL hands it out. */
  public EncodedUpdate encode(float[] delta, SecureRandom random) {
    return encode(toDoubles(delta), random);
  }

  /**
   * Encodes {@code weight·delta} and appends {@code weight} as the last word, for weighted FedAvg
   * without DP (DESIGN.md §4 step 7). Clipping, when on, applies to {@code delta} before weighting.
   *
   * @param weight the silo's weight {@code n_k} (e.g. its number of training examples), 1 to {@link
   *     EncodingParameters#maxWeight()}
   * @throws NonFiniteUpdateException naming the first NaN or infinite coordinate
   * @throws IllegalArgumentException if the length or weight is wrong or the parameters are
   *     unweighted
   */
  public EncodedUpdate encodeWeighted(double[] delta, long weight, SecureRandom random) {
    if (!parameters.weighted()) {
      throw new IllegalArgumentException(
          "the parameters are unweighted: use encode(delta, random)");
    }
    if (weight < 1 || weight > parameters.maxWeight()) {
      throw new IllegalArgumentException(
          "weight must be between 1 and maxWeight = " + parameters.maxWeight() + ", not " + weight);
    }
    return encodeScaled(delta, weight, random);
  }

  /** {@link #encodeWeighted(double[], long, SecureRandom)} for a {@code float} update. */
  public EncodedUpdate encodeWeighted(float[] delta, long weight, SecureRandom random) {
    return encodeWeighted(toDoubles(delta), weight, random);
  }

  private EncodedUpdate encodeScaled(double[] delta, long weight, SecureRandom random) {
    Objects.requireNonNull(delta, "delta");
    Objects.requireNonNull(random, "random");
    if (delta.length != parameters.dimension()) {
      throw new IllegalArgumentException(
          "delta must have dimension = "
              + parameters.dimension()
              + " coordinates, not "
              + delta.length);
    }
    checkFinite(delta);

    // Step 2: clip. The factor also carries the weight and 1/γ, so the vector is scaled once.
    double originalNorm = l2Norm(delta);
    boolean clipped = parameters.clipping() && originalNorm > parameters.clipNorm();
    double clippedNorm = clipped ? parameters.clipNorm() : originalNorm;
    double factor = (clipped ? parameters.clipNorm() / originalNorm : 1.0) * weight;

    // Step 3: rotate (orthonormal, so norms are kept), then step 4: scale to the grid.
    double[] scaled = rotation == null ? delta.clone() : rotation.rotate(delta);
    factor /= parameters.gamma();
    for (int i = 0; i < scaled.length; i++) {
      scaled[i] *= factor;
    }
    double normBound =
        (parameters.clipping() ? parameters.clipNorm() : clippedNorm) * weight / parameters.gamma();
    int attempts = conditionalRound(scaled, normBound, random);

    // Steps 5 and 6: noise, count what may overflow the sum, wrap.
    int[] words = new int[parameters.encodedLength()];
    long overflowCount = noiseAndWrap(scaled, words, random);
    if (parameters.weighted()) {
      words[words.length - 1] = (int) weight & mask(parameters.bits());
    }
    return new EncodedUpdate(
        words,
        new EncodingReport(
            originalNorm,
            clipped,
            attempts,
            overflowCount,
            parameters.localNoiseStandardDeviation(),
            parameters.gamma(),
            parameters.bits()));
  }

  /**
   * Kairouz et al. 2021, §4.1: randomized rounding, drawn again until the L2 norm of the result is
   * within Theorem 1's bound. Leaves the accepted integers (exact in a double) in {@code values}.
   */
  private static int conditionalRound(double[] values, double scaledNorm, SecureRandom random) {
    double bound = EncodingParameters.roundedNormBound(scaledNorm, values.length);
    double boundSquared = bound * bound;
    long[] roundUp = new long[(values.length + 63) >>> 6];
    byte[] randomBytes = new byte[4 * Math.min(CHUNK, values.length)];
    IntBuffer randomInts =
        ByteBuffer.wrap(randomBytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    int attempts = 0;
    while (true) {
      attempts++;
      Arrays.fill(roundUp, 0L);
      double normSquared = 0;
      for (int start = 0; start < values.length; start += CHUNK) {
        int end = Math.min(values.length, start + CHUNK);
        random.nextBytes(randomBytes);
        for (int i = start; i < end; i++) {
          double floor = Math.floor(values[i]);
          long threshold = (long) Math.rint((values[i] - floor) * TWO_TO_32);
          long draw = randomInts.get(i - start) & 0xFFFF_FFFFL;
          double rounded = floor;
          if (draw < threshold) {
            roundUp[i >>> 6] |= 1L << i;
            rounded += 1;
          }
          normSquared += rounded * rounded;
        }
      }
      if (normSquared <= boundSquared) {
        break;
      }
      // An attempt fails with probability at most β = e^(-1/2) (Theorem 1: the input's norm is at
      // most c), so 10,000 failures in a row mean a bug, not bad luck.
      if (attempts >= 10_000) {
        throw new IllegalStateException(
            "bug: conditional rounding exceeded its norm bound " + attempts + " times");
      }
    }
    Arrays.fill(randomBytes, (byte) 0);
    for (int i = 0; i < values.length; i++) {
      values[i] = Math.floor(values[i]) + ((roundUp[i >>> 6] >>> i) & 1L);
    }
    return attempts;
  }

  private long noiseAndWrap(double[] rounded, int[] words, SecureRandom random) {
    int mask = mask(parameters.bits());
    double limit = parameters.perSiloSignalLimit();
    int[] noiseChunk = new int[Math.min(CHUNK, rounded.length)];
    long overflowCount = 0;
    for (int start = 0; start < rounded.length; start += CHUNK) {
      int end = Math.min(rounded.length, start + CHUNK);
      if (noise != null) {
        // A sample beyond ±2^31 is impossible for σ_local <= 2^28, so the int is the sample.
        Arrays.fill(noiseChunk, 0);
        noise.addTo(noiseChunk, random);
      }
      for (int i = start; i < end; i++) {
        double value = rounded[i];
        if (Math.abs(value) >= LONG_SAFE) {
          // Far outside any range: counted, and its words are meaningless anyway.
          overflowCount++;
          words[i] = 0;
          continue;
        }
        // The signal is checked, not the noise: the noise is drawn as planned, its tail is part
        // of the plan (EncodingParameters#perSiloSignalLimit).
        if (Math.abs(value) > limit) {
          overflowCount++;
        }
        long noised = (long) value + (noise == null ? 0 : noiseChunk[i - start]);
        words[i] = (int) noised & mask;
      }
    }
    return overflowCount;
  }

  static int mask(int bits) {
    return bits == 32 ? -1 : (1 << bits) - 1;
  }

  private static void checkFinite(double[] delta) {
    for (int i = 0; i < delta.length; i++) {
      if (!Double.isFinite(delta[i])) {
        throw new NonFiniteUpdateException(i, delta[i]);
      }
    }
  }

  /** The L2 norm, rescaled by the largest magnitude when the plain sum of squares overflows. */
  static double l2Norm(double[] vector) {
    double sumOfSquares = 0;
    for (double value : vector) {
      sumOfSquares += value * value;
    }
    if (Double.isFinite(sumOfSquares)) {
      return Math.sqrt(sumOfSquares);
    }
    double largest = 0;
    for (double value : vector) {
      largest = Math.max(largest, Math.abs(value));
    }
    double scaledSum = 0;
    for (double value : vector) {
      double scaled = value / largest;
      scaledSum += scaled * scaled;
    }
    return largest * Math.sqrt(scaledSum);
  }

  private static double[] toDoubles(float[] delta) {
    Objects.requireNonNull(delta, "delta");
    double[] result = new double[delta.length];
    for (int i = 0; i < delta.length; i++) {
      result[i] = delta[i];
    }
    return result;
  }

  @Override
  public String toString() {
    return "UpdateEncoder[" + parameters + "]";
  }
}
