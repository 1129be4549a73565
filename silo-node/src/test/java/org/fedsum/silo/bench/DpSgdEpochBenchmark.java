package org.fedsum.silo.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.fedsum.silo.training.LocalModel;
import org.fedsum.silo.training.LocalTrainingConfig;
import org.fedsum.silo.training.ModelSpec;
import org.fedsum.silo.training.RecordLevelDp;
import org.fedsum.silo.training.TrainingProgressListener;
import org.fedsum.silo.training.TrainingReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Times one local epoch with DP-SGD against the same epoch without DP, on the same model and data,
 * for the small CNN and a 784-200-200-10 MLP on Fashion-MNIST. The goal: DP-SGD at most 3 times
 * slower per epoch.
 *
 * <p>Both sides use SGD at 0.01 with momentum 0.9. Without DP: shuffled batches of 64. With DP:
 * Poisson sampling at q = 64 / n (an expected batch of 64, {@code ceil(n / 64)} steps), clip norm
 * 1, noise multiplier 1. After one warm-up epoch per side the measured runs alternate, and the
 * medians are compared; the loss measurements before and after are switched off.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -cp ... org.fedsum.silo.bench.DpSgdEpochBenchmark \
 *     /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \
 *     /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz [--examples N] [--repeats R] \
 *     [--batch B]
 * </pre>
 */
public final class DpSgdEpochBenchmark {
  private static final int DEFAULT_BATCH_SIZE = 64;
  private static final double LEARNING_RATE = 0.01;
  private static final double MOMENTUM = 0.9;

  private DpSgdEpochBenchmark() {}

  /** One model's medians and fastest runs in wall-clock seconds, and the DP-SGD steps per epoch. */
  public record Result(
      String model,
      int examples,
      long dpSgdSteps,
      double dpSgdMedianSeconds,
      double plainMedianSeconds,
      double dpSgdMinimumSeconds,
      double plainMinimumSeconds,
      double dpSgdMedianCpuSeconds,
      double plainMedianCpuSeconds) {
    /** DP-SGD's median epoch over the non-private one's. */
    public double medianRatio() {
      return dpSgdMedianSeconds / plainMedianSeconds;
    }

    /** DP-SGD's median process CPU time over the non-private one's: steadier on a busy machine. */
    public double medianCpuRatio() {
      return dpSgdMedianCpuSeconds / plainMedianCpuSeconds;
    }

    /** DP-SGD's fastest epoch over the non-private one's. */
    public double minimumRatio() {
      return dpSgdMinimumSeconds / plainMinimumSeconds;
    }
  }

  /** The command line; {@link #parse} checks the ranges. */
  @Command(
      name = "DpSgdEpochBenchmark",
      description = "One local epoch with DP-SGD against the same epoch without DP.")
  static final class Arguments {
    @Parameters(index = "0", paramLabel = "IMAGES", description = "An IDX image file.")
    Path images;

    @Parameters(index = "1", paramLabel = "LABELS", description = "Its IDX label file.")
    Path labels;

    @Option(
        names = "--examples",
        defaultValue = "6000",
        description = "How many of the first examples to train on.")
    int examples;

    @Option(names = "--repeats", defaultValue = "5", description = "Measured runs per side.")
    int repeats;

    @Option(
        names = "--batch",
        defaultValue = "" + DEFAULT_BATCH_SIZE,
        description = "Plain batch size and DP-SGD's expected batch.")
    int batchSize;
  }

  /** Reads a command line; every refusal names the option. */
  static Arguments parse(String[] args) {
    Arguments arguments = new Arguments();
    HarnessCommandLine.parse(arguments, args);
    HarnessCommandLine.atLeastOne("--examples", arguments.examples);
    HarnessCommandLine.atLeastOne("--repeats", arguments.repeats);
    HarnessCommandLine.atLeastOne("--batch", arguments.batchSize);
    return arguments;
  }

  public static void main(String[] args) throws Exception {
    Arguments arguments = HarnessCommandLine.parseOrExit(DpSgdEpochBenchmark::parse, args);
    run(
        arguments.images,
        arguments.labels,
        arguments.examples,
        arguments.repeats,
        arguments.batchSize,
        System.out);
  }

  /** {@link #run(Path, Path, int, int, int, PrintStream)} with batches of 64. */
  public static List<Result> run(
      Path images, Path labels, int maxExamples, int repeats, PrintStream out) throws Exception {
    return run(images, labels, maxExamples, repeats, DEFAULT_BATCH_SIZE, out);
  }

  /**
   * Loads the first {@code maxExamples} images, measures both models with plain batches of {@code
   * batchSize} and DP-SGD's expected batch of the same size, prints a table.
   */
  public static List<Result> run(
      Path images, Path labels, int maxExamples, int repeats, int batchSize, PrintStream out)
      throws Exception {
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
    LabeledDataset all = IdxDatasetLoader.fashionMnist().load(images, labels);
    int examples = Math.min(maxExamples, all.size());
    int[] first = new int[examples];
    Arrays.setAll(first, i -> i);
    LabeledDataset data = all.subset(first);
    RecordLevelDp dp = new RecordLevelDp(RecordLevelDp.sampleRateFor(batchSize, examples), 1, 1);
    out.printf(
        Locale.ROOT,
        "DpSgdEpochBenchmark: %d examples; plain batches of %d; DP-SGD q = %.5f (%d steps), C = 1,"
            + " z = 1; SGD lr %.2f momentum %.1f; %s intra-op thread(s); %d measured run(s) per"
            + " side%n",
        examples,
        batchSize,
        dp.sampleRate(),
        dp.stepsPerEpoch(),
        LEARNING_RATE,
        MOMENTUM,
        System.getProperty("ai.djl.pytorch.num_threads"),
        repeats);
    List<Result> results = new ArrayList<>();
    results.add(
        measure(
            "SMALL_CNN",
            ModelSpec.smallCnn(new int[] {1, 28, 28}, 10),
            data,
            dp,
            batchSize,
            repeats,
            out));
    results.add(
        measure(
            "MLP 784-200-200-10",
            ModelSpec.multilayerPerceptron(new int[] {1, 28, 28}, 10, 200, 200),
            data,
            dp,
            batchSize,
            repeats,
            out));
    out.printf(
        Locale.ROOT,
        "%-20s %8s %6s | %-27s | %-27s | %-27s%n",
        "",
        "",
        "",
        "median wall clock (s)",
        "fastest wall clock (s)",
        "median process CPU (s)");
    out.printf(
        Locale.ROOT,
        "%-20s %8s %6s | %8s %8s %9s | %8s %8s %9s | %8s %8s %9s%n",
        "model",
        "examples",
        "steps",
        "DP-SGD",
        "plain",
        "ratio",
        "DP-SGD",
        "plain",
        "ratio",
        "DP-SGD",
        "plain",
        "ratio");
    for (Result result : results) {
      out.printf(
          Locale.ROOT,
          "%-20s %8d %6d | %8.3f %8.3f %9.3f | %8.3f %8.3f %9.3f | %8.3f %8.3f %9.3f%n",
          result.model(),
          result.examples(),
          result.dpSgdSteps(),
          result.dpSgdMedianSeconds(),
          result.plainMedianSeconds(),
          result.medianRatio(),
          result.dpSgdMinimumSeconds(),
          result.plainMinimumSeconds(),
          result.minimumRatio(),
          result.dpSgdMedianCpuSeconds(),
          result.plainMedianCpuSeconds(),
          result.medianCpuRatio());
    }
    return results;
  }

  private static Result measure(
      String name,
      ModelSpec spec,
      LabeledDataset data,
      RecordLevelDp dp,
      int batchSize,
      int repeats,
      PrintStream out) {
    LocalTrainingConfig plain =
        LocalTrainingConfig.builder()
            .epochs(1)
            .batchSize(batchSize)
            .learningRate(LEARNING_RATE)
            .momentum(MOMENTUM)
            .evaluateBeforeAndAfter(false)
            .build();
    LocalTrainingConfig dpSgd = plain.toBuilder().recordLevelDp(dp).build();
    double[] dpSeconds = new double[repeats];
    double[] plainSeconds = new double[repeats];
    double[] dpCpu = new double[repeats];
    double[] plainCpu = new double[repeats];
    long steps = 0;
    try (LocalModel model = LocalModel.create(spec, 1)) {
      float[] start = model.parameters();
      model.train(data, dpSgd, TrainingProgressListener.NONE);
      model.setParameters(start);
      model.train(data, plain, TrainingProgressListener.NONE);
      for (int run = 0; run < repeats; run++) {
        model.setParameters(start);
        long cpu = EpochBenchmark.processCpuNanos();
        long begin = System.nanoTime();
        TrainingReport report =
            model.train(data, dpSgd.toBuilder().seed(run).build(), TrainingProgressListener.NONE);
        dpSeconds[run] = (System.nanoTime() - begin) / 1e9;
        dpCpu[run] = (EpochBenchmark.processCpuNanos() - cpu) / 1e9;
        steps = report.optimizerSteps();
        model.setParameters(start);
        cpu = EpochBenchmark.processCpuNanos();
        begin = System.nanoTime();
        model.train(data, plain.toBuilder().seed(run).build(), TrainingProgressListener.NONE);
        plainSeconds[run] = (System.nanoTime() - begin) / 1e9;
        plainCpu[run] = (EpochBenchmark.processCpuNanos() - cpu) / 1e9;
        out.printf(
            Locale.ROOT,
            "  %s run %d: DP-SGD %.3f s (cpu %.3f s; %d steps, %d records sampled), plain %.3f s"
                + " (cpu %.3f s)%n",
            name,
            run + 1,
            dpSeconds[run],
            dpCpu[run],
            report.optimizerSteps(),
            report.epochs().get(0).examples(),
            plainSeconds[run],
            plainCpu[run]);
      }
    }
    return new Result(
        name,
        data.size(),
        steps,
        EpochBenchmark.median(dpSeconds),
        EpochBenchmark.median(plainSeconds),
        Arrays.stream(dpSeconds).min().orElseThrow(),
        Arrays.stream(plainSeconds).min().orElseThrow(),
        EpochBenchmark.median(dpCpu),
        EpochBenchmark.median(plainCpu));
  }
}
