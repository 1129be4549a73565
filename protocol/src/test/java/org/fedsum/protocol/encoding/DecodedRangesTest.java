package org.fedsum.protocol.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fedsum.protocol.encoding.EncodingFixtures.randomUpdate;
import static org.fedsum.protocol.encoding.EncodingFixtures.seeded;
import static org.fedsum.protocol.encoding.EncodingFixtures.sumModulo;
import static org.fedsum.protocol.encoding.EncodingFixtures.sumModulo2To32;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Decoding range by range gives {@link UpdateDecoder#decode}'s numbers bit for bit, whatever the
 * ranges: the aggregator's strategy step relies on it to serve the same model as a whole decode.
 */
class DecodedRangesTest {
  private static final byte[] SEED =
      "round 7 public rotation seed".getBytes(StandardCharsets.UTF_8);
  private static final int SILOS = 5;

  @ParameterizedTest(name = "rotation {0}, weighted {1}, noise {2}, survivors {3}")
  @CsvSource({
    "false, false, 0, 5",
    "false, true, 0, 4",
    "false, false, 1, 3",
    "true, false, 0, 5",
    "true, true, 0, 4",
    "true, false, 1, 3"
  })
  void readRanges_anySplit_equalWholeDecodeBitForBit(
      boolean rotation, boolean weighted, double noise, int survivors) {
    // Rotation pads 3001 to 3008 = 2048 + 512 + 256 + 128 + 64 (five blocks, the last one padded);
    // the last range is short.
    int dimension = 3001;
    EncodingParameters.Builder builder =
        EncodingParameters.builder()
            .setDimension(dimension)
            .setClipNorm(1)
            .setNoiseMultiplier(noise)
            .setThreshold(3)
            .setSilos(SILOS)
            .setRotationSeed(rotation ? SEED : null);
    if (weighted) {
      builder.setWeighted(1000);
    }
    EncodingParameters parameters = builder.setBits(24).buildChoosingGamma();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    SecureRandom random = seeded(31);
    List<EncodedUpdate> encodings = new ArrayList<>();
    for (int silo = 0; silo < survivors; silo++) {
      double[] delta = randomUpdate(random, dimension, 0.3 + 0.1 * silo);
      encodings.add(
          weighted
              ? encoder.encodeWeighted(delta, 1 + random.nextInt(1000), random)
              : encoder.encode(delta, random));
    }
    // Unreduced words (the aggregator's sum modulo 2^32) for one case, reduced for the others.
    int[] words =
        survivors == 3 ? sumModulo2To32(encodings) : sumModulo(encodings, parameters.bits());
    int[] untouched = words.clone();
    UpdateDecoder decoder = UpdateDecoder.create(parameters);
    DecodedUpdate whole = decoder.decode(words, survivors);
    DecodedRanges ranges = decoder.decodeRanges(words, survivors);

    assertThat(ranges.dimension()).isEqualTo(dimension);
    assertThat(ranges.totalWeight()).isEqualTo(whole.totalWeight());
    assertThat(ranges.survivors()).isEqualTo(survivors);
    assertThat(ranges.noiseStandardDeviation()).isEqualTo(whole.noiseStandardDeviation());
    assertThat(ranges.outerBandCount()).isEqualTo(whole.outerBandCount());
    double[] expectedSum = whole.sum();
    double[] expectedAverage = whole.average();
    // The average is not the sum: a reader returning one for the other would fail.
    assertThat(whole.totalWeight()).isGreaterThan(1);
    for (int rangeLength : new int[] {1, 7, 64, 1000, dimension}) {
      double[] sum = new double[dimension];
      double[] average = new double[dimension];
      double[] buffer = new double[rangeLength + 3];
      for (int from = 0; from < dimension; from += rangeLength) {
        int length = Math.min(rangeLength, dimension - from);
        ranges.readSum(from, length, buffer);
        System.arraycopy(buffer, 0, sum, from, length);
        ranges.readAverage(from, length, buffer);
        System.arraycopy(buffer, 0, average, from, length);
      }
      assertThat(bits(sum)).as("sum, ranges of %d", rangeLength).isEqualTo(bits(expectedSum));
      assertThat(bits(average))
          .as("average, ranges of %d", rangeLength)
          .isEqualTo(bits(expectedAverage));
    }
    // Backwards, so that every read of a rotated sum decodes a block again after another one.
    double[] backwards = new double[dimension];
    double[] buffer = new double[700];
    for (int end = dimension; end > 0; end -= 700) {
      int from = Math.max(0, end - 700);
      ranges.readSum(from, end - from, buffer);
      System.arraycopy(buffer, 0, backwards, from, end - from);
    }
    assertThat(bits(backwards)).as("sum, backwards").isEqualTo(bits(expectedSum));
    assertThat(words).isEqualTo(untouched);

    // In increasing order, overwriting the words read so far (as the aggregator writes the next
    // model over the sum): still the same numbers, so no read lifts an overwritten word again.
    for (int rangeLength : new int[] {7, 1000, 2500}) {
      int[] overwritten = untouched.clone();
      DecodedRanges reader = decoder.decodeRanges(overwritten, survivors);
      double[] average = new double[dimension];
      double[] range = new double[rangeLength];
      for (int from = 0; from < dimension; from += rangeLength) {
        int length = Math.min(rangeLength, dimension - from);
        reader.readAverage(from, length, range);
        System.arraycopy(range, 0, average, from, length);
        java.util.Arrays.fill(overwritten, from, from + length, 0x7fc00000);
      }
      assertThat(bits(average))
          .as("average, ranges of %d, overwritten behind the reads", rangeLength)
          .isEqualTo(bits(expectedAverage));
    }
  }

  @ParameterizedTest(name = "rotation {0}")
  @CsvSource({"false", "true"})
  void readSum_rangeOutsideTheDimension_isRefused(boolean rotation) {
    EncodingParameters parameters =
        EncodingParameters.builder()
            .setDimension(10)
            .setClipNorm(1)
            .setNoiseMultiplier(0)
            .setThreshold(2)
            .setSilos(2)
            .setRotationSeed(rotation ? SEED : null)
            .setBits(20)
            .buildChoosingGamma();
    DecodedRanges ranges =
        UpdateDecoder.create(parameters).decodeRanges(new int[parameters.encodedLength()], 2);
    double[] buffer = new double[16];
    assertThatThrownBy(() -> ranges.readSum(8, 3, buffer))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ranges.readAverage(0, 17, new double[17]))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ranges.readSum(0, 5, new double[4]))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  private static long[] bits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }
}
