package org.fedsum.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.crypto.bench.Machine;
import org.fedsum.silo.bench.EpochBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum bench train}: a local epoch inside FedSum against the same epoch in plain DJL. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Local training time per epoch of the small CNN and an MLP through the silo node's"
          + " LocalModel, against the same DJL training written outside FedSum, alternating, on"
          + " Fashion-MNIST (batch 64, SGD lr 0.01 momentum 0.9). Goal: ratio <= 1.10. JSON keys:"
          + " models[].fedsum_median_s, djl_median_s, ratio, min_ratio; goal_met."
    })
final class TrainBenchCommand implements Callable<Integer> {
  private static final String IMAGES = "train-images-idx3-ubyte.gz";
  private static final String LABELS = "train-labels-idx1-ubyte.gz";

  @Option(
      names = "--data",
      defaultValue = "/usr/share/datasets/fashion-mnist",
      paramLabel = "DIR",
      description =
          "Folder with Fashion-MNIST's "
              + IMAGES
              + " and "
              + LABELS
              + " (default: ${DEFAULT-VALUE}, Debian's dataset-fashion-mnist).")
  Path data;

  @Option(
      names = "--examples",
      defaultValue = "60000",
      paramLabel = "N",
      description = "Train on the first N images (default: ${DEFAULT-VALUE}).")
  int examples;

  @Option(
      names = "--repeats",
      defaultValue = "5",
      paramLabel = "R",
      description = "Measured epochs per side and model (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(
      names = "--threads",
      defaultValue = "1",
      paramLabel = "T",
      description =
          "PyTorch intra-op threads for both sides (default: ${DEFAULT-VALUE}; one per core is"
              + " slower when other work shares the cores).")
  int threads;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures here.")
  Path json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (examples < 1 || repeats < 1 || threads < 1) {
      throw new CliException(
          "--examples, --repeats and --threads must be at least 1, not "
              + examples
              + ", "
              + repeats
              + " and "
              + threads);
    }
    for (String name : List.of(IMAGES, LABELS)) {
      if (!Files.isReadable(data.resolve(name))) {
        throw new CliException(
            "--data "
                + data
                + ": "
                + name
                + " is missing or unreadable (install Debian's dataset-fashion-mnist, or point"
                + " --data at a folder with the IDX files)");
      }
    }
    BenchJson.checkWritable(json);
    // Read by DJL's engine when it loads, which has not happened yet in this process.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    String loadAtStart = Machine.loadAverage();
    List<EpochBenchmark.Result> results =
        EpochBenchmark.run(
            data.resolve(IMAGES),
            data.resolve(LABELS),
            examples,
            repeats,
            spec.commandLine().getOut());
    Map<String, Object> figures = EpochBenchmark.figures(results);
    figures.put("threads", threads);
    figures.putAll(Machine.describe());
    figures.put("loadavg_at_start", loadAtStart);
    figures.put("loadavg_at_end", Machine.loadAverage());
    spec.commandLine().getOut().println("goal_met=" + figures.get("goal_met"));
    BenchJson.write(json, figures);
    return 0;
  }
}
