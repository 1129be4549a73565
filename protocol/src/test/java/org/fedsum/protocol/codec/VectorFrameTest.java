package org.fedsum.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.WordVector;
import org.junit.jupiter.api.Test;

class VectorFrameTest {
  private static final long ROUND = 42;
  private static final int BITS = 20;

  private static WordVector randomVector(int length) {
    Random random = new Random(length);
    int[] words = new int[length];
    for (int i = 0; i < length; i++) {
      words[i] = random.nextInt(1 << BITS);
    }
    return WordVector.wrap(words);
  }

  @Test
  void frame_roundTripsWordsAndHash() throws ProtocolException {
    WordVector vector = randomVector(1000);
    byte[] frame = VectorFrame.encode(ROUND, BITS, vector);

    assertThat(frame).hasSize(VectorFrame.HEADER_BYTES + 4000);
    assertThat(frame[0]).isEqualTo((byte) 'F');
    WordVector decoded = VectorFrame.decode(frame, ROUND, BITS, 1000);
    assertThat(decoded.words()).isEqualTo(vector.words());
    assertThat(decoded.sha256()).isEqualTo(vector.sha256());
  }

  @Test
  void frame_isLittleEndian() throws ProtocolException {
    byte[] frame =
        VectorFrame.encode(ROUND, BITS, WordVector.wrap(new int[] {0x01020304 & 0xfffff}));
    ByteBuffer body =
        ByteBuffer.wrap(frame, VectorFrame.HEADER_BYTES, 4).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(body.getInt()).isEqualTo(0x01020304 & 0xfffff);
    assertThat(frame[VectorFrame.HEADER_BYTES]).isEqualTo((byte) 0x04);
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
  }

  @Test
  void corruptFrames_areRefusedWithTheirReason() {
    byte[] good = VectorFrame.encode(ROUND, BITS, randomVector(64));

    assertRefused(java.util.Arrays.copyOf(good, 10), 64, ErrorCode.MALFORMED_MESSAGE, "truncated");
    assertRefused(
        java.util.Arrays.copyOf(good, good.length - 1),
        64,
        ErrorCode.MALFORMED_MESSAGE,
        "promises");
    byte[] badMagic = good.clone();
    badMagic[0] = 'X';
    assertRefused(badMagic, 64, ErrorCode.MALFORMED_MESSAGE, "magic");
    byte[] badVersion = good.clone();
    badVersion[4] = 9;
    assertRefused(badVersion, 64, ErrorCode.MALFORMED_MESSAGE, "version");
    byte[] flippedWord = good.clone();
    flippedWord[VectorFrame.HEADER_BYTES] ^= 1;
    assertRefused(flippedWord, 64, ErrorCode.MALFORMED_MESSAGE, "SHA-256");
    byte[] outOfRange = good.clone();
    outOfRange[VectorFrame.HEADER_BYTES + 3] = (byte) 0x80;
    assertRefused(outOfRange, 64, ErrorCode.MALFORMED_MESSAGE, "outside Z_2^20");
    assertRefused(good, 65, ErrorCode.VECTOR_LENGTH_MISMATCH, "declares 64");
    assertThatThrownBy(() -> VectorFrame.decode(good, ROUND + 1, BITS, 64))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_MISMATCH));
    assertThatThrownBy(() -> VectorFrame.decode(good, ROUND, BITS + 1, 64))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.getMessage()).contains("20-bit words"));
  }

  private static void assertRefused(byte[] frame, int length, ErrorCode code, String detail) {
    assertThatThrownBy(() -> VectorFrame.decode(frame, ROUND, BITS, length))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).contains(detail);
            });
  }
}
