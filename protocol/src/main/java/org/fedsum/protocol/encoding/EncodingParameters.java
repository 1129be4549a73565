package org.fedsum.protocol.encoding;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.fedsum.crypto.RandomizedHadamard;

/**
 * The public parameters of one round's update encoding (DESIGN.md §4), shared by every silo's
 * {@link UpdateEncoder} and the {@link UpdateDecoder} of the sum. Immutable and validated on
 * construction: a bad value is refused with the name of its field, never clamped.
 *
 * <p>An update of {@link #dimension()} coordinates is clipped to L2 norm {@link #clipNorm()} {@code
 * C}, optionally rotated with a randomized Hadamard transform seeded by the round's public {@link
 * #rotationSeed()} (which pads it to {@link #signalLength()}, a multiple of the rotation's smallest
 * block: {@link RandomizedHadamard#paddedDimensionOf(int)}, less than {@code m/64} more), scaled by
 * {@code 1/γ} ({@link #gamma()}), rounded to integers by conditional randomized rounding, noised
 * with a discrete Gaussian of standard deviation {@link #localNoiseStandardDeviation()} when {@link
 * #noiseMultiplier()} {@code z > 0}, and wrapped into {@code Z_{2^b}} with {@code b = }{@link
 * #bits()}. Weighted encodings (no DP) carry the silo's weight as one more, last coordinate.
 *
 * <p><b>Range planning</b> (after Kairouz, Liu and Steinke, "The Distributed Discrete Gaussian
 * Mechanism for Federated Learning with Secure Aggregation", ICML 2021, §4.2 and §4.4). On the
 * integer grid, one coordinate of the sum of {@code n = }{@link #silos()} encodings is modelled as
 * a centred sub-Gaussian of variance
 *
 * <pre>
 *   V(γ) = (n·W·C)² / (d'·γ²)  +  n / 4  +  n·σ_local²,     σ_local = z·C / (γ·√t)
 * </pre>
 *
 * <p>where {@code d'} is {@link #signalLength()} and {@code W} is {@link #maxWeight()} (1 when
 * unweighted). The first term is the signal in the worst case of {@code n} aligned updates of norm
 * {@code W·C}, spread evenly over the {@code d'} coordinates; the second bounds the variance of
 * {@code n} rounding errors; the third is the summed noise. The range {@code [-2^(b-1), 2^(b-1))}
 * is planned to hold {@code k =} {@link #rangeStandardDeviations()} standard deviations of the sum:
 * {@code k·√V(γ) <= 2^(b-1)}. {@link Builder#buildChoosingGamma()} solves this for {@code γ} given
 * {@code b}; {@link Builder#buildChoosingBits()} finds the smallest {@code b} for a given {@code
 * γ}. Coordinates that do not fit are counted, never silently wrapped: see {@link
 * EncodingReport#overflowCount()}.
 *
 * <p><b>How evenly the signal is spread.</b> Without rotation an even spread is an assumption about
 * the update. The rotation is block diagonal (see {@link RandomizedHadamard}): it spreads, with
 * high probability, the part {@code x_j} of the update that falls into block {@code j} evenly over
 * that block's {@code L_j} coordinates, each then about {@code ‖x_j‖/√L_j}. That is the planned
 * {@code ‖x‖/√d'} when the update's mass is spread over its coordinates roughly in proportion to
 * the block lengths, as in dense model updates; the plan keeps {@code d'} for that case rather than
 * plan every round for the worst. An update concentrated in one block is spread over that block
 * only: per coordinate up to {@code √(d'/L_j)} times the plan, at worst (all of it in the smallest
 * block, the last coordinates of the update) {@code √128 ≈ 11} times. Such coordinates are counted
 * by {@link EncodingReport#overflowCount()} like any other beyond {@link #perSiloSignalLimit()}. A
 * rotation over one power-of-two block would spread everything over {@code d'} but pad up to twice
 * the words.
 *
 * <p><b>Noise calibration.</b> Each silo adds discrete Gaussian noise of integer-domain standard
 * deviation {@code σ_local = z·C/(γ·√t)}, {@code t} the Shamir {@link #threshold()}, so the noise
 * of any {@code t} survivors already has standard deviation {@code z·C} in real units. {@code
 * σ_local} must be at least 2 so that sums of discrete Gaussians are accounted like continuous ones
 * (DESIGN.md §4, Kairouz et al. 2021 Theorem 1's {@code τ} term stays negligible).
 */
public final class EncodingParameters {
  /** The default {@code k}: 4 standard deviations of the sum fit in half the modular range. */
  public static final double DEFAULT_RANGE_STANDARD_DEVIATIONS = 4;

  /** The smallest accepted rotation seed, in bytes. */
  public static final int MIN_ROTATION_SEED_BYTES = 16;

  /** The largest accepted {@link #dimension()}: 2^30 coordinates. */
  public static final int MAX_DIMENSION = 1 << 30;

  /**
   * DESIGN.md §4: below this, sums of discrete Gaussians are not accounted like continuous ones.
   */
  public static final double MIN_LOCAL_NOISE_STANDARD_DEVIATION = 2;

  // The discrete Gaussian sampler takes σ below 2^31; far above 2^28 the noise alone fills 32 bits.
  private static final double MAX_LOCAL_NOISE_STANDARD_DEVIATION = 0x1p28;

  /** The largest σ_local {@link Builder#buildChoosingGamma()} plans, half the largest accepted. */
  private static final double GAMMA_NOISE_CAP = 0x1p27;

  /**
   * The failure probability {@code β} of one conditional-rounding attempt in Kairouz et al. 2021,
   * Theorem 1; {@code e^(-1/2)} as in their experiments, which makes {@code √(2·ln(1/β)) = 1}.
   */
  public static final double CONDITIONAL_ROUNDING_BETA = Math.exp(-0.5);

  private final int dimension;
  private final double clipNorm;
  private final boolean clipping;
  private final double noiseMultiplier;
  private final int threshold;
  private final int silos;
  private final boolean weighted;
  private final long maxWeight;
  private final byte[] rotationSeed;
  private final double rangeStandardDeviations;
  private final double gamma;
  private final int bits;

  private EncodingParameters(Builder builder, double gamma, int bits) {
    this.dimension = builder.dimension;
    this.clipNorm = builder.clipNorm;
    this.clipping = builder.clipping;
    this.noiseMultiplier = builder.noiseMultiplier;
    this.threshold = builder.threshold;
    this.silos = builder.silos;
    this.weighted = builder.weighted;
    this.maxWeight = builder.weighted ? builder.maxWeight : 1;
    this.rotationSeed = builder.rotationSeed == null ? null : builder.rotationSeed.clone();
    this.rangeStandardDeviations = builder.rangeStandardDeviations;
    this.gamma = gamma;
    this.bits = bits;
    checkGammaAndBits();
  }

  /** A builder with no rotation, clipping on, unweighted, {@code k = 4}, and nothing else set. */
  public static Builder builder() {
    return new Builder();
  }

  /** The number of coordinates of an update (its parameters in a fixed order). */
  public int dimension() {
    return dimension;
  }

  /** {@code C}: the L2 norm updates are clipped to, and the bound the range is planned for. */
  public double clipNorm() {
    return clipNorm;
  }

  /** Whether updates are clipped to {@link #clipNorm()}; always true when DP is on. */
  public boolean clipping() {
    return clipping;
  }

  /** {@code z}: the central noise standard deviation in units of {@code C}; 0 disables DP. */
  public double noiseMultiplier() {
    return noiseMultiplier;
  }

  /** Whether discrete Gaussian noise is added ({@code z > 0}). */
  public boolean differentialPrivacy() {
    return noiseMultiplier > 0;
  }

  /** {@code t}: the Shamir threshold; any {@code t} survivors together carry the target noise. */
  public int threshold() {
    return threshold;
  }

  /** {@code n}: the most encodings that are ever summed (the roster size). */
  public int silos() {
    return silos;
  }

  /** Whether a silo encodes {@code weight·delta} and its weight as an extra last coordinate. */
  public boolean weighted() {
    return weighted;
  }

  /** The largest weight one silo may send ({@code W}); 1 when unweighted. */
  public long maxWeight() {
    return maxWeight;
  }

  /** Whether updates are rotated with a randomized Hadamard transform. */
  public boolean rotation() {
    return rotationSeed != null;
  }

  /** A copy of the round's public rotation seed, or null without rotation. */
  public byte[] rotationSeed() {
    return rotationSeed == null ? null : rotationSeed.clone();
  }

  /** {@code k}: how many standard deviations of the sum the range is planned to hold. */
  public double rangeStandardDeviations() {
    return rangeStandardDeviations;
  }

  /** {@code γ}: the real value of one step of the integer grid. */
  public double gamma() {
    return gamma;
  }

  /** {@code b}: the words live in {@code Z_{2^b}}. */
  public int bits() {
    return bits;
  }

  /**
   * The coordinates carrying the update: the padded dimension with rotation, else the dimension.
   */
  public int signalLength() {
    return rotation() ? RandomizedHadamard.paddedDimensionOf(dimension) : dimension;
  }

  /**
   * The number of words of one encoding and of the sum: {@link #signalLength()}, +1 if weighted.
   */
  public int encodedLength() {
    return signalLength() + (weighted ? 1 : 0);
  }

  /** {@code σ_local = z·C/(γ·√t)} in grid units; 0 without DP. */
  public double localNoiseStandardDeviation() {
    return localNoiseStandardDeviation(gamma);
  }

  /**
   * The planned standard deviation {@code √V(γ)} of one coordinate of the sum of {@link #silos()}
   * encodings, in grid units (see the class comment).
   */
  public double sumStandardDeviation() {
    return Math.sqrt(sumVariance(gamma));
  }

  /**
   * How many planned standard deviations of the sum fit in half the modular range: {@code
   * 2^(b-1)/√V(γ)}; at least {@link #rangeStandardDeviations()} for chosen parameters.
   */
  public double headroomStandardDeviations() {
    return halfRange(bits) / sumStandardDeviation();
  }

  /**
   * The largest magnitude, in grid units, that one silo's rounded coordinate may have before noise
   * without straining the plan: {@code (k/n)·√((2^(b-1)/k)² - n·(σ_local² + 1/4))}. The plan gives
   * the signal of the sum what is left of the range once {@code k} standard deviations of the
   * summed noise and rounding are set aside (variances add), and treats the silos' signals as
   * aligned (they add linearly), so each silo gets {@code 1/n} of it. For parameters chosen by the
   * builder this is {@code k·W·C/(γ·√d')}: {@code k} times the spread of an update of norm {@code
   * W·C} over the coordinates. Without DP, if no silo exceeds it the sum cannot wrap; with DP, the
   * noise tail can still wrap a coordinate with the small probability the plan accepts. An encoder
   * counts every coordinate beyond it as an overflow; 0 if even the noise does not fit.
   *
   * <p>The plan is probabilistic, and so is the count: a rotated update at the clip norm whose mass
   * is spread over the rotation's blocks in proportion to their lengths has nearly Gaussian
   * coordinates, of which a fraction {@code 2·Φ(-k)} lies beyond {@code k} spreads: about 63 per
   * million coordinates for {@code k = 4}, the same rate at which the aligned worst-case sum would
   * wrap. A count well above that rate means the range is too small for the data, or that the
   * update is concentrated: on few coordinates without rotation, in one block with it (see the
   * class comment).
   */
  public double perSiloSignalLimit() {
    double perStandardDeviation = halfRange(bits) / rangeStandardDeviations;
    double sigmaLocal = localNoiseStandardDeviation();
    double signalVariance =
        perStandardDeviation * perStandardDeviation - silos * (sigmaLocal * sigmaLocal + 0.25);
    return signalVariance <= 0 ? 0 : rangeStandardDeviations / silos * Math.sqrt(signalVariance);
  }

  /**
   * {@code Δ₂}: the L2 norm bound, in grid units, that conditional rounding enforces on one silo's
   * rounded unweighted vector, and so its L2 sensitivity for the privacy accountant. Kairouz et al.
   * 2021, Theorem 1 (eq. 2, divided by {@code γ²}), with {@code c = C/γ} and {@code β = e^(-1/2)}:
   * {@code Δ₂² = min(c² + d'/4 + √(2·ln(1/β))·(c + √d'/2), (c + √d')²)}.
   */
  public double roundedNormBound() {
    return roundedNormBound(clipNorm / gamma, signalLength());
  }

  static double roundedNormBound(double scaledNorm, int length) {
    double sqrtLength = Math.sqrt(length);
    double deterministic = scaledNorm + sqrtLength;
    double concentration =
        Math.sqrt(
            scaledNorm * scaledNorm
                + length / 4.0
                + Math.sqrt(2 * Math.log(1 / CONDITIONAL_ROUNDING_BETA))
                    * (scaledNorm + sqrtLength / 2));
    return Math.min(deterministic, concentration);
  }

  private static double halfRange(int bits) {
    return Math.scalb(1.0, bits - 1);
  }

  private double localNoiseStandardDeviation(double candidateGamma) {
    return noiseMultiplier * clipNorm / (candidateGamma * Math.sqrt(threshold));
  }

  private double sumVariance(double candidateGamma) {
    return sumVariance(
        candidateGamma,
        scaledVariance(silos, maxWeight, clipNorm, signalLength(), noiseMultiplier, threshold),
        silos);
  }

  private static double sumVariance(double gamma, double scaledVariance, int silos) {
    return scaledVariance / (gamma * gamma) + silos / 4.0;
  }

  // γ²·(V(γ) - n/4): the part of the sum's variance, in grid units, that scales with 1/γ².
  private static double scaledVariance(
      int silos,
      long maxWeight,
      double clipNorm,
      int signalLength,
      double noiseMultiplier,
      int threshold) {
    double signal = (double) silos * maxWeight * clipNorm;
    double noise = noiseMultiplier * clipNorm;
    return signal * signal / signalLength + silos * noise * noise / threshold;
  }

  private void checkGammaAndBits() {
    if (!(gamma > 0) || Double.isInfinite(gamma)) {
      throw new IllegalArgumentException("gamma must be positive and finite, not " + gamma);
    }
    if (bits < 1 || bits > 32) {
      throw new IllegalArgumentException("bits must be between 1 and 32, not " + bits);
    }
    if (weighted && (double) silos * maxWeight >= Math.scalb(1.0, bits)) {
      throw new IllegalArgumentException(
          "bits = "
              + bits
              + " cannot hold the total weight: silos * maxWeight = "
              + silos
              + " * "
              + maxWeight
              + " must be below 2^bits");
    }
    if (differentialPrivacy()) {
      double sigmaLocal = localNoiseStandardDeviation();
      if (!(sigmaLocal >= MIN_LOCAL_NOISE_STANDARD_DEVIATION)) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "local noise standard deviation sigma_local = z*C/(gamma*sqrt(t)) = %s must be at"
                    + " least %s (DESIGN.md §4); lower gamma (now %s), or raise bits if gamma was"
                    + " chosen from bits",
                sigmaLocal,
                MIN_LOCAL_NOISE_STANDARD_DEVIATION,
                gamma));
      }
      if (!(sigmaLocal <= MAX_LOCAL_NOISE_STANDARD_DEVIATION)) {
        throw new IllegalArgumentException(
            "local noise standard deviation sigma_local = z*C/(gamma*sqrt(t)) = "
                + sigmaLocal
                + " must be at most 2^28; raise gamma (now "
                + gamma
                + ")");
      }
    }
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof EncodingParameters that)) {
      return false;
    }
    return dimension == that.dimension
        && Double.compare(clipNorm, that.clipNorm) == 0
        && clipping == that.clipping
        && Double.compare(noiseMultiplier, that.noiseMultiplier) == 0
        && threshold == that.threshold
        && silos == that.silos
        && weighted == that.weighted
        && maxWeight == that.maxWeight
        && Arrays.equals(rotationSeed, that.rotationSeed)
        && Double.compare(rangeStandardDeviations, that.rangeStandardDeviations) == 0
        && Double.compare(gamma, that.gamma) == 0
        && bits == that.bits;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
                dimension,
                clipNorm,
                clipping,
                noiseMultiplier,
                threshold,
                silos,
                weighted,
                maxWeight,
                rangeStandardDeviations,
                gamma,
                bits)
            * 31
        + Arrays.hashCode(rotationSeed);
  }

  @Override
  public String toString() {
    return "EncodingParameters[dimension="
        + dimension
        + ", clipNorm="
        + clipNorm
        + ", clipping="
        + clipping
        + ", noiseMultiplier="
        + noiseMultiplier
        + ", threshold="
        + threshold
        + ", silos="
        + silos
        + (weighted ? ", weighted (maxWeight=" + maxWeight + ")" : ", unweighted")
        + (rotation() ? ", rotation (seed " + rotationSeed.length + " bytes)" : ", no rotation")
        + ", gamma="
        + gamma
        + ", bits="
        + bits
        + ", sigmaLocal="
        + localNoiseStandardDeviation()
        + ", sumStandardDeviation="
        + sumStandardDeviation()
        + ", headroomStandardDeviations="
        + headroomStandardDeviations()
        + "]";
  }

  /**
   * Collects the parameters; {@link #build()} takes {@code γ} and {@code b} as set, {@link
   * #buildChoosingGamma()} and {@link #buildChoosingBits()} choose one from the other (see the
   * class comment). Every build method validates every field and names the bad one.
   */
  public static final class Builder {
    private int dimension;
    private double clipNorm = Double.NaN;
    private boolean clipping = true;
    private double noiseMultiplier = Double.NaN;
    private int threshold;
    private int silos;
    private boolean weighted;
    private long maxWeight = 1;
    private byte[] rotationSeed;
    private double rangeStandardDeviations = DEFAULT_RANGE_STANDARD_DEVIATIONS;
    private double gamma = Double.NaN;
    private int bits;

    private Builder() {}

    /** Required: the number of coordinates, 1 to 2^30. */
    public Builder setDimension(int dimension) {
      this.dimension = dimension;
      return this;
    }

    /** Required: {@code C}, positive and finite. */
    public Builder setClipNorm(double clipNorm) {
      this.clipNorm = clipNorm;
      return this;
    }

    /** Whether to clip to {@code C} (default true); may be false only without DP. */
    public Builder setClipping(boolean clipping) {
      this.clipping = clipping;
      return this;
    }

    /** Required: {@code z >= 0}; 0 disables DP. */
    public Builder setNoiseMultiplier(double noiseMultiplier) {
      this.noiseMultiplier = noiseMultiplier;
      return this;
    }

    /** Required: the Shamir threshold {@code t}, 1 to {@code silos}. */
    public Builder setThreshold(int threshold) {
      this.threshold = threshold;
      return this;
    }

    /** Required: {@code n}, the most encodings that are ever summed (the roster size). */
    public Builder setSilos(int silos) {
      this.silos = silos;
      return this;
    }

    /**
     * Weighted FedAvg (no DP): each silo encodes {@code weight·delta} with {@code 1 <= weight <=
     * maxWeight} and its weight as an extra last coordinate.
     */
    public Builder setWeighted(long maxWeight) {
      this.weighted = true;
      this.maxWeight = maxWeight;
      return this;
    }

    /** The round's public rotation seed (at least 16 bytes, copied); null for no rotation. */
    public Builder setRotationSeed(byte[] rotationSeed) {
      this.rotationSeed = rotationSeed == null ? null : rotationSeed.clone();
      return this;
    }

    /** {@code k}, the standard deviations of the sum the range holds (default 4). */
    public Builder setRangeStandardDeviations(double rangeStandardDeviations) {
      this.rangeStandardDeviations = rangeStandardDeviations;
      return this;
    }

    /** {@code γ}, for {@link #build()} and {@link #buildChoosingBits()}. */
    public Builder setGamma(double gamma) {
      this.gamma = gamma;
      return this;
    }

    /** {@code b}, for {@link #build()} and {@link #buildChoosingGamma()}. */
    public Builder setBits(int bits) {
      this.bits = bits;
      return this;
    }

    /**
     * Parameters with {@code γ} and {@code b} exactly as set, whether or not the range holds {@code
     * k} standard deviations (see {@link EncodingParameters#headroomStandardDeviations()}).
     */
    public EncodingParameters build() {
      checkCommonFields();
      return new EncodingParameters(this, gamma, bits);
    }

    /**
     * Parameters with the set {@code b} and the smallest {@code γ} for which {@code k} planned
     * standard deviations of the sum fit in {@code 2^(b-1)}: {@code γ = √(((n·W·C)²/d' + n·z²·C²/t)
     * / ((2^(b-1)/k)² - n/4))}; with differential privacy on, no smaller than the {@code γ} at
     * which {@code σ_local} is 2^27 (half the largest accepted), which few silos at 32 bits would
     * otherwise exceed.
     *
     * @throws IllegalArgumentException if gamma is also set, if the rounding errors of {@code n}
     *     silos alone do not fit in {@code b} bits, or if any field is invalid
     */
    public EncodingParameters buildChoosingGamma() {
      checkCommonFields();
      if (!Double.isNaN(gamma)) {
        throw new IllegalArgumentException(
            "gamma is set to " + gamma + "; buildChoosingGamma() chooses it from bits");
      }
      if (bits < 1 || bits > 32) {
        throw new IllegalArgumentException("bits must be between 1 and 32, not " + bits);
      }
      double perStandardDeviation = halfRange(bits) / rangeStandardDeviations;
      double room = perStandardDeviation * perStandardDeviation - silos / 4.0;
      if (!(room > 0)) {
        throw new IllegalArgumentException(
            "bits = "
                + bits
                + " are too few: "
                + rangeStandardDeviations
                + " standard deviations of the rounding errors of "
                + silos
                + " silos alone do not fit in 2^(bits-1); raise bits");
      }
      double chosen = Math.sqrt(scaledVariance() / room);
      if (noiseMultiplier > 0) {
        // With few silos and many bits the smallest γ can make σ_local larger than the sampler
        // takes; a coarser grid is then just as good: its rounding error stays 2^-27 of the noise,
        // and a larger γ only shrinks the sum's variance in grid steps, so the range still fits.
        double coarsest = noiseMultiplier * clipNorm / (Math.sqrt(threshold) * GAMMA_NOISE_CAP);
        chosen = Math.max(chosen, coarsest);
      }
      return new EncodingParameters(this, chosen, bits);
    }

    /**
     * Parameters with the set {@code γ} and the smallest {@code b} for which {@code k} planned
     * standard deviations of the sum fit in {@code 2^(b-1)} (and, when weighted, the total weight
     * in {@code 2^b}).
     *
     * @throws IllegalArgumentException if bits is also set, if more than 32 bits would be needed,
     *     or if any field is invalid
     */
    public EncodingParameters buildChoosingBits() {
      checkCommonFields();
      if (bits != 0) {
        throw new IllegalArgumentException(
            "bits is set to " + bits + "; buildChoosingBits() chooses it from gamma");
      }
      if (!(gamma > 0) || Double.isInfinite(gamma)) {
        throw new IllegalArgumentException("gamma must be positive and finite, not " + gamma);
      }
      double needed =
          rangeStandardDeviations * Math.sqrt(sumVariance(gamma, scaledVariance(), silos));
      for (int candidate = 1; candidate <= 32; candidate++) {
        boolean signalFits = halfRange(candidate) >= needed;
        boolean weightFits = !weighted || (double) silos * maxWeight < Math.scalb(1.0, candidate);
        if (signalFits && weightFits) {
          return new EncodingParameters(this, gamma, candidate);
        }
      }
      throw new IllegalArgumentException(
          "gamma = "
              + gamma
              + " is too small: "
              + rangeStandardDeviations
              + " standard deviations of the sum span "
              + needed
              + " grid steps, more than 32 bits hold; raise gamma");
    }

    private double scaledVariance() {
      int signalLength =
          rotationSeed == null ? dimension : RandomizedHadamard.paddedDimensionOf(dimension);
      return EncodingParameters.scaledVariance(
          silos, weighted ? maxWeight : 1, clipNorm, signalLength, noiseMultiplier, threshold);
    }

    private void checkCommonFields() {
      if (dimension < 1 || dimension > MAX_DIMENSION) {
        throw new IllegalArgumentException(
            "dimension must be between 1 and " + MAX_DIMENSION + ", not " + dimension);
      }
      if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
        throw new IllegalArgumentException("clipNorm must be positive and finite, not " + clipNorm);
      }
      if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier)) {
        throw new IllegalArgumentException(
            "noiseMultiplier must be set, finite and >= 0 (0 disables DP), not " + noiseMultiplier);
      }
      if (silos < 1) {
        throw new IllegalArgumentException("silos must be >= 1, not " + silos);
      }
      if (threshold < 1 || threshold > silos) {
        throw new IllegalArgumentException(
            "threshold must be between 1 and silos = " + silos + ", not " + threshold);
      }
      if (noiseMultiplier > 0 && !clipping) {
        throw new IllegalArgumentException(
            "clipping must be on when noiseMultiplier > 0: DP needs a bounded sensitivity");
      }
      if (weighted) {
        if (maxWeight < 1) {
          throw new IllegalArgumentException("maxWeight must be >= 1, not " + maxWeight);
        }
        if (noiseMultiplier > 0) {
          throw new IllegalArgumentException(
              "weighted encoding cannot be combined with noiseMultiplier > 0: with DP, updates are"
                  + " unweighted so that one silo's sensitivity is C (DESIGN.md §4)");
        }
      }
      if (rotationSeed != null && rotationSeed.length < MIN_ROTATION_SEED_BYTES) {
        throw new IllegalArgumentException(
            "rotationSeed must be at least "
                + MIN_ROTATION_SEED_BYTES
                + " bytes, not "
                + rotationSeed.length);
      }
      if (!(rangeStandardDeviations > 0) || Double.isInfinite(rangeStandardDeviations)) {
        throw new IllegalArgumentException(
            "rangeStandardDeviations must be positive and finite, not " + rangeStandardDeviations);
      }
    }
  }
}
