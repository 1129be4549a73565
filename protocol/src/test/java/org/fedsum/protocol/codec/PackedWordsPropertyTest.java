package org.fedsum.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;

class PackedWordsPropertyTest {
  private static int[] words(int bits, int length, long seed) {
    Random random = new Random(seed);
    int[] words = new int[length];
    for (int i = 0; i < length; i++) {
      words[i] = bits == 32 ? random.nextInt() : random.nextInt() >>> (32 - bits);
    }
    return words;
  }

  /** Packs into output buffers of {@code chunk} bytes at a time. */
  private static byte[] pack(int bits, int[] words, int chunk) {
    PackedWords.Packer packer = new PackedWords.Packer(bits, words);
    ByteBuffer all = ByteBuffer.allocate((int) PackedWords.bodyBytes(bits, words.length));
    ByteBuffer out = ByteBuffer.allocate(chunk);
    while (!packer.finished()) {
      out.clear();
      int written = packer.pack(out);
      assertThat(written).isEqualTo(out.position()).isPositive();
      out.flip();
      all.put(out);
    }
    assertThat(all.hasRemaining()).isFalse();
    return all.array();
  }

  /**
   * Feeds the body in chunks of {@code inChunk} bytes, unpacking into {@code outWords} at a time.
   */
  private static int[] unpack(int bits, int length, byte[] body, int inChunk, int outWords)
      throws ProtocolException {
    PackedWords.Unpacker unpacker = new PackedWords.Unpacker(7, bits, length);
    ByteBuffer unpacked = ByteBuffer.allocate(4 * length).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocate(4 * outWords).order(ByteOrder.LITTLE_ENDIAN);
    for (int start = 0; start < body.length; start += inChunk) {
      ByteBuffer in = ByteBuffer.wrap(body, start, Math.min(inChunk, body.length - start));
      while (in.hasRemaining() || unpacker.hasWaitingWords()) {
        unpacker.unpack(in, out);
        out.flip();
        unpacked.put(out);
        out.clear();
      }
    }
    // Nothing waits once the loop above is done: one more call gives nothing.
    unpacker.unpack(ByteBuffer.allocate(0), out);
    assertThat(out.position()).isZero();
    assertThat(unpacker.finished()).isTrue();
    int[] words = new int[length];
    unpacked.flip();
    unpacked.asIntBuffer().get(words);
    return words;
  }

  @Property(tries = 300)
  void packThenUnpack_inAnyChunks_givesTheWordsBack(
      @ForAll @IntRange(min = 1, max = 32) int bits,
      @ForAll @IntRange(min = 0, max = 700) int length,
      @ForAll @IntRange(min = 1, max = 40) int packChunk,
      @ForAll @IntRange(min = 1, max = 40) int unpackChunk,
      @ForAll @IntRange(min = 1, max = 9) int outWords,
      @ForAll long seed)
      throws ProtocolException {
    int[] words = words(bits, length, seed);
    byte[] body = pack(bits, words, packChunk);

    assertThat(body).hasSize((int) ((bits * (long) length + 7) / 8));
    assertThat(pack(bits, words, 1 << 16)).isEqualTo(body);
    assertThat(unpack(bits, length, body, unpackChunk, outWords)).isEqualTo(words);
  }

  @Property(tries = 200)
  void body_isTheLittleEndianBitStringOfTheWords(
      @ForAll @IntRange(min = 1, max = 32) int bits,
      @ForAll @IntRange(min = 1, max = 100) int length,
      @ForAll long seed) {
    int[] words = words(bits, length, seed);
    byte[] body = pack(bits, words, 13);
    for (int i = 0; i < length; i++) {
      for (int k = 0; k < bits; k++) {
        long bit = (long) i * bits + k;
        int onWire = (body[(int) (bit / 8)] >>> (bit % 8)) & 1;
        assertThat(onWire).isEqualTo((words[i] >>> k) & 1);
      }
    }
    for (long bit = (long) length * bits; bit < 8L * body.length; bit++) {
      assertThat((body[(int) (bit / 8)] >>> (bit % 8)) & 1).as("padding bit %d", bit).isZero();
    }
  }

  @Property(tries = 200)
  void anyNonZeroPaddingBit_orAnyByteTooMany_isRefused(
      @ForAll @IntRange(min = 1, max = 32) int bits,
      @ForAll @IntRange(min = 1, max = 100) int length,
      @ForAll @IntRange(min = 0, max = 7) int paddingBit,
      @ForAll long seed) {
    int[] words = words(bits, length, seed);
    byte[] body = pack(bits, words, 64);
    int padding = 8 * body.length - bits * length;
    if (paddingBit < padding) {
      byte[] dirty = body.clone();
      dirty[dirty.length - 1] |= (byte) (0x80 >>> paddingBit);
      assertThatThrownBy(() -> unpack(bits, length, dirty, 5, 3))
          .isInstanceOfSatisfying(
              ProtocolException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
                assertThat(e.getMessage()).contains("padding bits");
              });
    }
    byte[] longer = java.util.Arrays.copyOf(body, body.length + 1);
    assertThatThrownBy(() -> unpack(bits, length, longer, 5, 3))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.getMessage()).contains("goes on past"));
  }
}
