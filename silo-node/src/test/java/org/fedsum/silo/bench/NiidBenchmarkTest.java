package org.fedsum.silo.bench;

import static java.util.stream.Collectors.joining;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;
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

    ByteArrayOutputStream output = new ByteArrayOutputStream();
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
    Set<Integer> seen = new HashSet<>();
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
            .order(ByteOrder.LITTLE_ENDIAN);
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

  @Test
  void partitionFile_trainsOnExactlyTheSilosItListsInItsOrder() throws Exception {
    // The partitioner's own silos, in its order (not sorted): a run on the file must then be the
    // run that draws them, round for round.
    var drawn = Partitioner.dirichletLabelSkew(train(), SILOS, 0.5, 7);
    StringBuilder lines = new StringBuilder();
    for (int silo = 0; silo < SILOS; silo++) {
      lines
          .append(
              Arrays.stream(drawn.indices(silo)).mapToObj(Integer::toString).collect(joining(" ")))
          .append('\n');
    }
    Path file = Files.writeString(directory.resolve("partition.txt"), lines);

    NiidBenchmark.run(settings("plain", directory.resolve("drawn"), 1), quiet());
    NiidBenchmark.run(
        new NiidBenchmark.Settings(
            data, "plain", directory.resolve("read"), 1, 1, SILOS, 0.5, 7, file, 0),
        quiet());

    assertThat(model(directory.resolve("read").resolve("plain")))
        .isEqualTo(model(directory.resolve("drawn").resolve("plain")));
    assertThat(Files.readString(directory.resolve("read").resolve("plain").resolve("setup.tsv")))
        .startsWith("partition\tthe 5 silos of a file with SHA-256 ")
        .contains("seed\t7");

    // A reordered file is another partition (silo k trains with shuffle seed k), so it trains
    // another model: the file's order is kept, not normalised.
    List<String> reversed = new ArrayList<>(Files.readAllLines(file));
    Collections.reverse(reversed);
    Path reversedFile = Files.write(directory.resolve("reversed.txt"), reversed);
    NiidBenchmark.run(
        new NiidBenchmark.Settings(
            data, "plain", directory.resolve("reversed"), 1, 1, SILOS, 0.5, 7, reversedFile, 0),
        quiet());
    assertThat(model(directory.resolve("reversed").resolve("plain")))
        .isNotEqualTo(model(directory.resolve("drawn").resolve("plain")));
  }

  @Test
  void partitionFile_thatDoesNotAssignEveryExampleOnce_isRefusedNamingLineAndExample()
      throws Exception {
    String all = IntStream.range(2, 200).mapToObj(Integer::toString).collect(joining(" "));
    Map<String, String> files =
        Map.of(
            "0 1\n" + all + " 7\n", "line 2: example 7 is already on line 2",
            "0 1 2\n" + all + "\n", "line 2: example 2 is already on line 1",
            "0 1\n" + all + " 200\n",
                "line 2: example 200 is out of range (the training set has 200)",
            "0 x1\n" + all + "\n", "line 1: 'x1' is not an example position",
            "0\n" + all + "\n", "example 1 is on no line; every example belongs to one silo",
            "0 1\n\n" + all + "\n", "line 2: a silo with no examples",
            "0 1 " + all + "\n", "1 line(s); a partition needs one line per silo, at least 2");
    Map<String, String> failures = new TreeMap<>();
    int fileNumber = 0;
    for (var entry : files.entrySet()) {
      Path file =
          Files.writeString(directory.resolve("bad-" + fileNumber++ + ".txt"), entry.getKey());
      Path state = directory.resolve("state-" + fileNumber);
      try {
        NiidBenchmark.run(
            new NiidBenchmark.Settings(data, "plain", state, 1, 1, SILOS, 0.5, 7, file, 0),
            quiet());
        failures.put(entry.getValue(), "accepted");
      } catch (IllegalArgumentException e) {
        if (!e.getMessage().equals(file + ": " + entry.getValue())
            && !e.getMessage().equals(file + " " + entry.getValue())) {
          failures.put(entry.getValue(), "refused with: " + e.getMessage());
        }
      }
      if (Files.exists(state.resolve("plain").resolve("curve.tsv"))) {
        failures.put(entry.getValue(), "started a curve");
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void resumingOnAnotherPartition_isRefusedAndLeavesTheRunAsItWas() throws Exception {
    Path state = directory.resolve("state");
    NiidBenchmark.run(settings("plain", state, 1), quiet());
    byte[] model = Files.readAllBytes(state.resolve("plain").resolve("global-model.f32"));
    byte[] curve = Files.readAllBytes(state.resolve("plain").resolve("curve.tsv"));
    Path file =
        Files.writeString(
            directory.resolve("halves.txt"),
            IntStream.range(0, 100).mapToObj(Integer::toString).collect(joining(" "))
                + "\n"
                + IntStream.range(100, 200).mapToObj(Integer::toString).collect(joining(" "))
                + "\n");

    assertThatThrownBy(
            () ->
                NiidBenchmark.run(
                    new NiidBenchmark.Settings(data, "plain", state, 2, 1, SILOS, 0.5, 7, file, 0),
                    quiet()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "was started with\npartition\tDirichlet(0.5) over 5 silos drawn by seed 7")
        .hasMessageContaining("this run asks for\npartition\tthe 2 silos of a file with SHA-256");
    assertThatThrownBy(
            () ->
                NiidBenchmark.run(
                    new NiidBenchmark.Settings(data, "plain", state, 2, 1, SILOS, 0.5, 8, null, 0),
                    quiet()))
        .hasMessageContaining("seed\t8");

    assertThat(Files.readAllBytes(state.resolve("plain").resolve("global-model.f32")))
        .isEqualTo(model);
    assertThat(Files.readAllBytes(state.resolve("plain").resolve("curve.tsv"))).isEqualTo(curve);
  }

  @Test
  void commandLine_withOptionsItWouldIgnoreOrCannotRead_isRefusedNamingTheOption() {
    Map<String, String> cases = new TreeMap<>();
    cases.put("d --arm plain --state s --partition p --silos 5", "drop --silos and --beta");
    cases.put("d --arm plain --state s --beta 0.1 --partition p", "drop --silos and --beta");
    cases.put("d --export-setup x --partition p", "trains nothing; drop --partition");
    cases.put("d --export-setup x --arm plain", "trains nothing; drop --arm");
    cases.put("d --export-setup x --rounds 3", "trains nothing; drop --rounds");
    cases.put("d --export-setup x --mu 0.01", "trains nothing; drop --mu");
    cases.put("d --arm plain --state s --mu -0.1", "--mu must be a number of at least 0");
    cases.put(
        "d --arm plain --state s --seed 1 --seed 2",
        "option '--seed' (<seed>) should be specified only once");
    cases.put(
        "d --arm plain --state s --rounds", "Missing required parameter for option '--rounds'");
    cases.put("d --arm plain --state s --round 3", "Unknown options: '--round', '3'");
    cases.put(
        "d --arm plain --state s --rounds 0", "--rounds must be a whole number of at least 1");
    cases.put(
        "d --arm plain --state s --local-epochs ten",
        "Invalid value for option '--local-epochs': 'ten' is not an int");
    cases.put("d --arm plain --state s --silos -2", "--silos must be a whole number of at least 1");
    cases.put("d --arm plain --state s --beta NaN", "--beta must be a positive number");
    cases.put("d --arm plain --state s --beta 0", "--beta must be a positive number");
    cases.put(
        "d --arm plain --state s --seed 1.5", "Invalid value for option '--seed': '1.5' is not");
    cases.put("d --arm masked --state s", "--arm must be secure or plain, not masked");
    cases.put("d --arm plain", "--state DIR is required");
    cases.put("--arm plain --state s", "Missing required parameter: 'FASHION_MNIST_DIR'");
    assertThat(
            BenchmarkCommandLineTest.refusalsNotAsExpected(
                "NiidBenchmark", cases, NiidBenchmark::parse))
        .isEmpty();
  }

  @Test
  void commandLine_readsEveryOptionAndDefaultsTheRest() {
    NiidBenchmark.Command train =
        NiidBenchmark.parse(
            ("d --arm secure --state s --seed 3 --partition p.txt --rounds 7 --local-epochs 2"
                    + " --mu 0.01")
                .split(" "));
    assertThat(train.exportDirectory()).isNull();
    assertThat(train.settings())
        .isEqualTo(
            new NiidBenchmark.Settings(
                Path.of("d"), "secure", Path.of("s"), 7, 2, 10, 0.5, 3, Path.of("p.txt"), 0.01));

    NiidBenchmark.Command export =
        NiidBenchmark.parse("d --export-setup x --silos 4 --beta 0.1".split(" "));
    assertThat(export.exportDirectory()).isEqualTo(Path.of("x"));
    assertThat(export.settings())
        .isEqualTo(
            new NiidBenchmark.Settings(Path.of("d"), null, null, 50, 10, 4, 0.1, 1, null, 0));
  }

  @Test
  void fedProxMu_keepsTheRoundsModelCloserToItsStart_andIsPartOfTheRunsSetup() throws Exception {
    float[] initial;
    try (LocalModel model = LocalModel.create(ModelSpec.smallCnn(new int[] {1, 28, 28}, 10), 7)) {
      initial = model.parameters();
    }
    Path fedAvg = directory.resolve("fedavg");
    Path fedProx = directory.resolve("fedprox");
    // Three epochs: a silo here holds about one batch, and the proximal term's gradient is zero
    // at the round's first step.
    NiidBenchmark.run(
        new NiidBenchmark.Settings(data, "plain", fedAvg, 1, 3, SILOS, 0.5, 7, null, 0), quiet());
    NiidBenchmark.run(
        new NiidBenchmark.Settings(data, "plain", fedProx, 1, 3, SILOS, 0.5, 7, null, 1.0),
        quiet());

    // μ pulls every silo's local model towards the round's start, so the average moves less.
    assertThat(distance(model(fedProx.resolve("plain")), initial))
        .isLessThan(distance(model(fedAvg.resolve("plain")), initial));
    assertThat(Files.readString(fedProx.resolve("plain").resolve("setup.tsv")))
        .contains("fedprox_mu\t1.0");
    assertThatThrownBy(
            () ->
                NiidBenchmark.run(
                    new NiidBenchmark.Settings(
                        data, "plain", fedProx, 2, 3, SILOS, 0.5, 7, null, 0),
                    quiet()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fedprox_mu\t0.0");
  }

  private LabeledDataset train() throws Exception {
    return IdxDatasetLoader.fashionMnist()
        .load(
            data.resolve("train-images-idx3-ubyte.gz"), data.resolve("train-labels-idx1-ubyte.gz"));
  }

  private NiidBenchmark.Settings settings(String arm, Path state, int rounds) {
    return new NiidBenchmark.Settings(data, arm, state, rounds, 1, SILOS, 0.5, 7, null, 0);
  }

  private static PrintStream quiet() {
    return new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
  }

  private static double distance(float[] a, float[] b) {
    double squares = 0;
    for (int i = 0; i < a.length; i++) {
      squares += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
    }
    return Math.sqrt(squares);
  }

  private static float[] model(Path armState) throws IOException {
    ByteBuffer bytes =
        ByteBuffer.wrap(Files.readAllBytes(armState.resolve("global-model.f32")))
            .order(ByteOrder.LITTLE_ENDIAN);
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
