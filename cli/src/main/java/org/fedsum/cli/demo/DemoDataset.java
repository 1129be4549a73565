package org.fedsum.cli.demo;

import java.io.BufferedWriter;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.fedsum.cli.CliException;
import org.fedsum.cli.provision.SiloKitSettings;
import org.fedsum.silo.data.CsvDatasetLoader;
import org.fedsum.silo.data.DatasetFormatException;
import org.fedsum.silo.data.FeatureScaler;
import org.fedsum.silo.data.FedProxSynthetic;
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.fedsum.silo.data.Partition;
import org.fedsum.silo.data.Partitioner;
import org.fedsum.silo.data.TrainHeldOutSplit;
import org.fedsum.silo.training.ModelSpec;

/**
 * The demo's data: what each silo's kit trains on, the model and local training of the run, and the
 * evaluation data the launcher measures the global model on after each round (data no silo trains
 * on). Built-in data is split among the silos here; each silo loads only its own part.
 *
 * @param name how the summary names it
 * @param spec the run's model
 * @param training the run's {@code training} section, one YAML flow mapping
 * @param recordLevelTraining the run's {@code training} section with record-level DP: no {@code
 *     batchSize} (DP-SGD samples its batches), and a learning rate for clipped gradients
 * @param evaluation the launcher's evaluation data
 * @param dataBlocks each silo's {@code data:} block for its silo.yaml
 * @param smallestTrainingPart the fewest records any silo trains on (after its own held-out split):
 *     the silo whose sample rate q, and so whose record-level ε, is the largest
 * @param expectedBatchSize the DP-SGD expected batch for record-level DP
 */
record DemoDataset(
    String name,
    ModelSpec spec,
    String training,
    String recordLevelTraining,
    LabeledDataset evaluation,
    List<String> dataBlocks,
    int smallestTrainingPart,
    int expectedBatchSize) {

  /** Where Debian's {@code dataset-fashion-mnist} installs the files. */
  static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  static final int SYNTHETIC_EXAMPLES = 600;
  static final long SEED = 11;
  private static final int FASHION_EXAMPLES_PER_SILO = 2000;
  private static final int FASHION_EVALUATION_EXAMPLES = 2000;
  private static final double HELD_OUT_FRACTION = 0.2;

  /**
   * The expected DP-SGD batch: {@code preferred}, but at most a tenth of the smallest silo's
   * training records, so that every silo's q stays at most 0.1 and record-level DP keeps the
   * amplification by subsampling it relies on.
   */
  static int expectedBatchSize(int preferred, int smallestTrainingPart) {
    return Math.max(1, Math.min(preferred, smallestTrainingPart / 10));
  }

  /** The training records of each silo's part after the silo's own held-out split; the fewest. */
  static int smallestTrainingPart(List<LabeledDataset> parts) {
    int smallest = Integer.MAX_VALUE;
    for (LabeledDataset part : parts) {
      smallest =
          Math.min(
              smallest, TrainHeldOutSplit.split(part, HELD_OUT_FRACTION, SEED).training().size());
    }
    return smallest;
  }

  /** The silos' kit settings for this data and the given floor. */
  SiloKitSettings kitSettings(boolean requireDp, int pollWaitSeconds) {
    return new SiloKitSettings() {
      @Override
      public String dataBlock(String siloId, int index) {
        return dataBlocks.get(index);
      }

      @Override
      public boolean requireDifferentialPrivacy() {
        return requireDp;
      }

      @Override
      public double minNoiseMultiplier() {
        return 0;
      }

      @Override
      public int pollWaitSeconds() {
        return pollWaitSeconds;
      }
    };
  }

  /** {@code synthetic}, {@code fashion-mnist} or a CSV file's path. */
  static DemoDataset of(String dataset, int silos, String labelColumn, Path dataFolder)
      throws CliException {
    try {
      if (dataset.equals("synthetic")) {
        return synthetic(silos);
      }
      if (dataset.equals("fashion-mnist")) {
        return fashionMnist(FASHION_MNIST, silos, dataFolder);
      }
      Path csv = Path.of(dataset);
      if (!Files.isRegularFile(csv)) {
        throw new CliException(
            "--dataset must be synthetic, fashion-mnist or a CSV file; no file " + dataset);
      }
      return csv(csv, labelColumn, silos, dataFolder);
    } catch (DatasetFormatException e) {
      throw new CliException("--dataset " + dataset + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new CliException("--dataset " + dataset + ": " + e.getMessage(), e);
    }
  }

  /**
   * FedProx synthetic(0, 0): one generator device per silo, {@value #SYNTHETIC_EXAMPLES} examples
   * each; the evaluation data is the union of the silos' held-out parts, rebuilt here exactly as
   * each silo splits its own.
   */
  static DemoDataset synthetic(int silos) {
    FedProxSynthetic generator = FedProxSynthetic.create(0, 0, SEED);
    List<LabeledDataset> heldOut = new ArrayList<>();
    List<LabeledDataset> devices = new ArrayList<>();
    List<String> blocks = new ArrayList<>();
    for (int device = 0; device < silos; device++) {
      devices.add(generator.device(device, SYNTHETIC_EXAMPLES));
      heldOut.add(TrainHeldOutSplit.split(devices.get(device), HELD_OUT_FRACTION, SEED).heldOut());
      blocks.add(
          String.join(
              "\n",
              "  format: synthetic",
              "  alpha: 0",
              "  beta: 0",
              "  examples: " + SYNTHETIC_EXAMPLES,
              "  device: " + device,
              "  seed: " + SEED,
              "  heldOutFraction: " + HELD_OUT_FRACTION));
    }
    return new DemoDataset(
        "synthetic",
        ModelSpec.logisticRegression(
            new int[] {FedProxSynthetic.FEATURES}, FedProxSynthetic.CLASSES),
        "{epochs: 2, batchSize: 32, learningRate: 0.1, seed: 3}",
        "{epochs: 2, learningRate: 0.2, seed: 3}",
        concatenate(heldOut),
        blocks,
        smallestTrainingPart(devices),
        expectedBatchSize(48, smallestTrainingPart(devices)));
  }

  /**
   * Fashion-MNIST from Debian's package: {@value #FASHION_EXAMPLES_PER_SILO} training images per
   * silo (an IID split, written as IDX files into the silo's data folder), and the first {@value
   * #FASHION_EVALUATION_EXAMPLES} test images for evaluation.
   */
  static DemoDataset fashionMnist(Path source, int silos, Path dataFolder)
      throws IOException, DatasetFormatException, CliException {
    Path trainImages = source.resolve("train-images-idx3-ubyte.gz");
    Path trainLabels = source.resolve("train-labels-idx1-ubyte.gz");
    Path testImages = source.resolve("t10k-images-idx3-ubyte.gz");
    Path testLabels = source.resolve("t10k-labels-idx1-ubyte.gz");
    for (Path file : List.of(trainImages, trainLabels, testImages, testLabels)) {
      if (!Files.isRegularFile(file)) {
        throw new CliException(
            "--dataset fashion-mnist needs Debian's dataset-fashion-mnist package ("
                + file
                + " is missing): apt-get install dataset-fashion-mnist");
      }
    }
    IdxDatasetLoader loader = IdxDatasetLoader.fashionMnist();
    LabeledDataset train = loader.load(trainImages, trainLabels);
    LabeledDataset test = loader.load(testImages, testLabels);
    int used = Math.min(train.size(), FASHION_EXAMPLES_PER_SILO * silos);
    LabeledDataset pool = train.subset(range(used));
    Partition partition = Partitioner.iid(pool, silos, SEED);
    List<String> blocks = new ArrayList<>();
    List<LabeledDataset> parts = partition.apply(pool);
    for (int silo = 0; silo < silos; silo++) {
      Path images = dataFolder.resolve("silo-" + (silo + 1) + "-images-idx3-ubyte");
      Path labels = dataFolder.resolve("silo-" + (silo + 1) + "-labels-idx1-ubyte");
      writeIdx(parts.get(silo), images, labels);
      blocks.add(
          String.join(
              "\n",
              "  format: idx",
              "  trainImages: " + images,
              "  trainLabels: " + labels,
              "  heldOutFraction: " + HELD_OUT_FRACTION,
              "  seed: " + SEED));
    }
    return new DemoDataset(
        "fashion-mnist",
        ModelSpec.logisticRegression(new int[] {1, 28, 28}, 10),
        "{epochs: 1, batchSize: 64, learningRate: 0.1, seed: 3}",
        "{epochs: 1, learningRate: 0.2, seed: 3}",
        test.subset(range(Math.min(test.size(), FASHION_EVALUATION_EXAMPLES))),
        blocks,
        smallestTrainingPart(parts),
        expectedBatchSize(64, smallestTrainingPart(parts)));
  }

  /**
   * A CSV file with a header row and an integer label column: 20% is held out for evaluation, the
   * rest split IID among the silos and written as one CSV per silo. Classes are 0 to the largest
   * label.
   */
  static DemoDataset csv(Path file, String labelColumn, int silos, Path dataFolder)
      throws IOException, DatasetFormatException, CliException {
    // A generous class count to read the labels, then the real one.
    LabeledDataset read = CsvDatasetLoader.create(labelColumn, 256).load(file);
    int classes = Arrays.stream(read.labels()).max().orElse(0) + 1;
    if (classes < 2) {
      throw new CliException(
          "--dataset " + file + ": the label column " + labelColumn + " has fewer than 2 classes");
    }
    List<String> features = CsvDatasetLoader.create(labelColumn, 256).featureColumns(file);
    LabeledDataset all =
        LabeledDataset.create(read.features(), read.labels(), read.featureShape(), classes);
    TrainHeldOutSplit split = TrainHeldOutSplit.split(all, HELD_OUT_FRACTION, SEED);
    if (split.training().size() < silos * 10) {
      throw new CliException(
          "--dataset " + file + ": " + all.size() + " rows are too few for " + silos + " silos");
    }
    Partition partition = Partitioner.iid(split.training(), silos, SEED);
    List<LabeledDataset> parts = partition.apply(split.training());
    List<String> blocks = new ArrayList<>();
    for (int silo = 0; silo < silos; silo++) {
      Path part = dataFolder.resolve("silo-" + (silo + 1) + ".csv");
      writeCsv(parts.get(silo), features, labelColumn, part);
      blocks.add(
          String.join(
              "\n",
              "  format: csv",
              "  train: " + part,
              "  labelColumn: " + labelColumn,
              "  heldOutFraction: " + HELD_OUT_FRACTION,
              "  seed: " + SEED));
    }
    // Silos standardize with their own training part's statistics; the evaluation uses the whole
    // training part's, which an IID split makes close to every silo's.
    FeatureScaler scaler = FeatureScaler.fitStandardization(split.training());
    return new DemoDataset(
        file.getFileName().toString(),
        ModelSpec.logisticRegression(new int[] {features.size()}, classes),
        "{epochs: 2, batchSize: 32, learningRate: 0.05, seed: 3}",
        "{epochs: 2, learningRate: 0.1, seed: 3}",
        scaler.apply(split.heldOut()),
        blocks,
        smallestTrainingPart(parts),
        expectedBatchSize(32, smallestTrainingPart(parts)));
  }

  private static int[] range(int count) {
    int[] indices = new int[count];
    Arrays.setAll(indices, i -> i);
    return indices;
  }

  static LabeledDataset concatenate(List<LabeledDataset> parts) {
    int featureCount = parts.get(0).featureCount();
    int size = parts.stream().mapToInt(LabeledDataset::size).sum();
    float[] features = new float[size * featureCount];
    int[] labels = new int[size];
    int at = 0;
    for (LabeledDataset part : parts) {
      System.arraycopy(part.features(), 0, features, at * featureCount, part.size() * featureCount);
      System.arraycopy(part.labels(), 0, labels, at, part.size());
      at += part.size();
    }
    return LabeledDataset.create(
        features, labels, parts.get(0).featureShape(), parts.get(0).classCount());
  }

  private static void writeCsv(
      LabeledDataset data, List<String> features, String labelColumn, Path file)
      throws IOException {
    float[] values = data.features();
    int width = data.featureCount();
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write(String.join(",", features) + "," + labelColumn + "\n");
      StringBuilder row = new StringBuilder();
      for (int i = 0; i < data.size(); i++) {
        row.setLength(0);
        for (int j = 0; j < width; j++) {
          row.append(Float.toString(values[i * width + j])).append(',');
        }
        row.append(data.label(i)).append('\n');
        out.write(row.toString());
      }
    }
  }

  private static void writeIdx(LabeledDataset data, Path images, Path labels) throws IOException {
    int[] shape = data.featureShape();
    int rows = shape[shape.length - 2];
    int columns = shape[shape.length - 1];
    float[] values = data.features();
    try (OutputStream raw = Files.newOutputStream(images);
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw))) {
      out.writeInt(0x00000803);
      out.writeInt(data.size());
      out.writeInt(rows);
      out.writeInt(columns);
      for (float value : values) {
        out.writeByte(Math.round(value * 255f));
      }
    }
    try (OutputStream raw = Files.newOutputStream(labels);
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw))) {
      out.writeInt(0x00000801);
      out.writeInt(data.size());
      for (int label : data.labels()) {
        out.writeByte(label);
      }
    }
  }

  /** Parameters of the model, for the run configuration. */
  String modelYaml() {
    return String.format(
        Locale.ROOT,
        "{kind: logistic-regression, parameters: %d, inputShape: %s, classes: %d}",
        spec.parameterCount(),
        Arrays.toString(spec.inputShape()),
        spec.classes());
  }
}
