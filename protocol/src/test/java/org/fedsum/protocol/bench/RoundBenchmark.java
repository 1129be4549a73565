package org.fedsum.protocol.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.fedsum.crypto.MaskPrg;
import org.fedsum.crypto.SecretBytes;
import org.fedsum.protocol.AggregatorState;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.TestFederation;
import org.fedsum.protocol.simulation.RoundSimulation;

/**
 * Whole rounds in memory (every silo and the aggregator in this JVM, no network), measuring what
 * the protocol itself costs. Prints a table; not a test.
 *
 * <p>Scenarios (issue "protocol core"): n = 10, m = 10^6, b = 32 with no dropouts and with 2 silos
 * dropping at MASKED_INPUT (they shared keys but never sent a vector, so the aggregator must
 * rebuild their masking keys and remove 2·8 pairwise masks); per-silo masking time against the
 * AES-CTR floor (n − 1)·4m bytes at the PRG rate measured in the same run; then n = 500, m = 10^5
 * with 10% dropouts, the setting of Bonawitz et al. 2017 (0.85 s per client, 62 s at the server).
 *
 * <p>Arguments: {@code [repetitions] [--skip-paper]}.
 */
public final class RoundBenchmark {
  private static final double PAPER_CLIENT_SECONDS = 0.85;
  private static final double PAPER_SERVER_SECONDS_10 = 62;

  private RoundBenchmark() {}

  public static void main(String[] args) throws Exception {
    int repetitions = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    boolean paper = !Arrays.asList(args).contains("--skip-paper");
    boolean paperOnly = Arrays.asList(args).contains("--paper-only");
    System.out.printf(
        Locale.ROOT,
        "machine: %d cores, %s, JDK %s, load average %.2f at start%n",
        Runtime.getRuntime().availableProcessors(),
        cpuModel(),
        System.getProperty("java.version"),
        loadAverage());

    int n = 10;
    int m = 1_000_000;
    TestFederation federation = TestFederation.create(paper ? 500 : n);
    double[] prgRates = prgRate(m);
    double prgBytesPerSecond = prgRates[0];
    double prgCpuBytesPerSecond = prgRates[1];
    System.out.printf(
        Locale.ROOT,
        "PRG addTo rate, one thread: %.3f GB/s wall clock, %.3f GB/s CPU time (%s)%n",
        prgBytesPerSecond / 1e9,
        prgCpuBytesPerSecond / 1e9,
        MaskPrg.create(SecretBytes.random(32, new SecureRandom()), 32).implementation());

    if (paperOnly) {
      repetitions = -1;
    }
    List<Double> maskNoDrop = new ArrayList<>();
    List<Double> maskDrop = new ArrayList<>();
    List<Double> unmaskNoDrop = new ArrayList<>();
    List<Double> unmaskDrop = new ArrayList<>();
    List<Double> maskCpuNoDrop = new ArrayList<>();
    List<Double> maskCpuDrop = new ArrayList<>();
    List<Double> unmaskCpuNoDrop = new ArrayList<>();
    List<Double> unmaskCpuDrop = new ArrayList<>();
    List<Double> unmaskLate = new ArrayList<>();
    List<Double> unmaskCpuLate = new ArrayList<>();
    for (int r = 0; r < repetitions + 1; r++) {
      // Alternate the three scenarios; the first set warms up the JIT and is discarded.
      Result none = run(federation, n, n - 3, m, Map.of(), r);
      Result two =
          run(
              federation,
              n,
              n - 3,
              m,
              Map.of(
                  TestFederation.siloId(3), Stage.MASKED_INPUT,
                  TestFederation.siloId(7), Stage.MASKED_INPUT),
              r);
      Result late =
          run(
              federation,
              n,
              n - 3,
              m,
              Map.of(
                  TestFederation.siloId(3), Stage.CONSISTENCY_CHECK,
                  TestFederation.siloId(7), Stage.CONSISTENCY_CHECK),
              r);
      if (r > 0) {
        maskNoDrop.add(none.maskingSecondsPerSilo);
        maskDrop.add(two.maskingSecondsPerSilo);
        unmaskNoDrop.add(none.unmaskSeconds);
        unmaskDrop.add(two.unmaskSeconds);
        maskCpuNoDrop.add(none.maskingCpuSecondsPerSilo);
        maskCpuDrop.add(two.maskingCpuSecondsPerSilo);
        unmaskCpuNoDrop.add(none.unmaskCpuSeconds);
        unmaskCpuDrop.add(two.unmaskCpuSeconds);
        unmaskLate.add(late.unmaskSeconds);
        unmaskCpuLate.add(late.unmaskCpuSeconds);
      }
    }
    if (!paperOnly) {
      printSmallFederation(
          n,
          m,
          repetitions,
          (n - 1) * 4.0 * m / prgBytesPerSecond,
          (n - 1) * 4.0 * m / prgCpuBytesPerSecond,
          List.of(maskNoDrop, maskDrop, unmaskNoDrop, unmaskDrop, unmaskLate),
          List.of(maskCpuNoDrop, maskCpuDrop, unmaskCpuNoDrop, unmaskCpuDrop, unmaskCpuLate));
    }
    if (paper) {
      printPaperSetting(federation);
    }
  }

  private static void printSmallFederation(
      int n,
      int m,
      int repetitions,
      double floor,
      double floorCpu,
      List<List<Double>> wall,
      List<List<Double>> cpu) {
    List<Double> maskNoDrop = wall.get(0);
    List<Double> maskDrop = wall.get(1);
    List<Double> unmaskNoDrop = wall.get(2);
    List<Double> unmaskDrop = wall.get(3);
    List<Double> maskCpuNoDrop = cpu.get(0);
    List<Double> maskCpuDrop = cpu.get(1);
    List<Double> unmaskCpuNoDrop = cpu.get(2);
    List<Double> unmaskCpuDrop = cpu.get(3);
    List<Double> unmaskLate = wall.get(4);
    List<Double> unmaskCpuLate = cpu.get(4);
    System.out.printf(
        Locale.ROOT,
        "%nn=%d m=%d b=32, %d repetitions; median [min, max]; wall clock | CPU time%n",
        n,
        m,
        repetitions);
    System.out.printf(
        Locale.ROOT,
        "AES-CTR floor per silo ((n-1)*4m bytes at the PRG rate): %.1f ms | %.1f ms%n",
        floor * 1e3,
        floorCpu * 1e3);
    System.out.printf(
        Locale.ROOT,
        "per-silo masking, 0 dropouts: %s | %s  ratio to floor %.2f | %.2f%n",
        stats(maskNoDrop),
        stats(maskCpuNoDrop),
        median(maskNoDrop) / floor,
        median(maskCpuNoDrop) / floorCpu);
    System.out.printf(
        Locale.ROOT,
        "per-silo masking, 2 dropouts: %s | %s  ratio to floor %.2f | %.2f%n",
        stats(maskDrop),
        stats(maskCpuDrop),
        median(maskDrop) / floor,
        median(maskCpuDrop) / floorCpu);
    System.out.printf(
        Locale.ROOT,
        "server unmask,    0 dropouts: %s | %s (process CPU, all threads)%n",
        stats(unmaskNoDrop),
        stats(unmaskCpuNoDrop));
    System.out.printf(
        Locale.ROOT,
        "server unmask,    2 dropouts at MASKED_INPUT (in U2, not U3): %s | %s  ratio to 0 dropouts %.2f | %.2f%n",
        stats(unmaskDrop),
        stats(unmaskCpuDrop),
        median(unmaskDrop) / median(unmaskNoDrop),
        median(unmaskCpuDrop) / median(unmaskCpuNoDrop));
    System.out.printf(
        Locale.ROOT,
        "server unmask,    2 late dropouts (sent vectors, gone at CONSISTENCY_CHECK): %s | %s"
            + "  ratio to 0 dropouts %.2f | %.2f%n",
        stats(unmaskLate),
        stats(unmaskCpuLate),
        median(unmaskLate) / median(unmaskNoDrop),
        median(unmaskCpuLate) / median(unmaskCpuNoDrop));
  }

  private static void printPaperSetting(TestFederation federation) throws ProtocolException {
    {
      int clients = 500;
      int dim = 100_000;
      Map<String, Stage> dropouts = new TreeMap<>();
      for (int i = 0; i < clients / 10; i++) {
        dropouts.put(TestFederation.siloId(i * 10 + 1), Stage.MASKED_INPUT);
      }
      Result result = run(federation, clients, clients / 2 + 2, dim, dropouts, 1);
      System.out.printf(
          Locale.ROOT,
          "%npaper setting n=%d m=%d b=32, 10%% dropouts at MASKED_INPUT, one run%n",
          clients,
          dim);
      System.out.printf(
          Locale.ROOT,
          "per-client time (median over clients, all stages): %.3f s  vs paper %.2f s  speed-up %.1fx%n",
          result.clientSecondsMedian,
          PAPER_CLIENT_SECONDS,
          PAPER_CLIENT_SECONDS / result.clientSecondsMedian);
      System.out.printf(
          Locale.ROOT,
          "server time (all transitions, summing, unmasking): %.3f s  vs paper %.0f s  speed-up %.1fx%n",
          result.serverSeconds,
          PAPER_SERVER_SECONDS_10,
          PAPER_SERVER_SECONDS_10 / result.serverSeconds);
      System.out.printf(Locale.ROOT, "  of which unmasking: %.3f s%n", result.unmaskSeconds);
      System.out.printf(
          Locale.ROOT,
          "per-client CPU time (median over clients, all Java threads): %.3f s%n",
          result.clientProcessCpuSecondsMedian);
      System.out.printf(
          Locale.ROOT, "per-client time by stage (median over clients):%s%n", result.clientStages);
      System.out.printf(
          Locale.ROOT,
          "mask keystream at the end: %s; load average %.2f at the end%n",
          MaskPrg.create(SecretBytes.random(32, new SecureRandom()), 32).implementation(),
          loadAverage());
    }
  }

  /** The one-minute load average: the machine is shared, so every figure is read against it. */
  private static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private record Result(
      double maskingSecondsPerSilo,
      double maskingCpuSecondsPerSilo,
      double unmaskSeconds,
      double unmaskCpuSeconds,
      double clientSecondsMedian,
      double serverSeconds,
      double clientProcessCpuSecondsMedian,
      String clientStages) {}

  private static Result run(
      TestFederation federation,
      int n,
      int threshold,
      int m,
      Map<String, Stage> dropouts,
      long round)
      throws ProtocolException {
    RoundConfig config =
        new RoundConfig(
            TestFederation.FEDERATION_ID,
            round,
            RoundConfig.PROTOCOL_VERSION,
            federation.roster(n),
            threshold,
            RoundConfig.MINIMUM_SURVIVORS_FLOOR,
            32,
            m,
            SecurityModel.HONEST_BUT_CURIOUS,
            1);
    Map<String, SiloContext> contexts = federation.contexts(config.roster(), new SecureRandom());
    Map<String, int[]> inputs =
        TestFederation.randomInputs(config.roster(), 32, m, new Random(round));
    RoundSimulation.Outcome outcome =
        new RoundSimulation(config, contexts, dropouts, federation.now()).run(inputs);
    if (!(outcome.aggregatorState() instanceof AggregatorState.Finished finished)) {
      throw new IllegalStateException("round did not finish: " + outcome.aggregatorState());
    }
    if (!Arrays.equals(
        outcome.sum(), RoundSimulation.expectedSum(inputs, finished.survivors(), 32))) {
      throw new IllegalStateException("wrong sum");
    }
    List<Double> masking = new ArrayList<>();
    List<Double> maskingCpu = new ArrayList<>();
    List<Double> clientTotal = new ArrayList<>();
    List<Double> clientProcessCpu = new ArrayList<>();
    for (String survivor : finished.survivors()) {
      clientProcessCpu.add(outcome.siloProcessCpuNanos().get(survivor) / 1e9);
      masking.add(outcome.siloStageNanos().get(survivor).get(Stage.MASKED_INPUT) / 1e9);
      maskingCpu.add(outcome.siloStageCpuNanos().get(survivor).get(Stage.MASKED_INPUT) / 1e9);
      clientTotal.add(outcome.siloNanos().get(survivor) / 1e9);
    }
    StringBuilder clientStages = new StringBuilder();
    for (Stage stage : Stage.values()) {
      List<Double> seconds = new ArrayList<>();
      for (String survivor : finished.survivors()) {
        Long nanos = outcome.siloStageNanos().get(survivor).get(stage);
        if (nanos != null) {
          seconds.add(nanos / 1e9);
        }
      }
      if (!seconds.isEmpty()) {
        clientStages.append(
            String.format(Locale.ROOT, " %s %.1f ms", stage, median(seconds) * 1e3));
      }
    }
    return new Result(
        median(masking),
        median(maskingCpu),
        outcome.unmaskNanos() / 1e9,
        outcome.unmaskProcessCpuNanos() / 1e9,
        median(clientTotal),
        outcome.aggregatorNanos() / 1e9,
        median(clientProcessCpu),
        clientStages.toString());
  }

  /** Single-thread {@code addTo} rate in bytes per second: {wall clock, CPU time}. */
  private static double[] prgRate(int m) {
    int[] buffer = new int[m];
    MaskPrg prg = MaskPrg.create(SecretBytes.random(32, new SecureRandom()), 32);
    for (int i = 0; i < 20; i++) {
      prg.addTo(buffer, 0, m, (long) i * m);
    }
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    List<Double> rates = new ArrayList<>();
    List<Double> cpuRates = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      long started = System.nanoTime();
      long startedCpu = threads.getCurrentThreadCpuTime();
      prg.addTo(buffer, 0, m, (long) i * m);
      rates.add(4.0 * m / ((System.nanoTime() - started) / 1e9));
      cpuRates.add(4.0 * m / ((threads.getCurrentThreadCpuTime() - startedCpu) / 1e9));
    }
    return new double[] {median(rates), median(cpuRates)};
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  private static String stats(List<Double> seconds) {
    double min = seconds.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double max = seconds.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return String.format(
        Locale.ROOT, "%.1f ms [%.1f, %.1f]", median(seconds) * 1e3, min * 1e3, max * 1e3);
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(line -> line.startsWith("model name"))
          .map(line -> line.substring(line.indexOf(':') + 1).trim())
          .findFirst()
          .orElse("unknown CPU");
    } catch (java.io.IOException e) {
      return "unknown CPU";
    }
  }
}
