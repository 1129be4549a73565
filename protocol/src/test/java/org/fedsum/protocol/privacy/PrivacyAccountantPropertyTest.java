package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;

class PrivacyAccountantPropertyTest {

  @Property(tries = 300)
  void gdpEpsilon_meetsDeltaAndIsTight(
      @ForAll @DoubleRange(min = -2, max = 1.6) double log10Mu,
      @ForAll @DoubleRange(min = -12, max = -1) double log10Delta) {
    double mu = Math.pow(10, log10Mu);
    double delta = Math.pow(10, log10Delta);
    double epsilon = PrivacyAccountant.gdpEpsilon(mu, delta);
    assertThat(PrivacyAccountant.gdpDelta(mu, epsilon)).isLessThanOrEqualTo(delta);
    if (epsilon > 0) {
      assertThat(PrivacyAccountant.gdpDelta(mu, epsilon * (1 - 1e-8))).isGreaterThan(delta);
    }
  }

  @Property(tries = 200)
  void gdpEpsilon_growsWithMu(
      @ForAll @DoubleRange(min = 0.01, max = 30) double mu,
      @ForAll @DoubleRange(min = 1.001, max = 2) @Scale(6) double factor) {
    assertThat(PrivacyAccountant.gdpEpsilon(mu * factor, 1e-6))
        .isGreaterThanOrEqualTo(PrivacyAccountant.gdpEpsilon(mu, 1e-6));
  }

  @Property(tries = 200)
  void zcdpEpsilon_growsWithRhoAndShrinksWithDelta(
      @ForAll @DoubleRange(min = -6, max = 3) double log10Rho,
      @ForAll @DoubleRange(min = 1.01, max = 3) double factor) {
    double rho = Math.pow(10, log10Rho);
    double epsilon = PrivacyAccountant.zcdpEpsilon(rho, 1e-6);
    assertThat(PrivacyAccountant.zcdpEpsilon(rho * factor, 1e-6)).isGreaterThan(epsilon);
    assertThat(PrivacyAccountant.zcdpEpsilon(rho, 1e-6 * factor)).isLessThan(epsilon);
  }

  @Property(tries = 200)
  void discreteRho_neverBelowContinuousZcdp(
      @ForAll @IntRange(min = 1, max = 20) int threshold,
      @ForAll @IntRange(min = 0, max = 20) int extraSurvivors,
      @ForAll @DoubleRange(min = 0.3, max = 10) double noiseMultiplier,
      @ForAll @DoubleRange(min = -5, max = -1) double log10Gamma,
      @ForAll @IntRange(min = 1, max = 100_000) int dimension) {
    RoundPrivacy round =
        new RoundPrivacy(
            0,
            threshold + extraSurvivors,
            1.0,
            noiseMultiplier,
            Math.pow(10, log10Gamma),
            threshold,
            dimension);
    if (round.localNoiseStddev() < 0.5) {
      return;
    }
    double continuous = PrivacyAccountant.gdpMuSquared(round) / 2;
    assertThat(PrivacyAccountant.create(0).discreteRho(round))
        .isGreaterThanOrEqualTo(continuous * (1 - 1e-12));
  }

  @Property(tries = 300)
  void standardNormal_monotoneAndSymmetric(@ForAll @DoubleRange(min = -37, max = 8) double x) {
    assertThat(StandardNormal.cdf(x + 1e-3)).isGreaterThanOrEqualTo(StandardNormal.cdf(x));
    assertThat(StandardNormal.erfc(x)).isEqualTo(2 - StandardNormal.erfc(-x), within(4e-16));
  }
}
