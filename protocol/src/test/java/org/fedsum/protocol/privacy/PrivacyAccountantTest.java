package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrivacyAccountantTest {
  private static final double DELTA = 1e-5;

  // ---- Gaussian DP ---------------------------------------------------------------------------

  @Test
  void gdpDelta_atGdpEpsilon_roundTripsToDelta() {
    int checked = 0;
    for (double mu : new double[] {0.05, 0.3, 1, 2.5, 10, 40}) {
      for (double delta : new double[] {1e-3, 1e-5, 1e-10}) {
        double epsilon = PrivacyAccountant.gdpEpsilon(mu, delta);
        assertThat(epsilon).as("μ=%s δ=%s", mu, delta).isPositive();
        double back = PrivacyAccountant.gdpDelta(mu, epsilon);
        // Rounded up: the returned ε meets δ, and is tight to the solver's 1e-13.
        assertThat(back).as("δ(ε) for μ=%s δ=%s", mu, delta).isLessThanOrEqualTo(delta);
        assertThat(back).as("δ(ε) for μ=%s δ=%s", mu, delta).isCloseTo(delta, within(1e-8 * delta));
        assertThat(PrivacyAccountant.gdpDelta(mu, epsilon * (1 - 1e-9))).isGreaterThan(delta);
        checked++;
      }
    }
    assertThat(checked).isEqualTo(18);
  }

  @Test
  void gdpEpsilon_deltaAtLeastDeltaAtZero_isZero() {
    double mu = 0.1;
    double deltaAtZero = PrivacyAccountant.gdpDelta(mu, 0); // 2Φ(μ/2) − 1 ≈ 0.0399
    assertThat(deltaAtZero).isCloseTo(2 * StandardNormal.cdf(0.05) - 1, within(1e-15));
    assertThat(PrivacyAccountant.gdpEpsilon(mu, deltaAtZero * 1.01)).isZero();
    assertThat(PrivacyAccountant.gdpEpsilon(mu, deltaAtZero * 0.99)).isPositive();
    assertThat(PrivacyAccountant.gdpEpsilon(0, 1e-9)).isZero();
    assertThat(PrivacyAccountant.gdpDelta(0, 1)).isZero();
  }

  @Test
  void gdpMu_tRoundsOfZ_equalsOneRoundOfZOverSqrtT() {
    int rounds = 50;
    double z = 8;
    List<RoundPrivacy> many = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      many.add(new RoundPrivacy(r, 5, 2.0, z, 1e-3, 5, 1000));
    }
    List<RoundPrivacy> one =
        List.of(new RoundPrivacy(0, 5, 2.0, z / Math.sqrt(rounds), 1e-3, 5, 1000));
    double muMany = PrivacyAccountant.gdpMu(many);
    assertThat(muMany).isCloseTo(PrivacyAccountant.gdpMu(one), within(1e-12 * muMany));
    assertThat(muMany).isCloseTo(Math.sqrt(rounds) / z, within(1e-12 * muMany));
    assertThat(PrivacyAccountant.gdpEpsilon(muMany, DELTA))
        .isCloseTo(PrivacyAccountant.gdpEpsilon(PrivacyAccountant.gdpMu(one), DELTA), within(1e-9));
  }

  @Test
  void gdpMu_moreSurvivorsThanThreshold_addsTheirNoise() {
    RoundPrivacy atThreshold = new RoundPrivacy(0, 4, 1.0, 1.5, 1e-3, 4, 10);
    RoundPrivacy doubled = new RoundPrivacy(0, 8, 1.0, 1.5, 1e-3, 4, 10);
    double mu = PrivacyAccountant.gdpMu(List.of(atThreshold));
    assertThat(mu).isCloseTo(1 / 1.5, within(1e-15));
    assertThat(PrivacyAccountant.gdpMu(List.of(doubled)))
        .isCloseTo(mu / Math.sqrt(2), within(1e-15));
    assertThat(PrivacyAccountant.gdpMu(List.of())).isZero();
  }

  @Test
  void gdpRequiredNoiseMultiplier_invertsGdpEpsilon() {
    int checked = 0;
    for (double epsilon : new double[] {0.5, 1, 4.377178095681225, 10, 60}) {
      for (long rounds : new long[] {1, 10, 1000}) {
        double z = PrivacyAccountant.gdpRequiredNoiseMultiplier(epsilon, DELTA, rounds);
        double achieved = PrivacyAccountant.gdpEpsilon(Math.sqrt((double) rounds) / z, DELTA);
        assertThat(achieved)
            .as("ε=%s T=%s z=%s", epsilon, rounds, z)
            .isCloseTo(epsilon, within(1e-9 * epsilon));
        checked++;
      }
    }
    assertThat(checked).isEqualTo(15);
    assertThat(PrivacyAccountant.gdpRequiredNoiseMultiplier(4.377178095681225, DELTA, 1))
        .isCloseTo(1.0, within(1e-10));
    assertThat(PrivacyAccountant.gdpRequiredNoiseMultiplier(3.796535722893496, DELTA, 50))
        .isCloseTo(8.0, within(1e-9));
  }

  @Test
  void gdpDelta_largeEpsilon_neitherOverflowsNorNaN() {
    assertThat(PrivacyAccountant.gdpDelta(60, 3000)).isBetween(0.0, 1.0);
    assertThat(PrivacyAccountant.gdpDelta(1, 800)).isZero();
    assertThat(PrivacyAccountant.gdpEpsilon(60, 1e-12)).isFinite().isGreaterThan(1800);
  }

  @Test
  void gdp_invalidArguments_throwNamingTheArgument() {
    assertThatThrownBy(() -> PrivacyAccountant.gdpEpsilon(-1, DELTA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mu")
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> PrivacyAccountant.gdpEpsilon(1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delta");
    assertThatThrownBy(() -> PrivacyAccountant.gdpEpsilon(1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delta");
    assertThatThrownBy(() -> PrivacyAccountant.gdpDelta(1, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epsilon");
    assertThatThrownBy(() -> PrivacyAccountant.gdpRequiredNoiseMultiplier(0, DELTA, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epsilon");
    assertThatThrownBy(() -> PrivacyAccountant.gdpRequiredNoiseMultiplier(1, DELTA, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rounds");
  }

  // ---- discrete Gaussian sums ----------------------------------------------------------------

  @Test
  void tau_singleSummand_isZero() {
    assertThat(PrivacyAccountant.distributedDiscreteGaussianTau(0.5, 1)).isZero();
  }

  @Test
  void tau_matchesDefinition() {
    // τ = 10·(e^(−2π²σ²/2) + e^(−2π²σ²·2/3)) for n = 3, σ = 0.5
    double rate = 2 * Math.PI * Math.PI * 0.25;
    double expected = 10 * (Math.exp(-rate / 2) + Math.exp(-rate * 2 / 3));
    assertThat(PrivacyAccountant.distributedDiscreteGaussianTau(0.5, 3))
        .isCloseTo(expected, within(1e-15));
  }

  @Test
  void tau_sigmaAtLeastTwo_negligible() {
    assertThat(PrivacyAccountant.distributedDiscreteGaussianTau(2, 1000)).isLessThan(1e-15);
    assertThat(PrivacyAccountant.distributedDiscreteGaussianTau(3, 1000)).isLessThan(1e-36);
  }

  @Test
  void tau_growsAsSigmaShrinks() {
    double previous = 0;
    for (double sigma = 3; sigma >= 0.5; sigma -= 0.25) {
      double tau = PrivacyAccountant.distributedDiscreteGaussianTau(sigma, 10);
      assertThat(tau).as("σ=%s", sigma).isGreaterThan(previous);
      previous = tau;
    }
  }

  @Test
  void discreteRho_largeSigma_approachesContinuousZcdp() {
    double l2 = 37;
    long dimension = 1000;
    double l1 = PrivacyAccountant.l1SensitivityBound(l2, dimension);
    for (double sigma : new double[] {2, 5, 20, 100}) {
      double continuous = l2 * l2 / (2 * 7 * sigma * sigma);
      double discrete =
          PrivacyAccountant.distributedDiscreteGaussianRho(l2, l1, sigma, 7, dimension);
      assertThat(discrete).as("σ=%s", sigma).isCloseTo(continuous, within(1e-12 * continuous));
    }
  }

  @Test
  void discreteRho_excessOverContinuous_shrinksAsSigmaGrows() {
    double l2 = 1;
    long dimension = 10;
    double l1 = PrivacyAccountant.l1SensitivityBound(l2, dimension);
    double previousExcess = Double.POSITIVE_INFINITY;
    for (double sigma : new double[] {0.5, 0.75, 1, 1.5, 2}) {
      double continuous = l2 * l2 / (2 * 3 * sigma * sigma);
      double excess =
          PrivacyAccountant.distributedDiscreteGaussianRho(l2, l1, sigma, 3, dimension) / continuous
              - 1;
      assertThat(excess).as("σ=%s", sigma).isGreaterThanOrEqualTo(0).isLessThan(previousExcess);
      previousExcess = excess;
    }
    assertThat(previousExcess).isLessThan(1e-14);
  }

  @Test
  void discreteRho_sigmaHalf_visiblyAboveContinuous() {
    double l2 = 1;
    long dimension = 10;
    double l1 = PrivacyAccountant.l1SensitivityBound(l2, dimension);
    double continuous = l2 * l2 / (2 * 3 * 0.25);
    double discrete = PrivacyAccountant.distributedDiscreteGaussianRho(l2, l1, 0.5, 3, dimension);
    assertThat(discrete).isGreaterThan(10 * continuous);
    assertThat(PrivacyAccountant.zcdpEpsilon(discrete, DELTA))
        .isGreaterThan(2 * PrivacyAccountant.zcdpEpsilon(continuous, DELTA));
  }

  @Test
  void discreteRho_termsOfProposition14_leastIsTaken() {
    // Chosen so that each of the three terms is the least in turn.
    double l2 = 2;
    double sigma = 0.6;
    int n = 4;
    double d = 50;
    double tau = PrivacyAccountant.distributedDiscreteGaussianTau(sigma, n);
    double scale = Math.sqrt(n) * sigma;
    for (double l1 : new double[] {1, 4, 2 * Math.sqrt(d)}) {
      double additive = Math.pow(l2 / scale, 2) + 2 * tau * d;
      double withL1 = Math.pow(l2 / scale, 2) + 2 * tau * l1 / scale + tau * tau * d;
      double inflated = Math.pow(l2 / scale + tau * Math.sqrt(d), 2);
      double expected = 0.5 * Math.min(additive, Math.min(withL1, inflated));
      assertThat(PrivacyAccountant.distributedDiscreteGaussianRho(l2, l1, sigma, n, (long) d))
          .as("Δ₁=%s", l1)
          .isCloseTo(expected, within(1e-15 * expected));
    }
  }

  @Test
  void discreteRho_ofRound_usesRoundedSensitivityAndSurvivors() {
    // σ_local = 1·1/(1e-3·√3) ≈ 577 ≥ 2, so τ vanishes and ρ = Δ₂²/(2sσ²) with Δ₂ = C/γ + √d.
    RoundPrivacy round = new RoundPrivacy(0, 6, 1.0, 1.0, 1e-3, 3, 400);
    double l2 = 1000 + 20;
    double sigma = round.localNoiseStddev();
    double expected = l2 * l2 / (2 * 6 * sigma * sigma);
    assertThat(PrivacyAccountant.create(0).discreteRho(round))
        .isCloseTo(expected, within(1e-12 * expected));
  }

  @Test
  void discreteRho_sigmaBelowHalf_refused() {
    // σ_local = 0.1·1/(0.5·1) = 0.2
    RoundPrivacy round = new RoundPrivacy(3, 1, 1.0, 0.1, 0.5, 1, 10);
    assertThatThrownBy(() -> PrivacyAccountant.create(0).discreteRho(round))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("σ_local")
        .hasMessageContaining("0.2")
        .hasMessageContaining("round 3");
    assertThatThrownBy(() -> PrivacyAccountant.distributedDiscreteGaussianTau(0.49, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("localSigma");
  }

  @Test
  void roundedL2Sensitivity_plainAndConditionalRounding() {
    assertThat(PrivacyAccountant.roundedL2Sensitivity(100, 400, 0)).isEqualTo(120.0);
    double beta = Math.exp(-0.5); // √(2 ln(1/β)) = 1
    double conditional = Math.sqrt(100 * 100 + 400 / 4.0 + 1.0 * (100 + 10));
    assertThat(PrivacyAccountant.roundedL2Sensitivity(100, 400, beta))
        .isCloseTo(conditional, within(1e-12));
    // Tiny β: the conditional bound is worse than the plain one, which then applies.
    assertThat(PrivacyAccountant.roundedL2Sensitivity(100, 1, 1e-300)).isEqualTo(101.0);
    assertThatThrownBy(() -> PrivacyAccountant.create(1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("conditionalRoundingBeta");
  }

  @Test
  void l1SensitivityBound_isLeastOfSquareAndCauchySchwarz() {
    assertThat(PrivacyAccountant.l1SensitivityBound(0.5, 100)).isEqualTo(0.25);
    assertThat(PrivacyAccountant.l1SensitivityBound(100, 4)).isEqualTo(200.0);
  }

  @Test
  void spend_growsWithRoundsAndShrinksWithNoise() {
    PrivacyAccountant accountant = PrivacyAccountant.create(Math.exp(-0.5));
    PrivacySpend previous = accountant.spend(List.of(), DELTA);
    assertThat(previous.epsilonGdp()).isZero();
    assertThat(previous.epsilonRdp()).isZero();
    List<RoundPrivacy> rounds = new ArrayList<>();
    for (int r = 0; r < 20; r++) {
      rounds.add(new RoundPrivacy(r, 5, 1.0, 2.0, 1e-4, 3, 10_000));
      PrivacySpend spend = accountant.spend(rounds, DELTA);
      assertThat(spend.epsilonGdp()).isGreaterThan(previous.epsilonGdp());
      assertThat(spend.epsilonRdp()).isGreaterThan(previous.epsilonRdp());
      previous = spend;
    }
    double previousEpsilon = Double.POSITIVE_INFINITY;
    for (double z : new double[] {0.5, 1, 2, 4, 8}) {
      double epsilon =
          accountant
              .spend(List.of(new RoundPrivacy(0, 3, 1.0, z, 1e-4, 3, 10_000)), DELTA)
              .epsilonRdp();
      assertThat(epsilon).as("z=%s", z).isLessThan(previousEpsilon);
      previousEpsilon = epsilon;
    }
  }

  @Test
  void spend_reportsBothAccountantsForTheSiloUnit() {
    PrivacyAccountant accountant = PrivacyAccountant.create(0);
    List<RoundPrivacy> rounds = List.of(new RoundPrivacy(0, 3, 1.0, 1.0, 1e-6, 3, 100));
    PrivacySpend spend = accountant.spend(rounds, DELTA);
    assertThat(spend.unit()).isEqualTo("silo");
    assertThat(spend.delta()).isEqualTo(DELTA);
    assertThat(spend.epsilonGdp()).isCloseTo(4.377178095681225, within(1e-9));
    // The Rényi conversion is not tight for the Gaussian, so it reports more than the exact GDP.
    assertThat(spend.epsilonRdp())
        .isGreaterThan(spend.epsilonGdp())
        .isLessThan(1.15 * spend.epsilonGdp());
    assertThat(spend.enforcedEpsilon()).isEqualTo(spend.epsilonRdp());
    assertThat(spend.toString()).contains("unit=silo");
  }

  // ---- zCDP to (ε, δ) -------------------------------------------------------------------------

  @Test
  void zcdpEpsilon_matchesIndependentBruteForceOverOrders() {
    int checked = 0;
    for (double rho : new double[] {1e-6, 1e-3, 0.05, 0.5, 3, 50, 2000}) {
      for (double delta : new double[] {1e-5, 1e-9}) {
        double bruteForce = bruteForceZcdpEpsilon(rho, delta);
        double epsilon = PrivacyAccountant.zcdpEpsilon(rho, delta);
        assertThat(epsilon)
            .as("ρ=%s δ=%s", rho, delta)
            .isLessThanOrEqualTo(bruteForce * (1 + 1e-12));
        assertThat(epsilon)
            .as("ρ=%s δ=%s", rho, delta)
            .isGreaterThanOrEqualTo(bruteForce * (1 - 1e-6));
        checked++;
      }
    }
    assertThat(checked).isEqualTo(14);
  }

  @Test
  void zcdpEpsilon_neverAboveBunSteinkeConversion() {
    for (double rho : new double[] {1e-4, 0.1, 1, 10, 1000}) {
      double simple = rho + 2 * Math.sqrt(rho * Math.log(1 / DELTA));
      assertThat(PrivacyAccountant.zcdpEpsilon(rho, DELTA)).as("ρ=%s", rho).isLessThan(simple);
    }
  }

  @Test
  void zcdpEpsilon_edgeCases() {
    assertThat(PrivacyAccountant.zcdpEpsilon(0, DELTA)).isZero();
    assertThat(PrivacyAccountant.zcdpEpsilon(Double.POSITIVE_INFINITY, DELTA)).isInfinite();
    assertThatThrownBy(() -> PrivacyAccountant.zcdpEpsilon(-0.1, DELTA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rho")
        .hasMessageContaining("-0.1");
    assertThatThrownBy(() -> PrivacyAccountant.zcdpEpsilon(1, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delta");
  }

  /**
   * Canonne, Kamath, Steinke 2020, Prop. 12 in its original form, δ = e^((α−1)(αρ − ε))/(α − 1) ·
   * (1 − 1/α)^α, solved for ε, on 200 000 orders α − 1 log-spaced over [1e-7, 1e9].
   */
  private static double bruteForceZcdpEpsilon(double rho, double delta) {
    double best = Double.POSITIVE_INFINITY;
    int points = 200_000;
    for (int i = 0; i <= points; i++) {
      double alpha = 1 + Math.pow(10, -7 + 16.0 * i / points);
      double epsilon =
          alpha * rho
              + (Math.log(1 / delta) + alpha * Math.log(1 - 1 / alpha) - Math.log(alpha - 1))
                  / (alpha - 1);
      best = Math.min(best, epsilon);
    }
    return best;
  }
}
