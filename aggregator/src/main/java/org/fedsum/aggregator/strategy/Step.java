package org.fedsum.aggregator.strategy;

import java.util.Objects;

/**
 * The result of one server step: the next global model and the optimizer state to carry into the
 * next round. Immutable: {@link #nextModel()} returns a fresh copy each call.
 */
public final class Step {
  private final double[] nextModel;
  private final StrategyState nextState;

  /** Takes ownership of {@code nextModel}. */
  Step(double[] nextModel, StrategyState nextState) {
    this.nextModel = Objects.requireNonNull(nextModel, "nextModel");
    this.nextState = Objects.requireNonNull(nextState, "nextState");
    if (nextModel.length != nextState.dimension()) {
      throw new IllegalStateException(
          "bug: next model has "
              + nextModel.length
              + " coordinates but the state has dimension "
              + nextState.dimension());
    }
  }

  /** A fresh copy of the next global model, in the same parameter order as the inputs. */
  public double[] nextModel() {
    return nextModel.clone();
  }

  /** The state to pass to the next {@link ServerStrategy#apply} and to checkpoint. */
  public StrategyState nextState() {
    return nextState;
  }

  @Override
  public String toString() {
    return "Step[" + nextModel.length + " coordinates, " + nextState + "]";
  }
}
