package org.fedsum.crypto.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.ToDoubleFunction;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.fedsum.crypto.MaskPrg;
import org.fedsum.crypto.MaskPrgImplementations;
import org.fedsum.crypto.SecretBytes;
import org.fedsum.crypto.internal.AesCtrKeystream;
import org.fedsum.crypto.internal.AesCtrKeystream.Implementation;

/**
 * Single-thread throughput of {@link MaskPrg} against {@code openssl speed -evp aes-256-ctr} in the
 * same run (DESIGN.md §3 goal: the PRG at least half of OpenSSL's single-core AES-256-CTR rate).
 * Not a test: {@code fedsum bench prg} runs it (BENCHMARKS.md, "Mask PRG throughput").
 *
 * <p>Each measurement produces masks for a 1 MiB {@code int[]} (262,144 words of 32 bits) over and
 * over, at consecutive coordinates, for about {@code --sample-seconds}; its figures are bytes of
 * mask per wall-clock second and per second of the thread's CPU time. After a warm-up (long enough
 * for C2 to compile the JDK's AES intrinsics), the PRG samples and the OpenSSL runs alternate,
 * {@code --repetitions} times, so that a change in machine load affects both. OpenSSL runs as one
 * process, one thread; its {@code +R} line gives the number of buffers encrypted during the
 * wall-clock interval {@code -seconds} and the user CPU time they took, so both rates come from the
 * same run. On a machine shared with other work the CPU-time figures are the steadier ones: being
 * descheduled lowers a wall-clock rate but not a CPU-time rate.
 *
 * <p>Rows: {@code fill} and {@code addTo} are the public API; {@code keystream only} is the
 * implementation's AES-CTR keystream in MaskPrg's 64 KiB slices without turning bytes into words
 * (the ceiling for that implementation); the JDK's own {@code AES/CTR/NoPadding} is there for
 * reference only. A cold-start line shows how a fresh JVM ramps up before any warm-up.
 *
 * <p>Options: {@code --repetitions N} (default 5), {@code --sample-seconds S} (default 1.0), {@code
 * --warmup-seconds S} (default 3.0), {@code --openssl-seconds S} (default 3), {@code
 * --implementations conscrypt-aes-ctr,jdk-aes-ecb-counter} (default: every one that works here; the
 * headline figures use the preferred one, so keep it in the list).
 */
public final class PrgBenchmark {
  private static final int BUFFER_WORDS = (1 << 20) / Integer.BYTES;
  private static final long BUFFER_BYTES = (long) BUFFER_WORDS * Integer.BYTES;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final int repetitions;
  private final double sampleSeconds;
  private final double warmupSeconds;
  private final int opensslSeconds;
  // Labels of the implementations to measure; empty means every one that works here.
  private final List<String> only;
  private final PrintWriter out;

  /**
   * @param repetitions alternations of PRG samples and OpenSSL runs, at least 1
   * @param sampleSeconds length of each PRG sample, positive
   * @param warmupSeconds warm-up per row before the repetitions, at least 0
   * @param opensslSeconds length of each {@code openssl speed} run, at least 1
   * @param implementations labels of the keystream implementations to measure; empty for every one
   *     that works here
   */
  public record Options(
      int repetitions,
      double sampleSeconds,
      double warmupSeconds,
      int opensslSeconds,
      List<String> implementations) {
    public Options {
      if (repetitions < 1) {
        throw new IllegalArgumentException("repetitions must be at least 1, not " + repetitions);
      }
      if (!(sampleSeconds > 0) || !(warmupSeconds >= 0)) {
        throw new IllegalArgumentException(
            "sample seconds must be positive and warm-up seconds at least 0, not "
                + sampleSeconds
                + " and "
                + warmupSeconds);
      }
      if (opensslSeconds < 1) {
        throw new IllegalArgumentException(
            "openssl seconds must be at least 1, not " + opensslSeconds);
      }
      implementations = List.copyOf(implementations);
      List<String> known = new ArrayList<>();
      for (Implementation implementation : Implementation.values()) {
        known.add(implementation.label());
      }
      for (String label : implementations) {
        if (!known.contains(label)) {
          throw new IllegalArgumentException(
              "unknown implementation " + label + "; known: " + String.join(", ", known));
        }
      }
    }

    /**
     * 5 repetitions of 1 s samples, 3 s warm-up per row, 3 s OpenSSL runs, every implementation.
     */
    public static Options defaults() {
      return new Options(5, 1.0, 3.0, 3, List.of());
    }
  }

  private PrgBenchmark(Options options, PrintWriter out) {
    this.repetitions = options.repetitions();
    this.sampleSeconds = options.sampleSeconds();
    this.warmupSeconds = options.warmupSeconds();
    this.opensslSeconds = options.opensslSeconds();
    this.only = options.implementations();
    this.out = out;
  }

  /**
   * Runs the benchmark, printing progress and a table to {@code out}, and returns the figures by
   * key, in order: {@code prg_bytes_per_s}, {@code openssl_bytes_per_s} and {@code ratio} (wall
   * clock, the preferred implementation's {@code fill}), their CPU-time and {@code addTo}
   * counterparts, {@code goal_met}, and the machine.
   *
   * @throws IOException if {@code openssl speed} cannot be run or its output has no rate
   * @throws IllegalArgumentException if none of the implementations asked for works here
   */
  public static Map<String, Object> run(Options options, PrintWriter out)
      throws IOException, InterruptedException, GeneralSecurityException {
    return new PrgBenchmark(options, out).run();
  }

  /** Bytes per second by the wall clock and by the CPU time of the thread or process. */
  private record Rate(double wall, double cpu) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "wall %s  cpu %s", gigabytes(wall), gigabytes(cpu));
    }
  }

  /** One kind of measurement: an implementation and an operation. */
  private record Case(String implementation, String operation) {
    Case(Implementation implementation, String operation) {
      this(implementation.label(), operation);
    }

    String name() {
      return implementation + " " + operation;
    }
  }

  private Map<String, Object> run()
      throws IOException, InterruptedException, GeneralSecurityException {
    Map<String, Object> figures = new LinkedHashMap<>();
    String loadAtStart = Machine.loadAverage();
    SecureRandom random = new SecureRandom();
    SecretBytes seed = SecretBytes.random(MaskPrg.SEED_BYTES, random);
    List<Implementation> implementations = new ArrayList<>();
    if (AesCtrKeystream.conscryptAvailable()) {
      implementations.add(Implementation.CONSCRYPT_AES_CTR);
    }
    implementations.add(Implementation.JDK_AES_CTR);
    implementations.add(Implementation.JDK_AES_ECB_COUNTER);
    if (!only.isEmpty()) {
      List<String> working = implementations.stream().map(Implementation::label).toList();
      implementations.removeIf(implementation -> !only.contains(implementation.label()));
      if (implementations.isEmpty()) {
        throw new IllegalArgumentException(
            "none of the implementations "
                + String.join(", ", only)
                + " works on this machine; these do: "
                + String.join(", ", working));
      }
    }

    out.println("# mask PRG benchmark: 1 MiB int[] buffers, b = 32, one thread");
    figures.putAll(Machine.describe());
    figures.put("openssl_version", opensslVersion());
    figures.put("loadavg_at_start", loadAtStart);
    figures.forEach((key, value) -> out.println(key + "=" + value));
    out.println("preferred_implementation=" + AesCtrKeystream.preferredImplementation().label());

    // Before any warm-up: how fast is a fresh JVM? The JDK's AES intrinsics engage only once C2
    // has compiled the cipher's call path, so its first hundreds of MiB are slower. Measured JDK
    // first, so that it also pays for compiling MaskPrg's own loops.
    List<Implementation> coldOrder = new ArrayList<>(implementations);
    Collections.reverse(coldOrder);
    for (Implementation implementation : coldOrder) {
      coldStart(MaskPrgImplementations.create(seed, 32, implementation));
    }

    int[] buffer = new int[BUFFER_WORDS];
    Map<Case, LongConsumer> operations = new LinkedHashMap<>();
    for (Implementation implementation : implementations) {
      MaskPrg filling = MaskPrgImplementations.create(seed, 32, implementation);
      operations.put(
          new Case(implementation, "fill"),
          coordinate -> filling.fill(buffer, 0, buffer.length, coordinate));
      MaskPrg adding = MaskPrgImplementations.create(seed, 32, implementation);
      operations.put(
          new Case(implementation, "addTo"),
          coordinate -> adding.addTo(buffer, 0, buffer.length, coordinate));
      // The ceiling for this implementation: the keystream alone, in the same 64 KiB slices that
      // MaskPrg asks for, without turning bytes into words.
      byte[] key = new byte[32];
      random.nextBytes(key);
      AesCtrKeystream keystream = AesCtrKeystream.create(key, implementation);
      byte[] slice = new byte[64 * 1024];
      int blocksPerSlice = slice.length / AesCtrKeystream.BLOCK_BYTES;
      operations.put(
          new Case(implementation, "keystream only"),
          coordinate -> {
            long firstBlock = coordinate / 4;
            for (int i = 0; i < BUFFER_BYTES / slice.length; i++) {
              keystream.generate(firstBlock + (long) i * blocksPerSlice, slice, blocksPerSlice);
            }
            blackhole ^= slice[0];
          });
    }
    // Not used by MaskPrg: the JDK's own AES/CTR/NoPadding, in the same 64 KiB slices, for
    // comparison with DESIGN.md §3's figure for it.
    Cipher jdkCounterMode = Cipher.getInstance("AES/CTR/NoPadding");
    byte[] referenceKey = new byte[32];
    random.nextBytes(referenceKey);
    jdkCounterMode.init(
        Cipher.ENCRYPT_MODE,
        new SecretKeySpec(referenceKey, "AES"),
        new IvParameterSpec(new byte[AesCtrKeystream.BLOCK_BYTES]));
    byte[] zeros = new byte[64 * 1024];
    byte[] referenceOut = new byte[zeros.length];
    operations.put(
        new Case("jdk-aes-ctr (reference)", "keystream only"),
        coordinate -> {
          try {
            for (int i = 0; i < BUFFER_BYTES / zeros.length; i++) {
              jdkCounterMode.update(zeros, 0, zeros.length, referenceOut, 0);
            }
          } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
          }
          blackhole ^= referenceOut[0];
        });
    long[] nextCoordinate = new long[1];

    for (Map.Entry<Case, LongConsumer> entry : operations.entrySet()) {
      Rate warm = sample(entry.getValue(), buffer, nextCoordinate, warmupSeconds);
      out.printf(Locale.ROOT, "warmup %-40s %s%n", entry.getKey().name(), warm);
    }
    crossCheck(seed, implementations);

    Map<Case, List<Rate>> prgSamples = new LinkedHashMap<>();
    List<Rate> opensslSamples = new ArrayList<>();
    for (int repetition = 1; repetition <= repetitions; repetition++) {
      for (Map.Entry<Case, LongConsumer> entry : operations.entrySet()) {
        Rate rate = sample(entry.getValue(), buffer, nextCoordinate, sampleSeconds);
        prgSamples.computeIfAbsent(entry.getKey(), k -> new ArrayList<>()).add(rate);
        out.printf(Locale.ROOT, "rep %d %-40s %s%n", repetition, entry.getKey().name(), rate);
      }
      Rate openssl = opensslRate();
      opensslSamples.add(openssl);
      out.printf(Locale.ROOT, "rep %d %-40s %s%n", repetition, "openssl aes-256-ctr", openssl);
    }

    out.println();
    out.println("# GB/s, median [min, max] over " + repetitions + " repetitions");
    out.printf(Locale.ROOT, "%-40s %-22s %s%n", "", "wall clock", "CPU time");
    for (Map.Entry<Case, List<Rate>> entry : prgSamples.entrySet()) {
      out.printf(Locale.ROOT, "%-40s %s%n", entry.getKey().name(), summary(entry.getValue()));
    }
    out.printf(Locale.ROOT, "%-40s %s%n", "openssl aes-256-ctr", summary(opensslSamples));
    out.printf(Locale.ROOT, "%-40s %.2f us median%n", "MaskPrg.create", createMicros(seed));

    // The headline figures are those of the implementation MaskPrg.create picks here.
    Implementation preferred =
        implementations.contains(AesCtrKeystream.preferredImplementation())
            ? AesCtrKeystream.preferredImplementation()
            : implementations.get(0);
    List<Rate> fill = prgSamples.get(new Case(preferred, "fill"));
    List<Rate> add = prgSamples.get(new Case(preferred, "addTo"));
    double ratio = median(fill, Rate::wall) / median(opensslSamples, Rate::wall);
    double cpuRatio = median(fill, Rate::cpu) / median(opensslSamples, Rate::cpu);
    Map<String, Object> headline = new LinkedHashMap<>();
    headline.put("implementation", preferred.label());
    headline.put("prg_bytes_per_s", median(fill, Rate::wall));
    headline.put("openssl_bytes_per_s", median(opensslSamples, Rate::wall));
    headline.put("ratio", ratio);
    headline.put("prg_add_bytes_per_s", median(add, Rate::wall));
    headline.put("add_ratio", median(add, Rate::wall) / median(opensslSamples, Rate::wall));
    headline.put("cpu_prg_bytes_per_s", median(fill, Rate::cpu));
    headline.put("cpu_openssl_bytes_per_s", median(opensslSamples, Rate::cpu));
    headline.put("cpu_ratio", cpuRatio);
    headline.put("cpu_add_ratio", median(add, Rate::cpu) / median(opensslSamples, Rate::cpu));
    for (Implementation implementation : implementations) {
      if (implementation != preferred) {
        List<Rate> other = prgSamples.get(new Case(implementation, "fill"));
        headline.put(
            "ratio_" + implementation.label(),
            median(other, Rate::wall) / median(opensslSamples, Rate::wall));
        headline.put(
            "cpu_ratio_" + implementation.label(),
            median(other, Rate::cpu) / median(opensslSamples, Rate::cpu));
      }
    }
    headline.put("repetitions", repetitions);
    headline.put("goal", "ratio >= 0.5 (wall clock and CPU time)");
    headline.put("goal_met", ratio >= 0.5 && cpuRatio >= 0.5);
    headline.put("loadavg_at_end", Machine.loadAverage());
    out.println();
    headline.forEach(
        (key, value) ->
            out.println(
                key
                    + "="
                    + (value instanceof Double
                        ? String.format(Locale.ROOT, "%.3f", (Double) value)
                        : value)));
    // Machine first, then the headline figures: the JSON object reads in the same order.
    Map<String, Object> ordered = new LinkedHashMap<>(headline);
    ordered.putAll(figures);
    return ordered;
  }

  /** Bytes of mask per second over about {@code seconds} of repeated 1 MiB operations. */
  private static Rate sample(
      LongConsumer operation, int[] buffer, long[] nextCoordinate, double seconds) {
    long budget = (long) (seconds * 1e9);
    long operations = 0;
    long startCpu = THREADS.getCurrentThreadCpuTime();
    long start = System.nanoTime();
    long elapsed;
    do {
      long coordinate = nextCoordinate[0];
      operation.accept(coordinate);
      // Consecutive ranges, as when a silo masks a long vector chunk by chunk; wrap far below 2^60.
      nextCoordinate[0] = (coordinate + buffer.length) & ((1L << 50) - 1);
      operations++;
      elapsed = System.nanoTime() - start;
    } while (elapsed < budget);
    long cpu = THREADS.getCurrentThreadCpuTime() - startCpu;
    blackhole ^= buffer[(int) (operations % buffer.length)];
    double bytes = operations * (double) BUFFER_BYTES;
    return new Rate(bytes / (elapsed / 1e9), bytes / (cpu / 1e9));
  }

  /** Throughput of consecutive 1 MiB fills of a fresh JVM, in widening windows of MiB. */
  private void coldStart(MaskPrg prg) {
    int[] buffer = new int[BUFFER_WORDS];
    int[] windowEnds = {1, 16, 128, 512, 2048};
    StringBuilder line = new StringBuilder("cold " + prg.implementation() + ":");
    int done = 0;
    for (int end : windowEnds) {
      long start = System.nanoTime();
      for (int i = done; i < end; i++) {
        prg.fill(buffer, 0, buffer.length, (long) i * buffer.length);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      line.append(
          String.format(
              Locale.ROOT,
              " MiB %d-%d %s;",
              done + 1,
              end,
              gigabytes((end - done) * BUFFER_BYTES / seconds)));
      done = end;
    }
    blackhole ^= buffer[0];
    out.println(line);
  }

  @SuppressWarnings("unused") // Keeps the JIT from discarding the buffers' contents.
  private static volatile int blackhole;

  /** Both implementations give the same words, also once the JIT has compiled the hot paths. */
  private void crossCheck(SecretBytes seed, List<Implementation> implementations) {
    long[] starts = {0, 3, 1L << 34, (1L << 60) - BUFFER_WORDS};
    int[] expected = new int[BUFFER_WORDS];
    int[] actual = new int[BUFFER_WORDS];
    for (long start : starts) {
      MaskPrgImplementations.create(seed, 32, implementations.get(0))
          .fill(expected, 0, expected.length, start);
      for (Implementation other : implementations) {
        MaskPrgImplementations.create(seed, 32, other).fill(actual, 0, actual.length, start);
        if (!Arrays.equals(expected, actual)) {
          throw new IllegalStateException(
              other.label() + " differs from " + implementations.get(0).label() + " at " + start);
        }
      }
    }
    out.println("cross_check=identical words from " + implementations.size() + " implementations");
  }

  private static double createMicros(SecretBytes seed) {
    int rounds = 20_000;
    double[] micros = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      long start = System.nanoTime();
      MaskPrg prg = MaskPrg.create(seed, 32);
      micros[i] = (System.nanoTime() - start) / 1e3;
      blackhole ^= prg.bits();
    }
    Arrays.sort(micros);
    return micros[rounds / 2];
  }

  private Rate opensslRate() throws IOException, InterruptedException {
    List<String> command =
        List.of(
            "openssl",
            "speed",
            "-evp",
            "aes-256-ctr",
            "-bytes",
            Long.toString(BUFFER_BYTES),
            "-seconds",
            Integer.toString(opensslSeconds),
            "-mr");
    String output = runCommand(command, opensslSeconds + 60L);
    return parseOpensslRate(output, opensslSeconds);
  }

  /**
   * Rates from {@code openssl speed -mr} output. Its {@code +R:count:NAME:seconds} line says how
   * many buffers were encrypted while the wall-clock alarm of {@code -seconds} ran, and the user
   * CPU time they took (without {@code -elapsed}); {@code +F:n:NAME:rate} repeats the CPU-time
   * rate.
   */
  static Rate parseOpensslRate(String output, int wallSeconds) {
    for (String line : output.lines().toList()) {
      String[] fields = line.trim().split(":", -1);
      if (fields.length == 4 && fields[0].equals("+R")) {
        double bytes = Long.parseLong(fields[1]) * (double) BUFFER_BYTES;
        return new Rate(bytes / wallSeconds, bytes / Double.parseDouble(fields[3]));
      }
    }
    throw new IllegalStateException("no +R line in openssl speed output:\n" + output);
  }

  static String opensslVersion() {
    try {
      return runCommand(List.of("openssl", "version"), 30).trim();
    } catch (IOException | InterruptedException e) {
      return "unavailable (" + e.getMessage() + ")";
    }
  }

  private static String runCommand(List<String> command, long timeoutSeconds)
      throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish in time");
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " exited with " + process.exitValue() + ":\n" + output);
    }
    return output;
  }

  private static double median(List<Rate> rates, ToDoubleFunction<Rate> which) {
    double[] sorted = rates.stream().mapToDouble(which).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static String summary(List<Rate> rates) {
    return summary(rates, Rate::wall) + "  " + summary(rates, Rate::cpu);
  }

  private static String summary(List<Rate> rates, ToDoubleFunction<Rate> which) {
    double min = rates.stream().mapToDouble(which).min().orElse(Double.NaN);
    double max = rates.stream().mapToDouble(which).max().orElse(Double.NaN);
    return String.format(
        Locale.ROOT, "%5.2f [%5.2f, %5.2f]", median(rates, which) / 1e9, min / 1e9, max / 1e9);
  }

  private static String gigabytes(double bytesPerSecond) {
    return String.format(Locale.ROOT, "%.2f GB/s", bytesPerSecond / 1e9);
  }
}
