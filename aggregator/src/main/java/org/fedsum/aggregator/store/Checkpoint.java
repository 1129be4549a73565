package org.fedsum.aggregator.store;

import java.util.List;
import java.util.Objects;

/**
 * The global model after a round, with the server optimizer's state (FedAvgM's momentum, FedAdam's
 * and FedYogi's first and second moments), every vector of the same dimension, as 32-bit floats.
 *
 * <p>Takes ownership of the arrays it is given and hands out the same arrays (no copies: models
 * have up to 10^8 parameters and the aggregator's heap must stay a small multiple of one vector,
 * DESIGN.md §9). Callers must not modify them afterwards.
 */
public final class Checkpoint {
  /**
   * The most optimizer-state vectors a checkpoint holds (the file format's 16-bit count, less the
   * model).
   */
  public static final int MAX_OPTIMIZER_STATE_VECTORS = 0xFFFF - 1;

  private final long round;
  private final Float32Vector model;
  // The model's own array when it was given as floats (every checkpoint read from disk), else null.
  private final float[] modelFloats;
  private final List<float[]> optimizerState;

  private Checkpoint(
      long round, Float32Vector model, float[] modelFloats, List<float[]> optimizerState) {
    this.round = round;
    this.model = model;
    this.modelFloats = modelFloats;
    this.optimizerState = optimizerState;
  }

  /**
   * A checkpoint of {@code model} after {@code round}, with the optimizer's state vectors in the
   * order the strategy defines (empty for plain FedAvg). The arrays are not copied.
   *
   * @throws IllegalArgumentException if the round is negative, the model is empty, a state vector
   *     has another length than the model, or there are more than {@value
   *     #MAX_OPTIMIZER_STATE_VECTORS} state vectors
   */
  public static Checkpoint of(long round, float[] model, List<float[]> optimizerState) {
    Objects.requireNonNull(model, "model");
    return of(round, Float32Vector.wrap(model), model, optimizerState);
  }

  /**
   * As {@link #of(long, float[], List)}, for a model held as a {@link Float32Vector} (the
   * aggregator's next model, written over the words of the round's sum).
   */
  public static Checkpoint of(long round, Float32Vector model, List<float[]> optimizerState) {
    Objects.requireNonNull(model, "model");
    return of(round, model, null, optimizerState);
  }

  private static Checkpoint of(
      long round, Float32Vector model, float[] modelFloats, List<float[]> optimizerState) {
    List<float[]> state = List.copyOf(optimizerState);
    if (round < 0) {
      throw new IllegalArgumentException("round must not be negative, not " + round);
    }
    if (model.dimension() == 0) {
      throw new IllegalArgumentException("a model checkpoint needs at least one parameter, not 0");
    }
    if (state.size() > MAX_OPTIMIZER_STATE_VECTORS) {
      throw new IllegalArgumentException(
          "a checkpoint holds at most "
              + MAX_OPTIMIZER_STATE_VECTORS
              + " optimizer-state vectors, not "
              + state.size());
    }
    for (int i = 0; i < state.size(); i++) {
      if (state.get(i).length != model.dimension()) {
        throw new IllegalArgumentException(
            "optimizer-state vector "
                + i
                + " has "
                + state.get(i).length
                + " values, the model has "
                + model.dimension());
      }
    }
    return new Checkpoint(round, model, modelFloats, state);
  }

  /** The round after which this is the global model. */
  public long round() {
    return round;
  }

  /** The number of model parameters (and of values in each optimizer-state vector). */
  public int dimension() {
    return model.dimension();
  }

  /**
   * The model's parameters: the array itself (read only) for a checkpoint made from floats, as
   * every checkpoint read from disk is; a copy for one made over a {@link Float32Vector}'s bits.
   */
  public float[] model() {
    return modelFloats != null ? modelFloats : model.toFloatArray();
  }

  /** The model's parameters as a vector (not a copy: read only). */
  public Float32Vector modelVector() {
    return model;
  }

  /** The optimizer's state vectors (an unmodifiable list of the arrays themselves: read only). */
  public List<float[]> optimizerState() {
    return optimizerState;
  }

  @Override
  public String toString() {
    return "Checkpoint[round "
        + round
        + ", "
        + model.dimension()
        + " parameters, "
        + optimizerState.size()
        + " optimizer-state vectors]";
  }
}
