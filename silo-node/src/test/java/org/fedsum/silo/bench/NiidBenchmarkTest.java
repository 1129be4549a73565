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
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.fedsum.silo.data.Partitioner;
import org.fedsum.silo.training.LocalModel;
import org.fedsum.silo.training.ModelSpec;
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

  @Test
  void exportSetup_writesThePartitionAndInitialModelTheArmsUse() throws Exception {
    Path export = directory.resolve("export");

    NiidBenchmark.exportSetup(data, SILOS, 0.5, 7, export);

    List<String> silos = Files.readAllLines(export.resolve("partition.txt"));
    assertThat(silos).hasSize(SILOS);
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    int[] sizes = new int[SILOS];
    for (int silo = 0; silo < SILOS; silo++) {
      for (String index : silos.get(silo).split(" ")) {
        assertThat(seen.add(Integer.parseInt(index)))
            .as("example %s assigned once", index)
            .isTrue();
        sizes[silo]++;
      }
    }
    assertThat(seen).hasSize(200).allMatch(index -> index >= 0 && index < 200);
    LabeledDataset train =
        IdxDatasetLoader.fashionMnist()
            .load(
                data.resolve("train-images-idx3-ubyte.gz"),
                data.resolve("train-labels-idx1-ubyte.gz"));
    assertThat(sizes).isEqualTo(Partitioner.dirichletLabelSkew(train, SILOS, 0.5, 7).sizes());

    // Both arms start from the model that LocalModel.create draws from the seed.
    ByteBuffer bytes =
        ByteBuffer.wrap(Files.readAllBytes(export.resolve("initial-model.f32")))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] initial = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(initial);
    try (LocalModel model = LocalModel.create(ModelSpec.smallCnn(new int[] {1, 28, 28}, 10), 7)) {
      assertThat(initial).isEqualTo(model.parameters());
    }
    List<String> layout = Files.readAllLines(export.resolve("layout.tsv"));
    assertThat(layout.get(0)).isEqualTo("name\tshape\toffset\tsize");
    assertThat(layout).hasSize(11);
    assertThat(layout.get(1)).endsWith("\t6,1,5,5\t0\t150");
    String[] last = layout.get(10).split("\t");
    assertThat(Integer.parseInt(last[2]) + Integer.parseInt(last[3])).isEqualTo(initial.length);
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
