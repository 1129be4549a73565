package org.fedsum.silo.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.fedsum.silo.training.LocalModel;
import org.fedsum.silo.training.LocalTrainingConfig;
import org.fedsum.silo.training.ModelSpec;
import org.fedsum.silo.training.TrainingProgressListener;

/**
 * Times one local epoch on Fashion-MNIST through FedSum's {@link LocalModel} and through a plain
 * DJL loop written directly against DJL (its own {@code ArrayDataset}, {@code Sgd}, {@code
 * Trainer}), for the small CNN and an MLP, and prints both and their ratio. The goal: FedSum's
 * overhead on the silo stays under 10 %.
 *
 * <p>Both sides train the same architecture with the same hyperparameters (batch 64, SGD at 0.01
 * with momentum 0.9), from a model created once; each measured run times the trainer set-up and one
 * epoch over the data, not the loading of the files. After one warm-up epoch per side the measured
 * runs alternate between the sides, and the medians are compared.
 *
 * <p>Run by {@code fedsum bench train} (BENCHMARKS.md, "Local training: FedSum against plain DJL").
 */
public final class EpochBenchmark {
  private static final int BATCH_SIZE = 64;
  private static final float LEARNING_RATE = 0.01f;
  private static final float MOMENTUM = 0.9f;
  private static final int[] MLP_HIDDEN = {200, 200};

  /** The goal: FedSum's epoch at most 10 % slower than plain DJL's. */
  public static final double MAX_OVERHEAD_RATIO = 1.10;

  private EpochBenchmark() {}

  /**
   * One model's figures over the measured runs, in wall-clock seconds: the median and the minimum
   * of each side. On a machine shared with other work the minimum is the steadier estimate of what
   * an epoch costs; the median shows what a run typically met.
   */
  public record Result(
      String model,
      int examples,
      double fedSumMedianSeconds,
      double plainDjlMedianSeconds,
      double fedSumMinimumSeconds,
      double plainDjlMinimumSeconds) {
    /** FedSum's median time over plain DJL's. */
    public double medianRatio() {
      return fedSumMedianSeconds / plainDjlMedianSeconds;
    }

    /** FedSum's fastest run over plain DJL's. */
    public double minimumRatio() {
      return fedSumMinimumSeconds / plainDjlMinimumSeconds;
    }
  }

  /**
   * Loads the files, measures both models, prints a table to {@code out}; {@code fedsum bench
   * train} and the tests call it.
   *
   * @param maxExamples how many of the files' examples to train on (the first ones), at least 1
   * @param repeats measured runs per side and model, at least 1
   */
  public static List<Result> run(
      Path images, Path labels, int maxExamples, int repeats, PrintWriter out) throws Exception {
    if (maxExamples < 1 || repeats < 1) {
      throw new IllegalArgumentException(
          "examples and repeats must be at least 1, not " + maxExamples + " and " + repeats);
    }
    // As LocalModel does, before anything loads DJL's engine (DESIGN.md §8).
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.offline", "true");
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
    LabeledDataset all = IdxDatasetLoader.fashionMnist().load(images, labels);
    int examples = Math.min(maxExamples, all.size());
    int[] first = new int[examples];
    Arrays.setAll(first, i -> i);
    LabeledDataset data = all.subset(first);
    out.printf(
        Locale.ROOT,
        "EpochBenchmark: %d examples, batch %d, SGD lr %.2f momentum %.1f, %s intra-op"
            + " thread(s), %d measured run(s) per side%n",
        examples,
        BATCH_SIZE,
        LEARNING_RATE,
        MOMENTUM,
        System.getProperty("ai.djl.pytorch.num_threads"),
        repeats);

    List<Result> results = new ArrayList<>();
    results.add(
        measure(
            "SMALL_CNN",
            ModelSpec.smallCnn(new int[] {1, 28, 28}, 10),
            EpochBenchmark::plainCnn,
            data,
            repeats,
            out));
    results.add(
        measure(
            "MLP 784-200-200-10",
            ModelSpec.multilayerPerceptron(new int[] {1, 28, 28}, 10, MLP_HIDDEN),
            EpochBenchmark::plainMlp,
            data,
            repeats,
            out));
    out.printf(
        Locale.ROOT,
        "%-20s %9s | %-28s | %-28s%n",
        "",
        "",
        "median of runs (s)",
        "fastest run (s)");
    out.printf(
        Locale.ROOT,
        "%-20s %9s | %9s %9s %8s | %9s %9s %8s%n",
        "model",
        "examples",
        "FedSum",
        "DJL",
        "ratio",
        "FedSum",
        "DJL",
        "ratio");
    for (Result result : results) {
      out.printf(
          Locale.ROOT,
          "%-20s %9d | %9.3f %9.3f %8.3f | %9.3f %9.3f %8.3f%n",
          result.model(),
          result.examples(),
          result.fedSumMedianSeconds(),
          result.plainDjlMedianSeconds(),
          result.medianRatio(),
          result.fedSumMinimumSeconds(),
          result.plainDjlMinimumSeconds(),
          result.minimumRatio());
    }
    return results;
  }

  /** The figures of {@link #run} by key, for {@code fedsum bench train --json}. */
  public static Map<String, Object> figures(List<Result> results) {
    Map<String, Object> figures = new LinkedHashMap<>();
    List<Map<String, Object>> models = new ArrayList<>();
    boolean goalMet = true;
    for (Result result : results) {
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("model", result.model());
      model.put("examples", result.examples());
      model.put("fedsum_median_s", result.fedSumMedianSeconds());
      model.put("djl_median_s", result.plainDjlMedianSeconds());
      model.put("ratio", result.medianRatio());
      model.put("fedsum_min_s", result.fedSumMinimumSeconds());
      model.put("djl_min_s", result.plainDjlMinimumSeconds());
      model.put("min_ratio", result.minimumRatio());
      models.add(model);
      goalMet &= result.medianRatio() <= MAX_OVERHEAD_RATIO;
    }
    figures.put("models", models);
    figures.put("goal", "ratio <= " + MAX_OVERHEAD_RATIO + " for every model (median of runs)");
    figures.put("goal_met", goalMet);
    return figures;
  }

  private interface BlockFactory {
    SequentialBlock build();
  }

  private static Result measure(
      String name,
      ModelSpec spec,
      BlockFactory plainBlock,
      LabeledDataset data,
      int repeats,
      PrintWriter out)
      throws Exception {
    LocalTrainingConfig config =
        LocalTrainingConfig.builder()
            .epochs(1)
            .batchSize(BATCH_SIZE)
            .learningRate(LEARNING_RATE)
            .momentum(MOMENTUM)
            .evaluateBeforeAndAfter(false)
            .build();
    double[] fedSum = new double[repeats];
    double[] plain = new double[repeats];
    try (LocalModel local = LocalModel.create(spec, 1);
        PlainDjl direct = new PlainDjl(plainBlock.build(), data)) {
      local.train(data, config, TrainingProgressListener.NONE);
      direct.epoch();
      for (int run = 0; run < repeats; run++) {
        long cpu = processCpuNanos();
        long start = System.nanoTime();
        local.train(data, config.toBuilder().seed(run).build(), TrainingProgressListener.NONE);
        fedSum[run] = (System.nanoTime() - start) / 1e9;
        double fedSumCpu = (processCpuNanos() - cpu) / 1e9;
        cpu = processCpuNanos();
        start = System.nanoTime();
        direct.epoch();
        plain[run] = (System.nanoTime() - start) / 1e9;
        double plainCpu = (processCpuNanos() - cpu) / 1e9;
        out.printf(
            Locale.ROOT,
            "  %s run %d: FedSum %.3f s (cpu %.3f s), plain DJL %.3f s (cpu %.3f s)%n",
            name,
            run + 1,
            fedSum[run],
            fedSumCpu,
            plain[run],
            plainCpu);
      }
    }
    return new Result(
        name,
        data.size(),
        median(fedSum),
        median(plain),
        Arrays.stream(fedSum).min().orElseThrow(),
        Arrays.stream(plain).min().orElseThrow());
  }

  /** CPU time of every thread of this process, in nanoseconds. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The median of {@code values} (the mean of the middle two for an even count). */
  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  /** The NIID-Bench CNN, written out directly in DJL. */
  private static SequentialBlock plainCnn() {
    return new SequentialBlock()
        .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(6).build())
        .add(Activation.reluBlock())
        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
        .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
        .add(Activation.reluBlock())
        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(120).build())
        .add(Activation.reluBlock())
        .add(Linear.builder().setUnits(84).build())
        .add(Activation.reluBlock())
        .add(Linear.builder().setUnits(10).build());
  }

  private static SequentialBlock plainMlp() {
    SequentialBlock block = new SequentialBlock().add(Blocks.batchFlattenBlock());
    for (int size : MLP_HIDDEN) {
      block.add(Linear.builder().setUnits(size).build()).add(Activation.reluBlock());
    }
    return block.add(Linear.builder().setUnits(10).build());
  }

  /** DJL's own way: the data as two NDArrays in an ArrayDataset, DJL's Sgd, the Trainer loop. */
  private static final class PlainDjl implements AutoCloseable {
    private final Model model;
    private final ArrayDataset dataset;

    PlainDjl(SequentialBlock block, LabeledDataset data) {
      model = Model.newInstance("plain-djl", Device.cpu(), "PyTorch");
      model.setBlock(block);
      Engine.getEngine("PyTorch").setRandomSeed(1);
      NDManager manager = model.getNDManager();
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
      NDArray features =
          manager.create(FloatBuffer.wrap(data.features()), new Shape(data.size(), 1, 28, 28));
      NDArray labels = manager.create(Arrays.stream(data.labels()).asLongStream().toArray());
      dataset =
          new ArrayDataset.Builder()
              .setData(features)
              .optLabels(labels)
              .setSampling(BATCH_SIZE, true)
              .build();
    }

    void epoch() throws Exception {
      DefaultTrainingConfig config =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(
                  Optimizer.sgd()
                      .setLearningRateTracker(Tracker.fixed(LEARNING_RATE))
                      .optMomentum(MOMENTUM)
                      .build())
              .optDevices(new Device[] {Device.cpu()});
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(BATCH_SIZE, 1, 28, 28));
        for (Batch batch : trainer.iterateDataset(dataset)) {
          try (batch) {
            try (GradientCollector collector = trainer.newGradientCollector()) {
              NDList predictions = trainer.forward(batch.getData());
              NDArray loss = trainer.getLoss().evaluate(batch.getLabels(), predictions);
              collector.backward(loss);
            }
            trainer.step();
          }
        }
      }
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
