package org.fedsum.aggregator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CheckpointStoreTest {
  @TempDir Path directory;

  private CheckpointStore store(int keep) throws Exception {
    return CheckpointStore.open(directory.resolve(CheckpointStore.DIRECTORY_NAME), keep);
  }

  private static float[] randomFloats(int dimension, long seed) {
    Random random = new Random(seed);
    float[] values = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      // Every bit pattern, not just "nice" floats: the round trip must be bit for bit.
      values[i] = Float.intBitsToFloat(random.nextInt());
      if (Float.isNaN(values[i])) {
        values[i] = -0.0f;
      }
    }
    return values;
  }

  private static Checkpoint checkpoint(long round, int dimension, int stateVectors) {
    List<float[]> state = new ArrayList<>();
    for (int i = 0; i < stateVectors; i++) {
      state.add(randomFloats(dimension, 1000 * round + i + 1));
    }
    return Checkpoint.of(round, randomFloats(dimension, 1000 * round), state);
  }

  private static void assertSameContent(Checkpoint actual, Checkpoint expected) {
    assertThat(actual.round()).isEqualTo(expected.round());
    assertThat(actual.dimension()).isEqualTo(expected.dimension());
    assertThat(bits(actual.model())).isEqualTo(bits(expected.model()));
    assertThat(actual.optimizerState()).hasSameSizeAs(expected.optimizerState());
    for (int i = 0; i < expected.optimizerState().size(); i++) {
      assertThat(bits(actual.optimizerState().get(i)))
          .isEqualTo(bits(expected.optimizerState().get(i)));
    }
  }

  private static int[] bits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  @Test
  void write_thenLatest_returnsTheCheckpointBitForBit() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    // More than one 16384-value chunk per vector, and not a multiple of it.
    Checkpoint written = checkpoint(7, 40_000, 2);

    Path path = store.write(written);

    assertThat(path.getFileName().toString()).isEqualTo("round-7.bin");
    assertThat(Files.size(path)).isEqualTo(52 + 4L * 3 * 40_000);
    CheckpointStore.Latest latest = store.latest();
    assertThat(latest.warnings()).isEmpty();
    assertSameContent(latest.checkpoint().orElseThrow(), written);
    assertSameContent(store.load(7), written);
  }

  @Test
  void write_modelOnly_roundTrips() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    Checkpoint written = checkpoint(0, 1, 0);

    store.write(written);

    assertSameContent(store.latest().checkpoint().orElseThrow(), written);
  }

  @Test
  void latest_emptyStore_hasNoCheckpoint() throws Exception {
    CheckpointStore.Latest latest = store(3).latest();

    assertThat(latest.checkpoint()).isEmpty();
    assertThat(latest.warnings()).isEmpty();
  }

  @Test
  void latest_severalRounds_isTheHighestRound() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    for (long round : new long[] {1, 2, 10, 3}) {
      store.write(checkpoint(round, 10, 1));
      if (round == 10) {
        // Round 3 is written after 10 below, which deletes 10: here 10 is the latest.
        assertThat(store.latest().checkpoint().orElseThrow().round()).isEqualTo(10);
      }
    }

    assertThat(store.latest().checkpoint().orElseThrow().round()).isEqualTo(3);
  }

  @Test
  void write_aRound_deletesLaterRoundsLeftByAnAbandonedAttempt() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    store.write(checkpoint(4, 10, 0));
    store.write(checkpoint(5, 10, 0));
    store.write(checkpoint(6, 10, 0));

    Checkpoint again = checkpoint(5, 10, 1);
    store.write(again);

    assertThat(store.rounds()).containsExactly(4L, 5L);
    assertSameContent(store.latest().checkpoint().orElseThrow(), again);
  }

  @Test
  void write_keepsOnlyTheNewestK() throws Exception {
    CheckpointStore store = store(3);
    for (long round = 1; round <= 7; round++) {
      store.write(checkpoint(round, 5, 0));
    }

    assertThat(store.rounds()).containsExactly(5L, 6L, 7L);
    try (Stream<Path> files = Files.list(store.directory())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("round-5.bin", "round-6.bin", "round-7.bin");
    }
  }

  static Stream<Arguments> corruptions() {
    return Stream.of(
        Arguments.of("magic", 0),
        Arguments.of("version", 4),
        Arguments.of("value type", 5),
        Arguments.of("vector count", 6),
        Arguments.of("round", 8),
        Arguments.of("dimension", 16),
        Arguments.of("hash", 20),
        Arguments.of("first payload byte", 52),
        Arguments.of("a payload byte in the optimizer state", 52 + 4 * 150 + 3),
        Arguments.of("last payload byte", 52 + 4 * 200 - 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptions")
  void latest_newestHasAFlippedByte_fallsBackToThePreviousWithAWarning(String where, int offset)
      throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    Checkpoint previous = checkpoint(1, 100, 1);
    store.write(previous);
    Path newest = store.write(checkpoint(2, 100, 1));
    byte[] bytes = Files.readAllBytes(newest);
    bytes[offset] ^= 0x01;
    Files.write(newest, bytes);

    CheckpointStore.Latest latest = store.latest();

    assertSameContent(latest.checkpoint().orElseThrow(), previous);
    assertThat(latest.warnings()).singleElement().asString().contains(newest.toString());
    assertThatThrownBy(() -> store.load(2)).isInstanceOf(CorruptCheckpointException.class);
  }

  @Test
  void latest_newestCutShort_fallsBackToThePrevious() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    Checkpoint previous = checkpoint(1, 100, 0);
    store.write(previous);
    Path newest = store.write(checkpoint(2, 100, 0));
    byte[] bytes = Files.readAllBytes(newest);
    Files.write(newest, Arrays.copyOf(bytes, bytes.length - 1));

    CheckpointStore.Latest latest = store.latest();

    assertSameContent(latest.checkpoint().orElseThrow(), previous);
    assertThat(latest.warnings()).singleElement().asString().contains("promises");
  }

  @Test
  void load_headerDeclaringAHugeModel_isRefusedBeforeAllocating() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    Path path = store.write(checkpoint(3, 10, 0));
    byte[] bytes = Files.readAllBytes(path);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(6, (short) 0xFFFF);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(16, Integer.MAX_VALUE);
    Files.write(path, bytes);

    assertThatThrownBy(() -> store.load(3))
        .isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("promises");
  }

  @Test
  void latest_everyCheckpointCorrupt_hasNoneAndOneWarningEach() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    for (long round = 1; round <= 2; round++) {
      Path path = store.write(checkpoint(round, 10, 0));
      byte[] bytes = Files.readAllBytes(path);
      bytes[60] ^= (byte) 0x80;
      Files.write(path, bytes);
    }

    CheckpointStore.Latest latest = store.latest();

    assertThat(latest.checkpoint()).isEmpty();
    assertThat(latest.warnings()).hasSize(2);
    assertThat(latest.warnings().get(0)).contains("round-2.bin");
  }

  @Test
  void latest_leftoverTemporaryFileOfANewerRound_isIgnoredAndDeletedOnRequest() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    Checkpoint written = checkpoint(1, 50, 0);
    Path path = store.write(written);
    // What a crash between writing the temporary file and renaming it leaves: a complete, valid
    // file of round 2 under a temporary name, and a half-written one.
    Path complete = store.directory().resolve(".round-2.bin.123456.tmp");
    Files.copy(path, complete);
    Path partial = store.directory().resolve(".round-2.bin.654321.tmp");
    Files.write(partial, new byte[10]);

    assertSameContent(store.latest().checkpoint().orElseThrow(), written);
    assertThat(store.rounds()).containsExactly(1L);

    assertThat(store.deleteTemporaryFiles())
        .containsExactly(".round-2.bin.123456.tmp", ".round-2.bin.654321.tmp");
    assertThat(complete).doesNotExist();
    assertThat(partial).doesNotExist();
  }

  @Test
  void write_leavesNoTemporaryFileAndIsOwnerOnly() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);
    Path path = store.write(checkpoint(1, 10, 0));

    try (Stream<Path> files = Files.list(store.directory())) {
      assertThat(files).containsExactly(path);
    }
    assumeTrue(FileDurability.isPosix(path), "POSIX file system");
    assertThat(Files.getPosixFilePermissions(path))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(store.directory()))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void load_missingRound_throwsNoSuchFile() throws Exception {
    CheckpointStore store = store(CheckpointStore.DEFAULT_KEEP);

    assertThatThrownBy(() -> store.load(9)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void open_keepBelowOne_isRefused() {
    assertThatThrownBy(() -> store(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("must keep at least 1 checkpoint, not 0");
  }

  @Test
  void checkpointOf_invalidParts_areRefusedNamingTheValue() {
    assertThatThrownBy(() -> Checkpoint.of(-1, new float[1], List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("round must not be negative, not -1");
    assertThatThrownBy(() -> Checkpoint.of(1, new float[0], List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a model checkpoint needs at least one parameter, not 0");
    assertThatThrownBy(() -> Checkpoint.of(1, new float[3], List.of(new float[3], new float[2])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("optimizer-state vector 1 has 2 values, the model has 3");
  }
}
