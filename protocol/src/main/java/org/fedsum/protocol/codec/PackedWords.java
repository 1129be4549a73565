package org.fedsum.protocol.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;

/**
 * Words of {@code b} bits packed back to back, as the body of a {@link VectorFrame} carries them.
 *
 * <p>The body is read as one little-endian bit string: bit {@code j} of the body is bit {@code j
 * mod 8} (0 = least significant) of byte {@code floor(j / 8)}. Word {@code i}'s bit {@code k} is
 * body bit {@code i·b + k}. The body has {@code ceil(b·m / 8)} bytes; the bits of its last byte
 * after the last word are padding and must be zero. At {@code b = 32} (and any {@code b} that is a
 * multiple of 8) this is the words as little-endian integers of {@code b/8} bytes, back to back.
 *
 * <p>Both sides work as a stream, a chunk at a time, whatever the vector's length: a word may
 * straddle two chunks. The {@link Packer} produces the body from the words; the {@link Unpacker}
 * gives back the words as little-endian 32-bit integers (the layout the SHA-256 of a frame is
 * defined over) and refuses a body longer than declared or padding that is not zero.
 */
public final class PackedWords {
  private PackedWords() {}

  /** The bytes of {@code length} words of {@code bits} bits packed: {@code ceil(bits·length/8)}. */
  public static long bodyBytes(int bits, long length) {
    checkBits(bits);
    if (length < 0) {
      throw new IllegalArgumentException("length must not be negative, not " + length);
    }
    return (bits * length + 7) / 8;
  }

  private static void checkBits(int bits) {
    if (bits < 1 || bits > 32) {
      throw new IllegalArgumentException("word width must be 1..32 bits, not " + bits);
    }
  }

  private static long mask(int bits) {
    return (1L << bits) - 1;
  }

  /** Packs a vector's words into its body, as many bytes at a time as the caller has room for. */
  public static final class Packer {
    private final int bits;
    private final int[] words;
    private final long mask;
    private int nextWord;
    // Bits packed but not yet written, the oldest in the low bits; at most 64 of them.
    private long pending;
    private int pendingBits;

    /**
     * @throws IllegalArgumentException if {@code bits} is not 1..32
     */
    public Packer(int bits, int[] words) {
      checkBits(bits);
      this.bits = bits;
      this.words = Objects.requireNonNull(words, "words");
      this.mask = mask(bits);
    }

    /**
     * Moves to body byte {@code offset} without producing the bytes before it, so that an upload
     * cut off part-way can go on from the byte the receiver has (a word may straddle the offset:
     * its remaining bits come first).
     *
     * @throws IllegalStateException if bytes were produced already
     * @throws IllegalArgumentException if {@code offset} is negative or past the body's end, or the
     *     word that straddles it is at or above {@code 2^bits}
     */
    public void skipTo(long offset) {
      if (nextWord != 0 || pendingBits != 0) {
        throw new IllegalStateException("the packer has produced bytes already");
      }
      long body = bodyBytes(bits, words.length);
      if (offset < 0 || offset > body) {
        throw new IllegalArgumentException(
            "offset " + offset + " is outside the body's " + body + " bytes");
      }
      if (offset == body) {
        // Past the last word, the padding bits included.
        nextWord = words.length;
        return;
      }
      // Before the body's end, so the bit lies within a word: ceil(b·m/8) - 1 < b·m/8.
      long bit = offset * 8;
      int word = (int) (bit / bits);
      int consumed = (int) (bit - (long) word * bits);
      if (consumed == 0) {
        nextWord = word;
        return;
      }
      long value = words[word] & 0xFFFFFFFFL;
      if (value > mask) {
        throw new IllegalArgumentException(
            "word " + word + " is outside Z_2^" + bits + ": it cannot be packed");
      }
      pending = value >>> consumed;
      pendingBits = bits - consumed;
      nextWord = word + 1;
    }

    /** True once every byte of the body has been produced. */
    public boolean finished() {
      return nextWord == words.length && pendingBits == 0;
    }

    /**
     * Writes the next bytes of the body into {@code out}, up to its limit or the body's end.
     *
     * @return the number of bytes written, 0 once {@link #finished()}
     * @throws IllegalArgumentException if a word is at or above {@code 2^bits}: packing would
     *     change it, and the frame's SHA-256 (over the words) would no longer match its body
     */
    public int pack(ByteBuffer out) {
      int start = out.position();
      while (out.hasRemaining()) {
        if (pendingBits >= 32 && out.remaining() >= 4) {
          putIntLittleEndian(out, (int) pending);
          pending >>>= 32;
          pendingBits -= 32;
        } else if (nextWord < words.length && pendingBits + bits <= 64) {
          int word = words[nextWord];
          if ((word & 0xFFFFFFFFL) > mask) {
            throw new IllegalArgumentException(
                "word " + nextWord + " is outside Z_2^" + bits + ": it cannot be packed");
          }
          pending |= (word & mask) << pendingBits;
          pendingBits += bits;
          nextWord++;
        } else if (pendingBits >= 8) {
          out.put((byte) pending);
          pending >>>= 8;
          pendingBits -= 8;
        } else if (pendingBits > 0) {
          // The last byte: what follows the last word's bits is zero padding.
          out.put((byte) pending);
          pending = 0;
          pendingBits = 0;
        } else {
          break;
        }
      }
      return out.position() - start;
    }

    private static void putIntLittleEndian(ByteBuffer out, int value) {
      out.putInt(out.order() == ByteOrder.LITTLE_ENDIAN ? value : Integer.reverseBytes(value));
    }
  }

  /**
   * Unpacks a body chunk by chunk into its words as little-endian 32-bit integers, refusing (as
   * {@code MALFORMED_MESSAGE}) bytes past the body's end and non-zero padding.
   */
  public static final class Unpacker {
    private final long round;
    private final int bits;
    private final int length;
    private final long mask;
    private final long bodyBits;
    private long consumedBits;
    private int produced;
    // Bits read but not yet made into words, the oldest in the low bits; fewer than 32 + bits.
    private long pending;
    private int pendingBits;

    /**
     * @param round the frame's round, for the errors
     * @param bits the words' width, 1..32
     * @param length the number of words, at least 0
     */
    public Unpacker(long round, int bits, int length) {
      checkBits(bits);
      if (length < 0) {
        throw new IllegalArgumentException("length must not be negative, not " + length);
      }
      this.round = round;
      this.bits = bits;
      this.length = length;
      this.mask = mask(bits);
      this.bodyBits = 8 * bodyBytes(bits, length);
    }

    /** The words given back so far. */
    public int wordsProduced() {
      return produced;
    }

    /**
     * True if words already read wait for room in the output: {@link #unpack} must be called again,
     * with or without more bytes, before they are given back.
     */
    public boolean hasWaitingWords() {
      return pendingBits >= bits && produced < length;
    }

    /** True once every word was given back, and with it the whole body read. */
    public boolean finished() {
      return produced == length && consumedBits == bodyBits;
    }

    /**
     * Reads bytes of the body from {@code packed} and puts the words they complete into {@code
     * words} as little-endian 32-bit integers. Stops when {@code packed} is empty and no read word
     * is left, or when {@code words} has less than 4 bytes of room: call again while {@code
     * packed.hasRemaining() || }{@link #hasWaitingWords()} (one 32-bit read can complete several
     * words, so the last bytes of a chunk may leave words waiting for room).
     *
     * @throws ProtocolException {@code MALFORMED_MESSAGE} if {@code packed} goes on past the body's
     *     end, or the padding after the last word is not zero
     */
    public void unpack(ByteBuffer packed, ByteBuffer words) throws ProtocolException {
      boolean littleEndian = words.order() == ByteOrder.LITTLE_ENDIAN;
      while (true) {
        while (pendingBits >= bits && produced < length) {
          if (words.remaining() < 4) {
            return;
          }
          int word = (int) (pending & mask);
          words.putInt(littleEndian ? word : Integer.reverseBytes(word));
          pending >>>= bits;
          pendingBits -= bits;
          produced++;
          if (produced == length) {
            checkPadding();
          }
        }
        if (!packed.hasRemaining()) {
          return;
        }
        if (consumedBits == bodyBits) {
          throw new ProtocolException(
              ErrorCode.MALFORMED_MESSAGE,
              round,
              "vector body goes on past the "
                  + (bodyBits / 8)
                  + " bytes of its "
                  + length
                  + " words of "
                  + bits
                  + " bits");
        }
        if (packed.remaining() >= 4 && bodyBits - consumedBits >= 32) {
          // pendingBits < bits <= 32 here, so 32 more fit in the long.
          int next = packed.getInt();
          if (packed.order() != ByteOrder.LITTLE_ENDIAN) {
            next = Integer.reverseBytes(next);
          }
          pending |= (next & 0xFFFFFFFFL) << pendingBits;
          pendingBits += 32;
          consumedBits += 32;
        } else {
          pending |= (packed.get() & 0xFFL) << pendingBits;
          pendingBits += 8;
          consumedBits += 8;
        }
      }
    }

    // Reading stops at the byte that completes the last word, so the bits left are its padding.
    private void checkPadding() throws ProtocolException {
      if (pending != 0) {
        throw new ProtocolException(
            ErrorCode.MALFORMED_MESSAGE,
            round,
            "the padding bits after the last of the "
                + length
                + " words of the vector body must be zero");
      }
    }
  }
}
