package org.fedsum.silo.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import org.fedsum.silo.data.LabeledDataset;

/**
 * Assembles mini-batches of a {@link LabeledDataset} into NDArrays through two direct buffers
 * allocated once per pass over the data.
 *
 * <p>Why: handed a heap array, DJL's PyTorch engine allocates a fresh direct buffer per array and
 * PyTorch wraps it without copying; those buffers are freed only by the garbage collector, and the
 * JDK throttles direct allocation (explicit GCs, back-off sleeps) as they pile up. Measured on
 * Fashion-MNIST, that alone made an epoch of the small CNN about twice as slow as DJL's own dataset
 * path.
 *
 * <p>The arrays of a batch point into the shared buffers, so only one batch may be alive at a time:
 * each batch's arrays must be closed (with its manager) before the next {@link #stage} call, and
 * the backward pass, which reads the saved input, must be done by then.
 */
final class BatchStaging {
  private final LabeledDataset data;
  private final Shape exampleShape;
  private final int featureCount;
  private final FloatBuffer features;
  private final LongBuffer labels;
  private final ByteBuffer featureBytes;
  private final ByteBuffer labelBytes;
  private final float[] row;

  BatchStaging(LabeledDataset data, int[] exampleShape, int maxBatchSize) {
    this.data = data;
    long[] shape = new long[exampleShape.length];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = exampleShape[i];
    }
    this.exampleShape = new Shape(shape);
    this.featureCount = data.featureCount();
    this.featureBytes =
        ByteBuffer.allocateDirect(Math.multiplyExact(maxBatchSize, featureCount) * Float.BYTES)
            .order(ByteOrder.nativeOrder());
    this.labelBytes =
        ByteBuffer.allocateDirect(maxBatchSize * Long.BYTES).order(ByteOrder.nativeOrder());
    this.features = featureBytes.asFloatBuffer();
    this.labels = labelBytes.asLongBuffer();
    this.row = new float[featureCount];
  }

  /** The batch of the examples {@code order[first, first + size)}: features and int64 labels. */
  NDArray[] stage(NDManager batchManager, int[] order, int first, int size) {
    features.clear();
    labels.clear();
    for (int i = 0; i < size; i++) {
      int example = order[first + i];
      data.copyFeatures(example, row, 0);
      features.put(row);
      labels.put(data.label(example));
    }
    ByteBuffer featureView = featureBytes.duplicate().order(ByteOrder.nativeOrder());
    featureView.position(0).limit(size * featureCount * Float.BYTES);
    ByteBuffer labelView = labelBytes.duplicate().order(ByteOrder.nativeOrder());
    labelView.position(0).limit(size * Long.BYTES);
    NDArray batchFeatures =
        batchManager.create(featureView, new Shape(size).addAll(exampleShape), DataType.FLOAT32);
    NDArray batchLabels = batchManager.create(labelView, new Shape(size), DataType.INT64);
    return new NDArray[] {batchFeatures, batchLabels};
  }
}
