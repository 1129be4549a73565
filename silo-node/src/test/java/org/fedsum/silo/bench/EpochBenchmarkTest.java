package org.fedsum.silo.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the benchmark's entry point on a tiny generated Fashion-MNIST look-alike. */
class EpochBenchmarkTest {
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
    StringWriter text = new StringWriter();

    List<EpochBenchmark.Result> results =
        EpochBenchmark.run(imageFile, labelFile, 80, 1, new PrintWriter(text, true));

    assertThat(results)
        .extracting(EpochBenchmark.Result::model)
        .containsExactly("SMALL_CNN", "MLP 784-200-200-10");
    for (EpochBenchmark.Result result : results) {
      assertThat(result.examples()).isEqualTo(80);
      assertThat(result.fedSumMinimumSeconds()).isPositive();
      assertThat(result.plainDjlMinimumSeconds()).isPositive();
    }
    assertThat(text.toString())
        .contains("80 examples, batch 64")
        .contains("fastest run")
        .contains("SMALL_CNN");
    Map<String, Object> figures = EpochBenchmark.figures(results);
    assertThat(figures).containsKeys("models", "goal", "goal_met");
    assertThat((List<?>) figures.get("models")).hasSize(2);
    boolean bothWithinGoal =
        results.stream().allMatch(r -> r.medianRatio() <= EpochBenchmark.MAX_OVERHEAD_RATIO);
    assertThat(figures.get("goal_met")).isEqualTo(bothWithinGoal);
  }
}
