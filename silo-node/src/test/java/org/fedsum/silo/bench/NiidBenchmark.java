package org.fedsum.silo.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.fedsum.protocol.AggregatorState;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.TestFederation;
import org.fedsum.protocol.encoding.DecodedUpdate;
import org.fedsum.protocol.encoding.EncodedUpdate;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateDecoder;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.protocol.simulation.RoundSimulation;
import org.fedsum.silo.data.DatasetFormatException;
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.fedsum.silo.data.Partition;
import org.fedsum.silo.data.Partitioner;
import org.fedsum.silo.training.LocalModel;
import org.fedsum.silo.training.LocalTrainingConfig;
import org.fedsum.silo.training.ModelSpec;
import org.fedsum.silo.training.ParameterSlice;
import org.fedsum.silo.training.TrainingProgressListener;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;

/**
 * The NIID-Bench Fashion-MNIST setting (Li, Diao, Chen and He, ICDE 2022; Flower's reproduction:
 * 88.09 ± 0.29 % for FedAvg): 10 silos with Dirichlet(0.5) label skew over the 60,000 training
 * images, the small CNN (PyTorch's default initialization, as {@link LocalModel#create}), SGD with
 * learning rate 0.01, momentum 0.9 and weight decay 10⁻⁵, batch 64, 10 local epochs, 50 rounds of
 * weighted FedAvg, test accuracy on the 10,000 test images after every round.
 *
 * <p>Two arms share the partition, the initial model and every silo's training seed, so they differ
 * only in how the updates are summed:
 *
 * <ul>
 *   <li>{@code secure}: each silo encodes {@code n_k·delta_k} and {@code n_k} with the protocol's
 *       {@link UpdateEncoder} (b = 32, randomized Hadamard rotation, no clipping, no DP: what a run
 *       config without DP does), the ten encodings go through a whole secure-aggregation round of
 *       the protocol core (real X25519 keys, Shamir shares, pairwise and self masks; {@link
 *       RoundSimulation}), the unmasked sum is checked word for word against the sum of the
 *       encodings, and {@link UpdateDecoder} turns it into the weighted average;
 *   <li>{@code plain}: the weighted average of the float updates in double precision, as a system
 *       without secure aggregation would compute it.
 * </ul>
 *
 * <p>Each arm is its own JVM process (DJL's PyTorch gradient collector is process-wide, so silos
 * train one after another inside it). A run is resumable: after every round the global model and
 * the curve are written to {@code --state DIR/ARM} (write, then rename), and a restarted run goes
 * on from the last finished round.
 *
 * <p>With {@code --export-setup DIR} it trains nothing and writes what an outside implementation
 * needs to run the same setting on the same data ({@link #exportSetup}): the partition a seed draws
 * and the initial model. {@code silo-node/src/test/python/niid_pytorch_reference.py} is such an
 * implementation, in plain PyTorch, to tell the partition's effect on accuracy from FedSum's.
 *
 * <p>With {@code --partition FILE} the silos are read from a file in the same format instead of
 * drawn ({@link PartitionFile}); {@code --seed} still picks the initial model and the shuffles, and
 * {@code --silos} and {@code --beta} are refused beside it (the file decides both). {@code
 * silo-node/src/test/python/flower_niid_partition.py} writes the partition Flower's published
 * figure was measured on. With {@code --mu MU} every silo adds FedProx's proximal term to its local
 * objective (Flower's NIID-Bench uses μ = 0.01 for its FedProx figure). A run records its
 * partition, seed, epochs and μ in {@code setup.tsv} and refuses to resume with others.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -cp ... org.fedsum.silo.bench.NiidBenchmark \
 *     /usr/share/datasets/fashion-mnist --arm secure|plain --state DIR \
 *     [--rounds 50] [--local-epochs 10] [--silos 10] [--beta 0.5] [--seed 1] [--partition FILE]
 *     [--mu 0]
 * java -cp ... org.fedsum.silo.bench.NiidBenchmark /usr/share/datasets/fashion-mnist \
 *     --export-setup DIR [--silos 10] [--beta 0.5] [--seed 1]
 * </pre>
 */
public final class NiidBenchmark {
  private static final int CLASSES = 10;
  private static final int BATCH_SIZE = 64;
  private static final double LEARNING_RATE = 0.01;
  private static final double MOMENTUM = 0.9;

  /** NIID-Bench's and Flower's {@code weight_decay} of SGD. */
  private static final double WEIGHT_DECAY = 1e-5;

  /**
   * The L2 norm the b = 32 range is planned for; no clipping. Local updates of this CNN after 10
   * epochs have norms of a few units (printed each round), so the range has ample headroom, and the
   * encoder counts any coordinate that would not fit.
   */
  private static final double PLANNED_NORM = 100;

  private NiidBenchmark() {}

  /**
   * One arm's settings; {@code partitionFile} is null to draw the partition from {@code seed}, and
   * {@code fedProxMu} is 0 for FedAvg's local objective.
   */
  record Settings(
      Path dataDirectory,
      String arm,
      Path stateDirectory,
      int rounds,
      int localEpochs,
      int silos,
      double beta,
      long seed,
      Path partitionFile,
      double fedProxMu) {}

  /**
   * What a command line asks for: one arm to train ({@code exportDirectory} null), or a drawn setup
   * to write to {@code exportDirectory} ({@code settings} then has no arm and no state).
   */
  record Command(Settings settings, Path exportDirectory) {}

  public static void main(String[] args) throws Exception {
    Command command = HarnessCommandLine.parseOrExit(NiidBenchmark::parse, args);
    Settings settings = command.settings();
    if (command.exportDirectory() != null) {
      exportSetup(
          settings.dataDirectory(),
          settings.silos(),
          settings.beta(),
          settings.seed(),
          command.exportDirectory());
      System.out.println(
          "wrote the partition and the initial model of seed "
              + settings.seed()
              + " to "
              + command.exportDirectory());
      return;
    }
    run(settings, System.out);
  }

  /** The command line as picocli reads it; {@link #parse} checks what picocli cannot. */
  @CommandLine.Command(
      name = "NiidBenchmark",
      description = "NIID-Bench's Fashion-MNIST setting, with and without secure aggregation.")
  static final class Arguments {
    @Parameters(
        index = "0",
        paramLabel = "FASHION_MNIST_DIR",
        description = "Directory of Fashion-MNIST's four .gz IDX files.")
    Path data;

    @Option(names = "--arm", paramLabel = "secure|plain", description = "The arm to train.")
    String arm;

    @Option(names = "--state", paramLabel = "DIR", description = "Where the run resumes from.")
    Path state;

    @Option(
        names = "--export-setup",
        paramLabel = "DIR",
        description = "Write the drawn partition and initial model there; train nothing.")
    Path exportSetup;

    @Option(names = "--rounds", defaultValue = "50")
    int rounds;

    @Option(names = "--local-epochs", defaultValue = "10")
    int localEpochs;

    @Option(names = "--silos", defaultValue = "10")
    int silos;

    @Option(names = "--beta", defaultValue = "0.5", description = "Dirichlet concentration.")
    double beta;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(
        names = "--partition",
        paramLabel = "FILE",
        description = "Read the silos from this file instead of drawing them.")
    Path partition;

    @Option(names = "--mu", defaultValue = "0", description = "FedProx's proximal coefficient.")
    double mu;
  }

  /**
   * Reads a command line, refusing what it would otherwise ignore: an option given twice, {@code
   * --silos} or {@code --beta} beside {@code --partition} (the file decides both), and training
   * options beside {@code --export-setup}. Every message names the option.
   */
  static Command parse(String[] args) {
    Arguments arguments = new Arguments();
    ParseResult given = HarnessCommandLine.parse(arguments, args);
    HarnessCommandLine.atLeastOne("--silos", arguments.silos);
    HarnessCommandLine.atLeastOne("--rounds", arguments.rounds);
    HarnessCommandLine.atLeastOne("--local-epochs", arguments.localEpochs);
    HarnessCommandLine.positive("--beta", arguments.beta, "the Dirichlet concentration");
    if (!Double.isFinite(arguments.mu) || arguments.mu < 0) {
      throw new IllegalArgumentException(
          "--mu must be a number of at least 0 (FedProx's proximal coefficient), not "
              + arguments.mu);
    }
    if (arguments.partition != null
        && (given.hasMatchedOption("--silos") || given.hasMatchedOption("--beta"))) {
      throw new IllegalArgumentException(
          "--partition FILE decides the silos and their data; drop --silos and --beta");
    }
    if (arguments.exportSetup != null) {
      for (String trainingOnly :
          List.of("--arm", "--state", "--rounds", "--local-epochs", "--partition", "--mu")) {
        if (given.hasMatchedOption(trainingOnly)) {
          throw new IllegalArgumentException(
              "--export-setup writes a drawn partition and trains nothing; drop " + trainingOnly);
        }
      }
      return new Command(
          new Settings(
              arguments.data,
              null,
              null,
              arguments.rounds,
              arguments.localEpochs,
              arguments.silos,
              arguments.beta,
              arguments.seed,
              null,
              0),
          arguments.exportSetup);
    }
    if (!"secure".equals(arguments.arm) && !"plain".equals(arguments.arm)) {
      throw new IllegalArgumentException("--arm must be secure or plain, not " + arguments.arm);
    }
    if (arguments.state == null) {
      throw new IllegalArgumentException("--state DIR is required (the run resumes from it)");
    }
    return new Command(
        new Settings(
            arguments.data,
            arguments.arm,
            arguments.state,
            arguments.rounds,
            arguments.localEpochs,
            arguments.silos,
            arguments.beta,
            arguments.seed,
            arguments.partition,
            arguments.mu),
        null);
  }

  /** Runs (or resumes) one arm; returns the test accuracy after the last round. */
  static double run(Settings settings, PrintStream out) throws Exception {
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
    boolean secure = settings.arm().equals("secure");
    IdxDatasetLoader loader = IdxDatasetLoader.fashionMnist();
    Path data = settings.dataDirectory();
    LabeledDataset train =
        loader.load(
            data.resolve("train-images-idx3-ubyte.gz"), data.resolve("train-labels-idx1-ubyte.gz"));
    LabeledDataset test =
        loader.load(
            data.resolve("t10k-images-idx3-ubyte.gz"), data.resolve("t10k-labels-idx1-ubyte.gz"));
    List<LabeledDataset> silos;
    String partitionSource;
    if (settings.partitionFile() == null) {
      silos =
          Partitioner.dirichletLabelSkew(train, settings.silos(), settings.beta(), settings.seed())
              .apply(train);
      partitionSource =
          String.format(
              Locale.ROOT,
              "Dirichlet(%s) over %d silos drawn by seed %d",
              settings.beta(),
              settings.silos(),
              settings.seed());
    } else {
      PartitionFile file = PartitionFile.read(settings.partitionFile(), train.size());
      silos = file.silos().stream().map(train::subset).toList();
      partitionSource = "the " + silos.size() + " silos of a file with SHA-256 " + file.sha256();
    }
    ModelSpec spec = ModelSpec.smallCnn(new int[] {1, 28, 28}, CLASSES);
    Path state = settings.stateDirectory().resolve(settings.arm());
    Files.createDirectories(state);
    Path modelFile = state.resolve("global-model.f32");
    Path curveFile = state.resolve("curve.tsv");
    TestFederation federation = secure ? TestFederation.create(silos.size()) : null;
    int threshold = Math.max(3, silos.size() / 2 + 1);
    String setup =
        String.format(
            Locale.ROOT,
            "partition\t%s%nseed\t%d%nlocal_epochs\t%d%nfedprox_mu\t%s%n",
            partitionSource,
            settings.seed(),
            settings.localEpochs(),
            settings.fedProxMu());
    checkOrRecordSetup(state.resolve("setup.tsv"), setup, Files.exists(curveFile));

    try (LocalModel model = LocalModel.create(spec, settings.seed())) {
      float[] global = model.parameters();
      int firstRound = 1;
      if (Files.exists(modelFile) && Files.exists(curveFile)) {
        ByteBuffer saved = readModel(modelFile, global.length);
        int finished = saved.getInt();
        saved.asFloatBuffer().get(global);
        keepCurveUpTo(curveFile, finished);
        firstRound = finished + 1;
        out.printf(Locale.ROOT, "resuming %s after round %d%n", settings.arm(), finished);
      } else {
        Files.writeString(
            curveFile,
            "round\ttest_accuracy\ttest_loss\tround_seconds\tmax_update_norm\toverflows\n",
            StandardCharsets.UTF_8);
      }
      out.printf(
          Locale.ROOT,
          "NiidBenchmark %s: %s (%d parameters), %s, sizes %s, %d rounds x"
              + " %d local epochs, SGD lr %.3f momentum %.1f weight decay %.0e batch %d,"
              + " FedProx mu %s, threshold %d%n",
          settings.arm(),
          spec,
          global.length,
          partitionSource,
          Arrays.toString(silos.stream().mapToInt(LabeledDataset::size).toArray()),
          settings.rounds(),
          settings.localEpochs(),
          LEARNING_RATE,
          MOMENTUM,
          WEIGHT_DECAY,
          BATCH_SIZE,
          settings.fedProxMu(),
          threshold);
      LocalTrainingConfig training =
          LocalTrainingConfig.builder()
              .epochs(settings.localEpochs())
              .batchSize(BATCH_SIZE)
              .learningRate(LEARNING_RATE)
              .momentum(MOMENTUM)
              .weightDecay(WEIGHT_DECAY)
              .fedProxMu(settings.fedProxMu())
              .evaluateBeforeAndAfter(false)
              .build();
      for (int round = firstRound; round <= settings.rounds(); round++) {
        long started = System.nanoTime();
        float[][] deltas = new float[silos.size()][];
        double maxNorm = 0;
        for (int silo = 0; silo < silos.size(); silo++) {
          model.setParameters(global);
          model.train(
              silos.get(silo),
              training.toBuilder().seed(1_000_003L * round + silo).build(),
              TrainingProgressListener.NONE);
          float[] local = model.parameters();
          float[] delta = new float[local.length];
          double squares = 0;
          for (int i = 0; i < delta.length; i++) {
            delta[i] = local[i] - global[i];
            squares += (double) delta[i] * delta[i];
          }
          maxNorm = Math.max(maxNorm, Math.sqrt(squares));
          deltas[silo] = delta;
        }
        long[] overflows = {0};
        double[] average =
            secure
                ? secureAverage(federation, round, threshold, silos, deltas, overflows)
                : plainAverage(silos, deltas);
        float[] next = new float[global.length];
        for (int i = 0; i < next.length; i++) {
          next[i] = (float) (global[i] + average[i]);
        }
        global = next;
        model.setParameters(global);
        var evaluation = model.evaluate(test);
        double seconds = (System.nanoTime() - started) / 1e9;
        writeModel(modelFile, round, global);
        Files.writeString(
            curveFile,
            String.format(
                Locale.ROOT,
                "%d\t%.4f\t%.4f\t%.1f\t%.3f\t%d%n",
                round,
                evaluation.accuracy(),
                evaluation.loss(),
                seconds,
                maxNorm,
                overflows[0]),
            StandardCharsets.UTF_8,
            StandardOpenOption.APPEND);
        out.printf(
            Locale.ROOT,
            "  %s round %d: test accuracy %.2f %%, loss %.4f, %.0f s, largest update norm %.3f,"
                + " overflows %d%n",
            settings.arm(),
            round,
            100 * evaluation.accuracy(),
            evaluation.loss(),
            seconds,
            maxNorm,
            overflows[0]);
      }
      printSummary(curveFile, settings.arm(), out);
      return model.evaluate(test).accuracy();
    }
  }

  /**
   * Writes the partition that {@code seed} draws and the initial model that both arms start from,
   * so that another implementation can train the same setting on exactly these silos:
   *
   * <ul>
   *   <li>{@code partition.txt}: one line per silo, the positions (from 0) of its examples in the
   *       training files, separated by spaces;
   *   <li>{@code initial-model.f32}: the flat parameter vector, little-endian 32-bit floats;
   *   <li>{@code layout.tsv}: each parameter tensor's DJL name, shape, offset and size in that
   *       vector (weights are {@code [out, in, kernel…]}, as PyTorch's).
   * </ul>
   */
  static void exportSetup(Path dataDirectory, int silos, double beta, long seed, Path directory)
      throws IOException, DatasetFormatException {
    LabeledDataset train =
        IdxDatasetLoader.fashionMnist()
            .load(
                dataDirectory.resolve("train-images-idx3-ubyte.gz"),
                dataDirectory.resolve("train-labels-idx1-ubyte.gz"));
    Partition partition = Partitioner.dirichletLabelSkew(train, silos, beta, seed);
    Files.createDirectories(directory);
    StringBuilder lines = new StringBuilder();
    for (int silo = 0; silo < partition.silos(); silo++) {
      int[] indices = partition.indices(silo);
      Arrays.sort(indices);
      for (int i = 0; i < indices.length; i++) {
        lines.append(i == 0 ? "" : " ").append(indices[i]);
      }
      lines.append('\n');
    }
    Files.writeString(directory.resolve("partition.txt"), lines, StandardCharsets.UTF_8);
    ModelSpec spec = ModelSpec.smallCnn(new int[] {1, 28, 28}, CLASSES);
    try (LocalModel model = LocalModel.create(spec, seed)) {
      float[] initial = model.parameters();
      ByteBuffer buffer = ByteBuffer.allocate(4 * initial.length).order(ByteOrder.LITTLE_ENDIAN);
      buffer.asFloatBuffer().put(initial);
      Files.write(directory.resolve("initial-model.f32"), buffer.array());
      StringBuilder layout = new StringBuilder("name\tshape\toffset\tsize\n");
      for (ParameterSlice slice : model.parameterLayout()) {
        layout
            .append(slice.name())
            .append('\t')
            .append(
                Arrays.stream(slice.shape())
                    .mapToObj(Long::toString)
                    .collect(Collectors.joining(",")))
            .append('\t')
            .append(slice.offset())
            .append('\t')
            .append(slice.size())
            .append('\n');
      }
      Files.writeString(directory.resolve("layout.tsv"), layout, StandardCharsets.UTF_8);
    }
  }

  private static double[] plainAverage(List<LabeledDataset> silos, float[][] deltas) {
    double[] sum = new double[deltas[0].length];
    long total = 0;
    for (int silo = 0; silo < deltas.length; silo++) {
      long weight = silos.get(silo).size();
      total += weight;
      for (int i = 0; i < sum.length; i++) {
        sum[i] += weight * (double) deltas[silo][i];
      }
    }
    for (int i = 0; i < sum.length; i++) {
      sum[i] /= total;
    }
    return sum;
  }

  private static double[] secureAverage(
      TestFederation federation,
      long round,
      int threshold,
      List<LabeledDataset> silos,
      float[][] deltas,
      long[] overflows)
      throws Exception {
    SecureRandom random = new SecureRandom();
    byte[] rotationSeed = new byte[32];
    random.nextBytes(rotationSeed);
    long maxWeight = silos.stream().mapToLong(LabeledDataset::size).sum();
    EncodingParameters encoding =
        EncodingParameters.builder()
            .setDimension(deltas[0].length)
            .setClipNorm(PLANNED_NORM)
            .setClipping(false)
            .setNoiseMultiplier(0)
            .setThreshold(threshold)
            .setSilos(silos.size())
            .setWeighted(maxWeight)
            .setRotationSeed(rotationSeed)
            .setBits(32)
            .buildChoosingGamma();
    UpdateEncoder encoder = UpdateEncoder.create(encoding);
    RoundConfig config =
        federation.config(round, silos.size(), threshold, 32, encoding.encodedLength());
    Map<String, int[]> inputs = new TreeMap<>();
    for (int silo = 0; silo < deltas.length; silo++) {
      EncodedUpdate encoded = encoder.encodeWeighted(deltas[silo], silos.get(silo).size(), random);
      overflows[0] += encoded.report().overflowCount();
      inputs.put(config.roster().get(silo), encoded.words());
    }
    RoundSimulation.Outcome outcome =
        new RoundSimulation(
                config, federation.contexts(config.roster(), random), Map.of(), federation.now())
            .run(inputs);
    if (!(outcome.aggregatorState() instanceof AggregatorState.Finished finished)) {
      throw new IllegalStateException("round " + round + " did not finish: " + outcome);
    }
    if (!Arrays.equals(
        outcome.sum(), RoundSimulation.expectedSum(inputs, finished.survivors(), 32))) {
      throw new IllegalStateException(
          "round " + round + ": the unmasked sum differs from the sum of the encodings");
    }
    DecodedUpdate decoded =
        UpdateDecoder.create(encoding).decode(outcome.sum(), finished.survivors().size());
    return decoded.average();
  }

  /**
   * The last round's accuracy and the best over all rounds: Flower's NIID-Bench table reports the
   * best accuracy across rounds (mean ± standard deviation over seeds), so that is the figure to
   * set against it.
   */
  private static void printSummary(Path curveFile, String arm, PrintStream out) throws IOException {
    List<String> rows = Files.readAllLines(curveFile, StandardCharsets.UTF_8);
    double best = -1;
    int bestRound = 0;
    double last = Double.NaN;
    for (String row : rows.subList(1, rows.size())) {
      String[] fields = row.split("\t");
      double accuracy = Double.parseDouble(fields[1]);
      last = accuracy;
      if (accuracy > best) {
        best = accuracy;
        bestRound = Integer.parseInt(fields[0]);
      }
    }
    out.printf(
        Locale.ROOT,
        "%s: last round %.2f %%, best round %d at %.2f %%%n",
        arm,
        100 * last,
        bestRound,
        100 * best);
  }

  /**
   * A run resumes only on the partition, seed and epochs it started with; otherwise its curve would
   * join rounds of two different settings.
   */
  private static void checkOrRecordSetup(Path setupFile, String setup, boolean resuming)
      throws IOException {
    if (resuming && Files.exists(setupFile)) {
      String recorded = Files.readString(setupFile, StandardCharsets.UTF_8);
      if (!recorded.equals(setup)) {
        throw new IllegalArgumentException(
            "the run in "
                + setupFile.getParent()
                + " was started with\n"
                + recorded
                + "and this run asks for\n"
                + setup
                + "(use another --state directory)");
      }
      return;
    }
    Files.writeString(setupFile, setup, StandardCharsets.UTF_8);
  }

  /** Drops curve rows after the saved model's round (a kill between the two writes). */
  private static void keepCurveUpTo(Path curveFile, int round) throws IOException {
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(curveFile, StandardCharsets.UTF_8)) {
      if (line.startsWith("round")
          || Integer.parseInt(line.substring(0, line.indexOf('\t'))) <= round) {
        kept.add(line);
      }
    }
    Files.write(curveFile, kept, StandardCharsets.UTF_8);
  }

  private static ByteBuffer readModel(Path file, int parameters) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length != 4 + 4 * parameters) {
      throw new IOException(
          file
              + " holds "
              + bytes.length
              + " bytes, not "
              + (4 + 4 * parameters)
              + " for the round and the model");
    }
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Writes the model next to its final name and renames it, so a kill leaves the old or new. */
  private static void writeModel(Path file, int round, float[] values) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.putInt(round);
    buffer.asFloatBuffer().put(values);
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    try (var channel =
        FileChannel.open(
            temporary,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(buffer.array()));
      channel.force(true);
    }
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
