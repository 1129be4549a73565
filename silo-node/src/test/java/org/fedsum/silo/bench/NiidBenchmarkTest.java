package org.fedsum.silo.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NIID-Bench harness on a tiny generated Fashion-MNIST look-alike: both arms run, the secure
 * arm sums through a real secure-aggregation round, and a stopped run resumes where it stopped.
 */
class NiidBenchmarkTest {
  private static final int SILOS = 5;

  @TempDir Path directory;
  private Path data;

  @BeforeEach
  void writeDataset() throws IOException {
    data = Files.createDirectories(directory.resolve("data"));
    writeIdx("train", 200, 1);
    writeIdx("t10k", 60, 2);
  }

  @Test
  void secureAndPlainArms_sameStart_endCloseTogether() throws Exception {
    Path state = directory.resolve("state");

    double secure = NiidBenchmark.run(settings("secure", state, 2), quiet());
    double plain = NiidBenchmark.run(settings("plain", state, 2), quiet());

    float[] secureModel = model(state.resolve("secure"));
    float[] plainModel = model(state.resolve("plain"));
    assertThat(secureModel).hasSameSizeAs(plainModel);
    double largestDifference = 0;
    for (int i = 0; i < secureModel.length; i++) {
      largestDifference =
          Math.max(largestDifference, Math.abs(secureModel[i] - (double) plainModel[i]));
    }
    // The b = 32 encoding rounds each coordinate to a grid far finer than training moves it.
    assertThat(largestDifference).isLessThan(1e-3);
    assertThat(secure).isCloseTo(plain, within(0.05));
    List<String> curve = Files.readAllLines(state.resolve("secure").resolve("curve.tsv"));
    assertThat(curve).hasSize(3);
    assertThat(curve.get(2)).startsWith("2\t").endsWith("\t0");
  }

  @Test
  void stoppedRun_resumesAfterItsLastRound() throws Exception {
    Path state = directory.resolve("state");
    NiidBenchmark.run(settings("plain", state, 1), quiet());
    float[] afterOne = model(state.resolve("plain"));

    java.io.ByteArrayOutputStream output = new java.io.ByteArrayOutputStream();
    NiidBenchmark.run(
        settings("plain", state, 2), new PrintStream(output, true, StandardCharsets.UTF_8));

    assertThat(output.toString(StandardCharsets.UTF_8)).contains("resuming plain after round 1");
    assertThat(output.toString(StandardCharsets.UTF_8))
        .containsPattern("plain: last round [0-9.]+ %, best round [12] at [0-9.]+ %");
    List<String> curve = Files.readAllLines(state.resolve("plain").resolve("curve.tsv"));
    assertThat(curve).hasSize(3);
    assertThat(curve.get(1)).startsWith("1\t");
    assertThat(curve.get(2)).startsWith("2\t");
    assertThat(model(state.resolve("plain"))).isNotEqualTo(afterOne);

    // The same two rounds in one go give the same model: resuming loses nothing.
    Path fresh = directory.resolve("fresh");
    NiidBenchmark.run(settings("plain", fresh, 2), quiet());
    assertThat(model(fresh.resolve("plain"))).isEqualTo(model(state.resolve("plain")));
  }

  private NiidBenchmark.Settings settings(String arm, Path state, int rounds) {
    return new NiidBenchmark.Settings(data, arm, state, rounds, 1, SILOS, 0.5, 7);
  }

  private static PrintStream quiet() {
    return new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
  }

  private static float[] model(Path armState) throws IOException {
    ByteBuffer bytes =
        ByteBuffer.wrap(Files.readAllBytes(armState.resolve("global-model.f32")))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.getInt();
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  /** Images whose brightness depends on the label, so that a few steps learn something. */
  private void writeIdx(String prefix, int count, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    ByteBuffer images = ByteBuffer.allocate(16 + count * 784);
    images.putInt(0x803).putInt(count).putInt(28).putInt(28);
    ByteBuffer labels = ByteBuffer.allocate(8 + count);
    labels.putInt(0x801).putInt(count);
    for (int i = 0; i < count; i++) {
      int label = random.nextInt(10);
      labels.put((byte) label);
      for (int pixel = 0; pixel < 784; pixel++) {
        images.put((byte) (pixel % 10 == label ? 200 : random.nextInt(40)));
      }
    }
    gzip(data.resolve(prefix + "-images-idx3-ubyte.gz"), images.array());
    gzip(data.resolve(prefix + "-labels-idx1-ubyte.gz"), labels.array());
  }

  private static void gzip(Path file, byte[] content) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(content);
    }
  }
}
