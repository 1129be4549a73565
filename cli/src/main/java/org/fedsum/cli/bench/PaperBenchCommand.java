package org.fedsum.cli.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.bench.PaperBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum bench paper}: the settings of Bonawitz et al. 2017, in memory. */
@Command(
    name = "paper",
    mixinStandardHelpOptions = true,
    description = {
      "Whole secure-aggregation rounds in memory at the settings of Bonawitz et al. 2017 (n = 500"
          + " and 1000 clients, m = 10^5, 0/10/30 % dropouts after sharing keys), next to the"
          + " paper's figures (0.85 s per client at n = 500; server 62 s at 10 % and 143 s at 30 %"
          + " dropouts). Goal: at least 10x faster, client and server. JSON keys: client_speedup,"
          + " server_speedup_10, server_speedup_30, rows. The full grid takes several minutes"
          + " and a few GB of heap."
    })
final class PaperBenchCommand implements Callable<Integer> {
  @Option(
      names = "--clients",
      split = ",",
      paramLabel = "N",
      description = "Client counts, comma-separated (default: 500,1000).")
  List<Integer> clients = List.of(500, 1000);

  @Option(
      names = "--params",
      defaultValue = "100000",
      paramLabel = "M",
      description = "Coordinates per update (default: ${DEFAULT-VALUE}).")
  int dimension;

  @Option(
      names = "--dropouts",
      split = ",",
      paramLabel = "PERCENT",
      description = "Dropout rates in percent, comma-separated (default: 0,10,30).")
  List<Integer> dropoutPercents = List.of(0, 10, 30);

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures here.")
  Path json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException {
    PaperBenchmark.Options options;
    try {
      options = new PaperBenchmark.Options(clients, dimension, dropoutPercents);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
    BenchJson.checkWritable(json);
    Map<String, Object> figures;
    try {
      figures = PaperBenchmark.run(options, spec.commandLine().getOut());
    } catch (ProtocolException e) {
      throw new CliException(
          "an honest simulated round was refused: " + e.getMessage(), CliException.FAILURE, e);
    }
    BenchJson.write(json, figures);
    return 0;
  }
}
