package org.fedsum.protocol.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Objects;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.WordVector;

/**
 * The binary frame of a masked vector: a 52-byte header, then the words. All integers are
 * little-endian.
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "FSMV"
 *      4     1  version (1)
 *      5     1  bits b, 1..32
 *      6     2  reserved, zero
 *      8     8  round
 *     16     4  number of words m
 *     20    32  SHA-256 of the words as little-endian 32-bit integers
 *     52   4m  the words, each below 2^b
 * </pre>
 *
 * The header comes first so a receiver can refuse a wrong round, width or length before reading or
 * allocating anything for the body, and can stream the body into a running sum while hashing it.
 */
public final class VectorFrame {
  public static final int HEADER_BYTES = 52;
  public static final byte VERSION = 1;
  private static final byte[] MAGIC = {'F', 'S', 'M', 'V'};

  private VectorFrame() {}

  /** The parsed header of a frame. */
  public record Header(int bits, long round, int length, byte[] sha256) {
    public Header {
      sha256 = Objects.requireNonNull(sha256, "sha256").clone();
      if (sha256.length != 32) {
        throw new IllegalArgumentException("sha256 must be 32 bytes, not " + sha256.length);
      }
    }

    @Override
    public byte[] sha256() {
      return sha256.clone();
    }

    /** The size of the whole frame in bytes. */
    public long frameBytes() {
      return HEADER_BYTES + 4L * length;
    }
  }

  /** Encodes the header of a frame. */
  public static byte[] encodeHeader(Header header) {
    ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(MAGIC).put(VERSION).put((byte) header.bits()).putShort((short) 0);
    buffer.putLong(header.round()).putInt(header.length()).put(header.sha256());
    return buffer.array();
  }

  /**
   * Parses and checks a header against what the round expects: its round, width and exact vector
   * length. A declared length other than the round's is refused here, before any body is read.
   */
  public static Header decodeHeader(
      byte[] header, long expectedRound, int expectedBits, int expectedLength)
      throws ProtocolException {
    if (header.length != HEADER_BYTES) {
      throw malformed(
          expectedRound, "frame header must be " + HEADER_BYTES + " bytes, not " + header.length);
    }
    ByteBuffer buffer = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[4];
    buffer.get(magic);
    if (!MessageDigest.isEqual(magic, MAGIC)) {
      throw malformed(expectedRound, "not a FedSum vector frame (bad magic)");
    }
    byte version = buffer.get();
    if (version != VERSION) {
      throw malformed(expectedRound, "unsupported vector frame version " + version);
    }
    int bits = buffer.get();
    short reserved = buffer.getShort();
    long round = buffer.getLong();
    long length = Integer.toUnsignedLong(buffer.getInt());
    byte[] sha256 = new byte[32];
    buffer.get(sha256);
    if (reserved != 0) {
      throw malformed(expectedRound, "reserved header bytes must be zero");
    }
    if (round != expectedRound) {
      throw new ProtocolException(
          ErrorCode.ROUND_MISMATCH, expectedRound, "vector frame is for round " + round);
    }
    if (bits != expectedBits) {
      throw malformed(
          expectedRound, "vector frame has " + bits + "-bit words, the round uses " + expectedBits);
    }
    if (length != expectedLength) {
      throw new ProtocolException(
          ErrorCode.VECTOR_LENGTH_MISMATCH,
          expectedRound,
          "vector frame declares " + length + " words, the round has " + expectedLength);
    }
    return new Header(bits, round, (int) length, sha256);
  }

  /** Encodes a whole frame (tests and small vectors; large ones are streamed). */
  public static byte[] encode(long round, int bits, WordVector vector) {
    int[] words = vector.words();
    ByteBuffer buffer =
        ByteBuffer.allocate(HEADER_BYTES + 4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(encodeHeader(new Header(bits, round, words.length, vector.sha256())));
    buffer.asIntBuffer().put(words);
    return buffer.array();
  }

  /** Decodes and fully checks a whole frame: header, size, hash and word range. */
  public static WordVector decode(byte[] frame, long expectedRound, int bits, int expectedLength)
      throws ProtocolException {
    if (frame.length < HEADER_BYTES) {
      throw malformed(expectedRound, "vector frame of " + frame.length + " bytes is truncated");
    }
    byte[] headerBytes = java.util.Arrays.copyOf(frame, HEADER_BYTES);
    Header header = decodeHeader(headerBytes, expectedRound, bits, expectedLength);
    if (frame.length != header.frameBytes()) {
      throw malformed(
          expectedRound,
          "vector frame has "
              + frame.length
              + " bytes, its header promises "
              + header.frameBytes());
    }
    int[] words = new int[header.length()];
    ByteBuffer.wrap(frame, HEADER_BYTES, 4 * words.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asIntBuffer()
        .get(words);
    checkRange(words, bits, expectedRound);
    WordVector vector = WordVector.wrap(words);
    if (!MessageDigest.isEqual(vector.sha256(), header.sha256())) {
      throw malformed(expectedRound, "vector frame body does not match its SHA-256");
    }
    return vector;
  }

  /** Refuses words outside {@code Z_{2^bits}}. */
  public static void checkRange(int[] words, int bits, long round) throws ProtocolException {
    if (bits == 32) {
      return;
    }
    for (int i = 0; i < words.length; i++) {
      if ((words[i] >>> bits) != 0) {
        throw malformed(round, "word " + i + " is outside Z_2^" + bits);
      }
    }
  }

  private static ProtocolException malformed(long round, String detail) {
    return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, round, detail);
  }
}
