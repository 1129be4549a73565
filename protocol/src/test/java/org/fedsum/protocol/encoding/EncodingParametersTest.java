package org.fedsum.protocol.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.junit.jupiter.api.Test;

class EncodingParametersTest {
  private static final byte[] SEED = new byte[32];

  /** d = 1000, C = 1, no DP, t = 2 of n = 5, no rotation, unweighted. */
  private static EncodingParameters.Builder plain() {
    return EncodingParameters.builder()
        .setDimension(1000)
        .setClipNorm(1)
        .setNoiseMultiplier(0)
        .setThreshold(2)
        .setSilos(5);
  }

  /** d = 1000, C = 1, z = 1, t = 3 of n = 5. */
  private static EncodingParameters.Builder private_() {
    return plain().setNoiseMultiplier(1).setThreshold(3);
  }

  @Test
  void build_invalidField_messageNamesTheField() {
    List<String> failures = new ArrayList<>();
    int[] checked = {0};
    Consumer<Case> check =
        c -> {
          checked[0]++;
          EncodingParameters.Builder builder = c.base();
          c.mutation().accept(builder);
          try {
            builder.build();
            failures.add(c.field() + ": accepted");
          } catch (IllegalArgumentException e) {
            if (!e.getMessage().contains(c.field())) {
              failures.add(c.field() + ": message '" + e.getMessage() + "'");
            }
          }
        };
    List<Case> cases =
        List.of(
            new Case("dimension", b -> b.setDimension(0)),
            new Case("dimension", b -> b.setDimension(EncodingParameters.MAX_DIMENSION + 1)),
            new Case("clipNorm", b -> b.setClipNorm(0)),
            new Case("clipNorm", b -> b.setClipNorm(-1)),
            new Case("clipNorm", b -> b.setClipNorm(Double.NaN)),
            new Case("clipNorm", b -> b.setClipNorm(Double.POSITIVE_INFINITY)),
            new Case("noiseMultiplier", b -> b.setNoiseMultiplier(-0.5)),
            new Case("noiseMultiplier", b -> b.setNoiseMultiplier(Double.NaN)),
            new Case("noiseMultiplier", b -> b.setNoiseMultiplier(Double.POSITIVE_INFINITY)),
            new Case("silos", b -> b.setSilos(0)),
            new Case("threshold", b -> b.setThreshold(0)),
            new Case("threshold", b -> b.setThreshold(6)),
            new Case("maxWeight", b -> b.setWeighted(0)),
            new Case("rotationSeed", b -> b.setRotationSeed(new byte[15])),
            new Case("rangeStandardDeviations", b -> b.setRangeStandardDeviations(0)),
            new Case("gamma", b -> b.setGamma(0)),
            new Case("gamma", b -> b.setGamma(Double.NaN)),
            new Case("bits", b -> b.setBits(0)),
            new Case("bits", b -> b.setBits(33)),
            new Case("clipping", b -> b.setNoiseMultiplier(1).setClipping(false)),
            new Case("noiseMultiplier", b -> b.setNoiseMultiplier(1).setWeighted(10)),
            new Case("total weight", b -> b.setWeighted(100).setBits(8)));
    for (Case c : cases) {
      check.accept(c);
    }
    assertThat(failures).isEmpty();
    assertThat(checked[0]).isEqualTo(22);
  }

  private record Case(String field, Consumer<EncodingParameters.Builder> mutation) {
    EncodingParameters.Builder base() {
      return plain().setGamma(0.001).setBits(20);
    }
  }

  @Test
  void build_noiseMultiplierNotSet_refused() {
    EncodingParameters.Builder builder =
        EncodingParameters.builder()
            .setDimension(10)
            .setClipNorm(1)
            .setThreshold(1)
            .setSilos(1)
            .setGamma(0.1)
            .setBits(16);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("noiseMultiplier must be set");
  }

  @Test
  void build_localNoiseBelowTwo_refusedSayingLowerGamma() {
    // σ_local = z·C/(γ·√t) = 1·1/(0.5·√4) = 1.
    EncodingParameters.Builder builder = private_().setThreshold(4).setGamma(0.5).setBits(20);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sigma_local")
        .hasMessageContaining("= 1.0 must be at least 2")
        .hasMessageContaining("lower gamma");
  }

  @Test
  void build_localNoiseAtLeastTwo_accepted() {
    // σ_local = 1·1/(0.25·√4) = 2.
    EncodingParameters parameters = private_().setThreshold(4).setGamma(0.125).setBits(20).build();
    assertThat(parameters.localNoiseStandardDeviation()).isEqualTo(4.0);
    EncodingParameters atTwo = private_().setThreshold(4).setGamma(0.25).setBits(20).build();
    assertThat(atTwo.localNoiseStandardDeviation()).isEqualTo(2.0);
  }

  @Test
  void buildChoosingGamma_fewBitsWithNoise_refusedBecauseSigmaLocalBelowTwo() {
    // γ from 5 bits gives σ_local² = (z²/t)·((2^4/4)² - n/4)/((n·C)²/d' + n·z²·C²/t) = 2.9.
    EncodingParameters.Builder builder = private_().setBits(5);
    assertThatThrownBy(builder::buildChoosingGamma)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sigma_local")
        .hasMessageContaining("raise bits");
  }

  @Test
  void buildChoosingGamma_kStandardDeviationsFillHalfTheRange() {
    for (boolean rotation : new boolean[] {false, true}) {
      for (EncodingParameters.Builder builder :
          List.of(plain(), private_(), plain().setWeighted(1000))) {
        builder.setRotationSeed(rotation ? SEED : null).setBits(24);
        EncodingParameters parameters = builder.buildChoosingGamma();
        assertThat(parameters.bits()).isEqualTo(24);
        // k·√V(γ) = 2^(b-1), recomputed from the formula of the class comment.
        double n = parameters.silos();
        double dPrime = parameters.signalLength();
        double signal = n * parameters.maxWeight() * parameters.clipNorm() / parameters.gamma();
        double sigma = parameters.localNoiseStandardDeviation();
        double variance = signal * signal / dPrime + n / 4 + n * sigma * sigma;
        assertThat(4 * Math.sqrt(variance)).isCloseTo(Math.scalb(1.0, 23), within(1e-6));
        assertThat(parameters.headroomStandardDeviations()).isCloseTo(4.0, within(1e-9));
      }
    }
  }

  @Test
  void buildChoosingGamma_fewSilosAt32Bits_coarserGridKeepsSigmaLocalAccepted() {
    // Three silos, noise dominating: the smallest γ would give σ_local ≈ 2^29 / √3 > 2^28.
    EncodingParameters parameters =
        plain()
            .setSilos(3)
            .setThreshold(3)
            .setNoiseMultiplier(1)
            .setDimension(100_000)
            .setBits(32)
            .buildChoosingGamma();
    assertThat(parameters.localNoiseStandardDeviation()).isCloseTo(0x1p27, within(1.0));
    assertThat(parameters.headroomStandardDeviations()).isGreaterThan(4.0);
    // Still calibrated: any t survivors carry noise z·C in real units.
    assertThat(
            parameters.localNoiseStandardDeviation()
                * parameters.gamma()
                * Math.sqrt(parameters.threshold()))
        .isCloseTo(parameters.clipNorm(), within(1e-9));
  }

  @Test
  void buildChoosingGamma_privateParameters_noiseCalibratedToThreshold() {
    EncodingParameters parameters = private_().setBits(20).buildChoosingGamma();
    // Any t survivors carry noise of standard deviation z·C in real units.
    double centralSigma =
        parameters.localNoiseStandardDeviation()
            * parameters.gamma()
            * Math.sqrt(parameters.threshold());
    assertThat(centralSigma).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void buildChoosingBits_smallestBitsWithKStandardDeviations() {
    for (double gamma : new double[] {1e-2, 1e-3, 1e-4, 3.7e-6}) {
      EncodingParameters parameters = plain().setGamma(gamma).buildChoosingBits();
      assertThat(parameters.headroomStandardDeviations()).isGreaterThanOrEqualTo(4.0);
      EncodingParameters oneBitLess =
          plain().setGamma(gamma).setBits(parameters.bits() - 1).build();
      assertThat(oneBitLess.headroomStandardDeviations()).isLessThan(4.0);
    }
  }

  @Test
  void buildChoosingBits_weighted_totalWeightFits() {
    // The signal needs few bits at this γ, the total weight 5·10^6 needs 23.
    EncodingParameters parameters =
        plain().setWeighted(1_000_000).setClipNorm(1e-9).setGamma(1).buildChoosingBits();
    assertThat(parameters.bits()).isEqualTo(23);
    assertThat(5.0 * 1_000_000).isLessThan(Math.scalb(1.0, parameters.bits()));
  }

  @Test
  void buildChoosingBits_gammaTooSmall_refusedSayingRaiseGamma() {
    EncodingParameters.Builder builder = plain().setGamma(1e-12);
    assertThatThrownBy(builder::buildChoosingBits)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gamma = 1.0E-12 is too small")
        .hasMessageContaining("raise gamma");
  }

  @Test
  void buildChoosingGamma_roundingAloneTooWide_refusedSayingRaiseBits() {
    // 4 standard deviations of the rounding of 100 silos (√(100/4) = 5) need 2^(b-1) > 20.
    EncodingParameters.Builder builder = plain().setSilos(100).setBits(5);
    assertThatThrownBy(builder::buildChoosingGamma)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bits = 5 are too few")
        .hasMessageContaining("raise bits");
  }

  @Test
  void buildChoosing_bothSet_refused() {
    assertThatThrownBy(() -> plain().setBits(20).setGamma(0.1).buildChoosingGamma())
        .hasMessageContaining("gamma is set");
    assertThatThrownBy(() -> plain().setBits(20).setGamma(0.1).buildChoosingBits())
        .hasMessageContaining("bits is set");
  }

  @Test
  void lengths_rotationPadsAndWeightAddsOne() {
    EncodingParameters plain = plain().setGamma(0.01).setBits(20).build();
    assertThat(plain.signalLength()).isEqualTo(1000);
    assertThat(plain.encodedLength()).isEqualTo(1000);
    EncodingParameters rotated =
        plain().setRotationSeed(SEED).setWeighted(10).setGamma(0.01).setBits(20).build();
    // 1000 is a multiple of the smallest block, 2^(9 - 6) = 8: no padding.
    assertThat(rotated.signalLength()).isEqualTo(1000);
    assertThat(rotated.encodedLength()).isEqualTo(1001);
    for (int[] c : new int[][] {{1, 1}, {1001, 1008}, {1024, 1024}, {1025, 1040}}) {
      EncodingParameters padded =
          plain().setDimension(c[0]).setRotationSeed(SEED).setGamma(0.01).setBits(20).build();
      assertThat(padded.signalLength()).as("dimension %s", c[0]).isEqualTo(c[1]);
      assertThat(padded.encodedLength()).as("dimension %s", c[0]).isEqualTo(c[1]);
    }
  }

  @Test
  void perSiloSignalLimit_withoutNoise_nSilosAtTheLimitFitTheRange() {
    // (k/n)·√((2^(b-1)/k)² - n/4) with k = 4, n = 5, b = 10.
    EncodingParameters parameters = plain().setGamma(1).setBits(10).build();
    assertThat(parameters.perSiloSignalLimit())
        .isCloseTo(0.8 * Math.sqrt(128 * 128 - 1.25), within(1e-9));
    assertThat(5 * parameters.perSiloSignalLimit()).isLessThan(512);
  }

  @Test
  void perSiloSignalLimit_chosenParameters_isKSpreadsOfOneUpdate() {
    for (EncodingParameters.Builder builder :
        List.of(plain(), private_(), plain().setWeighted(1000), private_().setRotationSeed(SEED))) {
      EncodingParameters parameters = builder.setBits(20).buildChoosingGamma();
      double spread =
          parameters.maxWeight()
              * parameters.clipNorm()
              / (parameters.gamma() * Math.sqrt(parameters.signalLength()));
      assertThat(parameters.perSiloSignalLimit()).isCloseTo(4 * spread, within(1e-6 * spread));
    }
  }

  @Test
  void perSiloSignalLimit_noiseAloneTooWide_zero() {
    // σ_local = 1/(0.01·√3) ≈ 57.7 for 5 silos: 4·√(5·57.7²) ≈ 516 > 2^(10-1).
    EncodingParameters parameters = private_().setGamma(0.01).setBits(10).build();
    assertThat(parameters.perSiloSignalLimit()).isZero();
  }

  @Test
  void roundedNormBound_isKairouzTheoremOne() {
    // c = C/γ = 100, d' = 1024, √(2 ln(1/β)) = 1: Δ₂² = 100² + 1024/4 + (100 + 32/2) = 10372.
    EncodingParameters parameters = plain().setDimension(1024).setGamma(0.01).setBits(20).build();
    assertThat(parameters.roundedNormBound()).isCloseTo(Math.sqrt(10372), within(1e-9));
    // With β = e^(-1/2) the concentration branch is the smaller one even for c = 0, d' = 1.
    assertThat(EncodingParameters.roundedNormBound(0, 1)).isCloseTo(Math.sqrt(0.75), within(1e-12));
  }

  @Test
  void roundedNormBound_agreesWithThePrivacyAccountant() {
    // The accountant must be given c = C/γ, d = signalLength() (the padded length) and this β.
    for (EncodingParameters parameters :
        List.of(
            private_().setBits(16).buildChoosingGamma(),
            private_().setRotationSeed(SEED).setBits(24).buildChoosingGamma())) {
      double accountant =
          PrivacyAccountant.roundedL2Sensitivity(
              parameters.clipNorm() / parameters.gamma(),
              parameters.signalLength(),
              EncodingParameters.CONDITIONAL_ROUNDING_BETA);
      assertThat(parameters.roundedNormBound()).isEqualTo(accountant);
    }
  }

  @Test
  void rotationSeed_copiedInAndOut() {
    byte[] seed = new byte[16];
    EncodingParameters.Builder builder = plain().setRotationSeed(seed).setGamma(0.01).setBits(20);
    seed[0] = 1;
    EncodingParameters parameters = builder.build();
    assertThat(parameters.rotationSeed()).isEqualTo(new byte[16]);
    parameters.rotationSeed()[1] = 1;
    assertThat(parameters.rotationSeed()).isEqualTo(new byte[16]);
    assertThat(parameters)
        .isEqualTo(plain().setRotationSeed(new byte[16]).setGamma(0.01).setBits(20).build());
    assertThat(parameters).isNotEqualTo(plain().setGamma(0.01).setBits(20).build());
    assertThat(parameters.toString()).contains("seed 16 bytes").contains("bits=20");
  }
}
