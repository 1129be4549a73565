package org.fedsum.aggregator.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A vector of float32 values, held either as a {@code float[]} or as the values' raw IEEE 754 bits
 * in the leading words of an {@code int[]}. The second form lets the aggregator write the next
 * model over the words of the round's sum once they are decoded, so that the finish of a round
 * holds two vectors (the sum turning into the next model, and the start model) instead of three
 * (DESIGN.md §9: the heap must stay a small multiple of one vector).
 *
 * <p>Takes ownership of the array it is given (no copy: models have up to 10^8 parameters); callers
 * must not write to it afterwards. Values are only read through ranges, so either form is read the
 * same way and the bytes are the same: float32 little-endian words, as checkpoints, downloads and
 * the model's SHA-256 have them.
 */
public final class Float32Vector {
  private static final int CHUNK_VALUES = 1 << 14;

  private final float[] floats;
  private final int[] bits;
  private final int dimension;

  private Float32Vector(float[] floats, int[] bits, int dimension) {
    this.floats = floats;
    this.bits = bits;
    this.dimension = dimension;
  }

  /** The values of {@code floats} (not copied). */
  public static Float32Vector wrap(float[] floats) {
    Objects.requireNonNull(floats, "floats");
    return new Float32Vector(floats, null, floats.length);
  }

  /**
   * The values whose raw float32 bits are words {@code [0, dimension)} of {@code bits} (not
   * copied); words beyond {@code dimension} are not part of the vector.
   *
   * @throws IllegalArgumentException if {@code dimension} is negative or above {@code bits.length}
   */
  public static Float32Vector overBits(int[] bits, int dimension) {
    Objects.requireNonNull(bits, "bits");
    if (dimension < 0 || dimension > bits.length) {
      throw new IllegalArgumentException(
          "dimension must be between 0 and " + bits.length + " words, not " + dimension);
    }
    return new Float32Vector(null, bits, dimension);
  }

  /** The number of values. */
  public int dimension() {
    return dimension;
  }

  /** Values {@code [from, from + length)}, widened to doubles, into {@code into} from index 0. */
  public void widen(int from, int length, double[] into) {
    Objects.checkFromIndexSize(from, length, dimension);
    Objects.checkFromIndexSize(0, length, into.length);
    if (floats != null) {
      for (int i = 0; i < length; i++) {
        into[i] = floats[from + i];
      }
    } else {
      for (int i = 0; i < length; i++) {
        into[i] = Float.intBitsToFloat(bits[from + i]);
      }
    }
  }

  /**
   * Puts values {@code [from, from + count)} into {@code into} at its position as float32
   * little-endian words, advancing the position by {@code 4 * count}.
   *
   * @throws java.nio.BufferOverflowException if {@code into} has fewer than {@code 4 * count} bytes
   *     remaining
   */
  public void putLittleEndian(int from, int count, ByteBuffer into) {
    Objects.checkFromIndexSize(from, count, dimension);
    ByteOrder order = into.order();
    into.order(ByteOrder.LITTLE_ENDIAN);
    try {
      if (floats != null) {
        into.asFloatBuffer().put(floats, from, count);
      } else {
        into.asIntBuffer().put(bits, from, count);
      }
      into.position(into.position() + 4 * count);
    } finally {
      into.order(order);
    }
  }

  /** A new {@code float[]} with the values. */
  public float[] toFloatArray() {
    float[] copy = new float[dimension];
    if (floats != null) {
      System.arraycopy(floats, 0, copy, 0, dimension);
    } else {
      for (int i = 0; i < dimension; i++) {
        copy[i] = Float.intBitsToFloat(bits[i]);
      }
    }
    return copy;
  }

  /** A new {@code double[]} with the values. */
  public double[] toDoubleArray() {
    double[] copy = new double[dimension];
    widen(0, dimension, copy);
    return copy;
  }

  /** Hex SHA-256 of the values as float32 little-endian words, hashed chunk by chunk. */
  public String sha256() {
    MessageDigest sha256 = CheckpointStore.newSha256();
    ByteBuffer chunk =
        ByteBuffer.allocate(4 * Math.max(1, Math.min(CHUNK_VALUES, dimension)))
            .order(ByteOrder.LITTLE_ENDIAN);
    for (int from = 0; from < dimension; from += CHUNK_VALUES) {
      int count = Math.min(CHUNK_VALUES, dimension - from);
      chunk.clear();
      putLittleEndian(from, count, chunk);
      sha256.update(chunk.array(), 0, 4 * count);
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  @Override
  public String toString() {
    return "Float32Vector[" + dimension + " values" + (bits != null ? ", as bits" : "") + "]";
  }
}
