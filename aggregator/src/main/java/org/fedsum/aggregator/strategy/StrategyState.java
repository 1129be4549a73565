package org.fedsum.aggregator.strategy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The optimizer state a {@link ServerStrategy} carries from one round to the next: the name of the
 * strategy it belongs to, the model dimension, how many steps have been applied, and the strategy's
 * moment vectors (none for FedAvg, the velocity for FedAvgM, the first and second moments for the
 * adaptive strategies). Immutable and thread-safe: arrays are copied in and out.
 *
 * <p>The aggregator checkpoints it next to the global model, so that a restart continues the same
 * optimizer trajectory instead of silently resetting the momentum. {@link #encode()} gives a
 * self-describing little-endian byte string:
 *
 * <pre>
 * offset  size      field
 * 0       4         magic "FSOS" (FedSum optimizer state)
 * 4       2         format version, uint16 ({@link #FORMAT_VERSION})
 * 6       1         strategy name length L, 1 to 32
 * 7       L         strategy name, ASCII, [a-z0-9]+ (e.g. "fedadam")
 * 7+L     4         dimension d, int32, at least 1
 * 11+L    8         steps, int64, at least 0
 * 19+L    1         number of moment vectors k, 0 to 8
 * 20+L    8·k·d     the moment vectors one after another, IEEE 754 binary64
 * end-4   4         CRC-32C (RFC 3720 §B.4) of every byte before it, uint32
 * </pre>
 *
 * <p>The checksum catches a checkpoint damaged on disk; it is not a MAC (the aggregator's signed
 * journal is what binds a checkpoint to the run). {@link #decode(byte[])} checks the format only;
 * {@link ServerStrategy#restoreState(byte[], int)} also checks that the state belongs to that
 * strategy and model.
 */
public final class StrategyState {
  /** The version of the byte format written by {@link #encode()}. */
  public static final int FORMAT_VERSION = 1;

  private static final byte[] MAGIC = {'F', 'S', 'O', 'S'};
  private static final int MAX_NAME_LENGTH = 32;
  private static final int MAX_MOMENTS = 8;
  private static final Pattern NAME = Pattern.compile("[a-z0-9]{1," + MAX_NAME_LENGTH + "}");
  // Header bytes besides the name: magic, version, name length, dimension, steps, moment count.
  private static final int FIXED_HEADER_BYTES = 4 + 2 + 1 + 4 + 8 + 1;
  private static final int CHECKSUM_BYTES = 4;
  // The largest array most JVMs can allocate.
  private static final long MAX_ENCODED_BYTES = Integer.MAX_VALUE - 8;

  private final String strategyName;
  private final int dimension;
  private final long steps;
  private final double[][] moments;

  /** Takes ownership of {@code moments}: callers pass fresh arrays and keep no reference. */
  StrategyState(String strategyName, int dimension, long steps, double[][] moments) {
    Objects.requireNonNull(strategyName, "strategyName");
    Objects.requireNonNull(moments, "moments");
    if (!NAME.matcher(strategyName).matches()) {
      throw new IllegalArgumentException(
          "strategy name must match " + NAME.pattern() + ", not '" + strategyName + "'");
    }
    checkEncodable(dimension, moments.length);
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, not " + steps);
    }
    for (int k = 0; k < moments.length; k++) {
      if (moments[k].length != dimension) {
        throw new IllegalArgumentException(
            "moment "
                + k
                + " must have dimension = "
                + dimension
                + " coordinates, not "
                + moments[k].length);
      }
    }
    this.strategyName = strategyName;
    this.dimension = dimension;
    this.steps = steps;
    this.moments = moments;
  }

  /**
   * Refuses a dimension below 1, or one whose state would not fit in one byte array when encoded
   * with {@code momentCount} vectors (about 134 million coordinates for two moments).
   */
  static void checkEncodable(int dimension, int momentCount) {
    if (momentCount < 0 || momentCount > MAX_MOMENTS) {
      throw new IllegalArgumentException(
          "a strategy state has 0 to " + MAX_MOMENTS + " moment vectors, not " + momentCount);
    }
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, not " + dimension);
    }
    long bytes = encodedLength(MAX_NAME_LENGTH, dimension, momentCount);
    if (bytes > MAX_ENCODED_BYTES) {
      throw new IllegalArgumentException(
          "dimension "
              + dimension
              + " with "
              + momentCount
              + " moment vectors would encode to "
              + bytes
              + " bytes, more than one array can hold ("
              + MAX_ENCODED_BYTES
              + ")");
    }
  }

  private static long encodedLength(int nameLength, int dimension, int momentCount) {
    return FIXED_HEADER_BYTES + nameLength + 8L * momentCount * dimension + CHECKSUM_BYTES;
  }

  /** The {@link StrategyConfig#name()} of the strategy this state belongs to. */
  public String strategyName() {
    return strategyName;
  }

  /** The number of model parameters. */
  public int dimension() {
    return dimension;
  }

  /** How many server steps produced this state: 0 for an initial state. */
  public long steps() {
    return steps;
  }

  /** How many moment vectors the state holds (0, 1 or 2 for the strategies of this package). */
  public int momentCount() {
    return moments.length;
  }

  /**
   * A fresh copy of moment vector {@code index}: for FedAvgM, 0 is the velocity; for FedAdagrad,
   * FedAdam and FedYogi, 0 is the first moment {@code m} and 1 the second moment {@code v}.
   */
  public double[] moment(int index) {
    Objects.checkIndex(index, moments.length);
    return moments[index].clone();
  }

  /** Read access for the strategies of this package, without a copy; callers must not write. */
  double[] momentView(int index) {
    return moments[index];
  }

  /** The byte string described in the class comment. */
  public byte[] encode() {
    byte[] name = strategyName.getBytes(StandardCharsets.US_ASCII);
    int length = (int) encodedLength(name.length, dimension, moments.length);
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(MAGIC);
    buffer.putShort((short) FORMAT_VERSION);
    buffer.put((byte) name.length);
    buffer.put(name);
    buffer.putInt(dimension);
    buffer.putLong(steps);
    buffer.put((byte) moments.length);
    for (double[] moment : moments) {
      buffer.asDoubleBuffer().put(moment);
      buffer.position(buffer.position() + 8 * dimension);
    }
    CRC32C crc = new CRC32C();
    crc.update(buffer.array(), 0, buffer.position());
    buffer.putInt((int) crc.getValue());
    return buffer.array();
  }

  /**
   * Decodes a byte string written by {@link #encode()}.
   *
   * @throws IllegalArgumentException naming what is wrong: the magic, an unsupported format
   *     version, a length that does not match the header, a failed checksum (a damaged checkpoint),
   *     a malformed name or dimension
   * @throws NonFiniteValueException if a moment holds a NaN or an infinity
   */
  public static StrategyState decode(byte[] encoded) {
    Objects.requireNonNull(encoded, "encoded");
    int minimum = FIXED_HEADER_BYTES + 1 + CHECKSUM_BYTES;
    if (encoded.length < minimum) {
      throw new IllegalArgumentException(
          "a strategy state is at least " + minimum + " bytes, not " + encoded.length);
    }
    ByteBuffer buffer = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[MAGIC.length];
    buffer.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IllegalArgumentException(
          "a strategy state starts with the magic \"FSOS\"; these bytes do not");
    }
    int version = Short.toUnsignedInt(buffer.getShort());
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "strategy state format version "
              + version
              + " is not supported; this code reads version "
              + FORMAT_VERSION);
    }
    int nameLength = Byte.toUnsignedInt(buffer.get());
    if (nameLength < 1 || nameLength > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "strategy state name length must be 1 to " + MAX_NAME_LENGTH + ", not " + nameLength);
    }
    if (encoded.length < FIXED_HEADER_BYTES + nameLength + CHECKSUM_BYTES) {
      throw new IllegalArgumentException(
          "strategy state of " + encoded.length + " bytes ends inside its header");
    }
    byte[] nameBytes = new byte[nameLength];
    buffer.get(nameBytes);
    String name = new String(nameBytes, StandardCharsets.US_ASCII);
    int dimension = buffer.getInt();
    long steps = buffer.getLong();
    int momentCount = Byte.toUnsignedInt(buffer.get());
    if (dimension < 1) {
      throw new IllegalArgumentException("strategy state dimension must be >= 1, not " + dimension);
    }
    if (momentCount > MAX_MOMENTS) {
      throw new IllegalArgumentException(
          "strategy state has 0 to " + MAX_MOMENTS + " moment vectors, not " + momentCount);
    }
    long expected = encodedLength(nameLength, dimension, momentCount);
    if (encoded.length != expected) {
      throw new IllegalArgumentException(
          "strategy state is "
              + encoded.length
              + " bytes, but its header (dimension "
              + dimension
              + ", "
              + momentCount
              + " moment vectors) requires "
              + expected
              + ": truncated or padded");
    }
    CRC32C crc = new CRC32C();
    crc.update(encoded, 0, encoded.length - CHECKSUM_BYTES);
    int computed = (int) crc.getValue();
    int stored =
        ByteBuffer.wrap(encoded, encoded.length - CHECKSUM_BYTES, CHECKSUM_BYTES)
            .order(ByteOrder.LITTLE_ENDIAN)
            .getInt();
    if (stored != computed) {
      throw new IllegalArgumentException(
          "strategy state checksum mismatch (stored CRC-32C "
              + hex(stored)
              + ", computed "
              + hex(computed)
              + "): the checkpoint is damaged");
    }
    double[][] moments = new double[momentCount][dimension];
    for (int k = 0; k < momentCount; k++) {
      buffer.asDoubleBuffer().get(moments[k]);
      buffer.position(buffer.position() + 8 * dimension);
      requireFinite("moment" + k, moments[k], "a restored strategy state must be finite");
    }
    return new StrategyState(name, dimension, steps, moments);
  }

  private static String hex(int value) {
    return String.format("0x%08x", value);
  }

  /**
   * Throws {@link NonFiniteValueException} naming the first NaN or infinite coordinate of {@code
   * vector}.
   */
  static void requireFinite(String vectorName, double[] vector, String consequence) {
    requireFinite(vectorName, vector, 0, vector.length, consequence);
  }

  /**
   * As {@link #requireFinite(String, double[], String)} for the first {@code length} values of
   * {@code vector}, which are the model's coordinates from {@code offset}: the exception names the
   * model's coordinate.
   */
  static void requireFinite(
      String vectorName, double[] vector, int offset, int length, String consequence) {
    for (int i = 0; i < length; i++) {
      if (!Double.isFinite(vector[i])) {
        throw new NonFiniteValueException(vectorName, offset + i, vector[i], consequence);
      }
    }
  }

  /** Equal when name, dimension, steps and every moment coordinate (bit for bit) are equal. */
  @Override
  public boolean equals(Object other) {
    return other instanceof StrategyState that
        && strategyName.equals(that.strategyName)
        && dimension == that.dimension
        && steps == that.steps
        && Arrays.deepEquals(moments, that.moments);
  }

  @Override
  public int hashCode() {
    return Objects.hash(strategyName, dimension, steps, Arrays.deepHashCode(moments));
  }

  /** Name, dimension, steps and moment count; never the moment values. */
  @Override
  public String toString() {
    return "StrategyState["
        + strategyName
        + ", dimension="
        + dimension
        + ", steps="
        + steps
        + ", moments="
        + moments.length
        + "]";
  }
}
