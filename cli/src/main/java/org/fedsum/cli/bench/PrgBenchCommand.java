package org.fedsum.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.crypto.bench.PrgBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum bench prg}: the mask PRG's single-core rate against OpenSSL's AES-256-CTR. */
@Command(
    name = "prg",
    mixinStandardHelpOptions = true,
    description = {
      "Mask PRG single-core throughput (MaskPrg.fill and addTo, b = 32, 1 MiB buffers) beside"
          + " 'openssl speed -evp aes-256-ctr' run in the same process run, alternating. Goal:"
          + " ratio >= 0.5. JSON keys: prg_bytes_per_s, openssl_bytes_per_s, ratio (and CPU-time"
          + " counterparts, machine, load average)."
    })
final class PrgBenchCommand implements Callable<Integer> {
  @Option(
      names = "--repetitions",
      defaultValue = "5",
      paramLabel = "N",
      description = "Alternations of PRG samples and OpenSSL runs (default: ${DEFAULT-VALUE}).")
  int repetitions;

  @Option(
      names = "--sample-seconds",
      defaultValue = "1.0",
      paramLabel = "S",
      description = "Length of each PRG sample (default: ${DEFAULT-VALUE}).")
  double sampleSeconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "3.0",
      paramLabel = "S",
      description = "Warm-up per row before the repetitions (default: ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(
      names = "--openssl-seconds",
      defaultValue = "3",
      paramLabel = "S",
      description = "Length of each openssl speed run (default: ${DEFAULT-VALUE}).")
  int opensslSeconds;

  @Option(
      names = "--implementations",
      split = ",",
      paramLabel = "NAME",
      description =
          "Keystream implementations to measure, comma-separated (default: every one that works"
              + " here).")
  List<String> implementations = List.of();

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures here.")
  Path json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException {
    PrgBenchmark.Options options;
    try {
      options =
          new PrgBenchmark.Options(
              repetitions, sampleSeconds, warmupSeconds, opensslSeconds, implementations);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
    BenchJson.checkWritable(json);
    PrintWriter out = spec.commandLine().getOut();
    Map<String, Object> figures;
    try {
      figures = PrgBenchmark.run(options, out);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException(
          "the PRG benchmark failed: " + e.getMessage(), CliException.FAILURE, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted", CliException.FAILURE, e);
    }
    BenchJson.write(json, figures);
    return 0;
  }
}
