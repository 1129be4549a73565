package org.fedsum.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.WordVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VectorFrameTest {
  private static final long ROUND = 42;
  private static final int BITS = 20;

  private static WordVector randomVector(int length, int bits) {
    Random random = new Random(31L * length + bits);
    int[] words = new int[length];
    for (int i = 0; i < length; i++) {
      words[i] = random.nextInt() >>> (32 - bits);
    }
    return WordVector.wrap(words);
  }

  private static WordVector randomVector(int length) {
    return randomVector(length, BITS);
  }

  @Test
  void frame_roundTripsWordsAndHash_atEveryWidthAndOddLengths() throws ProtocolException {
    for (int bits = 8; bits <= 32; bits++) {
      for (int length : new int[] {1, 2, 3, 7, 8, 9, 33, 1001}) {
        WordVector vector = randomVector(length, bits);
        byte[] frame = VectorFrame.encode(ROUND, bits, vector);

        assertThat(frame)
            .as("b = %d, m = %d", bits, length)
            .hasSize(VectorFrame.HEADER_BYTES + (bits * length + 7) / 8);
        assertThat(frame[4]).isEqualTo((byte) 2);
        WordVector decoded = VectorFrame.decode(frame, ROUND, bits, length);
        assertThat(decoded.words()).as("b = %d, m = %d", bits, length).isEqualTo(vector.words());
        assertThat(decoded.sha256()).isEqualTo(vector.sha256());
      }
    }
  }

  @Test
  void frame_packs1000WordsOf20BitsIn2500Bytes() throws ProtocolException {
    byte[] frame = VectorFrame.encode(ROUND, BITS, randomVector(1000));
    assertThat(frame).hasSize(VectorFrame.HEADER_BYTES + 2500);
    assertThat(VectorFrame.frameBytes(BITS, 1000)).isEqualTo(frame.length);
    assertThat(VectorFrame.frameBytes(16, 1_000_000)).isEqualTo(52 + 2_000_000);
    assertThat(VectorFrame.frameBytes(32, 3)).isEqualTo(52 + 12);
  }

  @Test
  void body_isTheWordsAsALittleEndianBitString() throws ProtocolException {
    // Two 12-bit words 0xABC, 0x123, no padding: bits 0..11 = 0xABC, 12..23 = 0x123.
    byte[] frame = VectorFrame.encode(ROUND, 12, WordVector.wrap(new int[] {0xABC, 0x123}));
    assertThat(Arrays.copyOfRange(frame, VectorFrame.HEADER_BYTES, frame.length))
        .containsExactly(0xBC, 0x3A, 0x12);
    // Three 5-bit words 1, 2, 31: bits 0..4 = 00001, 5..9 = 00010, 10..14 = 11111, bit 15 pad.
    frame = VectorFrame.encode(ROUND, 5, WordVector.wrap(new int[] {1, 2, 31}));
    assertThat(Arrays.copyOfRange(frame, VectorFrame.HEADER_BYTES, frame.length))
        .containsExactly(0b0100_0001, 0b0111_1100);
  }

  @Test
  void body_at32Bits_isTheWordsAsLittleEndianIntegers() throws ProtocolException {
    int[] words = {0x01020304, 0xFFFFFFFF, 0x80000000};
    byte[] frame = VectorFrame.encode(ROUND, 32, WordVector.wrap(words));
    ByteBuffer body =
        ByteBuffer.wrap(frame, VectorFrame.HEADER_BYTES, 12).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(new int[] {body.getInt(), body.getInt(), body.getInt()}).isEqualTo(words);
    assertThat(frame[VectorFrame.HEADER_BYTES]).isEqualTo((byte) 0x04);
  }

  @Test
  void headerHash_isOverTheWordsAsLittleEndian32BitIntegers_whateverThePacking() {
    WordVector vector = randomVector(77);
    byte[] frame = VectorFrame.encode(ROUND, BITS, vector);
    assertThat(Arrays.copyOfRange(frame, 20, 52)).isEqualTo(WordVector.sha256(vector.words()));
  }

  @Test
  void stream_producesTheSameBytesAsEncode() throws IOException {
    for (int bits : new int[] {8, 13, 16, 20, 32}) {
      WordVector vector = randomVector(40_003, bits);
      byte[] streamed;
      try (InputStream in = VectorFrame.stream(ROUND, bits, vector)) {
        // Odd read sizes: the stream's chunks and the reader's do not line up.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[997];
        int read;
        while ((read = in.read(buffer, 0, buffer.length)) >= 0) {
          out.write(buffer, 0, read);
        }
        streamed = out.toByteArray();
      }
      assertThat(streamed).isEqualTo(VectorFrame.encode(ROUND, bits, vector));
      assertThat((long) streamed.length).isEqualTo(VectorFrame.frameBytes(bits, 40_003));
    }
  }

  @Test
  void streamFromAnOffset_isTheRestOfTheWholeFrame_atEveryOffsetAndWidth() throws IOException {
    for (int bits : new int[] {1, 7, 13, 16, 20, 31, 32}) {
      WordVector vector = randomVector(301, bits);
      byte[] whole = VectorFrame.encode(ROUND, bits, vector);
      for (int offset = 0; offset <= whole.length; offset++) {
        byte[] rest;
        try (InputStream in = VectorFrame.stream(ROUND, bits, vector, offset)) {
          rest = in.readAllBytes();
        }
        assertThat(rest)
            .as("b = %d, offset %d", bits, offset)
            .isEqualTo(Arrays.copyOfRange(whole, offset, whole.length));
      }
    }
  }

  @Test
  void streamFromAnOffset_outsideTheFrame_isRefused() {
    WordVector vector = randomVector(10);
    long size = VectorFrame.frameBytes(BITS, 10);
    assertThatThrownBy(() -> VectorFrame.stream(ROUND, BITS, vector, size + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("offset " + (size + 1));
    assertThatThrownBy(() -> VectorFrame.stream(ROUND, BITS, vector, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("offset -1");
  }

  @Test
  void wordsAtOrAbove2PowerBits_cannotBeEncoded() {
    assertThatThrownBy(() -> VectorFrame.encode(ROUND, 16, WordVector.wrap(new int[] {1, 1 << 16})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("word 1 is outside Z_2^16");
  }

  @ParameterizedTest
  @ValueSource(ints = {9, 12, 17, 20, 31})
  void nonZeroPaddingBits_areRefused(int bits) {
    int length = 3; // 3·b is not a multiple of 8 for these widths
    byte[] frame = VectorFrame.encode(ROUND, bits, randomVector(length, bits));
    int padding = 8 * (frame.length - VectorFrame.HEADER_BYTES) - bits * length;
    assertThat(padding).isPositive();
    // The highest bit of the last byte is always padding.
    frame[frame.length - 1] |= (byte) 0x80;
    assertRefused(frame, bits, length, ErrorCode.MALFORMED_MESSAGE, "padding bits");
  }

  @Test
  void declaredLengthOtherThanTheRounds_isRefusedFromTheHeaderAlone() throws ProtocolException {
    byte[] header =
        VectorFrame.encodeHeader(
            new VectorFrame.Header(BITS, ROUND, Integer.MAX_VALUE, new byte[32]));
    assertThatThrownBy(() -> VectorFrame.decodeHeader(header, ROUND, BITS, 1000))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VECTOR_LENGTH_MISMATCH));
    // A whole frame with a huge declared length and no body: refused before allocating 2^31 words.
    byte[] frame = Arrays.copyOf(header, header.length);
    assertThatThrownBy(() -> VectorFrame.decode(frame, ROUND, BITS, 1000))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VECTOR_LENGTH_MISMATCH));
  }

  @Test
  void version1Frames_areRefusedNamingTheVersion() {
    byte[] frame = VectorFrame.encode(ROUND, 32, randomVector(4, 32));
    frame[4] = 1;
    assertRefused(frame, 32, 4, ErrorCode.MALFORMED_MESSAGE, "version 1");
    frame[4] = (byte) 0xFE;
    assertRefused(
        frame, 32, 4, ErrorCode.MALFORMED_MESSAGE, "unsupported vector frame version 254");
  }

  @Test
  void corruptFrames_areRefusedWithTheirReason() {
    byte[] good = VectorFrame.encode(ROUND, BITS, randomVector(64));

    assertRefused(Arrays.copyOf(good, 10), BITS, 64, ErrorCode.MALFORMED_MESSAGE, "truncated");
    assertRefused(
        Arrays.copyOf(good, good.length - 1), BITS, 64, ErrorCode.MALFORMED_MESSAGE, "promises");
    assertRefused(
        Arrays.copyOf(good, good.length + 1), BITS, 64, ErrorCode.MALFORMED_MESSAGE, "promises");
    byte[] badMagic = good.clone();
    badMagic[0] = 'X';
    assertRefused(badMagic, BITS, 64, ErrorCode.MALFORMED_MESSAGE, "magic");
    byte[] badVersion = good.clone();
    badVersion[4] = 9;
    assertRefused(badVersion, BITS, 64, ErrorCode.MALFORMED_MESSAGE, "version");
    byte[] flippedWord = good.clone();
    flippedWord[VectorFrame.HEADER_BYTES] ^= 1;
    assertRefused(flippedWord, BITS, 64, ErrorCode.MALFORMED_MESSAGE, "SHA-256");
    assertRefused(good, BITS, 65, ErrorCode.VECTOR_LENGTH_MISMATCH, "declares 64");
    assertThatThrownBy(() -> VectorFrame.decode(good, ROUND + 1, BITS, 64))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_MISMATCH));
    assertThatThrownBy(() -> VectorFrame.decode(good, ROUND, BITS + 1, 64))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.getMessage()).contains("20-bit words"));
  }

  private static void assertRefused(
      byte[] frame, int bits, int length, ErrorCode code, String detail) {
    assertThatThrownBy(() -> VectorFrame.decode(frame, ROUND, bits, length))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).contains(detail);
            });
  }
}
