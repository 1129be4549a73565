package org.fedsum.silo.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-example gradients by brute force: a forward and a backward pass through the model's own block
 * for each example on its own, a batch of one. Works for every block DJL can differentiate, at the
 * price of one pass per example; {@link LayerwisePerExampleGradients} is the fast path.
 */
final class OneExampleAtATime extends PerExampleGradients {
  private final Block block;
  private final List<Parameter> parameters;
  private final List<ParameterSlice> layout;
  private final int parameterCount;
  private final Loss loss = Loss.softmaxCrossEntropyLoss();

  OneExampleAtATime(Block block, List<Parameter> parameters, List<ParameterSlice> layout) {
    this.block = block;
    this.parameters = parameters;
    this.layout = layout;
    ParameterSlice last = layout.get(layout.size() - 1);
    this.parameterCount = last.offset() + last.size();
  }

  @Override
  float[][] perExample(
      NDManager manager, NDArray features, NDArray labels, List<NDArray> proximalGradient) {
    int examples = Math.toIntExact(features.getShape().get(0));
    float[] proximal = flatten(proximalGradient);
    float[][] gradients = new float[examples][];
    double[] lossSum = {0};
    for (int b = 0; b < examples; b++) {
      gradients[b] = gradientOf(manager, features, labels, b, proximal, lossSum);
    }
    return gradients;
  }

  @Override
  ClippedSum clippedSum(
      NDManager manager,
      NDArray features,
      NDArray labels,
      List<NDArray> proximalGradient,
      float clipNorm) {
    int examples = Math.toIntExact(features.getShape().get(0));
    float[] proximal = flatten(proximalGradient);
    float[] sum = new float[parameterCount];
    float[] norms = new float[examples];
    double[] lossSum = {0};
    for (int b = 0; b < examples; b++) {
      float[] gradient = gradientOf(manager, features, labels, b, proximal, lossSum);
      double squaredNorm = 0;
      for (float value : gradient) {
        squaredNorm += (double) value * value;
      }
      norms[b] = (float) Math.sqrt(squaredNorm);
      float factor = clipFactor(Math.sqrt(squaredNorm), clipNorm);
      for (int i = 0; i < parameterCount; i++) {
        sum[i] += gradient[i] * factor;
      }
    }
    List<NDArray> sums = new ArrayList<>(parameters.size());
    for (int i = 0; i < parameters.size(); i++) {
      ParameterSlice slice = layout.get(i);
      sums.add(
          manager.create(
              FloatBuffer.wrap(sum, slice.offset(), slice.size()),
              parameters.get(i).getArray().getShape()));
    }
    return new ClippedSum(sums, norms, lossSum[0]);
  }

  /** One example's gradient, the proximal gradient added; its cross-entropy added to lossSum. */
  private float[] gradientOf(
      NDManager manager,
      NDArray features,
      NDArray labels,
      int example,
      float[] proximal,
      double[] lossSum) {
    float[] gradient = new float[parameterCount];
    try (NDManager exampleManager = manager.newSubManager()) {
      NDIndex one = new NDIndex("{}:{}", example, example + 1);
      NDArray x = features.get(one);
      NDArray y = labels.get(one);
      x.attach(exampleManager);
      y.attach(exampleManager);
      zeroGradients();
      try (GradientCollector collector = DjlRuntime.engine().newGradientCollector()) {
        ParameterStore store = new ParameterStore(exampleManager, false);
        NDArray logits = block.forward(store, new NDList(x), true).singletonOrThrow();
        NDArray exampleLoss = loss.evaluate(new NDList(y), new NDList(logits));
        collector.backward(exampleLoss);
        lossSum[0] += exampleLoss.getFloat();
      }
      for (int i = 0; i < parameters.size(); i++) {
        // The handle getGradient returns sits on the model's manager: close it, or it leaks.
        try (NDArray parameterGradient = parameters.get(i).getArray().getGradient()) {
          float[] values = parameterGradient.toFloatArray();
          System.arraycopy(values, 0, gradient, layout.get(i).offset(), values.length);
        }
      }
      zeroGradients();
    }
    for (int i = 0; i < proximal.length; i++) {
      gradient[i] += proximal[i];
    }
    return gradient;
  }

  private void zeroGradients() {
    for (Parameter parameter : parameters) {
      JniUtils.zeroGrad((PtNDArray) parameter.getArray());
    }
  }

  private float[] flatten(List<NDArray> perParameter) {
    if (perParameter.isEmpty()) {
      return new float[0];
    }
    float[] flat = new float[parameterCount];
    for (int i = 0; i < perParameter.size(); i++) {
      float[] values = perParameter.get(i).toFloatArray();
      System.arraycopy(values, 0, flat, layout.get(i).offset(), values.length);
    }
    return flat;
  }
}
