package org.fedsum.aggregator.strategy;

/**
 * Thrown when a vector that would enter or leave a server step holds a NaN or an infinity: the
 * average update of a corrupted round, a global model that is already broken, a restored state with
 * a non-finite moment, or a step whose arithmetic overflowed. Unchecked, like every refusal of a
 * bad argument, but its own type so that the round coordinator can catch it, record the round as
 * aborted and keep the previous global model and state, which are left untouched.
 */
public final class NonFiniteValueException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String vectorName;
  private final int index;

  NonFiniteValueException(String vectorName, int index, double value, String consequence) {
    super(vectorName + "[" + index + "] is " + value + ": " + consequence);
    this.vectorName = vectorName;
    this.index = index;
  }

  /** The vector that held the value, e.g. {@code averageUpdate} or {@code secondMoment}. */
  public String vectorName() {
    return vectorName;
  }

  /** The first coordinate that is NaN or infinite. */
  public int index() {
    return index;
  }
}
