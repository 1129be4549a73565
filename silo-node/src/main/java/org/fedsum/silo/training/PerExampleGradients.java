package org.fedsum.silo.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * The gradient of each example's own objective, which DP-SGD clips one by one (Abadi et al., CCS
 * 2016). An example's objective is its cross-entropy plus, with FedProx, the whole proximal term
 * {@code μ/2 · ‖w − w_global‖²}: its gradient {@code μ (w − w_global)} is added to every example's
 * gradient before the clipping, so a sampled batch of B examples contributes B clipped copies of
 * it, and after the division by the expected batch size {@code q·n} the step carries the proximal
 * pull of ordinary FedProx in expectation.
 *
 * <p>Two implementations give the same results to float rounding: {@link OneExampleAtATime}, one
 * backward pass per example, which works for any block, and {@link LayerwisePerExampleGradients},
 * which computes the whole batch with a few array operations per layer.
 *
 * <p>Implementations run under {@link DjlRuntime#ENGINE_LOCK} (they open a gradient collector), and
 * every array they return lives on the manager they were given.
 */
abstract class PerExampleGradients {
  /**
   * The sum over a batch of each example's gradient clipped to L2 norm C, one array per parameter
   * (shaped like it, in parameter order), the norms before clipping, and the summed cross-entropy
   * of the batch (without the proximal term).
   */
  record ClippedSum(List<NDArray> sums, float[] norms, double lossSum) {}

  /**
   * Each example's full gradient as a flat vector in the order of {@link
   * LocalModel#parameterLayout()}: {@code [examples][parameterCount]}. For tests and diagnosis;
   * training uses {@link #clippedSum}, which need not materialise them.
   *
   * @param proximalGradient {@code μ (w − w_global)} per parameter, or an empty list without
   *     FedProx
   */
  abstract float[][] perExample(
      NDManager manager, NDArray features, NDArray labels, List<NDArray> proximalGradient);

  /**
   * {@code Σ_b g_b · min(1, C / ‖g_b‖)} for the examples of the batch, the norm taken over all
   * parameters together.
   */
  abstract ClippedSum clippedSum(
      NDManager manager,
      NDArray features,
      NDArray labels,
      List<NDArray> proximalGradient,
      float clipNorm);

  /** The factor that brings a gradient of L2 norm {@code norm} within {@code clipNorm}. */
  static float clipFactor(double norm, double clipNorm) {
    return norm > clipNorm ? (float) (clipNorm / norm) : 1f;
  }
}
