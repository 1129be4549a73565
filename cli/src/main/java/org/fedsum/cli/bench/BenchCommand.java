package org.fedsum.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code fedsum bench NAME}: runs one benchmark (BENCHMARKS.md says what each measures). */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Run one benchmark, print its figures as a table, and with --json FILE write them as one"
          + " JSON object. Comparisons run both sides in the same run, alternating, and report"
          + " medians and the ratio."
    },
    subcommands = {
      PrgBenchCommand.class,
      RoundBenchCommand.class,
      ScalingBenchCommand.class,
      PaperBenchCommand.class,
      TrainBenchCommand.class
    })
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a benchmark name is needed");
  }
}
