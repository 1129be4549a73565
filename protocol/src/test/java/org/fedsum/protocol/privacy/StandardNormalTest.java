package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import org.junit.jupiter.api.Test;

class StandardNormalTest {
  private static final double RELATIVE = 1e-12;

  @Test
  void cdf_knownValues_withinRelative1e12() {
    assertRelative(StandardNormal.cdf(-10), 7.619853024160527e-24);
    assertRelative(StandardNormal.cdf(-1), 0.15865525393145707);
    assertThat(StandardNormal.cdf(0)).isEqualTo(0.5);
    assertRelative(StandardNormal.cdf(1), 0.8413447460685429);
    assertRelative(StandardNormal.cdf(-5), 2.866515718791939e-7);
    assertRelative(StandardNormal.cdf(-20), 2.7536241186062337e-89);
  }

  @Test
  void erfc_knownValues_withinRelative1e12() {
    assertThat(StandardNormal.erfc(0)).isEqualTo(1.0);
    // mpmath at 30 digits: erfc(1) = 0.157299207050285130658779364917, erfc(5) =
    // 1.53745979442803485018834348538e-12.
    assertRelative(StandardNormal.erfc(1), 0.15729920705028513);
    assertRelative(StandardNormal.erfc(5), 1.537459794428035e-12);
    assertRelative(StandardNormal.erfc(-1), 1.8427007929497148);
  }

  @Test
  void logCdf_beyondUnderflow_staysFiniteAndAccurate() {
    // mpmath at 40 digits: log Φ(−40) = −804.60844201375378816..., log Φ(−100) =
    // −5005.5242086942...
    assertThat(StandardNormal.cdf(-40)).isZero();
    assertThat(StandardNormal.logCdf(-40)).isCloseTo(-804.6084420137538, within(1e-12));
    assertThat(StandardNormal.logCdf(-100)).isCloseTo(-5005.524208694205, within(1e-11));
    assertThat(StandardNormal.logCdf(-1e10)).isCloseTo(-5.0e19, withinPercentage(1e-12));
  }

  @Test
  void cdf_symmetry_sumsToOne() {
    for (double x = 0; x < 8; x += 0.37) {
      assertThat(StandardNormal.cdf(x) + StandardNormal.cdf(-x)).isCloseTo(1.0, within(2e-16));
    }
  }

  @Test
  void limitsAndNaN_behaveAsDocumented() {
    assertThat(StandardNormal.cdf(Double.NEGATIVE_INFINITY)).isZero();
    assertThat(StandardNormal.cdf(Double.POSITIVE_INFINITY)).isEqualTo(1.0);
    assertThat(StandardNormal.logCdf(Double.NEGATIVE_INFINITY)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(StandardNormal.logCdf(Double.POSITIVE_INFINITY)).isZero();
    assertThat(StandardNormal.erfc(Double.POSITIVE_INFINITY)).isZero();
    assertThat(StandardNormal.erfc(Double.NEGATIVE_INFINITY)).isEqualTo(2.0);
    assertThat(StandardNormal.cdf(Double.NaN)).isNaN();
    assertThat(StandardNormal.logCdf(Double.NaN)).isNaN();
    assertThat(StandardNormal.erfc(Double.NaN)).isNaN();
  }

  private static void assertRelative(double actual, double expected) {
    assertThat(Math.abs(actual - expected) / Math.abs(expected))
        .as("%s vs expected %s", actual, expected)
        .isLessThanOrEqualTo(RELATIVE);
  }
}
