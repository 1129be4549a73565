package org.fedsum.silo.training;

import java.util.Arrays;
import java.util.Objects;

/**
 * Where one parameter tensor sits in the flat parameter vector of a {@link LocalModel}: its DJL
 * name (for example {@code 01Conv2d_weight}), its shape, and the range {@code [offset, offset +
 * size)} it occupies. Values inside the range are the tensor's elements in row-major order.
 */
public final class ParameterSlice {
  private final String name;
  private final long[] shape;
  private final int offset;
  private final int size;

  ParameterSlice(String name, long[] shape, int offset, int size) {
    this.name = Objects.requireNonNull(name, "name");
    this.shape = shape.clone();
    this.offset = offset;
    this.size = size;
  }

  /** DJL's name of the parameter: the child block's position and type, then weight or bias. */
  public String name() {
    return name;
  }

  /** The tensor's shape (a copy), for example {@code [6, 1, 5, 5]} for the first convolution. */
  public long[] shape() {
    return shape.clone();
  }

  /** The index of the tensor's first element in the flat vector. */
  public int offset() {
    return offset;
  }

  /** The number of elements, the product of the shape. */
  public int size() {
    return size;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ParameterSlice that
        && name.equals(that.name)
        && Arrays.equals(shape, that.shape)
        && offset == that.offset
        && size == that.size;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(shape), offset, size);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + "@" + offset;
  }
}
