package org.fedsum.protocol.codec;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Objects;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.WordVector;

/**
 * The binary frame of a masked vector: a 52-byte header, then the words packed at {@code b} bits
 * each. All integers are little-endian.
 *
 * <pre>
 * offset  size             field
 *      0     4             magic "FSMV"
 *      4     1             version (2)
 *      5     1             bits b, 1..32
 *      6     2             reserved, zero
 *      8     8             round
 *     16     4             number of words m
 *     20    32             SHA-256 of the words as little-endian 32-bit integers
 *     52     ceil(b·m/8)   the words packed at b bits each ({@link PackedWords})
 * </pre>
 *
 * <p>The body is the words as one little-endian bit string: word {@code i}'s bit {@code k} (0 =
 * least significant) is bit {@code (i·b + k) mod 8} of body byte {@code floor((i·b + k) / 8)}. The
 * bits of the last byte after the last word are padding and must be zero. Packing makes a word at
 * or above {@code 2^b} impossible to send, and cuts the bytes on the wire to {@code b/32} of four
 * bytes a word; at {@code b = 32} the body is the words as little-endian 32-bit integers, byte for
 * byte what version 1 carried. Every frame is version 2, whatever {@code b}: one layout, so a
 * receiver never has to guess the body's size from anything but the header's {@code b} and {@code
 * m}. Version 1 (four bytes a word at every {@code b}) and any other version are refused.
 *
 * <p>The SHA-256 is over the words as little-endian 32-bit integers, not over the packed body, so
 * the digest a silo journals and the one the aggregator journals for the same vector are equal
 * whatever the packing.
 *
 * <p>The header comes first so a receiver can refuse a wrong round, width or length before reading
 * or allocating anything for the body, and can stream the body into a running sum while hashing it.
 */
public final class VectorFrame {
  public static final int HEADER_BYTES = 52;
  public static final byte VERSION = 2;
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
      return VectorFrame.frameBytes(bits, length);
    }
  }

  /** The size of the body of a frame of {@code length} words of {@code bits} bits. */
  public static long bodyBytes(int bits, long length) {
    return PackedWords.bodyBytes(bits, length);
  }

  /** The size of a whole frame of {@code length} words of {@code bits} bits, header included. */
  public static long frameBytes(int bits, long length) {
    return HEADER_BYTES + PackedWords.bodyBytes(bits, length);
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
    if (version == 1) {
      throw malformed(
          expectedRound,
          "vector frame version 1 (four bytes a word) is no longer accepted: send version "
              + VERSION
              + ", words packed at the round's bits (upgrade the silo)");
    }
    if (version != VERSION) {
      throw malformed(
          expectedRound,
          "unsupported vector frame version " + (version & 0xFF) + ", only " + VERSION + " is");
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

  /**
   * Encodes a whole frame (tests and small vectors; large ones are streamed with {@link #stream}).
   *
   * @throws IllegalArgumentException if a word is at or above {@code 2^bits}
   */
  public static byte[] encode(long round, int bits, WordVector vector) {
    int[] words = vector.words();
    long size = frameBytes(bits, words.length);
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a frame of " + size + " bytes does not fit in an array");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(encodeHeader(new Header(bits, round, words.length, vector.sha256())));
    new PackedWords.Packer(bits, words).pack(buffer);
    return buffer.array();
  }

  /**
   * The whole frame of {@code vector} as a stream, its body packed as the stream is read: no second
   * copy of the vector. Its size is {@link #frameBytes(int, long)}.
   *
   * @throws IllegalArgumentException if {@code bits} is not 1..32; reading throws it if a word is
   *     at or above {@code 2^bits}
   */
  public static InputStream stream(long round, int bits, WordVector vector) {
    return stream(round, bits, vector, 0);
  }

  /**
   * The frame of {@code vector} from byte {@code offset} on (the header counts): what is left to
   * send of an upload the receiver holds {@code offset} bytes of. The bytes before it are not
   * produced, so going on from late in a large frame costs nothing extra.
   *
   * @throws IllegalArgumentException if {@code bits} is not 1..32 or {@code offset} is negative or
   *     past the frame's end; reading throws it if a word is at or above {@code 2^bits}
   */
  public static InputStream stream(long round, int bits, WordVector vector, long offset) {
    int[] words = vector.words();
    long size = frameBytes(bits, words.length);
    if (offset < 0 || offset > size) {
      throw new IllegalArgumentException(
          "offset " + offset + " is outside the frame's " + size + " bytes");
    }
    byte[] header = encodeHeader(new Header(bits, round, words.length, vector.sha256()));
    PackedWords.Packer packer = new PackedWords.Packer(bits, words);
    FrameStream stream = new FrameStream(header, packer);
    if (offset >= HEADER_BYTES) {
      stream.headerPosition = HEADER_BYTES;
      packer.skipTo(offset - HEADER_BYTES);
    } else {
      stream.headerPosition = (int) offset;
    }
    return stream;
  }

  /** Decodes and fully checks a whole frame: header, size, padding and hash. */
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
    ByteBuffer unpacked = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
    PackedWords.Unpacker unpacker = new PackedWords.Unpacker(expectedRound, bits, words.length);
    unpacker.unpack(ByteBuffer.wrap(frame, HEADER_BYTES, frame.length - HEADER_BYTES), unpacked);
    if (!unpacker.finished()) {
      throw new IllegalStateException("bug: a frame of the promised size did not unpack whole");
    }
    unpacked.flip();
    unpacked.asIntBuffer().get(words);
    WordVector vector = WordVector.wrap(words);
    if (!MessageDigest.isEqual(vector.sha256(), header.sha256())) {
      throw malformed(expectedRound, "vector frame body does not match its SHA-256");
    }
    return vector;
  }

  /** The header's bytes, then the packed body as the packer produces it, 64 KiB at a time. */
  private static final class FrameStream extends InputStream {
    private final byte[] header;
    private final PackedWords.Packer packer;
    private final ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private int headerPosition;

    FrameStream(byte[] header, PackedWords.Packer packer) {
      this.header = header;
      this.packer = packer;
      chunk.limit(0);
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
      java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
      if (length == 0) {
        return 0;
      }
      if (headerPosition < header.length) {
        int count = Math.min(length, header.length - headerPosition);
        System.arraycopy(header, headerPosition, buffer, offset, count);
        headerPosition += count;
        return count;
      }
      if (!chunk.hasRemaining()) {
        if (packer.finished()) {
          return -1;
        }
        chunk.clear();
        packer.pack(chunk);
        chunk.flip();
      }
      int count = Math.min(length, chunk.remaining());
      chunk.get(buffer, offset, count);
      return count;
    }
  }

  private static ProtocolException malformed(long round, String detail) {
    return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, round, detail);
  }
}
