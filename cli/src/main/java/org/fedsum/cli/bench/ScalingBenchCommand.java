package org.fedsum.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.cli.bench.round.RoundBenchmark;
import org.fedsum.crypto.bench.Machine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum bench scaling}: {@code bench round} over a grid of silo counts and model sizes. */
@Command(
    name = "scaling",
    mixinStandardHelpOptions = true,
    description = {
      "Runs 'bench round' (without its heap part unless --heap) for every silo count and model"
          + " size of the grid, writes the grid as JSON (key points: one object per point with"
          + " silos, params, secure_ms, plain_ms, ratio, bytes_per_silo, bytes_ratio, stage_ms, or"
          + " skipped / failed with the reason) and a PNG chart: round time against parameters on"
          + " log-log axes, one line per silo count, and the plain rounds dashed. A point whose"
          + " vectors cannot fit in this JVM's heap is skipped, and a failed point does not stop"
          + " the others. The default grid is far beyond a small machine: give explicit lists."
    })
final class ScalingBenchCommand implements Callable<Integer> {
  @Option(
      names = "--silos",
      split = ",",
      paramLabel = "N",
      description = "Silo counts, comma-separated (default: 3,10,30,100).")
  List<Integer> silos = List.of(3, 10, 30, 100);

  @Option(
      names = "--params",
      split = ",",
      paramLabel = "M",
      description =
          "Model sizes, comma-separated (default: 10000,100000,1000000,10000000,100000000).")
  List<Integer> parameters = List.of(10_000, 100_000, 1_000_000, 10_000_000, 100_000_000);

  @Option(
      names = "--rounds",
      defaultValue = "1",
      paramLabel = "R",
      description = "Timed rounds of each kind per point (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--warm-up-rounds",
      defaultValue = "1",
      paramLabel = "W",
      description = "Untimed rounds of each kind per point first (default: ${DEFAULT-VALUE}).")
  int warmUpRounds;

  @Option(
      names = "--heap",
      description = "Also run each point's heap part (the aggregator in its own JVM).")
  boolean heap;

  @Option(
      names = "--work-directory",
      paramLabel = "DIR",
      description = "Where the data directories go (default: the system's temporary folder).")
  Path workDirectory;

  @Option(
      names = "--chart",
      paramLabel = "FILE",
      description = "The PNG chart (default: beside --json, with .png for .json).")
  Path chart;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the grid here.")
  Path json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException {
    if (silos.isEmpty() || parameters.isEmpty()) {
      throw new CliException("--silos and --params each need at least one value");
    }
    // Every point's options are checked before the first one runs.
    List<RoundBenchmark.Options> points = new ArrayList<>();
    for (int n : silos) {
      for (int m : parameters) {
        points.add(
            RoundBenchCommand.options(
                n,
                m,
                RoundBenchmark.DEFAULT_BITS,
                true,
                rounds,
                warmUpRounds,
                0,
                "MASKED_INPUT",
                2000,
                200,
                0.5,
                true,
                heap,
                null,
                workDirectory));
      }
    }
    BenchJson.checkWritable(json);
    Path png = chart;
    if (png == null && json != null) {
      String name = json.getFileName().toString();
      png =
          json.resolveSibling(
              (name.endsWith(".json") ? name.substring(0, name.length() - 5) : name) + ".png");
    }
    BenchJson.checkWritable(chart == null ? "--json (its chart)" : "--chart", png);

    PrintWriter out = spec.commandLine().getOut();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.putAll(Machine.describe());
    figures.put("xmx_bytes", Runtime.getRuntime().maxMemory());
    figures.put("loadavg_at_start", Machine.loadAverage());
    figures.put("rounds", rounds);
    figures.put("warm_up_rounds", warmUpRounds);
    List<Map<String, Object>> grid = new ArrayList<>();
    long available = Runtime.getRuntime().maxMemory();
    for (RoundBenchmark.Options options : points) {
      Map<String, Object> point = new LinkedHashMap<>();
      point.put("silos", options.silos());
      point.put("params", options.parameters());
      long needed = RoundBenchmark.estimatedHeapBytes(options.silos(), options.parameters());
      out.printf(
          Locale.ROOT, "%n### point n = %d, m = %d%n", options.silos(), options.parameters());
      out.flush();
      if (needed > available) {
        String reason =
            String.format(
                Locale.ROOT,
                "needs about %d MiB of heap for n = %d vectors of m = %d words and their masked"
                    + " copies; this JVM has %d MiB (-Xmx)",
                needed >> 20,
                options.silos(),
                options.parameters(),
                available >> 20);
        out.println("skipped: " + reason);
        point.put("skipped", reason);
      } else {
        try {
          Map<String, Object> result = RoundBenchmark.run(options, out);
          for (String key :
              List.of(
                  "secure_ms",
                  "plain_ms",
                  "ratio",
                  "secure_ms_min_max",
                  "plain_ms_min_max",
                  "secure_finished_ms",
                  "cpu_ratio",
                  "bytes_per_silo",
                  "bytes_ratio",
                  "plain_bytes_per_silo",
                  "stage_ms",
                  "peak_heap_bytes",
                  "loadavg_at_start",
                  "loadavg_at_end")) {
            point.put(key, result.get(key));
          }
        } catch (RuntimeException | IOException | OutOfMemoryError e) {
          // One point's failure (a round that timed out, a heap too small after all) is a
          // figure of the grid, not the end of it.
          String reason = e.getMessage() == null ? e.toString() : e.getMessage();
          out.println("failed: " + reason);
          point.put("failed", reason);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CliException("interrupted", CliException.FAILURE, e);
        }
      }
      grid.add(point);
    }
    figures.put("points", grid);
    figures.put("loadavg_at_end", Machine.loadAverage());
    table(out, grid);
    boolean anyFinished = grid.stream().anyMatch(point -> point.containsKey("secure_ms"));
    if (png != null && anyFinished) {
      chart(grid, png);
      figures.put("chart", png.toString());
      out.println("chart: " + png);
    } else {
      figures.put("chart", null);
    }
    out.flush();
    BenchJson.write(json, figures);
    if (!anyFinished) {
      throw new CliException(
          "no point of the grid finished (each was skipped or failed; see above), so there is no"
              + " chart",
          CliException.FAILURE,
          null);
    }
    return 0;
  }

  private static void table(PrintWriter out, List<Map<String, Object>> grid) {
    out.printf(Locale.ROOT, "%n   silos       params  secure ms   plain ms   ratio  bytes/4m%n");
    for (Map<String, Object> point : grid) {
      if (point.containsKey("secure_ms")) {
        out.printf(
            Locale.ROOT,
            "%8d %12d %10.1f %10.1f %7.3f %9.4f%n",
            (Integer) point.get("silos"),
            (Integer) point.get("params"),
            (Double) point.get("secure_ms"),
            (Double) point.get("plain_ms"),
            (Double) point.get("ratio"),
            (Double) point.get("bytes_ratio"));
      } else {
        out.printf(
            Locale.ROOT,
            "%8d %12d  %s%n",
            (Integer) point.get("silos"),
            (Integer) point.get("params"),
            point.containsKey("skipped")
                ? "skipped: " + point.get("skipped")
                : "failed: " + point.get("failed"));
      }
    }
  }

  /** Secure round time against parameters, one line per silo count; plain rounds dashed. */
  private void chart(List<Map<String, Object>> grid, Path png) throws CliException {
    LineChart chart =
        new LineChart(
            "Round time over mutual TLS on 127.0.0.1 (bench scaling)",
            "parameters m",
            "round time (ms), median");
    List<LineChart.Series> plainLines = new ArrayList<>();
    for (int n : silos) {
      List<double[]> secure = new ArrayList<>();
      List<double[]> plain = new ArrayList<>();
      for (Map<String, Object> point : grid) {
        if ((Integer) point.get("silos") == n && point.containsKey("secure_ms")) {
          double m = (Integer) point.get("params");
          secure.add(new double[] {m, (Double) point.get("secure_ms")});
          plain.add(new double[] {m, (Double) point.get("plain_ms")});
        }
      }
      if (!secure.isEmpty()) {
        chart.add(new LineChart.Series("secure, n = " + n, secure, false));
        plainLines.add(new LineChart.Series("plain, n = " + n, plain, true));
      }
    }
    plainLines.forEach(chart::add);
    try {
      chart.writePng(png);
    } catch (IOException e) {
      throw new CliException(
          "--chart " + png + ": cannot write it (" + e.getMessage() + ")", CliException.FAILURE, e);
    }
  }
}
