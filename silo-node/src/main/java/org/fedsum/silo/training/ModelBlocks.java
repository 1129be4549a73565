package org.fedsum.silo.training;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/** Builds the DJL block of a {@link ModelSpec}; the layer order fixes the parameter order. */
final class ModelBlocks {
  private ModelBlocks() {}

  static SequentialBlock build(ModelSpec spec) {
    SequentialBlock block = new SequentialBlock();
    switch (spec.kind()) {
      case LOGISTIC_REGRESSION -> block.add(Blocks.batchFlattenBlock()).add(dense(spec.classes()));
      case MULTILAYER_PERCEPTRON -> {
        block.add(Blocks.batchFlattenBlock());
        for (int size : spec.hiddenSizes()) {
          block.add(dense(size)).add(Activation.reluBlock());
        }
        block.add(dense(spec.classes()));
      }
      case SMALL_CNN ->
          block
              .add(convolution(6))
              .add(Activation.reluBlock())
              .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
              .add(convolution(16))
              .add(Activation.reluBlock())
              .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
              .add(Blocks.batchFlattenBlock())
              .add(dense(120))
              .add(Activation.reluBlock())
              .add(dense(84))
              .add(Activation.reluBlock())
              .add(dense(spec.classes()));
    }
    return block;
  }

  private static Linear dense(int units) {
    return Linear.builder().setUnits(units).build();
  }

  private static Conv2d convolution(int filters) {
    return Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(filters).build();
  }
}
