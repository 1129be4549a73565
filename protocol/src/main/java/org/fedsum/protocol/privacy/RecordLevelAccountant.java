package org.fedsum.protocol.privacy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The record-level accountant for DP-SGD (DESIGN.md §5, "Which unit DP protects"): Rényi DP of the
 * Poisson-subsampled Gaussian mechanism ({@link SampledGaussian}; Mironov, Talwar, Zhang 2019, the
 * analysis Opacus and TF Privacy implement), composed over steps and converted to (ε, δ)-DP. The
 * protected unit is one record ({@link PrivacySpend#UNIT_RECORD}).
 *
 * <ul>
 *   <li>Composition: RDP at a fixed order adds over adaptively composed mechanisms (Mironov, "Rényi
 *       Differential Privacy", CSF 2017, Proposition 1), so S steps spend S·ε(α) at every α.
 *   <li>Conversion: (α, ρ)-RDP implies (ε, δ)-DP with ε = ρ + log((α − 1)/α) − (log δ + log α)/(α −
 *       1) (Balle, Barthe, Gaboardi, Hsu, Sato, "Hypothesis Testing Interpretations and Rényi
 *       Differential Privacy", AISTATS 2020, Theorem 21; Canonne, Kamath, Steinke 2020, Proposition
 *       12), never larger than the classic ρ + log(1/δ)/(α − 1). Every order gives a valid ε, so
 *       the least over {@link #ORDERS} is reported with the order that gave it.
 * </ul>
 *
 * <p>The orders run from 1.05 in steps of 0.05 up to 2, in steps of 0.1 up to 11, every integer up
 * to 64, then 80 to 1024: small orders win for large budgets (many steps, little noise), large ones
 * for tiny budgets. Opacus's default grid is 1.1–10.9 and 12–63; this one contains it.
 *
 * <p>Stateless; all methods are static and validate their arguments with messages naming them.
 */
public final class RecordLevelAccountant {
  /** The Rényi orders the accountant minimises over, ascending; unmodifiable. */
  public static final List<Double> ORDERS = orders();

  /** The noise multiplier search stops at this relative width. */
  private static final double NOISE_TOLERANCE = 1e-9;

  /** Bounds of the noise multiplier search. */
  private static final double MIN_NOISE_MULTIPLIER = 1e-4;

  private static final double MAX_NOISE_MULTIPLIER = 1e6;
  private static final int MAX_BISECTIONS = 200;

  private RecordLevelAccountant() {}

  private static List<Double> orders() {
    List<Double> orders = new ArrayList<>();
    for (int i = 21; i <= 40; i++) {
      orders.add(i / 20.0); // 1.05 .. 2.0
    }
    for (int i = 21; i <= 110; i++) {
      orders.add(i / 10.0); // 2.1 .. 11.0
    }
    for (int i = 12; i <= 64; i++) {
      orders.add((double) i);
    }
    for (int order : new int[] {80, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024}) {
      orders.add((double) order);
    }
    return Collections.unmodifiableList(orders);
  }

  /** The least ε over the orders and the order α that gave it. */
  public record Epsilon(double epsilon, double order) {}

  /**
   * S·ε(α) at every order of {@link #ORDERS}: the RDP curve of {@code steps} steps of {@code
   * mechanism}. Curves of different mechanisms (say, runs with other q or z) compose by adding them
   * element by element.
   *
   * @param steps S ≥ 0
   */
  public static double[] renyiDivergences(SampledGaussian mechanism, long steps) {
    Objects.requireNonNull(mechanism, "mechanism");
    requireSteps(steps);
    double[] curve = new double[ORDERS.size()];
    if (steps == 0) {
      return curve;
    }
    for (int i = 0; i < curve.length; i++) {
      curve[i] = (double) steps * mechanism.renyiDivergence(ORDERS.get(i));
    }
    return curve;
  }

  /**
   * The (ε, δ)-DP of {@code steps} DP-SGD steps with sampling rate q and noise multiplier z, per
   * record.
   *
   * @param sampleRate q in (0, 1]
   * @param noiseMultiplier z &gt; 0, finite
   * @param steps S ≥ 0, every local step of every round the silo trained in
   * @param delta δ in (0, 1)
   */
  public static Epsilon epsilon(
      double sampleRate, double noiseMultiplier, long steps, double delta) {
    SampledGaussian mechanism = SampledGaussian.create(sampleRate, noiseMultiplier);
    requireSteps(steps);
    PrivacyAccountant.requireDelta(delta);
    return epsilon(renyiDivergences(mechanism, steps), delta);
  }

  /**
   * The least ε over {@link #ORDERS} of a composed RDP curve, by the tight conversion of the class
   * comment; 0 if the curve is 0 (no steps), +∞ if it is +∞ at every order.
   *
   * @param renyiDivergences ρ at each order of {@link #ORDERS}, ≥ 0 (may be +∞)
   * @param delta δ in (0, 1)
   */
  public static Epsilon epsilon(double[] renyiDivergences, double delta) {
    Objects.requireNonNull(renyiDivergences, "renyiDivergences");
    if (renyiDivergences.length != ORDERS.size()) {
      throw new IllegalArgumentException(
          "renyiDivergences must have one value per order ("
              + ORDERS.size()
              + "), not "
              + renyiDivergences.length);
    }
    double[] orders = new double[ORDERS.size()];
    for (int i = 0; i < orders.length; i++) {
      orders[i] = ORDERS.get(i);
    }
    return epsilon(orders, renyiDivergences, delta);
  }

  /**
   * The least ε over the given orders of an RDP curve, by the tight conversion of the class comment
   * (clamped at 0), and the order that gave it (the first on a tie); for curves on other orders
   * than {@link #ORDERS}.
   *
   * @param orders α of each point, each &gt; 1 and finite
   * @param renyiDivergences ρ at each order, ≥ 0 (may be +∞)
   * @param delta δ in (0, 1)
   */
  public static Epsilon epsilon(double[] orders, double[] renyiDivergences, double delta) {
    Objects.requireNonNull(orders, "orders");
    Objects.requireNonNull(renyiDivergences, "renyiDivergences");
    PrivacyAccountant.requireDelta(delta);
    if (orders.length == 0 || orders.length != renyiDivergences.length) {
      throw new IllegalArgumentException(
          "orders and renyiDivergences must be non-empty and of one length, not "
              + orders.length
              + " and "
              + renyiDivergences.length);
    }
    boolean allZero = true;
    for (double rho : renyiDivergences) {
      allZero &= rho == 0;
    }
    if (allZero) {
      // Zero divergence at every order: the outputs do not depend on the record at all.
      return new Epsilon(0, orders[0]);
    }
    double logDelta = Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = orders[0];
    for (int i = 0; i < orders.length; i++) {
      double order = orders[i];
      double rho = renyiDivergences[i];
      if (!(order > 1) || Double.isInfinite(order)) {
        throw new IllegalArgumentException("orders must be finite and > 1, not " + order);
      }
      if (!(rho >= 0)) {
        throw new IllegalArgumentException(
            "renyiDivergences must be >= 0, not " + rho + " at order " + order);
      }
      double value = rho + Math.log1p(-1 / order) - (logDelta + Math.log(order)) / (order - 1);
      if (value < best) {
        best = value;
        bestOrder = order;
      }
    }
    return new Epsilon(Math.max(0, best), bestOrder);
  }

  /**
   * The least noise multiplier z (to a relative 1e-9, rounded up) with which {@code steps} steps at
   * sampling rate q stay within ({@code targetEpsilon}, δ)-DP per record: the inverse of {@link
   * #epsilon(double, double, long, double)}, by bisection, as {@code fedsum privacy
   * --target-epsilon E --sample-rate Q --steps S} needs. ε falls as z grows, at every order. If
   * even z = 10⁻⁴ meets the target (δ ≥ q with one step, say), returns 10⁻⁴.
   *
   * @param targetEpsilon ε &gt; 0, finite
   * @param sampleRate q in (0, 1]
   * @param steps S ≥ 1
   * @param delta δ in (0, 1)
   * @throws IllegalArgumentException if no z up to 10⁶ meets the target (the target is below what
   *     the orders can certify at this δ)
   */
  public static double requiredNoiseMultiplier(
      double targetEpsilon, double sampleRate, long steps, double delta) {
    if (!(targetEpsilon > 0) || Double.isInfinite(targetEpsilon)) {
      throw new IllegalArgumentException(
          "targetEpsilon must be finite and > 0, not " + targetEpsilon);
    }
    SampledGaussian.create(sampleRate, 1); // validates q
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, not " + steps);
    }
    PrivacyAccountant.requireDelta(delta);
    double low = MIN_NOISE_MULTIPLIER;
    if (meets(low, targetEpsilon, sampleRate, steps, delta)) {
      return low;
    }
    double high = 1;
    while (!meets(high, targetEpsilon, sampleRate, steps, delta)) {
      low = high;
      high *= 2;
      if (high > MAX_NOISE_MULTIPLIER) {
        throw new IllegalArgumentException(
            "targetEpsilon "
                + targetEpsilon
                + " is below what the record-level accountant can certify at delta "
                + delta
                + " for sampleRate "
                + sampleRate
                + " and "
                + steps
                + " steps, with any noise multiplier up to "
                + MAX_NOISE_MULTIPLIER);
      }
    }
    for (int i = 0; i < MAX_BISECTIONS && high - low > NOISE_TOLERANCE * high; i++) {
      double middle = low + (high - low) / 2;
      if (meets(middle, targetEpsilon, sampleRate, steps, delta)) {
        high = middle;
      } else {
        low = middle;
      }
    }
    return high;
  }

  private static boolean meets(
      double noiseMultiplier, double targetEpsilon, double sampleRate, long steps, double delta) {
    return epsilon(sampleRate, noiseMultiplier, steps, delta).epsilon() <= targetEpsilon;
  }

  /**
   * What {@code steps} DP-SGD steps spend per record, as a {@link PrivacySpend} of unit {@link
   * PrivacySpend#UNIT_RECORD}. The noise is continuous (floating-point Gaussian), so the RDP bound
   * is the accountant's only figure and fills both ε fields: there is no separate discrete bound.
   *
   * @param sampleRate q in (0, 1]
   * @param noiseMultiplier z &gt; 0, finite
   * @param steps S ≥ 0
   * @param delta δ in (0, 1)
   */
  public static PrivacySpend spend(
      double sampleRate, double noiseMultiplier, long steps, double delta) {
    double epsilon = epsilon(sampleRate, noiseMultiplier, steps, delta).epsilon();
    return new PrivacySpend(epsilon, epsilon, delta, PrivacySpend.UNIT_RECORD);
  }

  private static void requireSteps(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, not " + steps);
    }
  }
}
