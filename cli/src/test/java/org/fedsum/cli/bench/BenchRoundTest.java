package org.fedsum.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fedsum.cli.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code fedsum bench round} and {@code bench scaling}: small rounds over real mutual TLS on
 * 127.0.0.1 (the aggregator service, the silo client, certificates from a CA made for the run),
 * their JSON and chart, and refused options.
 */
class BenchRoundTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path directory;

  @Test
  void round_threeSilos_writesTheIssuesKeysWithSaneValues() throws Exception {
    Path json = directory.resolve("round.json");
    Path work = Files.createDirectory(directory.resolve("work"));

    Run run =
        Run.fedsum(
            "bench",
            "round",
            "--silos",
            "3",
            "--params",
            "1000",
            "--rounds",
            "1",
            "--warm-up-rounds",
            "1",
            "--work-directory",
            work.toString(),
            "--json",
            json.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("check: every secure round's unmasked sum equals the plain sum")
        .contains("aggregator GC log:");
    JsonNode figures = JSON.readTree(json.toFile());
    double secure = figures.path("secure_ms").asDouble();
    double plain = figures.path("plain_ms").asDouble();
    assertThat(secure).isPositive();
    assertThat(plain).isPositive();
    assertThat(figures.path("ratio").asDouble())
        .isPositive()
        .isCloseTo(secure / plain, within(1e-9));
    long bytes = figures.path("bytes_per_silo").asLong();
    // The vector alone is 4m = 4000 bytes; TLS, HTTP/2 and the protocol's messages come on top.
    assertThat(bytes).isGreaterThan(4000);
    assertThat(figures.path("bytes_ratio").asDouble())
        .isGreaterThan(1)
        .isCloseTo(bytes / 4000.0, within(1e-9));
    assertThat(figures.path("plain_bytes_per_silo").asLong()).isGreaterThan(4000).isLessThan(bytes);
    long peakHeap = figures.path("peak_heap_bytes").asLong();
    assertThat(peakHeap).isPositive().isLessThanOrEqualTo(figures.path("heap_xmx_bytes").asLong());
    assertThat(figures.path("heap_collections").asInt()).isPositive();
    assertThat(figures.path("sums_equal").asBoolean()).isTrue();
    assertThat(figures.path("stage_ms").has("MASKED_INPUT")).isTrue();
    assertThat(figures.path("silos").asInt()).isEqualTo(3);
    assertThat(figures.path("params").asInt()).isEqualTo(1000);
    assertThat(figures.path("cpus").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
    // The data directories and the aggregator's GC log are gone.
    try (Stream<Path> left = Files.list(work)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void round_noTransport_measuresTheHeapAloneWithTheRunsOwnEncoding() throws Exception {
    Path json = directory.resolve("heap-only.json");
    Path work = Files.createDirectory(directory.resolve("work"));

    Run run =
        Run.fedsum(
            "bench",
            "round",
            "--silos",
            "3",
            "--params",
            "1000",
            "--no-transport",
            "--work-directory",
            work.toString(),
            "--json",
            json.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("aggregator GC log:").doesNotContain("check: every secure");
    JsonNode figures = JSON.readTree(json.toFile());
    assertThat(figures.path("secure_ms").isNull()).isTrue();
    assertThat(figures.path("ratio").isNull()).isTrue();
    assertThat(figures.path("peak_heap_bytes").asLong())
        .isPositive()
        .isLessThanOrEqualTo(figures.path("heap_xmx_bytes").asLong());
  }

  @Test
  void round_16Bits_packsTheVectorToHalfAndReportsTheDecodeError() throws Exception {
    Path json16 = directory.resolve("bits16.json");
    Path json32 = directory.resolve("bits32.json");
    int m = 20_000;

    for (int bits : new int[] {16, 32}) {
      Run run =
          Run.fedsum(
              "bench",
              "round",
              "--silos",
              "3",
              "--params",
              Integer.toString(m),
              "--bits",
              Integer.toString(bits),
              "--rounds",
              "1",
              "--warm-up-rounds",
              "0",
              "--no-heap",
              "--work-directory",
              directory.toString(),
              "--json",
              (bits == 16 ? json16 : json32).toString());
      assertThat(run.exitCode()).as(run.err()).isZero();
      assertThat(run.out()).contains("decode error at b = " + bits);
    }

    JsonNode at16 = JSON.readTree(json16.toFile());
    JsonNode at32 = JSON.readTree(json32.toFile());
    assertThat(at16.path("bits").asInt()).isEqualTo(16);
    assertThat(at16.path("sums_equal").asBoolean()).isTrue();
    // The frame: 52 header bytes and 2 bytes a word (the rotation pads m = 20000 to 20224).
    assertThat(at16.path("frame_bytes").asLong()).isEqualTo(52 + 2L * 20_224);
    assertThat(at32.path("frame_bytes").asLong()).isEqualTo(52 + 4L * 20_224);
    // On the wire, TLS, HTTP/2 and the protocol's messages come on top of the frame; at b = 16
    // the silo sends about half of what it sends at b = 32.
    long bytes16 = at16.path("bytes_per_silo").asLong();
    long bytes32 = at32.path("bytes_per_silo").asLong();
    assertThat(bytes16).isGreaterThan(at16.path("frame_bytes").asLong());
    assertThat(bytes32 - bytes16).isBetween(2L * 20_224 - 2_000, 2L * 20_224 + 2_000);
    assertThat(at16.path("bytes_ratio").asDouble())
        .isLessThan(0.75)
        .isCloseTo(bytes16 / (4.0 * m), within(1e-9));
    assertThat(at16.path("plain_bytes_ratio").asDouble()).isLessThan(0.6);
    // Updates of ±0.001 a coordinate, clip norm 10: the b = 16 grid is coarse against them, the
    // b = 32 one 2^16 times finer.
    double error16 = at16.path("decode_max_abs_error").asDouble();
    double error32 = at32.path("decode_max_abs_error").asDouble();
    assertThat(error32).isPositive().isLessThan(1e-6);
    assertThat(error16).isGreaterThan(100 * error32);
    assertThat(at16.path("decode_rms_error").asDouble()).isPositive().isLessThan(error16);
    // γ is the grid step: 2^16 times coarser at b = 16.
    assertThat(at16.path("gamma").asDouble()).isGreaterThan(1000 * at32.path("gamma").asDouble());
  }

  @ParameterizedTest
  @ValueSource(strings = {"MASKED_INPUT", "CONSISTENCY_CHECK"})
  void round_oneOfFourSilosDropsOut_stageClosesAfterItsGraceNotItsDeadline(String stage)
      throws Exception {
    Path json = directory.resolve("dropout.json");

    Run run =
        Run.fedsum(
            "bench",
            "round",
            "--silos",
            "4",
            "--params",
            "1000",
            "--rounds",
            "1",
            "--warm-up-rounds",
            "0",
            "--dropouts",
            "1",
            "--dropout-stage",
            stage,
            "--dropout-deadline-ms",
            "30000",
            "--grace-min-ms",
            "400",
            "--grace-factor",
            "0.5",
            "--no-heap",
            "--work-directory",
            directory.toString(),
            "--json",
            json.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode figures = JSON.readTree(json.toFile());
    assertThat(figures.path("dropouts").asInt()).isEqualTo(1);
    assertThat(figures.path("dropout_stage").asText()).isEqualTo(stage);
    assertThat(figures.path("sums_equal").asBoolean()).isTrue();
    // The stage with the silent silo closed after its grace, not when everyone had answered, and
    // long before its 30 s deadline.
    assertThat(figures.path("grace_min_ms").asLong()).isEqualTo(400);
    assertThat(figures.path("secure_ms").asDouble()).isGreaterThanOrEqualTo(400);
    assertThat(figures.path("stage_ms").path(stage).asDouble()).isBetween(350.0, 15_000.0);
    double without = figures.path("secure_without_dropouts_ms").asDouble();
    assertThat(without).isPositive();
    assertThat(figures.path("dropout_ratio").asDouble())
        .isCloseTo(figures.path("secure_ms").asDouble() / without, within(1e-9));
    assertThat(run.out()).contains("secure, all in");
    assertThat(figures.path("peak_heap_bytes").isNull()).isTrue();
    assertThat(figures.path("bytes_ratio").asDouble()).isGreaterThan(1);
  }

  @Test
  void round_badOptions_eachRefusedByNameBeforeAnythingRuns() {
    assertRefused(new String[] {"--silos", "2"}, "--silos 2", "at least 3 silos");
    assertRefused(new String[] {"--params", "0"}, "--params 0", "at least 1 parameter");
    assertRefused(new String[] {"--bits", "7"}, "--bits 7", "must be 8 to 32");
    assertRefused(new String[] {"--bits", "33"}, "--bits 33", "must be 8 to 32");
    assertRefused(
        new String[] {"--dropouts", "1", "--dropout-stage", "LUNCH"},
        "--dropout-stage LUNCH: unknown stage",
        "MASKED_INPUT");
    assertRefused(new String[] {"--silos", "3", "--dropouts", "1"}, "--dropouts 1", "threshold 3");
    assertRefused(
        new String[] {"--json", directory.resolve("no-such-folder").resolve("r.json").toString()},
        "--json",
        "does not exist");
    assertRefused(new String[] {"--json", directory.toString()}, "--json", "is a folder");
    assertRefused(new String[] {"--grace-min-ms", "-1"}, "--grace-min-ms -1", "at least 0");
    assertRefused(new String[] {"--grace-factor", "-0.5"}, "--grace-factor -0.5", "between 0");
    assertRefused(
        new String[] {"--no-transport", "--no-heap"},
        "--no-transport with --no-heap",
        "nothing to run");
  }

  private static void assertRefused(String[] options, String... messageParts) {
    String[] args = new String[options.length + 2];
    args[0] = "bench";
    args[1] = "round";
    System.arraycopy(options, 0, args, 2, options.length);

    Run run = Run.fedsum(args);

    assertThat(run.exitCode()).as(String.join(" ", options)).isEqualTo(2);
    assertThat(run.err()).contains(messageParts);
    assertThat(run.out()).doesNotContain("# bench round");
  }

  @Test
  void scaling_twoModelSizes_writesTwoPointsAndAChartWithLines() throws Exception {
    Path json = directory.resolve("scaling.json");

    Run run =
        Run.fedsum(
            "bench",
            "scaling",
            "--silos",
            "3",
            "--params",
            "1000,10000",
            "--warm-up-rounds",
            "0",
            "--work-directory",
            directory.toString(),
            "--json",
            json.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode figures = JSON.readTree(json.toFile());
    JsonNode points = figures.path("points");
    assertThat(points).hasSize(2);
    assertThat(points.get(0).path("params").asInt()).isEqualTo(1000);
    assertThat(points.get(1).path("params").asInt()).isEqualTo(10000);
    for (JsonNode point : points) {
      assertThat(point.path("silos").asInt()).isEqualTo(3);
      assertThat(point.path("secure_ms").asDouble()).isPositive();
      assertThat(point.path("plain_ms").asDouble()).isPositive();
      assertThat(point.path("bytes_ratio").asDouble()).isGreaterThan(1);
    }
    Path png = directory.resolve("scaling.png");
    assertThat(figures.path("chart").asText()).isEqualTo(png.toString());
    assertThat(Files.size(png)).isPositive();
    BufferedImage image = ImageIO.read(png.toFile());
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertThat(colours).hasSizeGreaterThan(2);
    // The secure line's colour is drawn.
    assertThat(colours).contains(LineChart.color(0).getRGB());
  }

  @Test
  void scaling_pointsTooLargeForTheHeap_skippedWithTheReasonAndNoChart() throws Exception {
    Path json = directory.resolve("too-large.json");

    Run run =
        Run.fedsum(
            "bench",
            "scaling",
            "--silos",
            "100",
            "--params",
            "100000000",
            "--json",
            json.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("no point of the grid finished");
    JsonNode point = JSON.readTree(json.toFile()).path("points").get(0);
    assertThat(point.path("skipped").asText()).contains("MiB of heap").contains("-Xmx");
    assertThat(point.has("secure_ms")).isFalse();
    assertThat(Files.exists(directory.resolve("too-large.png"))).isFalse();
  }
}
