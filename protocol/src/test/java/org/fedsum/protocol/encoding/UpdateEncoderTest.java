package org.fedsum.protocol.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.fedsum.protocol.encoding.EncodingFixtures.centredLift;
import static org.fedsum.protocol.encoding.EncodingFixtures.randomUpdate;
import static org.fedsum.protocol.encoding.EncodingFixtures.seeded;
import static org.fedsum.protocol.encoding.EncodingFixtures.subtract;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class UpdateEncoderTest {
  private static final byte[] SEED =
      "round 7 rotation seed".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  /** One silo, no DP, so a single encoding decodes to the (clipped) update plus rounding error. */
  private static EncodingParameters.Builder single(int dimension) {
    return EncodingParameters.builder()
        .setDimension(dimension)
        .setClipNorm(1)
        .setNoiseMultiplier(0)
        .setThreshold(1)
        .setSilos(1);
  }

  @Test
  void encode_nanOrInfinity_refusedNamingTheFirstBadIndex() {
    UpdateEncoder encoder = UpdateEncoder.create(single(10).setGamma(0.01).setBits(16).build());
    double[] delta = new double[10];
    delta[3] = Double.NaN;
    delta[7] = Double.POSITIVE_INFINITY;
    assertThatThrownBy(() -> encoder.encode(delta, seeded(1)))
        .isInstanceOfSatisfying(
            NonFiniteUpdateException.class, e -> assertThat(e.index()).isEqualTo(3))
        .hasMessageContaining("delta[3] is NaN");
    delta[3] = 0;
    assertThatThrownBy(() -> encoder.encode(delta, seeded(1)))
        .isInstanceOfSatisfying(
            NonFiniteUpdateException.class, e -> assertThat(e.index()).isEqualTo(7))
        .hasMessageContaining("delta[7] is Infinity");
    float[] floats = new float[10];
    floats[9] = Float.NEGATIVE_INFINITY;
    assertThatThrownBy(() -> encoder.encode(floats, seeded(1)))
        .isInstanceOf(NonFiniteUpdateException.class)
        .hasMessageContaining("delta[9] is -Infinity");
  }

  @Test
  void encode_wrongLengthOrMode_refused() {
    UpdateEncoder encoder = UpdateEncoder.create(single(10).setGamma(0.01).setBits(16).build());
    assertThatThrownBy(() -> encoder.encode(new double[11], seeded(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dimension = 10")
        .hasMessageContaining("not 11");
    assertThatThrownBy(() -> encoder.encodeWeighted(new double[10], 1, seeded(1)))
        .hasMessageContaining("unweighted");
    UpdateEncoder weighted =
        UpdateEncoder.create(single(10).setWeighted(50).setGamma(0.01).setBits(16).build());
    assertThatThrownBy(() -> weighted.encode(new double[10], seeded(1)))
        .hasMessageContaining("encodeWeighted");
    assertThatThrownBy(() -> weighted.encodeWeighted(new double[10], 0, seeded(1)))
        .hasMessageContaining("weight must be between 1 and maxWeight = 50, not 0");
    assertThatThrownBy(() -> weighted.encodeWeighted(new double[10], 51, seeded(1)))
        .hasMessageContaining("not 51");
  }

  @Test
  void encode_normAboveClip_scaledToClipNorm() {
    for (byte[] seed : new byte[][] {null, SEED}) {
      EncodingParameters parameters =
          single(500).setRotationSeed(seed).setGamma(1e-4).setBits(24).build();
      double[] delta = randomUpdate(seeded(2), 500, 7.5);
      EncodedUpdate encoded = UpdateEncoder.create(parameters).encode(delta, seeded(3));
      assertThat(encoded.report().clipped()).isTrue();
      assertThat(encoded.report().originalNorm()).isCloseTo(7.5, within(1e-12));
      double[] decoded = UpdateDecoder.create(parameters).decode(encoded.words(), 1).sum();
      // The rounding error is below γ per coordinate on the grid: at most γ·√d' in L2.
      double roundingBound = parameters.gamma() * Math.sqrt(parameters.signalLength());
      assertThat(UpdateEncoder.l2Norm(decoded)).isCloseTo(1.0, within(roundingBound));
      // The direction is kept: the clipped update is delta·C/‖delta‖.
      double[] clipped = delta.clone();
      for (int i = 0; i < clipped.length; i++) {
        clipped[i] /= 7.5;
      }
      assertThat(UpdateEncoder.l2Norm(subtract(decoded, clipped))).isLessThan(roundingBound);
    }
  }

  @Test
  void encode_normWithinClip_notClipped() {
    EncodingParameters parameters = single(300).setGamma(1e-4).setBits(24).build();
    double[] delta = randomUpdate(seeded(4), 300, 0.8);
    EncodedUpdate encoded = UpdateEncoder.create(parameters).encode(delta, seeded(5));
    assertThat(encoded.report().clipped()).isFalse();
    assertThat(encoded.report().originalNorm()).isCloseTo(0.8, within(1e-12));
    double[] decoded = UpdateDecoder.create(parameters).decode(encoded.words(), 1).sum();
    assertThat(EncodingFixtures.maxAbs(subtract(decoded, delta))).isLessThan(parameters.gamma());
  }

  @Test
  void encode_clippingOff_largeNormKept() {
    EncodingParameters parameters =
        single(300).setClipping(false).setGamma(1e-3).setBits(24).build();
    double[] delta = randomUpdate(seeded(6), 300, 5);
    EncodedUpdate encoded = UpdateEncoder.create(parameters).encode(delta, seeded(7));
    assertThat(encoded.report().clipped()).isFalse();
    double[] decoded = UpdateDecoder.create(parameters).decode(encoded.words(), 1).sum();
    assertThat(EncodingFixtures.maxAbs(subtract(decoded, delta))).isLessThan(parameters.gamma());
  }

  @Test
  void encode_wordsInRangeAndReportFilled() {
    EncodingParameters parameters =
        EncodingParameters.builder()
            .setDimension(2001)
            .setClipNorm(1)
            .setNoiseMultiplier(1.1)
            .setThreshold(3)
            .setSilos(5)
            .setRotationSeed(SEED)
            .setBits(14)
            .buildChoosingGamma();
    EncodedUpdate encoded =
        UpdateEncoder.create(parameters).encode(randomUpdate(seeded(8), 2001, 0.5), seeded(9));
    // The rotation pads 2001 to a multiple of its smallest block, 2^(10 - 6) = 16.
    assertThat(encoded.length()).isEqualTo(2016);
    for (int word : encoded.words()) {
      assertThat(word).isBetween(0, (1 << 14) - 1);
    }
    EncodingReport report = encoded.report();
    assertThat(report.bits()).isEqualTo(14);
    assertThat(report.gamma()).isEqualTo(parameters.gamma());
    assertThat(report.localNoiseStandardDeviation())
        .isEqualTo(parameters.localNoiseStandardDeviation())
        .isGreaterThanOrEqualTo(2);
    assertThat(report.roundingAttempts()).isGreaterThanOrEqualTo(1);
    assertThat(report.overflowCount()).isZero();
    assertThat(encoded.toString()).doesNotContain("words=[");
  }

  @Test
  void encode_floatAndDoubleUpdates_encodeAlike() {
    EncodingParameters parameters = single(100).setGamma(1e-3).setBits(20).build();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    float[] floats = new float[100];
    double[] doubles = new double[100];
    SecureRandom random = seeded(10);
    for (int i = 0; i < 100; i++) {
      floats[i] = (float) (random.nextGaussian() * 0.05);
      doubles[i] = floats[i];
    }
    assertThat(encoder.encode(floats, seeded(11)).words())
        .isEqualTo(encoder.encode(doubles, seeded(11)).words());
  }

  @Test
  void encode_integerValuesOnTheGrid_overflowCountedExactly() {
    // n = 4 silos in 10 bits with k = 4: the limit is (4/4)·√(128² - 4/4) ≈ 127.996.
    EncodingParameters parameters =
        EncodingParameters.builder()
            .setDimension(8)
            .setClipNorm(1000)
            .setNoiseMultiplier(0)
            .setThreshold(2)
            .setSilos(4)
            .setGamma(1)
            .setBits(10)
            .build();
    assertThat(parameters.perSiloSignalLimit()).isBetween(127.0, 128.0);
    double[] delta = {0, 100, 200, -300, 127, 128, -127, -128};
    EncodedUpdate encoded = UpdateEncoder.create(parameters).encode(delta, seeded(12));
    // Integers are exact on the grid (nothing to round), so the overflows are 200, -300, ±128.
    assertThat(encoded.report().overflowCount()).isEqualTo(4);
    assertThat(centredLift(encoded.words(), 10))
        .containsExactly(0, 100, 200, -300, 127, 128, -127, -128);
  }

  @Test
  void encode_spikyUpdateWithoutRotation_overflowsAndRotationSpreadsIt() {
    // Parameters planned for updates spread over the coordinates: a spike of norm C does not fit
    // one silo's share of the range without rotation, and fits once rotated.
    double[] spike = new double[1000];
    spike[17] = 1;
    EncodingParameters.Builder builder =
        EncodingParameters.builder()
            .setDimension(1000)
            .setClipNorm(1)
            .setNoiseMultiplier(0)
            .setThreshold(3)
            .setSilos(5)
            .setBits(16);
    EncodedUpdate unrotated =
        UpdateEncoder.create(builder.buildChoosingGamma()).encode(spike, seeded(13));
    assertThat(unrotated.report().overflowCount()).isEqualTo(1);
    EncodedUpdate rotated =
        UpdateEncoder.create(builder.setRotationSeed(SEED).buildChoosingGamma())
            .encode(spike, seeded(13));
    assertThat(rotated.report().overflowCount()).isZero();
  }

  @Test
  void encode_spikeInTheSmallestRotationBlock_isSpreadOverThatBlockOnlyAndCounted() {
    // 1000 coordinates rotate in blocks 512, 256, 128, 64, 32, 8. The plan allows one silo k = 4
    // spreads of C/√1000 per coordinate (0.126·C); a spike in the first block becomes ±C/√512 =
    // 0.044·C on its coordinates and fits, one in the last block ±C/√8 = 0.354·C on its 8
    // coordinates, which do not fit and are all counted: the blocks' weaker spreading, stated in
    // EncodingParameters.
    EncodingParameters parameters =
        EncodingParameters.builder()
            .setDimension(1000)
            .setClipNorm(1)
            .setNoiseMultiplier(0)
            .setThreshold(3)
            .setSilos(5)
            .setRotationSeed(SEED)
            .setBits(16)
            .buildChoosingGamma();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    double[] first = new double[1000];
    first[17] = 1;
    assertThat(encoder.encode(first, seeded(14)).report().overflowCount()).isZero();
    double[] last = new double[1000];
    last[995] = 1;
    assertThat(encoder.encode(last, seeded(14)).report().overflowCount()).isEqualTo(8);
  }

  @Test
  void encode_clippingOffAndNormFarAboveThePlan_overflowCountPositive() {
    EncodingParameters parameters =
        EncodingParameters.builder()
            .setDimension(1000)
            .setClipNorm(1)
            .setClipping(false)
            .setNoiseMultiplier(0)
            .setThreshold(3)
            .setSilos(5)
            .setRotationSeed(SEED)
            .setBits(16)
            .buildChoosingGamma();
    EncodedUpdate fits =
        UpdateEncoder.create(parameters).encode(randomUpdate(seeded(14), 1000, 0.5), seeded(15));
    assertThat(fits.report().overflowCount()).isZero();
    EncodedUpdate tooLarge =
        UpdateEncoder.create(parameters).encode(randomUpdate(seeded(14), 1000, 100), seeded(15));
    assertThat(tooLarge.report().overflowCount()).isGreaterThan(500);
  }

  @Test
  void encode_roundedVector_withinConditionalRoundingBound() {
    // Without noise and with one silo the words are the rounded vector itself.
    EncodingParameters parameters =
        single(4096).setRotationSeed(SEED).setGamma(1.0 / 64).setBits(24).build();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    SecureRandom random = seeded(16);
    for (int trial = 0; trial < 20; trial++) {
      EncodedUpdate encoded = encoder.encode(randomUpdate(random, 4096, 1), random);
      double normSquared = 0;
      for (long value : centredLift(encoded.words(), 24)) {
        normSquared += (double) value * value;
      }
      assertThat(Math.sqrt(normSquared)).isLessThanOrEqualTo(parameters.roundedNormBound());
    }
  }

  @Test
  void encode_randomizedRounding_isUnbiased() {
    // Every coordinate is 0.3 grid steps: rounded up with probability 0.3, down otherwise.
    int dimension = 20_000;
    EncodingParameters parameters =
        single(dimension).setClipNorm(1e6).setGamma(1).setBits(8).build();
    double[] delta = new double[dimension];
    java.util.Arrays.fill(delta, 0.3);
    long[] rounded =
        centredLift(UpdateEncoder.create(parameters).encode(delta, seeded(17)).words(), 8);
    long ones = 0;
    for (long value : rounded) {
      assertThat(value).isBetween(0L, 1L);
      ones += value;
    }
    // Binomial(20000, 0.3): standard deviation √(20000·0.21) ≈ 65; allow 5 of them.
    assertThat((double) ones).isCloseTo(6000, within(325.0));
  }
}
