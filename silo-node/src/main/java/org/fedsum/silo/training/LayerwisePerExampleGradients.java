package org.fedsum.silo.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-example gradients of a whole batch at once, layer by layer, never one example at a time.
 *
 * <p>How: the forward pass is replayed with the model's own parameters (detached, so autograd
 * computes no parameter gradient), and a zero "probe" that requires a gradient is added to the
 * output {@code z} of every layer with parameters. One backward pass of the batch's <em>summed</em>
 * cross-entropy then leaves in each probe {@code ∂(Σ_b ℓ_b)/∂z = ∂ℓ_b/∂z_b} row by row, because
 * example b's loss depends on no other example's activations (no batch normalisation, no dropout).
 * From the layer's input {@code a_b} and that output gradient {@code g_b}:
 *
 * <ul>
 *   <li>fully connected layer: weight gradient {@code g_b ⊗ a_b} (an outer product), bias gradient
 *       {@code g_b}. The norm never needs the outer product: {@code ‖g_b ⊗ a_b‖² = ‖g_b‖² ‖a_b‖²};
 *       and the clipped sum {@code Σ_b s_b g_b ⊗ a_b} is one matrix product {@code (s ∘ G)ᵀ A}, so
 *       for these layers DP-SGD costs about a second backward pass;
 *   <li>5 × 5 convolution: example b's weight gradient is the cross-correlation of its input with
 *       its output gradient, and one grouped convolution (groups = examples, the input channels
 *       taking the place of the batch) computes all of them at once (Rochette, Manoel, Tramel
 *       2019); the per-example convolution gradients are small (2,550 floats per example for the
 *       CNN's two layers) and are materialised.
 * </ul>
 *
 * <p>With FedProx the proximal gradient {@code P = μ (w − w_global)} is part of every example's
 * gradient; its cross terms enter the norm exactly: {@code ‖g ⊗ a + P‖² = ‖g‖²‖a‖² + 2 gᵀ P a +
 * ‖P‖²}.
 *
 * <p>Applies to the three {@link ModelKind}s; the layer program below mirrors {@link ModelBlocks}
 * and the tests check it against {@link OneExampleAtATime} for each kind.
 */
final class LayerwisePerExampleGradients extends PerExampleGradients {
  private enum Step {
    DENSE,
    CONVOLUTION,
    RELU,
    MAX_POOL,
    FLATTEN
  }

  private static final int KERNEL = 5;

  private final List<Step> program;
  private final List<Parameter> parameters;
  private final Loss loss = Loss.softmaxCrossEntropyLoss();

  private LayerwisePerExampleGradients(List<Step> program, List<Parameter> parameters) {
    this.program = program;
    this.parameters = parameters;
  }

  /** The fast path for {@code spec}'s architecture, over the model's parameters in block order. */
  static LayerwisePerExampleGradients forSpec(ModelSpec spec, List<Parameter> parameters) {
    List<Step> program = new ArrayList<>();
    switch (spec.kind()) {
      case LOGISTIC_REGRESSION -> {
        program.add(Step.FLATTEN);
        program.add(Step.DENSE);
      }
      case MULTILAYER_PERCEPTRON -> {
        program.add(Step.FLATTEN);
        for (int ignored : spec.hiddenSizes()) {
          program.add(Step.DENSE);
          program.add(Step.RELU);
        }
        program.add(Step.DENSE);
      }
      case SMALL_CNN -> {
        for (int i = 0; i < 2; i++) {
          program.add(Step.CONVOLUTION);
          program.add(Step.RELU);
          program.add(Step.MAX_POOL);
        }
        program.add(Step.FLATTEN);
        program.add(Step.DENSE);
        program.add(Step.RELU);
        program.add(Step.DENSE);
        program.add(Step.RELU);
        program.add(Step.DENSE);
      }
    }
    long layers = program.stream().filter(s -> s == Step.DENSE || s == Step.CONVOLUTION).count();
    if (2 * layers != parameters.size()) {
      throw new IllegalStateException(
          "bug: " + spec + " has " + parameters.size() + " parameters for " + layers + " layers");
    }
    return new LayerwisePerExampleGradients(List.copyOf(program), parameters);
  }

  /** One layer with parameters as the batch met it. */
  private record Layer(Step kind, int weightIndex, NDArray input, NDArray outputGradient) {}

  private record Pass(List<Layer> layers, double lossSum) {}

  /** The forward pass with probes and the backward pass of the summed loss. */
  private Pass run(NDManager manager, NDArray features, NDArray labels) {
    int examples = Math.toIntExact(features.getShape().get(0));
    List<NDArray> inputs = new ArrayList<>();
    List<NDArray> probes = new ArrayList<>();
    List<Step> kinds = new ArrayList<>();
    double lossSum;
    try (GradientCollector collector = DjlRuntime.engine().newGradientCollector()) {
      NDArray activation = features;
      int next = 0;
      for (Step step : program) {
        switch (step) {
          case FLATTEN -> activation = activation.reshape(examples, -1);
          case RELU -> activation = Activation.relu(activation);
          case MAX_POOL ->
              activation =
                  Pool.maxPool2d(
                      activation, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
          case DENSE, CONVOLUTION -> {
            NDArray weight = detached(next, manager);
            NDArray bias = detached(next + 1, manager);
            NDArray output =
                step == Step.DENSE
                    ? activation.matMul(weight.transpose()).add(bias)
                    : Conv2d.conv2d(activation, weight, bias).singletonOrThrow();
            NDArray probe = manager.zeros(output.getShape());
            probe.setRequiresGradient(true);
            inputs.add(activation);
            probes.add(probe);
            kinds.add(step);
            activation = output.add(probe);
            next += 2;
          }
        }
      }
      NDArray meanLoss = loss.evaluate(new NDList(labels), new NDList(activation));
      NDArray summed = meanLoss.mul(examples);
      collector.backward(summed);
      lossSum = summed.getFloat();
    }
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < probes.size(); i++) {
      NDArray gradient = probes.get(i).getGradient();
      gradient.attach(manager);
      layers.add(new Layer(kinds.get(i), 2 * i, inputs.get(i).stopGradient(), gradient));
      layers.get(i).input().attach(manager);
    }
    return new Pass(layers, lossSum);
  }

  private NDArray detached(int index, NDManager manager) {
    NDArray view = parameters.get(index).getArray().stopGradient();
    view.attach(manager);
    return view;
  }

  @Override
  float[][] perExample(
      NDManager manager, NDArray features, NDArray labels, List<NDArray> proximalGradient) {
    int examples = Math.toIntExact(features.getShape().get(0));
    NDArray[] flat = new NDArray[1];
    try (NDManager scope = manager.newSubManager()) {
      Pass pass = run(scope, features, labels);
      DjlRuntime.withoutGradients(
          () -> {
            NDList parts = new NDList();
            for (Layer layer : pass.layers()) {
              NDArray[] gradients = perExampleOfLayer(layer);
              for (int k = 0; k < 2; k++) {
                NDArray part = gradients[k];
                if (!proximalGradient.isEmpty()) {
                  part = withProximal(part, proximalGradient.get(layer.weightIndex() + k));
                }
                parts.add(part.reshape(examples, -1));
              }
            }
            flat[0] = NDArrays.concat(parts, 1);
          });
      float[] values = flat[0].toFloatArray();
      int width = values.length / examples;
      float[][] gradients = new float[examples][width];
      for (int b = 0; b < examples; b++) {
        System.arraycopy(values, b * width, gradients[b], 0, width);
      }
      return gradients;
    }
  }

  /**
   * A layer's per-example weight and bias gradients, {@code [B, ...weight]} and {@code [B, ...]}.
   */
  private static NDArray[] perExampleOfLayer(Layer layer) {
    NDArray a = layer.input();
    NDArray g = layer.outputGradient();
    if (layer.kind() == Step.DENSE) {
      return new NDArray[] {g.expandDims(2).matMul(a.expandDims(1)), g};
    }
    long examples = g.getShape().get(0);
    long outputChannels = g.getShape().get(1);
    long inputChannels = a.getShape().get(1);
    // Example b's weight gradient is the cross-correlation of its input with its output gradient:
    // W_b[o, c, u, v] = Σ_ij g[b, o, i, j] · a[b, c, u + i, v + j]. One grouped convolution does
    // all examples: the input channels become the batch, the examples the groups.
    NDArray kernels =
        g.reshape(examples * outputChannels, 1, g.getShape().get(2), g.getShape().get(3));
    NDArray correlated =
        Conv2d.conv2d(
                a.transpose(1, 0, 2, 3),
                kernels,
                null,
                new Shape(1, 1),
                new Shape(0, 0),
                new Shape(1, 1),
                Math.toIntExact(examples))
            .singletonOrThrow(); // [C, B·O, 5, 5]
    NDArray weightGradients =
        correlated
            .reshape(inputChannels, examples, outputChannels, KERNEL, KERNEL)
            .transpose(1, 2, 0, 3, 4);
    NDArray biasGradients = g.reshape(examples, outputChannels, -1).sum(new int[] {2});
    return new NDArray[] {weightGradients, biasGradients};
  }

  @Override
  ClippedSum clippedSum(
      NDManager manager,
      NDArray features,
      NDArray labels,
      List<NDArray> proximalGradient,
      float clipNorm) {
    int examples = Math.toIntExact(features.getShape().get(0));
    boolean proximal = !proximalGradient.isEmpty();
    List<NDArray> sums = new ArrayList<>(parameters.size());
    float[][] norms = new float[1][];
    Pass pass = run(manager, features, labels);
    DjlRuntime.withoutGradients(
        () -> {
          // Squared norms, layer by layer; convolution layers keep their per-example gradients.
          NDArray squaredNorms = manager.zeros(new Shape(examples));
          List<NDArray[]> materialised = new ArrayList<>();
          for (Layer layer : pass.layers()) {
            NDArray a = layer.input();
            NDArray g = layer.outputGradient();
            if (layer.kind() == Step.DENSE) {
              NDArray gradientSquares = g.square().sum(new int[] {1});
              squaredNorms.addi(gradientSquares.mul(a.square().sum(new int[] {1})));
              squaredNorms.addi(gradientSquares);
              if (proximal) {
                NDArray pw = proximalGradient.get(layer.weightIndex());
                NDArray pb = proximalGradient.get(layer.weightIndex() + 1);
                NDArray cross = g.mul(a.matMul(pw.transpose())).sum(new int[] {1});
                squaredNorms.addi(cross.muli(2f));
                squaredNorms.addi(g.matMul(pb).muli(2f));
                squaredNorms.addi(pw.square().sum().add(pb.square().sum()));
              }
              materialised.add(null);
            } else {
              NDArray[] gradients = perExampleOfLayer(layer);
              if (proximal) {
                for (int k = 0; k < 2; k++) {
                  gradients[k] =
                      withProximal(gradients[k], proximalGradient.get(layer.weightIndex() + k));
                }
              }
              for (NDArray gradient : gradients) {
                squaredNorms.addi(gradient.square().reshape(examples, -1).sum(new int[] {1}));
              }
              materialised.add(gradients);
            }
          }
          // Rounding can make a tiny squared norm negative through the cross terms.
          NDArray norm = squaredNorms.maximum(0f).sqrt();
          NDArray scale = norm.add(1e-30f).pow(-1f).mul(clipNorm).minimum(1f);
          NDArray scaleTotal = scale.sum();
          for (int i = 0; i < pass.layers().size(); i++) {
            Layer layer = pass.layers().get(i);
            NDArray weightSum;
            NDArray biasSum;
            if (layer.kind() == Step.DENSE) {
              NDArray scaled = layer.outputGradient().mul(scale.expandDims(1));
              weightSum = scaled.transpose().matMul(layer.input());
              biasSum = scaled.sum(new int[] {0});
              if (proximal) {
                weightSum.addi(proximalGradient.get(layer.weightIndex()).mul(scaleTotal));
                biasSum.addi(proximalGradient.get(layer.weightIndex() + 1).mul(scaleTotal));
              }
            } else {
              NDArray[] gradients = materialised.get(i);
              weightSum = weightedSum(gradients[0], scale);
              biasSum = weightedSum(gradients[1], scale);
            }
            sums.add(weightSum.reshape(parameters.get(layer.weightIndex()).getArray().getShape()));
            sums.add(
                biasSum.reshape(parameters.get(layer.weightIndex() + 1).getArray().getShape()));
          }
          norms[0] = norm.toFloatArray();
        });
    return new ClippedSum(List.copyOf(sums), norms[0], pass.lossSum());
  }

  /** Adds the proximal gradient of one parameter to each example's gradient of it. */
  private static NDArray withProximal(NDArray perExample, NDArray proximal) {
    return perExample.add(proximal.reshape(perExample.getShape().slice(1)).expandDims(0));
  }

  private static NDArray weightedSum(NDArray perExample, NDArray scale) {
    long examples = perExample.getShape().get(0);
    return scale
        .expandDims(0)
        .matMul(perExample.reshape(examples, -1))
        .reshape(perExample.getShape().slice(1));
  }
}
