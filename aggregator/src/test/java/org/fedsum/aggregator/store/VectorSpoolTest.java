package org.fedsum.aggregator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.VectorFrame;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorSpoolTest {
  private static final long ROUND = 4;
  private static final int BITS = 32;

  @TempDir Path directory;
  private VectorSpool spool;

  @BeforeEach
  void openSpool() throws Exception {
    spool = VectorSpool.open(directory.resolve(VectorSpool.DIRECTORY_NAME));
  }

  static int[] randomWords(int length, int bits, long seed) {
    Random random = new Random(seed);
    int[] words = new int[length];
    for (int i = 0; i < length; i++) {
      words[i] = bits == 32 ? random.nextInt() : random.nextInt() >>> (32 - bits);
    }
    return words;
  }

  static byte[] frame(long round, int bits, int[] words) {
    return VectorFrame.encode(round, bits, WordVector.wrap(words));
  }

  /** Feeds {@code frame} to {@code writer} in chunks of the given sizes, cycling through them. */
  static void feed(SpoolWriter writer, byte[] frame, int... chunkSizes) throws Exception {
    int offset = 0;
    for (int i = 0; offset < frame.length; i++) {
      int size = Math.min(chunkSizes[i % chunkSizes.length], frame.length - offset);
      writer.write(frame, offset, size);
      offset += size;
    }
  }

  private SpooledVector spoolWhole(String siloId, int[] words, int... chunkSizes) throws Exception {
    SpoolWriter writer = spool.receive(ROUND, siloId, BITS, words.length);
    feed(writer, frame(ROUND, BITS, words), chunkSizes);
    return writer.finish();
  }

  private Path fileOf(String siloId) {
    return spool.roundDirectory(ROUND).resolve(siloId + ".vec");
  }

  @Test
  void finish_goodVectors_addExactlyIntoTheRunningSum() throws Exception {
    int length = 1000;
    int[][] inputs = {
      randomWords(length, BITS, 1), randomWords(length, BITS, 2), randomWords(length, BITS, 3)
    };
    int[] expected = new int[length];
    int[] sum = new int[length];

    for (int s = 0; s < inputs.length; s++) {
      // Odd chunk sizes split the header and words across chunks.
      SpooledVector vector = spoolWhole("silo-" + s, inputs[s], 7, 1, 333, 52, 4096);
      assertThat(vector.sha256()).isEqualTo(WordVector.sha256(inputs[s]));
      assertThat(Files.size(vector.path())).isEqualTo(4L * length);
      vector.addTo(sum);
      for (int i = 0; i < length; i++) {
        expected[i] += inputs[s][i];
      }
    }

    assertThat(sum).isEqualTo(expected);
  }

  @Test
  void addTo_wrapsModulo2To32() throws Exception {
    int[] words = {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, 7};
    int[] sum = {1, Integer.MIN_VALUE, 1, -7};

    spoolWhole("silo-1", words, 1 << 20).addTo(sum);

    assertThat(sum).containsExactly(0, 0, Integer.MIN_VALUE, 0);
  }

  @Test
  void addTo_chunkedOverRangesOnSeveralThreads_equalsWholeAddTo() throws Exception {
    int length = 3 * SpooledVector.CHUNK_WORDS + 12_345;
    List<SpooledVector> vectors = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      vectors.add(spoolWhole("silo-" + s, randomWords(length, BITS, 10 + s), 65_536));
    }
    int[] whole = new int[length];
    for (SpooledVector vector : vectors) {
      vector.addTo(whole);
    }

    int[] byRanges = new int[length];
    int[] cuts = {0, 1, 4099, SpooledVector.CHUNK_WORDS, 2 * SpooledVector.CHUNK_WORDS + 1, length};
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c + 1 < cuts.length; c++) {
        int from = cuts[c];
        int to = cuts[c + 1];
        done.add(
            pool.submit(
                () -> {
                  for (SpooledVector vector : vectors) {
                    vector.addTo(byRanges, from, to - from);
                  }
                  return null;
                }));
      }
      for (Future<?> future : done) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }

    assertThat(byRanges).isEqualTo(whole);
  }

  @Test
  void addTo_aRange_touchesOnlyThatRange() throws Exception {
    int[] words = randomWords(100, BITS, 5);
    SpooledVector vector = spoolWhole("silo-1", words, 64);
    int[] sum = new int[100];

    vector.addTo(sum, 10, 20);

    for (int i = 0; i < 100; i++) {
      assertThat(sum[i]).as("coordinate %d", i).isEqualTo(i >= 10 && i < 30 ? words[i] : 0);
    }
  }

  @Test
  void addTo_wrongSumLengthOrRange_isRefused() throws Exception {
    SpooledVector vector = spoolWhole("silo-1", randomWords(10, BITS, 5), 64);

    assertThatThrownBy(() -> vector.addTo(new int[11]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the running sum has 11 words, the vector 10");
    assertThatThrownBy(() -> vector.addTo(new int[10], 5, 6))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void finish_wrongHash_isRefusedAndTheFileRemoved() throws Exception {
    int[] words = randomWords(100, BITS, 6);
    byte[] frame = frame(ROUND, BITS, words);
    frame[VectorFrame.HEADER_BYTES + 17] ^= 0x01;
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 100);
    feed(writer, frame, 100);
    assertThat(fileOf("silo-1")).exists();

    assertThatThrownBy(writer::finish)
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE))
        .hasMessageContaining("does not match its SHA-256");
    assertThat(fileOf("silo-1")).doesNotExist();
  }

  @Test
  void write_headerDeclaringAnotherLength_isRefusedBeforeAnythingIsWritten() throws Exception {
    byte[] frame = frame(ROUND, BITS, randomWords(1_000_000, BITS, 7));
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 1000);

    assertThatThrownBy(() -> writer.write(frame, 0, VectorFrame.HEADER_BYTES))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VECTOR_LENGTH_MISMATCH))
        .hasMessageContaining("declares 1000000 words, the round has 1000");
    assertThat(spool.roundDirectory(ROUND)).doesNotExist();
    assertThatThrownBy(() -> writer.write(frame, VectorFrame.HEADER_BYTES, 4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("refused");
  }

  @Test
  void write_headerOfAnotherRound_isRefusedBeforeAnythingIsWritten() throws Exception {
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 10);

    assertThatThrownBy(() -> feed(writer, frame(ROUND - 1, BITS, randomWords(10, BITS, 8)), 9))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_MISMATCH));
    assertThat(spool.roundDirectory(ROUND)).doesNotExist();
  }

  @Test
  void write_headerWithAnotherWordWidth_isRefused() throws Exception {
    SpoolWriter writer = spool.receive(ROUND, "silo-1", 20, 10);

    assertThatThrownBy(() -> feed(writer, frame(ROUND, 32, randomWords(10, 32, 8)), 100))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE));
    assertThat(spool.roundDirectory(ROUND)).doesNotExist();
  }

  @Test
  void write_bodyLongerThanDeclared_isRefusedAndTheFileRemoved() throws Exception {
    int[] words = randomWords(10, BITS, 9);
    byte[] frame = Arrays.copyOf(frame(ROUND, BITS, words), VectorFrame.HEADER_BYTES + 44);
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 10);

    assertThatThrownBy(() -> feed(writer, frame, 60))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE))
        .hasMessageContaining("longer than the 40 bytes of the 10 words of 32 bits");
    assertThat(fileOf("silo-1")).doesNotExist();
  }

  @Test
  void finish_bodyShorterThanDeclared_isRefusedAndTheFileRemoved() throws Exception {
    byte[] frame = frame(ROUND, BITS, randomWords(10, BITS, 9));
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 10);
    writer.write(frame, 0, frame.length - 2);

    assertThatThrownBy(writer::finish)
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE))
        .hasMessageContaining(
            "vector body has 38 bytes, its header declares 10 words of 32 bits (40 bytes)");
    assertThat(fileOf("silo-1")).doesNotExist();
  }

  @Test
  void finish_truncatedHeader_isRefused() throws Exception {
    byte[] frame = frame(ROUND, BITS, randomWords(10, BITS, 9));
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 10);
    writer.write(frame, 0, 30);

    assertThatThrownBy(writer::finish)
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE))
        .hasMessageContaining("ended after 30 of its 52 header bytes");
    assertThat(spool.roundDirectory(ROUND)).doesNotExist();
  }

  @Test
  void write_narrowWords_arePackedOnTheWireAndSpooledAs32BitWords() throws Exception {
    int bits = 20;
    int[] words = randomWords(1001, bits, 11);
    words[0] = (1 << bits) - 1;
    SpoolWriter writer = spool.receive(ROUND, "silo-1", bits, words.length);
    byte[] frame = frame(ROUND, bits, words);
    assertThat(frame).hasSize(VectorFrame.HEADER_BYTES + (20 * 1001 + 7) / 8);
    // Chunks that split the 20-bit words anywhere, the header too.
    feed(writer, frame, 3, 5, 1, 4, 1000);
    assertThat(writer.bytesReceived()).isEqualTo(frame.length);
    int[] sum = new int[words.length];

    SpooledVector vector = writer.finish();
    vector.addTo(sum);

    assertThat(sum).isEqualTo(words);
    assertThat(vector.sha256()).isEqualTo(WordVector.sha256(words));
    assertThat(fileOf("silo-1")).hasSize(4L * words.length);
  }

  @Test
  void write_wholeFrameInOneChunk_aroundTheWritersBufferOfWords_spoolsEveryWord() throws Exception {
    // The writer unpacks into a buffer of 2^14 words; a chunk whose last bytes complete words
    // once that buffer is full must still get them all to the file.
    for (int bits : new int[] {8, 12, 16, 20, 24, 31}) {
      for (int length = (1 << 14) - 3; length <= (1 << 14) + 9; length++) {
        int[] words = randomWords(length, bits, length);
        String silo = "silo-" + bits + "-" + length;
        SpoolWriter writer = spool.receive(ROUND, silo, bits, length);
        byte[] frame = frame(ROUND, bits, words);
        writer.write(frame, 0, frame.length);
        int[] sum = new int[length];
        writer.finish().addTo(sum);
        assertThat(sum).as("b = %d, m = %d", bits, length).isEqualTo(words);
      }
    }
  }

  @Test
  void write_nonZeroPaddingAfterTheLastWord_isRefusedAndTheFileRemoved() throws Exception {
    int bits = 20;
    int[] words = randomWords(101, bits, 12); // 2020 bits: 4 bits of padding
    byte[] frame = frame(ROUND, bits, words);
    frame[frame.length - 1] |= (byte) 0x10;
    SpoolWriter writer = spool.receive(ROUND, "silo-1", bits, words.length);
    writer.write(frame, 0, frame.length - 1);

    assertThatThrownBy(() -> writer.write(frame, frame.length - 1, 1))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE))
        .hasMessageContaining("padding bits after the last of the 101 words");
    assertThat(fileOf("silo-1")).doesNotExist();
  }

  @Test
  void write_packedBodyLongerOrShorterThanDeclared_isRefused() throws Exception {
    int bits = 16;
    int[] words = randomWords(10, bits, 14);
    byte[] longer = Arrays.copyOf(frame(ROUND, bits, words), VectorFrame.HEADER_BYTES + 21);
    SpoolWriter writer = spool.receive(ROUND, "silo-1", bits, 10);
    assertThatThrownBy(() -> feed(writer, longer, 7))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE))
        .hasMessageContaining("longer than the 20 bytes of the 10 words of 16 bits");
    assertThat(fileOf("silo-1")).doesNotExist();

    // A 4-byte-a-word body (what version 1 carried) is too long for 16-bit words.
    SpoolWriter unpacked = spool.receive(ROUND, "silo-2", bits, 10);
    byte[] header = Arrays.copyOf(frame(ROUND, bits, words), VectorFrame.HEADER_BYTES + 4 * 10);
    assertThatThrownBy(() -> feed(unpacked, header, 1000))
        .hasMessageContaining("longer than the 20 bytes");

    SpoolWriter shorter = spool.receive(ROUND, "silo-3", bits, 10);
    byte[] frame = frame(ROUND, bits, words);
    shorter.write(frame, 0, frame.length - 1);
    assertThatThrownBy(shorter::finish)
        .hasMessageContaining("vector body has 19 bytes, its header declares 10 words of 16 bits");
  }

  @Test
  void receive_secondUploadForTheSameSilo_isADuplicateAndLeavesTheFirstAlone() throws Exception {
    int[] words = randomWords(10, BITS, 13);
    SpooledVector first = spoolWhole("silo-1", words, 100);
    SpoolWriter second = spool.receive(ROUND, "silo-1", BITS, 10);

    assertThatThrownBy(() -> feed(second, frame(ROUND, BITS, randomWords(10, BITS, 14)), 100))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_SUBMISSION));
    int[] sum = new int[10];
    first.addTo(sum);
    assertThat(sum).isEqualTo(words);
  }

  @Test
  void close_unfinishedUpload_deletesItsFileAndAllowsARetry() throws Exception {
    int[] words = randomWords(10, BITS, 15);
    byte[] frame = frame(ROUND, BITS, words);
    SpoolWriter broken = spool.receive(ROUND, "silo-1", BITS, 10);
    broken.write(frame, 0, 60);
    assertThat(fileOf("silo-1")).exists();

    broken.close();

    assertThat(fileOf("silo-1")).doesNotExist();
    SpooledVector retried = spoolWhole("silo-1", words, 100);
    int[] sum = new int[10];
    retried.addTo(sum);
    assertThat(sum).isEqualTo(words);
  }

  @Test
  void receive_secondUploadWhileTheFirstStalls_supersedesTheFirst() throws Exception {
    // The silo's connection stalled mid-vector; it retries on a new one while the aggregator still
    // waits for the first upload's bytes.
    int[] words = randomWords(10, BITS, 18);
    byte[] frame = frame(ROUND, BITS, words);
    SpoolWriter stalled = spool.receive(ROUND, "silo-1", BITS, 10);
    stalled.write(frame, 0, 60);

    SpooledVector retried = spoolWhole("silo-1", words, 100);

    int[] sum = new int[10];
    retried.addTo(sum);
    assertThat(sum).isEqualTo(words);
    // The stalled upload's late bytes are refused and leave the retried vector alone.
    assertThatThrownBy(() -> stalled.write(frame, 60, 8))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_SUBMISSION));
    assertThatThrownBy(stalled::finish).isInstanceOf(ProtocolException.class);
    stalled.close();
    assertThat(retried.path()).exists();
  }

  @Test
  void resumeAt_theBytesTaken_goesOnAndFinishesWithTheWholeVector_atEveryCutAndWidth()
      throws Exception {
    // The connection breaks anywhere: in the header, mid-word at narrow widths, at the very end.
    for (int bits : new int[] {32, 20, 13, 1}) {
      int[] words = randomWords(37, bits, 21 + bits);
      byte[] frame = frame(ROUND, bits, words);
      for (int cut = 0; cut <= frame.length; cut += 7) {
        String silo = "silo-" + bits + "-" + cut;
        SpoolWriter writer = spool.receive(ROUND, silo, bits, words.length);
        SpoolWriter.Part first = writer.begin();
        first.write(frame, 0, cut);
        assertThat(spool.upload(ROUND, silo)).contains(writer);
        assertThat(writer.bytesReceived()).isEqualTo(cut);

        SpoolWriter.Part resumed = writer.resumeAt(cut);
        resumed.write(frame, cut, frame.length - cut);
        SpooledVector vector = resumed.finish();

        int[] sum = new int[words.length];
        vector.addTo(sum);
        assertThat(sum).as("b = %d, cut at %d", bits, cut).isEqualTo(words);
        assertThat(writer.finished()).isTrue();
        assertThat(spool.upload(ROUND, silo)).contains(writer);
      }
    }
  }

  @Test
  void resumeAt_anotherOffset_isRefusedWithTheBytesTaken_andTheUploadGoesOnFromThere()
      throws Exception {
    int[] words = randomWords(10, BITS, 22);
    byte[] frame = frame(ROUND, BITS, words);
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 10);
    writer.begin().write(frame, 0, 60);

    for (long offset : new long[] {0, 59, 61, frame.length}) {
      assertThatThrownBy(() -> writer.resumeAt(offset))
          .isInstanceOfSatisfying(
              SpoolWriter.OffsetMismatch.class,
              e -> {
                assertThat(e.received()).isEqualTo(60);
                assertThat(e.getMessage()).contains("byte 60").contains("byte " + offset);
              });
    }
    SpoolWriter.Part resumed = writer.resumeAt(60);
    resumed.write(frame, 60, frame.length - 60);
    int[] sum = new int[10];
    resumed.finish().addTo(sum);
    assertThat(sum).isEqualTo(words);
  }

  @Test
  void resumeAt_detachesTheAttemptBefore_whoseLateWritesChangeNothing() throws Exception {
    // A stalled connection's bytes arrive after the silo resumed on a new one.
    int[] words = randomWords(10, BITS, 23);
    byte[] frame = frame(ROUND, BITS, words);
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 10);
    SpoolWriter.Part stalled = writer.begin();
    stalled.write(frame, 0, 60);
    SpoolWriter.Part resumed = writer.resumeAt(60);

    assertThatThrownBy(() -> stalled.write(frame, 60, 8))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_SUBMISSION);
              assertThat(e.getMessage()).contains("resumed upload");
            });
    assertThatThrownBy(stalled::finish).isInstanceOf(ProtocolException.class);
    assertThat(writer.bytesReceived()).isEqualTo(60);
    assertThat(writer.receiving()).isTrue();

    resumed.write(frame, 60, frame.length - 60);
    int[] sum = new int[10];
    resumed.finish().addTo(sum);
    assertThat(sum).isEqualTo(words);
  }

  @Test
  void resumeAt_aFinishedOrRefusedUpload_hasNothingToResume() throws Exception {
    int[] words = randomWords(10, BITS, 24);
    byte[] frame = frame(ROUND, BITS, words);
    SpoolWriter finished = spool.receive(ROUND, "silo-1", BITS, 10);
    feed(finished, frame, 100);
    finished.finish();
    assertThatThrownBy(() -> finished.resumeAt(frame.length))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_SUBMISSION);
              assertThat(e.getMessage()).contains("finished").contains("nothing to resume");
            });

    SpoolWriter refused = spool.receive(ROUND, "silo-2", BITS, 10);
    byte[] wrongRound = frame(ROUND + 1, BITS, words);
    assertThatThrownBy(() -> refused.write(wrongRound, 0, 60))
        .isInstanceOf(ProtocolException.class);
    assertThat(spool.upload(ROUND, "silo-2")).isEmpty();
    assertThatThrownBy(() -> refused.resumeAt(0)).isInstanceOf(ProtocolException.class);
    assertThat(spool.upload(ROUND, "silo-3")).isEmpty();
  }

  @Test
  void deleteRound_endsAnInterruptedUpload_whoseLaterBytesAreRefusedAsRoundClosed()
      throws Exception {
    int[] words = randomWords(10, BITS, 25);
    byte[] frame = frame(ROUND, BITS, words);
    SpoolWriter interrupted = spool.receive(ROUND, "silo-1", BITS, 10);
    SpoolWriter.Part part = interrupted.begin();
    part.write(frame, 0, 60);

    spool.deleteRound(ROUND);

    assertThat(fileOf("silo-1")).doesNotExist();
    assertThat(spool.upload(ROUND, "silo-1")).isEmpty();
    assertThat(interrupted.receiving()).isFalse();
    assertThatThrownBy(() -> part.write(frame, 60, 8))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.ROUND_CLOSED);
              assertThat(e.getMessage()).contains("closed before silo-1's masked vector");
            });
  }

  @Test
  void close_afterFinish_keepsTheSpooledVector() throws Exception {
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, 10);
    feed(writer, frame(ROUND, BITS, randomWords(10, BITS, 16)), 100);
    SpooledVector vector = writer.finish();

    writer.close();

    assertThat(vector.path()).exists();
    assertThatThrownBy(writer::finish).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void deleteRound_removesFinishedAndPartialVectorsOfThatRoundOnly() throws Exception {
    spoolWhole("silo-1", randomWords(10, BITS, 17), 100);
    SpoolWriter partial = spool.receive(ROUND, "silo-2", BITS, 10);
    partial.write(frame(ROUND, BITS, randomWords(10, BITS, 18)), 0, 70);
    SpoolWriter otherRound = spool.receive(ROUND + 1, "silo-1", BITS, 10);
    feed(otherRound, frame(ROUND + 1, BITS, randomWords(10, BITS, 19)), 100);
    otherRound.finish();

    assertThat(spool.deleteRound(ROUND)).isTrue();

    assertThat(spool.roundDirectory(ROUND)).doesNotExist();
    assertThat(spool.roundDirectory(ROUND + 1).resolve("silo-1.vec")).exists();
    assertThat(spool.deleteRound(ROUND)).isFalse();
    assertThat(spool.deleteAll()).containsExactly("round-" + (ROUND + 1));
    assertThat(spool.roundDirectory(ROUND + 1)).doesNotExist();
  }

  @Test
  void receive_invalidSiloId_isRefusedSoItCannotNameAnotherPath() {
    assertThatThrownBy(() -> spool.receive(ROUND, "../journal", BITS, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a valid silo id: ../journal");
  }

  @Test
  void write_directByteBuffers_areSpooledLikeArrays() throws Exception {
    int[] words = randomWords(500, BITS, 20);
    byte[] frame = frame(ROUND, BITS, words);
    SpoolWriter writer = spool.receive(ROUND, "silo-1", BITS, words.length);
    for (int offset = 0; offset < frame.length; offset += 301) {
      int size = Math.min(301, frame.length - offset);
      ByteBuffer chunk = ByteBuffer.allocateDirect(size).order(ByteOrder.BIG_ENDIAN);
      chunk.put(frame, offset, size).flip();
      writer.write(chunk);
      assertThat(chunk.hasRemaining()).isFalse();
    }
    int[] sum = new int[words.length];

    writer.finish().addTo(sum);

    assertThat(sum).isEqualTo(words);
  }

  @Test
  void finish_spoolFileAndRoundDirectory_areOwnerOnly() throws Exception {
    SpooledVector vector = spoolWhole("silo-1", randomWords(10, BITS, 21), 100);
    assumeTrue(FileDurability.isPosix(vector.path()), "POSIX file system");

    assertThat(Files.getPosixFilePermissions(vector.path()))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(spool.roundDirectory(ROUND)))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }
}
