package org.fedsum.silo.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedsum.protocol.privacy.RecordLevelAccountant;
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.fedsum.silo.data.Partitioner;
import org.fedsum.silo.training.LocalModel;
import org.fedsum.silo.training.LocalTrainingConfig;
import org.fedsum.silo.training.ModelSpec;
import org.fedsum.silo.training.RecordLevelDp;
import org.fedsum.silo.training.TrainingProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Test accuracy of federated training with record-level DP: Fashion-MNIST's 60,000 training images
 * split IID into 10 silos, each silo training an MLP locally with DP-SGD every round, the server
 * averaging the updates in memory (plain FedAvg; the silos are of equal size), for ε = 1, 3, 8 at δ
 * = 1e−5 per record over all steps of all rounds, and without DP. The noise multiplier comes from
 * {@link RecordLevelAccountant#requiredNoiseMultiplier}. Reference: 86.1 % at ε = 2.93 (Papernot et
 * al., AAAI 2021, centralised, a CNN with tempered sigmoids).
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -cp ... org.fedsum.silo.bench.DpSgdAccuracyBenchmark \
 *     /usr/share/datasets/fashion-mnist [--rounds R] [--epsilons 1,3,8] [--learning-rate L]
 * </pre>
 */
public final class DpSgdAccuracyBenchmark {
  private static final int SILOS = 10;
  private static final int EXPECTED_BATCH = 256;
  private static final int LOCAL_EPOCHS = 1;
  private static final double DELTA = 1e-5;
  private static final double CLIP_NORM = 1.0;
  private static final double DEFAULT_LEARNING_RATE = 0.1;
  private static final double MOMENTUM = 0.9;
  private static final int[] HIDDEN = {100};

  private DpSgdAccuracyBenchmark() {}

  /** The command line; {@link #parse} checks the ranges. */
  @Command(
      name = "DpSgdAccuracyBenchmark",
      description = "Federated DP-SGD on Fashion-MNIST at several ε, and without DP.")
  static final class Arguments {
    @Parameters(
        index = "0",
        paramLabel = "FASHION_MNIST_DIR",
        description = "Directory of Fashion-MNIST's four .gz IDX files.")
    Path data;

    @Option(names = "--rounds", defaultValue = "10")
    int rounds;

    @Option(names = "--learning-rate", defaultValue = "" + DEFAULT_LEARNING_RATE)
    double learningRate;

    @Option(
        names = "--epsilons",
        split = ",",
        defaultValue = "1,3,8",
        paramLabel = "ε",
        description = "Record-level ε budgets over the whole run, comma-separated.")
    List<Double> epsilons;
  }

  /** Reads a command line; every refusal names the option. */
  static Arguments parse(String[] args) {
    Arguments arguments = new Arguments();
    HarnessCommandLine.parse(arguments, args);
    HarnessCommandLine.atLeastOne("--rounds", arguments.rounds);
    HarnessCommandLine.positive("--learning-rate", arguments.learningRate, "SGD's step size");
    for (double epsilon : arguments.epsilons) {
      HarnessCommandLine.positive("--epsilons", epsilon, "a record-level ε budget");
    }
    return arguments;
  }

  public static void main(String[] args) throws Exception {
    Arguments arguments = HarnessCommandLine.parseOrExit(DpSgdAccuracyBenchmark::parse, args);
    run(
        arguments.data,
        arguments.rounds,
        List.copyOf(arguments.epsilons),
        arguments.learningRate,
        System.out);
  }

  /** Runs every ε and the non-private baseline; returns the test accuracies, baseline last. */
  public static List<Double> run(
      Path directory, int rounds, List<Double> epsilons, double learningRate, PrintStream out)
      throws Exception {
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
    IdxDatasetLoader loader = IdxDatasetLoader.fashionMnist();
    LabeledDataset train =
        loader.load(
            directory.resolve("train-images-idx3-ubyte.gz"),
            directory.resolve("train-labels-idx1-ubyte.gz"));
    LabeledDataset test =
        loader.load(
            directory.resolve("t10k-images-idx3-ubyte.gz"),
            directory.resolve("t10k-labels-idx1-ubyte.gz"));
    List<LabeledDataset> silos = Partitioner.iid(train, SILOS, 1).apply(train);
    int siloSize = silos.get(0).size();
    double sampleRate = RecordLevelDp.sampleRateFor(EXPECTED_BATCH, siloSize);
    ModelSpec spec = ModelSpec.multilayerPerceptron(new int[] {1, 28, 28}, 10, HIDDEN);
    LocalTrainingConfig plain =
        LocalTrainingConfig.builder()
            .epochs(LOCAL_EPOCHS)
            .batchSize(EXPECTED_BATCH)
            .learningRate(learningRate)
            .momentum(MOMENTUM)
            .evaluateBeforeAndAfter(false)
            .build();
    long stepsPerRound = new RecordLevelDp(sampleRate, 1, 1).steps(LOCAL_EPOCHS);
    long totalSteps = stepsPerRound * rounds;
    out.printf(
        Locale.ROOT,
        "DpSgdAccuracyBenchmark: %s, %d silos of %d (IID), %d rounds x %d local epoch(s),"
            + " q = %.5f (expected batch %d, %d steps per round, %d in all), C = %.1f, SGD lr %.2f"
            + " momentum %.1f, delta %.0e per record%n",
        spec,
        SILOS,
        siloSize,
        rounds,
        LOCAL_EPOCHS,
        sampleRate,
        EXPECTED_BATCH,
        stepsPerRound,
        totalSteps,
        CLIP_NORM,
        learningRate,
        MOMENTUM,
        DELTA);
    List<Double> accuracies = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (double epsilon : epsilons) {
      double z =
          RecordLevelAccountant.requiredNoiseMultiplier(epsilon, sampleRate, totalSteps, DELTA);
      RecordLevelDp dp = new RecordLevelDp(sampleRate, CLIP_NORM, z);
      double spent = RecordLevelAccountant.epsilon(sampleRate, z, totalSteps, DELTA).epsilon();
      String label = String.format(Locale.ROOT, "eps %.2f per record (z = %.3f)", spent, z);
      accuracies.add(
          federate(
              spec, silos, test, plain.toBuilder().recordLevelDp(dp).build(), rounds, label, out));
      labels.add(label);
    }
    accuracies.add(federate(spec, silos, test, plain, rounds, "no DP", out));
    labels.add("no DP");
    out.printf(Locale.ROOT, "%-36s %s%n", "setting", "test accuracy");
    for (int i = 0; i < labels.size(); i++) {
      out.printf(Locale.ROOT, "%-36s %.2f %%%n", labels.get(i), 100 * accuracies.get(i));
    }
    return accuracies;
  }

  private static double federate(
      ModelSpec spec,
      List<LabeledDataset> silos,
      LabeledDataset test,
      LocalTrainingConfig config,
      int rounds,
      String label,
      PrintStream out) {
    long start = System.nanoTime();
    try (LocalModel model = LocalModel.create(spec, 1)) {
      float[] global = model.parameters();
      double accuracy = 0;
      for (int round = 1; round <= rounds; round++) {
        double[] sum = new double[global.length];
        for (int silo = 0; silo < silos.size(); silo++) {
          model.setParameters(global);
          model.train(
              silos.get(silo),
              config.toBuilder().seed(1000L * round + silo).build(),
              TrainingProgressListener.NONE);
          float[] local = model.parameters();
          for (int i = 0; i < sum.length; i++) {
            sum[i] += local[i] - global[i];
          }
        }
        for (int i = 0; i < global.length; i++) {
          global[i] += (float) (sum[i] / silos.size());
        }
        model.setParameters(global);
        accuracy = model.evaluate(test).accuracy();
        out.printf(
            Locale.ROOT,
            "  %s round %d: test accuracy %.2f %% (%.0f s)%n",
            label,
            round,
            100 * accuracy,
            (System.nanoTime() - start) / 1e9);
      }
      return accuracy;
    }
  }
}
