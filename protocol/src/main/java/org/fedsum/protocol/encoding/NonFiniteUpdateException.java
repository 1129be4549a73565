package org.fedsum.protocol.encoding;

/**
 * Thrown by {@link UpdateEncoder} when a model update holds a NaN or an infinity, typically after
 * local training diverged. Unchecked, like every refusal of a bad argument, but its own type so
 * that a silo can catch it and skip the round instead of sending a vector that would poison the
 * sum.
 */
public final class NonFiniteUpdateException extends IllegalArgumentException {
  private final int index;

  NonFiniteUpdateException(int index, double value) {
    super(
        "delta["
            + index
            + "] is "
            + value
            + ": a model update must be finite (the first non-finite coordinate is named)");
    this.index = index;
  }

  /** The first coordinate that is NaN or infinite. */
  public int index() {
    return index;
  }
}
