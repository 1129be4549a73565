package org.fedsum.aggregator.strategy;

import java.util.List;
import java.util.Objects;

/**
 * What every strategy checks around its arithmetic, so that no strategy can forget it: lengths,
 * ownership of the state, finiteness of the inputs and of the results. Subclasses only fill fresh
 * arrays.
 */
abstract sealed class AbstractServerStrategy implements ServerStrategy
    permits FedAvg, FedAvgM, AdaptiveServerStrategy {

  /** The names of the moment vectors, in state order, used in error messages. */
  abstract List<String> momentNames();

  /** Fills fresh moment arrays with their values before the first round. */
  abstract void initializeMoments(double[][] moments);

  /**
   * Checks invariants of a restored or passed-in state beyond finiteness (e.g. a second moment is
   * never negative) over its first {@code length} coordinates, which are the model's coordinates
   * from {@code offset} (for the error message); the default checks nothing.
   */
  void checkMoments(double[][] moments, int offset, int length) {}

  /**
   * Computes one step over the first {@code length} coordinates of each array into {@code
   * nextModel} and {@code nextMoments}, coordinate by coordinate (so that a step over ranges gives
   * the whole step's values bit for bit); must not write to {@code globalModel}, {@code
   * averageUpdate} or {@code moments}.
   */
  abstract void step(
      int length,
      double[] globalModel,
      double[] averageUpdate,
      double[][] moments,
      double[] nextModel,
      double[][] nextMoments);

  @Override
  public final int momentCount() {
    return momentNames().size();
  }

  @Override
  public final StrategyState initialState(int dimension) {
    int momentCount = momentNames().size();
    StrategyState.checkEncodable(dimension, momentCount);
    double[][] moments = new double[momentCount][dimension];
    initializeMoments(moments);
    return new StrategyState(name(), dimension, 0, moments);
  }

  @Override
  public final Step apply(double[] globalModel, double[] averageUpdate, StrategyState state) {
    Objects.requireNonNull(globalModel, "globalModel");
    Objects.requireNonNull(averageUpdate, "averageUpdate");
    Objects.requireNonNull(state, "state");
    checkOwnership(state);
    int dimension = state.dimension();
    if (globalModel.length != dimension) {
      throw new IllegalArgumentException(
          "globalModel has "
              + globalModel.length
              + " coordinates, but the "
              + name()
              + " state has dimension "
              + dimension);
    }
    if (averageUpdate.length != dimension) {
      throw new IllegalArgumentException(
          "averageUpdate has "
              + averageUpdate.length
              + " coordinates, but the global model and the state have "
              + dimension);
    }
    StrategyState.requireFinite(
        "globalModel", globalModel, "the current global model is already corrupted");
    StrategyState.requireFinite(
        "averageUpdate",
        averageUpdate,
        "the aggregate of a corrupted round must not reach the global model; keep the previous"
            + " model and state");
    double[][] moments = views(state);
    checkMoments(moments, 0, dimension);
    if (state.steps() == Long.MAX_VALUE) {
      throw new IllegalArgumentException("the state has taken Long.MAX_VALUE steps already");
    }
    double[] nextModel = new double[dimension];
    double[][] nextMoments = new double[state.momentCount()][dimension];
    step(dimension, globalModel, averageUpdate, moments, nextModel, nextMoments);
    String overflow =
        "the "
            + name()
            + " step overflowed (is the update absurdly large?); the previous model and state are"
            + " unchanged";
    StrategyState.requireFinite("nextModel", nextModel, overflow);
    List<String> names = momentNames();
    for (int k = 0; k < nextMoments.length; k++) {
      StrategyState.requireFinite(names.get(k), nextMoments[k], overflow);
    }
    return new Step(
        nextModel, new StrategyState(name(), dimension, state.steps() + 1, nextMoments));
  }

  @Override
  public final StrategyState restoreState(byte[] encoded, int dimension) {
    StrategyState state = StrategyState.decode(encoded);
    checkOwnership(state);
    if (state.dimension() != dimension) {
      throw new IllegalArgumentException(
          "the restored "
              + name()
              + " state has dimension "
              + state.dimension()
              + ", but the model has "
              + dimension
              + " parameters");
    }
    checkMoments(views(state), 0, dimension);
    return state;
  }

  @Override
  public final void applyRange(
      int offset,
      int length,
      double[] globalModel,
      double[] averageUpdate,
      double[][] moments,
      double[] nextModel,
      double[][] nextMoments) {
    Objects.requireNonNull(globalModel, "globalModel");
    Objects.requireNonNull(averageUpdate, "averageUpdate");
    Objects.requireNonNull(moments, "moments");
    Objects.requireNonNull(nextModel, "nextModel");
    Objects.requireNonNull(nextMoments, "nextMoments");
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "a range needs offset >= 0 and length >= 0, not " + offset + " and " + length);
    }
    int expected = momentCount();
    if (moments.length != expected || nextMoments.length != expected) {
      throw new IllegalArgumentException(
          "a "
              + name()
              + " step has "
              + expected
              + " moment vectors "
              + momentNames()
              + ", not "
              + moments.length
              + " and "
              + nextMoments.length
              + " next");
    }
    requireLength("globalModel", globalModel, length);
    requireLength("averageUpdate", averageUpdate, length);
    requireLength("nextModel", nextModel, length);
    List<String> names = momentNames();
    for (int k = 0; k < expected; k++) {
      requireLength(names.get(k), moments[k], length);
      requireLength("next " + names.get(k), nextMoments[k], length);
    }
    StrategyState.requireFinite(
        "globalModel",
        globalModel,
        offset,
        length,
        "the current global model is already corrupted");
    StrategyState.requireFinite(
        "averageUpdate",
        averageUpdate,
        offset,
        length,
        "the aggregate of a corrupted round must not reach the global model; keep the previous"
            + " model and state");
    for (int k = 0; k < expected; k++) {
      StrategyState.requireFinite(
          names.get(k), moments[k], offset, length, "the strategy's state is damaged");
    }
    checkMoments(moments, offset, length);
    step(length, globalModel, averageUpdate, moments, nextModel, nextMoments);
    String overflow =
        "the "
            + name()
            + " step overflowed (is the update absurdly large?); the previous model and state are"
            + " unchanged";
    StrategyState.requireFinite("nextModel", nextModel, offset, length, overflow);
    for (int k = 0; k < expected; k++) {
      StrategyState.requireFinite(names.get(k), nextMoments[k], offset, length, overflow);
    }
  }

  private static void requireLength(String name, double[] values, int length) {
    if (values.length < length) {
      throw new IllegalArgumentException(
          name + " has " + values.length + " coordinates, fewer than the range's " + length);
    }
  }

  private static double[][] views(StrategyState state) {
    double[][] views = new double[state.momentCount()][];
    for (int k = 0; k < views.length; k++) {
      views[k] = state.momentView(k);
    }
    return views;
  }

  private void checkOwnership(StrategyState state) {
    if (!state.strategyName().equals(name())) {
      throw new IllegalArgumentException(
          "the state belongs to strategy '"
              + state.strategyName()
              + "', not to '"
              + name()
              + "': restart with the strategy that wrote it, or start from a fresh state");
    }
    int expected = momentNames().size();
    if (state.momentCount() != expected) {
      throw new IllegalArgumentException(
          "a "
              + name()
              + " state has "
              + expected
              + " moment vectors "
              + momentNames()
              + ", not "
              + state.momentCount());
    }
  }

  @Override
  public String toString() {
    return config().toString();
  }
}
