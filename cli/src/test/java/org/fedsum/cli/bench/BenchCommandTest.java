package org.fedsum.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.fedsum.cli.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedsum bench}: short runs of each benchmark, their JSON, and refused options. */
class BenchCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path directory;

  @Test
  void prg_shortRun_printsTableAndWritesTheIssuesKeysWithTheirRatio() throws Exception {
    Path json = directory.resolve("prg.json");

    Run run =
        Run.fedsum(
            "bench",
            "prg",
            "--repetitions",
            "1",
            "--sample-seconds",
            "0.1",
            "--warmup-seconds",
            "0.1",
            "--openssl-seconds",
            "1",
            "--json",
            json.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("openssl aes-256-ctr").contains("ratio=");
    JsonNode figures = JSON.readTree(json.toFile());
    double prg = figures.path("prg_bytes_per_s").asDouble();
    double openssl = figures.path("openssl_bytes_per_s").asDouble();
    assertThat(prg).isPositive();
    assertThat(openssl).isPositive();
    assertThat(figures.path("ratio").asDouble()).isCloseTo(prg / openssl, within(1e-9));
    boolean goalMet =
        figures.path("ratio").asDouble() >= 0.5 && figures.path("cpu_ratio").asDouble() >= 0.5;
    assertThat(figures.path("goal_met").asBoolean()).isEqualTo(goalMet);
    assertThat(figures.path("cpus").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(figures.path("loadavg_at_start").asText()).isNotBlank();
    assertThat(Files.list(directory)).containsExactly(json);
  }

  @Test
  void prg_unknownImplementation_refusedWithTheKnownOnes() {
    Run run = Run.fedsum("bench", "prg", "--implementations", "rot13");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("unknown implementation rot13").contains("jdk-aes-ctr");
  }

  @Test
  void jsonIntoAMissingFolder_refusedBeforeAnythingRuns() {
    Path json = directory.resolve("no-such-folder").resolve("prg.json");

    Run run = Run.fedsum("bench", "prg", "--json", json.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--json").contains("does not exist");
    assertThat(run.out()).doesNotContain("openssl");
  }

  @Test
  void paper_smallGrid_rowsWrittenAndNoSpeedupWithoutThePapersSetting() throws Exception {
    Path json = directory.resolve("paper.json");

    Run run =
        Run.fedsum(
            "bench",
            "paper",
            "--clients",
            "12",
            "--params",
            "1000",
            "--dropouts",
            "0,25",
            "--json",
            json.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode figures = JSON.readTree(json.toFile());
    JsonNode rows = figures.path("rows");
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).path("clients").asInt()).isEqualTo(12);
    assertThat(rows.get(1).path("dropout_percent").asInt()).isEqualTo(25);
    assertThat(rows.get(1).path("unmask_s").asDouble())
        .isPositive()
        .isLessThanOrEqualTo(rows.get(1).path("server_s").asDouble());
    // The paper's figures are for n = 500; no ratio is made up for other settings.
    assertThat(figures.has("client_speedup")).isFalse();
    assertThat(figures.path("goal_met").asBoolean()).isFalse();
    assertThat(run.out()).contains("goal_met=false");
  }

  @Test
  void paper_dropoutsLeavingFewerThanTheThreshold_refused() {
    Run run = Run.fedsum("bench", "paper", "--clients", "10", "--dropouts", "40");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("n = 10").contains("threshold");
  }

  @Test
  void noBenchmarkName_refused() {
    Run run = Run.fedsum("bench");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("a benchmark name is needed");
  }

  @Test
  void train_missingDataset_namesTheFile() {
    Run run = Run.fedsum("bench", "train", "--data", directory.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("train-images-idx3-ubyte.gz").contains("is missing");
  }

  @Test
  void train_tinyDataset_timesBothSidesAndWritesTheRatios() throws Exception {
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
    gzip(directory.resolve("train-images-idx3-ubyte.gz"), images.array());
    gzip(directory.resolve("train-labels-idx1-ubyte.gz"), labels.array());
    Path json = directory.resolve("train.json");

    Run run =
        Run.fedsum(
            "bench",
            "train",
            "--data",
            directory.toString(),
            "--examples",
            "80",
            "--repeats",
            "1",
            "--json",
            json.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("80 examples, batch 64").contains("goal_met=");
    JsonNode figures = JSON.readTree(json.toFile());
    assertThat(figures.path("models")).hasSize(2);
    boolean allWithinGoal = true;
    for (JsonNode model : figures.path("models")) {
      assertThat(model.path("examples").asInt()).isEqualTo(80);
      double ratio = model.path("ratio").asDouble();
      assertThat(ratio)
          .isCloseTo(
              model.path("fedsum_median_s").asDouble() / model.path("djl_median_s").asDouble(),
              within(1e-9));
      allWithinGoal &= ratio <= 1.10;
    }
    assertThat(figures.path("goal_met").asBoolean()).isEqualTo(allWithinGoal);
  }

  private static void gzip(Path file, byte[] content) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(content);
    }
  }
}
