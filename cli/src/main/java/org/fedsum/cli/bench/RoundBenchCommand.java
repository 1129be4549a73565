package org.fedsum.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.fedsum.cli.CliException;
import org.fedsum.cli.bench.round.RoundBenchmark;
import org.fedsum.protocol.Stage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum bench round}: one full round over mutual TLS, secure aggregation on and off. */
@Command(
    name = "round",
    mixinStandardHelpOptions = true,
    description = {
      "Whole rounds over mutual TLS on 127.0.0.1 without training: the real aggregator service and"
          + " n silos (the real silo client, each with its own certificate) in this process,"
          + " secure rounds alternating with plain rounds of the same vectors over the same"
          + " server; medians, per-stage times, bytes each silo sends and receives (counted by a"
          + " relay per silo), and the aggregator's peak heap (the aggregator in its own JVM"
          + " with a GC log, one more secure round). Every secure sum is checked against the plain"
          + " sum. JSON keys: secure_ms, plain_ms, ratio, bytes_per_silo, bytes_ratio (bytes per"
          + " silo / 4m), peak_heap_bytes, stage_ms, and more. Goals: ratio <= 1.5 at n = 10,"
          + " m = 10^6; bytes_ratio <= 1.05."
    })
final class RoundBenchCommand implements Callable<Integer> {
  private static final Pattern SIZE = Pattern.compile("([0-9]{1,9})([kKmMgG])");

  @Option(
      names = "--silos",
      defaultValue = "10",
      paramLabel = "N",
      description = "Silos, at least 3 (default: ${DEFAULT-VALUE}).")
  int silos;

  @Option(
      names = "--params",
      defaultValue = "1000000",
      paramLabel = "M",
      description = "Coordinates per update (default: ${DEFAULT-VALUE}).")
  int parameters;

  @Option(
      names = "--bits",
      defaultValue = "32",
      paramLabel = "B",
      description =
          "Bits per coordinate, 8 to 32 (default: ${DEFAULT-VALUE}): the masked vectors go packed"
              + " at b bits, with the encoding's gamma chosen for b; the decode error is reported.")
  int bits;

  @Option(
      names = "--rotation",
      defaultValue = "true",
      arity = "1",
      paramLabel = "true|false",
      description =
          "The randomized Hadamard rotation of the encoding, as in a run config (default:"
              + " ${DEFAULT-VALUE}, the run config's default); with it the vector is padded to the"
              + " rotation's length, at most 1/64 more words.")
  boolean rotation;

  @Option(
      names = "--rounds",
      defaultValue = "7",
      paramLabel = "R",
      description = "Timed rounds of each kind, alternating (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--warm-up-rounds",
      defaultValue = "40",
      paramLabel = "W",
      description =
          "Untimed rounds of each kind first (default: ${DEFAULT-VALUE}): the JIT compiles the"
              + " secure round's many rarely called paths (JSON, signatures, HTTP) over tens of"
              + " rounds, and a long-running aggregator is measured once that is done.")
  int warmUpRounds;

  @Option(
      names = "--dropouts",
      defaultValue = "0",
      paramLabel = "D",
      description =
          "Silos that go silent in every secure round, leaving at least the threshold (about two"
              + " thirds of n, at least 3) (default: ${DEFAULT-VALUE}).")
  int dropouts;

  @Option(
      names = "--dropout-stage",
      defaultValue = "MASKED_INPUT",
      paramLabel = "STAGE",
      description =
          "The stage whose message the dropouts do not send: ADVERTISE_KEYS, SHARE_KEYS,"
              + " MASKED_INPUT (before sending the masked vector), CONSISTENCY_CHECK (right after"
              + " sending it) or UNMASK (default: ${DEFAULT-VALUE}).")
  String dropoutStage;

  @Option(
      names = "--dropout-deadline-ms",
      defaultValue = "20000",
      paramLabel = "MS",
      description =
          "Deadline of the stage the dropouts go silent at: the upper bound of its wait, which"
              + " early close (--grace-min-ms, --grace-factor) normally cuts short; generous, so"
              + " that a loaded machine's slow MASKED_INPUT does not abort the round"
              + " (default: ${DEFAULT-VALUE}).")
  long dropoutDeadlineMillis;

  @Option(
      names = "--grace-min-ms",
      defaultValue = "200",
      paramLabel = "MS",
      description =
          "The run's earlyClose.minimumGrace: the least wait after a stage's quorum before it"
              + " closes without its silent silos; short, for 127.0.0.1 (a real run defaults to"
              + " 15 s) (default: ${DEFAULT-VALUE}).")
  long graceMinimumMillis;

  @Option(
      names = "--grace-factor",
      defaultValue = "0.5",
      paramLabel = "F",
      description =
          "The run's earlyClose.graceFactor: the wait as a multiple of the time the quorum took"
              + " (a real run defaults to 2) (default: ${DEFAULT-VALUE}).")
  double graceFactor;

  @Option(
      names = "--no-transport",
      description =
          "Skip the transport part (secure against plain rounds in this process), for a heap"
              + " figure alone at sizes where n silos in one process are too many; secure_ms,"
              + " plain_ms and ratio are null.")
  boolean noTransport;

  @Option(
      names = "--no-heap",
      description = "Skip the heap part (the aggregator in its own JVM); peak_heap_bytes is null.")
  boolean noHeap;

  @Option(
      names = "--heap-xmx",
      paramLabel = "SIZE",
      description = "The aggregator's -Xmx in the heap part, e.g. 512m (default: 96 MiB + 6 x 4m).")
  String heapXmx;

  @Option(
      names = "--work-directory",
      paramLabel = "DIR",
      description =
          "Where the aggregator's data directories go, deleted at the end (default: the system's"
              + " temporary folder).")
  Path workDirectory;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures here.")
  Path json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException {
    RoundBenchmark.Options options =
        options(
            silos,
            parameters,
            bits,
            rotation,
            rounds,
            warmUpRounds,
            dropouts,
            dropoutStage,
            dropoutDeadlineMillis,
            graceMinimumMillis,
            graceFactor,
            !noTransport,
            !noHeap,
            heapXmx,
            workDirectory);
    BenchJson.checkWritable(json);
    Map<String, Object> figures = run(options, spec.commandLine().getOut());
    BenchJson.write(json, figures);
    return 0;
  }

  /** Checks the options shared with {@code bench scaling}, naming the one that is wrong. */
  static RoundBenchmark.Options options(
      int silos,
      int parameters,
      int bits,
      boolean rotation,
      int rounds,
      int warmUpRounds,
      int dropouts,
      String dropoutStage,
      long dropoutDeadlineMillis,
      long graceMinimumMillis,
      double graceFactor,
      boolean transport,
      boolean heap,
      String heapXmx,
      Path workDirectory)
      throws CliException {
    try {
      return new RoundBenchmark.Options(
          silos,
          parameters,
          bits,
          rotation,
          rounds,
          warmUpRounds,
          dropouts,
          stage(dropoutStage),
          Duration.ofMillis(dropoutDeadlineMillis),
          Duration.ofMillis(graceMinimumMillis),
          graceFactor,
          transport,
          heap,
          heapXmx == null ? 0 : size("--heap-xmx", heapXmx),
          workDirectory == null ? Path.of(System.getProperty("java.io.tmpdir")) : workDirectory);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
  }

  /** Runs one benchmark, a failure of the run becoming a {@link CliException}. */
  static Map<String, Object> run(RoundBenchmark.Options options, java.io.PrintWriter out)
      throws CliException {
    try {
      return RoundBenchmark.run(options, out);
    } catch (IllegalStateException | IOException e) {
      throw new CliException(
          "the round benchmark failed: " + e.getMessage(), CliException.FAILURE, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted", CliException.FAILURE, e);
    }
  }

  private static Stage stage(String name) {
    try {
      return Stage.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--dropout-stage "
              + name
              + ": unknown stage; one of "
              + Arrays.stream(Stage.values()).map(Stage::name).collect(Collectors.joining(", ")),
          e);
    }
  }

  private static long size(String option, String value) {
    Matcher matcher = SIZE.matcher(value.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          option + " " + value + ": a size such as 512m or 2g is needed");
    }
    long amount = Long.parseLong(matcher.group(1));
    return switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
      case "k" -> amount << 10;
      case "m" -> amount << 20;
      default -> amount << 30;
    };
  }
}
