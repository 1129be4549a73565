package org.fedsum.protocol.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.protocol.encoding.EncodingFixtures.add;
import static org.fedsum.protocol.encoding.EncodingFixtures.maxAbs;
import static org.fedsum.protocol.encoding.EncodingFixtures.randomUpdate;
import static org.fedsum.protocol.encoding.EncodingFixtures.seeded;
import static org.fedsum.protocol.encoding.EncodingFixtures.subtract;
import static org.fedsum.protocol.encoding.EncodingFixtures.sumModulo;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class UpdateEncodingPropertyTest {
  // The scaled coordinates reach 2^31 at b = 32, where a double's last bit is 2^-21 of a grid
  // step: the quantization bound gets that much room, nothing more.
  private static final double FLOATING_POINT_ROOM = 1e-6;

  @Property(tries = 150)
  void roundTrip_withoutNoise_withinQuantizationBound(
      @ForAll @IntRange(min = 1, max = 300) int dimension,
      @ForAll @IntRange(min = 1, max = 6) int silos,
      @ForAll @IntRange(min = 8, max = 32) int bits,
      @ForAll boolean rotation,
      @ForAll boolean weighted,
      @ForAll long seed) {
    SecureRandom random = seeded(seed);
    byte[] rotationSeed = new byte[16];
    random.nextBytes(rotationSeed);
    long maxWeight = weighted ? 20 : 1;
    EncodingParameters.Builder builder =
        EncodingParameters.builder()
            .setDimension(dimension)
            .setClipNorm(1)
            .setNoiseMultiplier(0)
            .setThreshold(1)
            .setSilos(silos)
            .setRotationSeed(rotation ? rotationSeed : null)
            .setBits(bits);
    if (weighted) {
      builder.setWeighted(maxWeight);
    }
    EncodingParameters parameters = builder.buildChoosingGamma();
    UpdateEncoder encoder = UpdateEncoder.create(parameters);
    double[] trueSum = new double[dimension];
    long totalWeight = 0;
    List<EncodedUpdate> encodings = new ArrayList<>();
    for (int silo = 0; silo < silos; silo++) {
      double[] delta = randomUpdate(random, dimension, random.nextDouble());
      long weight = 1L + random.nextInt((int) maxWeight);
      totalWeight += weight;
      double[] weightedDelta = delta.clone();
      for (int i = 0; i < dimension; i++) {
        weightedDelta[i] *= weight;
      }
      trueSum = add(trueSum, weightedDelta);
      EncodedUpdate encoded =
          weighted ? encoder.encodeWeighted(delta, weight, random) : encoder.encode(delta, random);
      assertThat(encoded.length()).isEqualTo(parameters.encodedLength());
      for (int word : encoded.words()) {
        assertThat(Integer.toUnsignedLong(word)).isLessThan(1L << bits);
      }
      encodings.add(encoded);
    }
    DecodedUpdate decoded =
        UpdateDecoder.create(parameters).decode(sumModulo(encodings, bits), silos);
    assertThat(decoded.totalWeight()).isEqualTo(weighted ? totalWeight : silos);
    double[] error = subtract(decoded.sum(), trueSum);
    double gamma = parameters.gamma() * (1 + FLOATING_POINT_ROOM);
    if (rotation) {
      double bound = silos * gamma * Math.sqrt(parameters.signalLength());
      assertThat(UpdateEncoder.l2Norm(error)).isLessThan(bound);
    } else {
      assertThat(maxAbs(error)).isLessThan(silos * gamma);
    }
  }
}
