package org.fedsum.protocol.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.fedsum.protocol.encoding.EncodingFixtures.add;
import static org.fedsum.protocol.encoding.EncodingFixtures.centredLift;
import static org.fedsum.protocol.encoding.EncodingFixtures.maxAbs;
import static org.fedsum.protocol.encoding.EncodingFixtures.randomUpdate;
import static org.fedsum.protocol.encoding.EncodingFixtures.seeded;
import static org.fedsum.protocol.encoding.EncodingFixtures.subtract;
import static org.fedsum.protocol.encoding.EncodingFixtures.sumModulo;
import static org.fedsum.protocol.encoding.EncodingFixtures.sumModulo2To32;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Encode at n silos, sum modulo 2^b as the aggregator does, decode: the whole pipeline. */
class UpdateDecoderTest {
  private static final byte[] SEED =
      "round 12 public rotation seed".getBytes(StandardCharsets.UTF_8);
  private static final int SILOS = 5;

  private static EncodingParameters.Builder builder(int dimension, boolean rotation) {
    return EncodingParameters.builder()
        .setDimension(dimension)
        .setClipNorm(1)
        .setNoiseMultiplier(0)
        .setThreshold(3)
        .setSilos(SILOS)
        .setRotationSeed(rotation ? SEED : null);
  }

  @ParameterizedTest(name = "rotation {0}")
  @ValueSource(booleans = {false, true})
  void decode_sumWithoutNoise_withinQuantizationBound(boolean rotation) {
    int dimension = 3000;
    EncodingParameters parameters = builder(dimension, rotation).setBits(20).buildChoosingGamma();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    SecureRandom random = seeded(20);
    double[] trueSum = new double[dimension];
    List<EncodedUpdate> encodings = new ArrayList<>();
    for (int silo = 0; silo < SILOS; silo++) {
      double[] delta = randomUpdate(random, dimension, 0.2 + 0.15 * silo);
      trueSum = add(trueSum, delta);
      EncodedUpdate encoded = encoder.encode(delta, random);
      assertThat(encoded.report().clipped()).isFalse();
      assertThat(encoded.report().overflowCount()).isZero();
      encodings.add(encoded);
    }
    DecodedUpdate decoded =
        UpdateDecoder.create(parameters).decode(sumModulo(encodings, parameters.bits()), SILOS);
    double[] error = subtract(decoded.sum(), trueSum);
    double gamma = parameters.gamma();
    if (rotation) {
      // Each silo's rounding error is below 1 per grid coordinate, so below √d' in L2; the inverse
      // rotation is orthonormal and dropping the padding only shortens: ‖error‖ < n·γ·√d'.
      double bound = SILOS * gamma * Math.sqrt(parameters.signalLength());
      assertThat(UpdateEncoder.l2Norm(error)).isLessThan(bound);
    } else {
      // Each silo's rounding error is below γ per coordinate: the sum's below n·γ.
      assertThat(maxAbs(error)).isLessThan(SILOS * gamma);
    }
    // The rounding really happened at this γ (a decoder ignoring γ would be far off).
    assertThat(maxAbs(error)).isGreaterThan(gamma / 100);
    assertThat(decoded.totalWeight()).isEqualTo(SILOS);
    assertThat(decoded.survivors()).isEqualTo(SILOS);
    assertThat(decoded.noiseStandardDeviation()).isZero();
    double[] average = decoded.average();
    for (int i = 0; i < dimension; i++) {
      assertThat(average[i]).isEqualTo(decoded.sum()[i] / SILOS);
    }
  }

  @ParameterizedTest(name = "rotation {0}")
  @ValueSource(booleans = {false, true})
  void decode_weightedFedAvg_averageIsWeightedMean(boolean rotation) {
    int dimension = 1500;
    long maxWeight = 10_000;
    EncodingParameters parameters =
        builder(dimension, rotation).setWeighted(maxWeight).setBits(32).buildChoosingGamma();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    SecureRandom random = seeded(21);
    double[] weightedSum = new double[dimension];
    long totalWeight = 0;
    List<EncodedUpdate> encodings = new ArrayList<>();
    int survivors = 4;
    for (int silo = 0; silo < survivors; silo++) {
      long weight = 1L + random.nextInt((int) maxWeight);
      double[] delta = randomUpdate(random, dimension, 0.9);
      for (int i = 0; i < dimension; i++) {
        weightedSum[i] += weight * delta[i];
      }
      totalWeight += weight;
      encodings.add(encoder.encodeWeighted(delta, weight, random));
    }
    assertThat(encodings.get(0).length()).isEqualTo(parameters.signalLength() + 1);
    // The aggregator may hand over the sum modulo 2^32: only the low b bits are read.
    DecodedUpdate decoded =
        UpdateDecoder.create(parameters).decode(sumModulo2To32(encodings), survivors);
    assertThat(decoded.totalWeight()).isEqualTo(totalWeight);
    double[] expectedAverage = weightedSum.clone();
    for (int i = 0; i < dimension; i++) {
      expectedAverage[i] /= totalWeight;
    }
    double[] error = subtract(decoded.average(), expectedAverage);
    double gamma = parameters.gamma();
    if (rotation) {
      double bound = survivors * gamma * Math.sqrt(parameters.signalLength()) / totalWeight;
      assertThat(UpdateEncoder.l2Norm(error)).isLessThan(bound);
    } else {
      assertThat(maxAbs(error)).isLessThan(survivors * gamma / totalWeight);
    }
    assertThat(maxAbs(error)).isGreaterThan(gamma / totalWeight / 100);
  }

  @ParameterizedTest(name = "rotation {0}")
  @ValueSource(booleans = {false, true})
  void decode_sumWithNoise_errorVarianceIsSumOfLocalNoise(boolean rotation) {
    int dimension = 20_000;
    int survivors = 3;
    // σ_local = z·C/(γ·√t) = 1.2/(0.01·√2) ≈ 84.9 grid steps; rounding adds at most 1/4.
    EncodingParameters parameters =
        builder(dimension, rotation)
            .setNoiseMultiplier(1.2)
            .setThreshold(2)
            .setGamma(0.01)
            .buildChoosingBits();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    SecureRandom random = seeded(22);
    double[] trueSum = new double[dimension];
    List<EncodedUpdate> encodings = new ArrayList<>();
    for (int silo = 0; silo < survivors; silo++) {
      double[] delta = randomUpdate(random, dimension, 1);
      trueSum = add(trueSum, delta);
      encodings.add(encoder.encode(delta, random));
    }
    DecodedUpdate decoded =
        UpdateDecoder.create(parameters).decode(sumModulo(encodings, parameters.bits()), survivors);
    double[] error = subtract(decoded.sum(), trueSum);
    double mean = 0;
    for (double value : error) {
      mean += value;
    }
    mean /= dimension;
    double variance = 0;
    for (double value : error) {
      variance += (value - mean) * (value - mean);
    }
    variance /= dimension - 1;
    double sigmaLocal = parameters.localNoiseStandardDeviation();
    double expected = survivors * sigmaLocal * sigmaLocal * parameters.gamma() * parameters.gamma();
    // Relative standard error of a variance from 20000 samples is √(2/20000) = 1%.
    assertThat(variance / expected).isCloseTo(1.0, within(0.05));
    assertThat(Math.abs(mean)).isLessThan(5 * Math.sqrt(expected / dimension));
    assertThat(decoded.noiseStandardDeviation()).isCloseTo(Math.sqrt(expected), within(1e-12));
    // With 1.2 = z and t = 2 < 3 survivors, the noise exceeds z·C: √(3/2)·1.2.
    assertThat(decoded.noiseStandardDeviation()).isCloseTo(1.2 * Math.sqrt(1.5), within(1e-9));
  }

  @Test
  void decode_alignedWorstCase_sumSpreadMatchesPlanAndNothingWraps() {
    // n identical updates of norm C: the worst case the plan budgets for.
    int dimension = 4000;
    EncodingParameters parameters =
        builder(dimension, true)
            .setNoiseMultiplier(1)
            .setThreshold(3)
            .setBits(16)
            .buildChoosingGamma();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    SecureRandom random = seeded(23);
    double[] delta = randomUpdate(random, dimension, 1);
    List<EncodedUpdate> encodings = new ArrayList<>();
    for (int silo = 0; silo < SILOS; silo++) {
      EncodedUpdate encoded = encoder.encode(delta, random);
      encodings.add(encoded);
    }
    long[] lifted = centredLift(sumModulo(encodings, 16), 16);
    double secondMoment = 0;
    for (long value : lifted) {
      secondMoment += (double) value * value;
    }
    secondMoment /= lifted.length;
    double planned = parameters.sumStandardDeviation();
    assertThat(Math.sqrt(secondMoment) / planned).isCloseTo(1.0, within(0.05));
    DecodedUpdate decoded =
        UpdateDecoder.create(parameters).decode(sumModulo(encodings, 16), SILOS);
    // Beyond 3 of the 4 planned standard deviations: 0.27% of 4096 ≈ 11 expected.
    assertThat(decoded.outerBandCount()).isBetween(1L, 40L);
    double[] error = subtract(decoded.sum(), scale(delta, SILOS));
    // No wrap: the error is noise of standard deviation √5·σ_local·γ, never a wrap of 2^16·γ.
    assertThat(maxAbs(error)).isLessThan(8 * decoded.noiseStandardDeviation());
  }

  @Test
  void decode_sumThatWrapped_showsInOuterBandCount() {
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
    double[] delta = {0, 90, 200, -300, 127, 128, -127, -96};
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    List<EncodedUpdate> encodings = new ArrayList<>();
    for (int silo = 0; silo < 4; silo++) {
      encodings.add(encoder.encode(delta, seeded(24 + silo)));
    }
    DecodedUpdate decoded = UpdateDecoder.create(parameters).decode(sumModulo(encodings, 10), 4);
    // 4·200 = 800 wraps to -224 and 4·(-300) to -176, which look harmless: a wrap can land
    // anywhere, so the count is a warning sign, not a detector. 4·128 = 512 wraps to -512, in the
    // outer quarter |v| >= 384 with the true 508, -508 and -384.
    assertThat(decoded.sum()).containsExactly(0, 360, -224, -176, 508, -512, -508, -384);
    assertThat(decoded.outerBandCount()).isEqualTo(4);
    // The silos' reports did flag the coordinates beyond ±127.996.
    assertThat(encodings.get(0).report().overflowCount()).isEqualTo(3);
  }

  @Test
  void decode_badInput_refusedNamingTheValue() {
    EncodingParameters weighted =
        builder(10, false).setWeighted(100).setGamma(0.01).setBits(20).build();
    UpdateDecoder decoder = UpdateDecoder.create(weighted);
    assertThatThrownBy(() -> decoder.decode(new int[10], 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("encodedLength = 11")
        .hasMessageContaining("not 10");
    assertThatThrownBy(() -> decoder.decode(new int[11], 0))
        .hasMessageContaining("survivors must be between 1 and silos = 5, not 0");
    assertThatThrownBy(() -> decoder.decode(new int[11], 6)).hasMessageContaining("not 6");
    int[] words = new int[11];
    words[10] = 2;
    assertThatThrownBy(() -> decoder.decode(words, 3))
        .hasMessageContaining("total weight in the last word is 2")
        .hasMessageContaining("not a sum of 3 weighted encodings");
    words[10] = 301;
    assertThatThrownBy(() -> decoder.decode(words, 3))
        .hasMessageContaining("survivors * maxWeight = 300");
    words[10] = 300;
    assertThat(decoder.decode(words, 3).totalWeight()).isEqualTo(300);
  }

  private static double[] scale(double[] vector, double factor) {
    double[] scaled = vector.clone();
    for (int i = 0; i < scaled.length; i++) {
      scaled[i] *= factor;
    }
    return scaled;
  }
}
