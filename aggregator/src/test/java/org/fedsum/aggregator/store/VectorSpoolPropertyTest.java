package org.fedsum.aggregator.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.codec.VectorFrame;

class VectorSpoolPropertyTest {
  private Path directory;
  private VectorSpool spool;

  @BeforeProperty
  void createSpool() throws Exception {
    directory = Files.createTempDirectory("spool-property");
    spool = VectorSpool.open(directory.resolve(VectorSpool.DIRECTORY_NAME));
  }

  @AfterProperty
  void deleteSpool() throws Exception {
    FileDurability.deleteRecursively(directory);
  }

  @Property(tries = 60)
  void anySplitIntoChunks_spoolsTheSameWordsAndSumsThemModulo2To32(
      @ForAll @IntRange(min = 1, max = 32) int bits,
      @ForAll @IntRange(min = 1, max = 400) int length,
      @ForAll long seed,
      @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 200) Integer> chunkSizes)
      throws Exception {
    int[] first = VectorSpoolTest.randomWords(length, bits, seed);
    int[] second = VectorSpoolTest.randomWords(length, bits, seed + 1);
    int[] sizes = chunkSizes.stream().mapToInt(Integer::intValue).toArray();
    int[] sum = new int[length];

    long round = seed & 0xFFFF;
    int[][] inputs = {first, second};
    for (int s = 0; s < inputs.length; s++) {
      SpoolWriter writer = spool.receive(round, "silo-" + s, bits, length);
      VectorSpoolTest.feed(writer, VectorSpoolTest.frame(round, bits, inputs[s]), sizes);
      writer.finish().addTo(sum);
    }

    for (int i = 0; i < length; i++) {
      assertThat(sum[i]).isEqualTo(first[i] + second[i]);
    }
    spool.deleteRound(round);
  }

  @Property(tries = 60)
  void anyFlippedBodyBit_isRefusedAndLeavesNoFile(
      @ForAll @IntRange(min = 1, max = 32) int bits,
      @ForAll @IntRange(min = 1, max = 200) int length,
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
      @ForAll @IntRange(min = 0, max = 7) int bit,
      @ForAll @IntRange(min = 1, max = 100) int chunkSize)
      throws Exception {
    // A flipped bit of a word fails the SHA-256; one of the padding, the padding check.
    byte[] frame = VectorSpoolTest.frame(1, bits, VectorSpoolTest.randomWords(length, bits, seed));
    int flipped = VectorFrame.HEADER_BYTES + position % (frame.length - VectorFrame.HEADER_BYTES);
    frame[flipped] ^= (byte) (1 << bit);
    SpoolWriter writer = spool.receive(1, "silo-1", bits, length);

    boolean refused = false;
    try {
      VectorSpoolTest.feed(writer, frame, chunkSize);
      writer.finish();
    } catch (ProtocolException e) {
      refused = true;
    }

    assertThat(refused).isTrue();
    assertThat(spool.roundDirectory(1).resolve("silo-1.vec")).doesNotExist();
  }
}
