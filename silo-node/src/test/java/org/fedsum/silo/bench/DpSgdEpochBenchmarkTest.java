package org.fedsum.silo.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the DP-SGD benchmark's entry point on a tiny generated Fashion-MNIST look-alike. */
class DpSgdEpochBenchmarkTest {
  @TempDir Path directory;

  @Test
  void run_tinyIdxFiles_timesBothSidesForBothModels() throws Exception {
    int count = 96;
    ByteBuffer images = ByteBuffer.allocate(16 + count * 784);
    images.putInt(0x803).putInt(count).putInt(28).putInt(28);
    for (int i = 0; i < count * 784; i++) {
      images.put((byte) (i * 31));
    }
    ByteBuffer labels = ByteBuffer.allocate(8 + count);
    labels.putInt(0x801).putInt(count);
    for (int i = 0; i < count; i++) {
      labels.put((byte) (i % 10));
    }
    Path imageFile = Files.write(directory.resolve("images"), images.array());
    Path labelFile = Files.write(directory.resolve("labels"), labels.array());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    List<DpSgdEpochBenchmark.Result> results =
        DpSgdEpochBenchmark.run(
            imageFile, labelFile, 80, 1, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertThat(results)
        .extracting(DpSgdEpochBenchmark.Result::model)
        .containsExactly("SMALL_CNN", "MLP 784-200-200-10");
    for (DpSgdEpochBenchmark.Result result : results) {
      assertThat(result.examples()).isEqualTo(80);
      // q = 64/80: ceil(80/64) = 2 steps.
      assertThat(result.dpSgdSteps()).isEqualTo(2);
      assertThat(result.dpSgdMinimumSeconds()).isPositive();
      assertThat(result.plainMinimumSeconds()).isPositive();
    }
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("80 examples").contains("ratio");
  }
}
