package org.fedsum.cli.bench.round;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.fedsum.aggregator.round.RunCoordinator;
import org.fedsum.aggregator.service.Federation;
import org.fedsum.aggregator.store.VectorSpool;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.RandomizedHadamard;
import org.fedsum.crypto.bench.Machine;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.codec.VectorFrame;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateDecoder;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.AggregatorRefusal;
import org.fedsum.silo.client.SecureRound;
import org.fedsum.silo.client.SiloTask;

/**
 * {@code fedsum bench round}: whole rounds over mutual TLS on 127.0.0.1, without training
 * (BENCHMARKS.md, "Rounds over the transport").
 *
 * <ol>
 *   <li><b>Transport</b>: the real aggregator service in this process, {@code n} silos on their own
 *       threads playing secure rounds through the real silo client ({@link SecureRound}, HTTP/2,
 *       TLS 1.3 with their certificates) with fixed pre-encoded updates, alternating with plain
 *       rounds of the same vectors over the same server ({@link PlainSumRoutes}). Round times run
 *       from releasing the silos to the sum being available (unmasked, for secure rounds) and, for
 *       secure rounds, to the round being finished (decoded, strategy step, checkpoint). Each plain
 *       sum is checked word for word against the secure sum of the same vectors. Then one round of
 *       each kind through a {@link ByteCountingProxy} per silo counts what each silo puts on the
 *       wire.
 *   <li><b>Heap</b> (unless {@code heap} is off): the real aggregator as its own JVM ({@code
 *       AggregatorMain}, with {@code -Xmx} and a GC log), driven through the operator API, the same
 *       silos in this process downloading the model and playing one secure round; the aggregator's
 *       heap comes from its GC log, not from this process, which also holds the silos' vectors.
 * </ol>
 *
 * <p>Dropouts are silos that go silent instead of sending their message of a stage (the silo
 * client's {@code stopBefore} hook), in every secure round, as a silo that crashed there would; the
 * stage then closes with the others once its quorum answered and a grace period passed ({@link
 * Options#graceMinimum}, {@link Options#graceFactor}; the aggregator's early close), at the latest
 * at its deadline ({@link Options#dropoutDeadline}). The plain rounds leave out the vectors the
 * secure rounds leave out (the dropouts' when they stop at or before {@code MASKED_INPUT}), so the
 * two sums still agree. With dropouts, each pair of rounds is followed by a secure round in which
 * no silo drops out (its sum checked against the sum of every vector), for the ratio of a round
 * with dropouts to one without.
 */
public final class RoundBenchmark {
  /** The b a point runs at unless told: the widest words, four bytes each on the wire. */
  public static final int DEFAULT_BITS = 32;

  /** The narrowest b a run configuration accepts ({@code privacy.bits}). */
  public static final int MIN_BITS = 8;

  private static final Duration POLL = Duration.ofSeconds(20);
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * What to run.
   *
   * @param silos n, at least 3
   * @param parameters m, coordinates per update, at least 1
   * @param bits b, {@value #MIN_BITS} to 32: the words' width, packed at b bits on the wire, with
   *     the encoding's γ chosen for it
   * @param rounds timed rounds of each kind, at least 1
   * @param warmUpRounds untimed rounds of each kind first
   * @param dropouts silos that go silent in every secure round
   * @param dropoutStage the stage whose message they do not send
   * @param dropoutDeadline that stage's deadline (the others get a generous one)
   * @param graceMinimum the run's {@code earlyClose.minimumGrace}
   * @param graceFactor the run's {@code earlyClose.graceFactor}; with {@code graceMinimum}, how
   *     long a stage with silent silos waits after its quorum before closing without them
   * @param heap whether to run the heap part
   * @param heapXmxBytes the aggregator's {@code -Xmx} in the heap part; 0 for {@link
   *     #defaultHeapXmxBytes}
   * @param workDirectory where the data directories go (deleted at the end)
   */
  public record Options(
      int silos,
      int parameters,
      int bits,
      boolean rotation,
      int rounds,
      int warmUpRounds,
      int dropouts,
      Stage dropoutStage,
      Duration dropoutDeadline,
      Duration graceMinimum,
      double graceFactor,
      boolean transport,
      boolean heap,
      long heapXmxBytes,
      Path workDirectory) {
    /** Refuses what cannot run, naming the option. */
    public Options {
      if (!transport && !heap) {
        throw new IllegalArgumentException(
            "--no-transport with --no-heap: that leaves nothing to run");
      }
      Objects.requireNonNull(dropoutStage, "dropoutStage");
      Objects.requireNonNull(dropoutDeadline, "dropoutDeadline");
      Objects.requireNonNull(graceMinimum, "graceMinimum");
      Objects.requireNonNull(workDirectory, "workDirectory");
      if (silos < 3) {
        throw new IllegalArgumentException(
            "--silos " + silos + ": secure aggregation needs at least 3 silos");
      }
      if (parameters < 1) {
        throw new IllegalArgumentException(
            "--params " + parameters + ": a model needs at least 1 parameter");
      }
      if (bits < MIN_BITS || bits > 32) {
        throw new IllegalArgumentException(
            "--bits "
                + bits
                + ": must be "
                + MIN_BITS
                + " to 32, as privacy.bits of a run configuration");
      }
      if (rounds < 1) {
        throw new IllegalArgumentException("--rounds " + rounds + ": at least 1");
      }
      if (warmUpRounds < 0) {
        throw new IllegalArgumentException("--warm-up-rounds " + warmUpRounds + ": at least 0");
      }
      if (dropouts < 0) {
        throw new IllegalArgumentException("--dropouts " + dropouts + ": at least 0");
      }
      int threshold = BenchFederation.threshold(silos);
      if (silos - dropouts < threshold) {
        throw new IllegalArgumentException(
            "--dropouts "
                + dropouts
                + " with --silos "
                + silos
                + " leaves "
                + (silos - dropouts)
                + " silos, fewer than the threshold "
                + threshold
                + ": the round could not be unmasked");
      }
      if (dropoutDeadline.toMillis() < 100) {
        throw new IllegalArgumentException(
            "--dropout-deadline " + dropoutDeadline.toMillis() + "ms: at least 100 ms");
      }
      if (graceMinimum.isNegative()) {
        throw new IllegalArgumentException(
            "--grace-min-ms " + graceMinimum.toMillis() + ": at least 0");
      }
      if (!Double.isFinite(graceFactor) || graceFactor < 0 || graceFactor > 1000) {
        throw new IllegalArgumentException(
            "--grace-factor " + graceFactor + ": between 0 and 1000");
      }
      if (heapXmxBytes < 0) {
        throw new IllegalArgumentException("--heap-xmx: must be positive");
      }
    }
  }

  /**
   * About what this process needs for a point: the n fixed updates, up to n masked copies at once
   * while the silos mask, and the in-process aggregator's sum, model and decoding (about 6
   * vectors), plus 96 MiB for everything else.
   */
  public static long estimatedHeapBytes(int silos, int parameters) {
    long vector = 4L * parameters;
    return vector * (2L * silos + 6) + (96L << 20);
  }

  /** The aggregator's {@code -Xmx} in the heap part unless given: 96 MiB plus 6 vectors. */
  public static long defaultHeapXmxBytes(int parameters) {
    return (96L << 20) + 6 * 4L * parameters;
  }

  private final Options options;
  private final PrintWriter out;
  private final Path directory;
  private final BenchFederation federation;
  private final List<Integer> droppers = new ArrayList<>();

  private RoundBenchmark(Options options, PrintWriter out, Path directory) throws IOException {
    this.options = options;
    this.out = out;
    this.directory = directory;
    this.federation = new BenchFederation(directory, options.silos(), RANDOM);
    // The last silos of the roster drop out: which ones does not matter to the protocol.
    for (int i = options.silos() - options.dropouts(); i < options.silos(); i++) {
      droppers.add(i);
    }
  }

  /**
   * Runs the benchmark, prints its table to {@code out}, and returns its figures (the JSON object).
   *
   * @throws IllegalStateException if this JVM's heap is too small for the point, or a round went
   *     wrong (a silo did not finish, the sums differ, a round did not open or finish in time)
   */
  public static Map<String, Object> run(Options options, PrintWriter out)
      throws IOException, InterruptedException {
    long needed = estimatedHeapBytes(options.silos(), options.parameters());
    long available = Runtime.getRuntime().maxMemory();
    if (needed > available) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "n = %d silos of m = %d parameters need about %d MiB of heap in this process; it"
                  + " has %d MiB (run the launcher's jar with more, e.g. java -Xmx%dg -jar"
                  + " cli/target/fedsum-cli.jar bench round ...)",
              options.silos(),
              options.parameters(),
              needed >> 20,
              available >> 20,
              (needed >> 30) + 1));
    }
    Files.createDirectories(options.workDirectory());
    Path directory = Files.createTempDirectory(options.workDirectory(), "fedsum-bench-round");
    try {
      return new RoundBenchmark(options, out, directory).run();
    } finally {
      deleteRecursively(directory);
    }
  }

  private Map<String, Object> run() throws IOException, InterruptedException {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("silos", options.silos());
    figures.put("params", options.parameters());
    figures.put("rotation", options.rotation());
    figures.put("bits", options.bits());
    figures.put("rounds", options.rounds());
    figures.put("dropouts", options.dropouts());
    figures.put("dropout_stage", options.dropouts() == 0 ? null : options.dropoutStage().name());
    figures.put(
        "dropout_deadline_ms",
        options.dropouts() == 0 ? null : options.dropoutDeadline().toMillis());
    figures.put("threshold", BenchFederation.threshold(options.silos()));
    figures.put("grace_min_ms", options.graceMinimum().toMillis());
    figures.put("grace_factor", options.graceFactor());
    figures.putAll(Machine.describe());
    figures.put("xmx_bytes", Runtime.getRuntime().maxMemory());
    figures.put("loadavg_at_start", Machine.loadAverage());
    out.printf(
        Locale.ROOT,
        "# bench round: n = %d silos, m = %d, b = %d, %s; %s%n",
        options.silos(),
        options.parameters(),
        options.bits(),
        options.transport()
            ? options.rounds()
                + " timed rounds of each kind after "
                + options.warmUpRounds()
                + " warm-up"
            : "the heap part alone (--no-transport)",
        options.dropouts() == 0
            ? "no dropouts"
            : options.dropouts()
                + " silo(s) going silent before "
                + options.dropoutStage()
                + " (its deadline "
                + options.dropoutDeadline().toMillis()
                + " ms; early close after the quorum and a grace of max("
                + options.graceMinimum().toMillis()
                + " ms, "
                + options.graceFactor()
                + " x the quorum's time))");
    out.println(
        "# machine: "
            + figures.get("cpus")
            + " CPUs, "
            + figures.get("cpu_model")
            + ", "
            + figures.get("jdk")
            + "; load average "
            + figures.get("loadavg_at_start"));
    out.flush();
    List<SiloSide> sides = new ArrayList<>();
    try {
      if (options.transport()) {
        transport(sides, figures);
      } else {
        figures.put("secure_ms", null);
        figures.put("plain_ms", null);
        figures.put("ratio", null);
        figures.put("transport_note", "the transport part was not run (--no-transport)");
      }
      if (options.heap()) {
        heap(sides, figures);
      } else {
        figures.put("peak_heap_bytes", null);
        figures.put("heap_note", "the heap part was not run (--no-heap)");
      }
    } finally {
      for (SiloSide side : sides) {
        side.close();
      }
    }
    figures.put("loadavg_at_end", Machine.loadAverage());
    return figures;
  }

  // --- transport: secure rounds against plain rounds in one process -----------------------------

  private void transport(List<SiloSide> sides, Map<String, Object> figures)
      throws IOException, InterruptedException {
    int n = options.silos();
    int m = options.parameters();
    int vectorLength = options.rotation() ? RandomizedHadamard.paddedDimensionOf(m) : m;
    Path home = directory.resolve("transport");
    List<BenchFederation.Party> roster = federation.silos(n);
    AggregatorConfig config;
    try {
      config = AggregatorConfig.load(federation.writeAggregatorHome(home, roster));
    } catch (AggregatorConfigException e) {
      throw new IllegalStateException("bug: the benchmark's aggregator configuration: " + e, e);
    }
    ExecutorService plainSumExecutor = Executors.newFixedThreadPool(2);
    PlainSumRoutes plain =
        new PlainSumRoutes(
            VectorSpool.open(home.resolve("plain-spool")),
            plainSumExecutor,
            options.bits(),
            vectorLength);
    AggregatorServer server = await(AggregatorServer.start(config, List.of(plain)), 60);
    ExecutorService threads = Executors.newCachedThreadPool();
    try {
      Federation service = server.federation();
      // With dropouts, each pair of rounds gets a third: a secure round in which no one drops.
      int timed = options.warmUpRounds() + options.rounds();
      int secureRounds = timed * (options.dropouts() > 0 ? 2 : 1) + 1; // + the counted round
      try {
        service.createRun(runYaml("transport", roster, secureRounds));
        service.start("transport");
      } catch (Exception e) {
        // Not only a bug: too few bits for the silos' rounding errors is refused here.
        throw new IllegalStateException("the benchmark's run was refused: " + e.getMessage(), e);
      }
      RunCoordinator coordinator = service.active().orElseThrow().coordinator();
      Map<Long, Long> unmaskedAt = new ConcurrentHashMap<>();
      Map<Long, int[]> unmaskedSums = new ConcurrentHashMap<>();
      coordinator.observeUnmaskedSums(
          (round, sum) -> {
            unmaskedAt.put(round, System.nanoTime());
            unmaskedSums.put(round, sum);
          });
      URI direct = URI.create("https://" + BenchFederation.HOST + ":" + server.port());
      for (int i = 0; i < n; i++) {
        sides.add(new SiloSide(roster.get(i), direct, dropsOut(i), POLL.multipliedBy(3)));
      }
      // The plan's encoding, then one fixed encoded update per silo, reused every round.
      EncodingParameters encoding = planEncoding(sides.get(0));
      for (SiloSide side : sides) {
        side.update = randomUpdate(m);
        side.words = encode(encoding, side.update, vectorLength);
      }
      List<SiloSide> plainSenders = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (!dropsOut(i).isPresent() || options.dropoutStage().compareTo(Stage.MASKED_INPUT) > 0) {
          plainSenders.add(sides.get(i));
        }
      }

      List<Sample> secure = new ArrayList<>();
      List<Sample> plainSamples = new ArrayList<>();
      List<Sample> secureWithoutDropouts = new ArrayList<>();
      // Sums are compared modulo 2^b: the plain sum adds words modulo 2^32, which has the same
      // low b bits.
      int[] sumOfAll = new int[vectorLength];
      for (SiloSide side : sides) {
        for (int i = 0; i < vectorLength; i++) {
          sumOfAll[i] += side.words[i];
        }
      }
      sumOfAll = lowBits(sumOfAll, options.bits());
      int[] lastSecureSum = null;
      long round = 1;
      out.println();
      for (int pair = 0; pair < options.warmUpRounds() + options.rounds(); pair++) {
        boolean warmUp = pair < options.warmUpRounds();
        boolean secureFirst = pair % 2 == 0;
        int[] secureSum = null;
        int[] plainSum = null;
        for (int half = 0; half < 2; half++) {
          if ((half == 0) == secureFirst) {
            Sample sample = secureRound(coordinator, sides, threads, round, unmaskedAt, true);
            secureSum = unmaskedSums.remove(round);
            if (!warmUp) {
              secure.add(sample);
            }
            report(warmUp ? "warm-up secure" : "secure", round, sample);
            round++;
          } else {
            PlainSumRoutes.PlainRound open = plain.open(1000L + pair, plainSenders.size());
            Sample sample = plainRound(open, plainSenders, threads);
            plainSum = open.sum;
            if (!warmUp) {
              plainSamples.add(sample);
            }
            report(warmUp ? "warm-up plain" : "plain", 1000L + pair, sample);
          }
        }
        lastSecureSum = secureSum;
        if (!Arrays.equals(lowBits(secureSum, options.bits()), lowBits(plainSum, options.bits()))) {
          throw new IllegalStateException(
              "the secure round's unmasked sum differs from the plain sum of the same vectors");
        }
        if (options.dropouts() > 0) {
          Sample sample = secureRound(coordinator, sides, threads, round, unmaskedAt, false);
          if (!Arrays.equals(lowBits(unmaskedSums.remove(round), options.bits()), sumOfAll)) {
            throw new IllegalStateException(
                "the secure round without dropouts has a sum other than that of every vector");
          }
          if (!warmUp) {
            secureWithoutDropouts.add(sample);
          }
          report(warmUp ? "warm-up all in" : "secure, all in", round, sample);
          round++;
        }
      }
      out.println(
          "check: every secure round's unmasked sum equals the plain sum of the same vectors");
      figures.put("sums_equal", true);
      decodeError(encoding, lastSecureSum, plainSenders, figures);
      summary(secure, plainSamples, figures);
      if (!secureWithoutDropouts.isEmpty()) {
        double all = median(secureWithoutDropouts, Sample::toSum) / 1e6;
        double dropoutRatio = (Double) figures.get("secure_ms") / all;
        out.printf(
            Locale.ROOT,
            "secure rounds without the dropouts: median %.1f ms; with them / without: %.3f"
                + " (the stage closes after its quorum and a grace of max(%d ms, %s x the"
                + " quorum's time), at the latest at its deadline of %d ms)%n",
            all,
            dropoutRatio,
            options.graceMinimum().toMillis(),
            options.graceFactor(),
            options.dropoutDeadline().toMillis());
        out.flush();
        figures.put("secure_without_dropouts_ms", all);
        figures.put("dropout_ratio", dropoutRatio);
      }

      // Bytes on the wire: one round of each kind, each silo through its own counting relay and
      // on a new connection (so the TLS handshake counts too).
      List<ByteCountingProxy> relays = new ArrayList<>();
      List<SiloSide> counted = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          ByteCountingProxy relay = new ByteCountingProxy(server.port());
          relays.add(relay);
          SiloSide through =
              new SiloSide(
                  roster.get(i),
                  URI.create("https://" + BenchFederation.HOST + ":" + relay.port()),
                  dropsOut(i),
                  POLL.multipliedBy(3));
          through.words = sides.get(i).words;
          counted.add(through);
        }
        secureRound(coordinator, counted, threads, round, unmaskedAt, true);
        long[] secureSent = relays.stream().mapToLong(ByteCountingProxy::bytesSent).toArray();
        long[] secureReceived =
            relays.stream().mapToLong(ByteCountingProxy::bytesReceived).toArray();
        List<SiloSide> countedPlain = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (plainSenders.contains(sides.get(i))) {
            countedPlain.add(counted.get(i));
          }
        }
        plainRound(plain.open(2000, countedPlain.size()), countedPlain, threads);
        long[] plainSent = new long[n];
        long[] plainReceived = new long[n];
        for (int i = 0; i < n; i++) {
          plainSent[i] = relays.get(i).bytesSent() - secureSent[i];
          plainReceived[i] = relays.get(i).bytesReceived() - secureReceived[i];
        }
        // Per silo that saw the round through: a dropout's bytes say nothing about the goal.
        int[] stayed = IntStream.range(0, n).filter(i -> !droppers.contains(i)).toArray();
        long secureMedian = median(pick(secureSent, stayed));
        long plainMedian = median(pick(plainSent, stayed));
        double vector = 4.0 * m;
        long frame = VectorFrame.frameBytes(options.bits(), vectorLength);
        figures.put("frame_bytes", frame);
        figures.put("frame_ratio", frame / vector);
        figures.put("bytes_per_silo", secureMedian);
        figures.put("bytes_ratio", secureMedian / vector);
        figures.put("bytes_per_silo_min_max", minMax(pick(secureSent, stayed)));
        figures.put("bytes_received_per_silo", median(pick(secureReceived, stayed)));
        figures.put("plain_bytes_per_silo", plainMedian);
        figures.put("plain_bytes_ratio", plainMedian / vector);
        figures.put("plain_bytes_received_per_silo", median(pick(plainReceived, stayed)));
        out.printf(
            Locale.ROOT,
            "%nbytes on the wire per silo that finished (TLS records incl. handshake, 4m = %d;"
                + " the masked vector's frame at b = %d: %d, %.4f of 4m):%n",
            4L * m,
            options.bits(),
            frame,
            frame / vector);
        out.println("  round    sent (median)   / 4m     received (median)");
        out.printf(
            Locale.ROOT,
            "  secure %15d %8.4f %15d%n",
            secureMedian,
            secureMedian / vector,
            median(pick(secureReceived, stayed)));
        out.printf(
            Locale.ROOT,
            "  plain  %15d %8.4f %15d%n",
            plainMedian,
            plainMedian / vector,
            median(pick(plainReceived, stayed)));
        out.flush();
      } finally {
        for (SiloSide side : counted) {
          side.close();
        }
        for (ByteCountingProxy relay : relays) {
          relay.close();
        }
      }
    } finally {
      threads.shutdownNow();
      await(server.close(), 30);
      plainSumExecutor.shutdownNow();
    }
  }

  private Optional<Stage> dropsOut(int index) {
    return droppers.contains(index) ? Optional.of(options.dropoutStage()) : Optional.empty();
  }

  private String runYaml(String runId, List<BenchFederation.Party> roster, int rounds) {
    // Generous for every stage but the one the dropouts go silent at: 60 s plus 5 s per 10^6
    // words a stage might move (n vectors of m words through one loopback).
    long seconds = 60 + 5L * options.silos() * options.parameters() / 1_000_000;
    Map<Stage, Duration> dropoutDeadline = new EnumMap<>(Stage.class);
    if (options.dropouts() > 0) {
      dropoutDeadline.put(options.dropoutStage(), options.dropoutDeadline());
    }
    return BenchFederation.runYaml(
        runId,
        roster,
        rounds,
        options.parameters(),
        options.bits(),
        options.rotation(),
        Duration.ofSeconds(seconds),
        dropoutDeadline,
        // Without dropouts no silo is meant to be cut off, so a stage waits for every silo (it
        // closes as soon as the last one answers): a grace of 200 ms made a silo that was slow on
        // a loaded machine (n = 50, m = 10^7) a dropout, and the heap part failed.
        options.dropouts() > 0 ? options.graceMinimum() : Duration.ofSeconds(seconds),
        options.graceFactor());
  }

  /** One silo's clients, its fixed encoded update, and where it goes silent if it drops out. */
  final class SiloSide implements AutoCloseable {
    final BenchFederation.Party party;
    final AggregatorClient client;
    final PlainSiloClient plainClient;
    final SiloContext context;
    final Optional<Stage> stopBefore;
    // Floats, not doubles: ten updates of 10^8 coordinates are 4 GB so, 8 GB as doubles. The
    // values are floats from the start, so the true mean below is of exactly what was encoded.
    float[] update;
    int[] words;

    SiloSide(
        BenchFederation.Party party, URI base, Optional<Stage> stopBefore, Duration requestTimeout)
        throws IOException {
      this.party = party;
      this.stopBefore = stopBefore;
      try {
        SSLContext tls = federation.clientTls(party);
        this.client = AggregatorClient.create(base, tls, requestTimeout);
        this.plainClient = new PlainSiloClient(base, tls);
        this.context =
            new SiloContext(
                party.siteId(),
                EcdsaP256SigningKey.fromPkcs8Pem(party.keyPem()),
                party.certificate().getEncoded(),
                federation.trust(),
                RANDOM,
                3);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("bug: the benchmark's own certificates: " + e, e);
      }
    }

    /**
     * Plays secure round {@code round} (the task poll that announces it included), going silent
     * where it drops out if {@code dropOut}.
     */
    void playSecure(long round, boolean dropOut) throws Exception {
      Optional<Stage> silentBefore = dropOut ? stopBefore : Optional.empty();
      SiloTask task = client.pollTask(-1, 0, POLL);
      RoundConfig config = task.round().orElseThrow();
      if (config.round() != round) {
        throw new IllegalStateException(party.siteId() + " got round " + config.round());
      }
      SecureRound.Outcome outcome =
          new SecureRound(client, context, Clock.systemUTC(), POLL, silentBefore)
              .run(config, WordVector.wrap(words));
      if (!outcome.finished() && silentBefore.isEmpty()) {
        throw new IllegalStateException(party.siteId() + " did not finish: " + outcome.state());
      }
    }

    void playPlain(long round) throws Exception {
      long open = plainClient.openRound();
      if (open != round) {
        throw new IllegalStateException(party.siteId() + " saw plain round " + open);
      }
      plainClient.sendVector(round, options.bits(), WordVector.wrap(words));
    }

    @Override
    public void close() {
      client.close();
    }
  }

  /**
   * One round's figures, in nanoseconds; {@code stages} holds, for a secure round, each stage's
   * time from its opening to the next stage's (the last one's to the unmasked sum).
   */
  private record Sample(long toSum, long toFinished, long processCpu, Map<Stage, Long> stages) {}

  private Sample secureRound(
      RunCoordinator coordinator,
      List<SiloSide> sides,
      ExecutorService threads,
      long round,
      Map<Long, Long> unmaskedAt,
      boolean dropOuts)
      throws InterruptedException {
    // The coordinator opens the next round as soon as the previous one finished.
    long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (coordinator.status().currentRound() != round || coordinator.status().stage().isEmpty()) {
      if (System.nanoTime() > wait) {
        throw new IllegalStateException(
            "round " + round + " did not open: " + coordinator.status());
      }
      Thread.sleep(1);
    }
    int finishedBefore = coordinator.status().roundsFinished();
    long cpu = processCpuNanos();
    long start = System.nanoTime();
    List<Future<?>> played = new ArrayList<>();
    for (SiloSide side : sides) {
      played.add(
          threads.submit(
              () -> {
                side.playSecure(round, dropOuts);
                return null;
              }));
    }
    Map<Stage, Long> openedAt = new EnumMap<>(Stage.class);
    long timeout = start + roundTimeoutNanos();
    // Stage openings, polled from the coordinator's published status (no lock) until the sum.
    while (!unmaskedAt.containsKey(round)) {
      Optional<Stage> stage = coordinator.status().stage();
      if (stage.isPresent() && coordinator.status().currentRound() == round) {
        openedAt.putIfAbsent(stage.get(), System.nanoTime());
      }
      if (played.stream().allMatch(Future::isDone)) {
        failed(played);
      }
      if (System.nanoTime() > timeout) {
        throw new IllegalStateException(
            "round " + round + " did not reach its sum: " + coordinator.status());
      }
      Thread.sleep(0, 500_000);
    }
    failed(played);
    for (Future<?> future : played) {
      get(future, timeout);
    }
    while (coordinator.status().roundsFinished() == finishedBefore) {
      if (System.nanoTime() > timeout) {
        throw new IllegalStateException(
            "round " + round + " did not finish: " + coordinator.status());
      }
      Thread.sleep(0, 200_000);
    }
    long finished = System.nanoTime();
    long cpuUsed = processCpuNanos() - cpu;
    long summed = unmaskedAt.get(round);
    Map<Stage, Long> stages = new EnumMap<>(Stage.class);
    List<Map.Entry<Stage, Long>> opened = new ArrayList<>(openedAt.entrySet());
    for (int i = 0; i < opened.size(); i++) {
      long end = i + 1 < opened.size() ? opened.get(i + 1).getValue() : summed;
      // ADVERTISE_KEYS was open before the silos were released: it counts from the release.
      long begin = Math.max(start, opened.get(i).getValue());
      stages.put(opened.get(i).getKey(), Math.max(0, end - begin));
    }
    return new Sample(summed - start, finished - start, cpuUsed, stages);
  }

  private Sample plainRound(
      PlainSumRoutes.PlainRound open, List<SiloSide> senders, ExecutorService threads)
      throws InterruptedException {
    long cpu = processCpuNanos();
    long start = System.nanoTime();
    long timeout = start + roundTimeoutNanos();
    List<Future<?>> played = new ArrayList<>();
    for (SiloSide side : senders) {
      played.add(
          threads.submit(
              () -> {
                side.playPlain(open.round);
                return null;
              }));
    }
    for (Future<?> future : played) {
      get(future, timeout);
    }
    long summed;
    try {
      summed =
          open.summedAtNanos.get(Math.max(1, timeout - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("plain round " + open.round + ": no sum: " + e, e);
    }
    long cpuUsed = processCpuNanos() - cpu;
    return new Sample(summed - start, summed - start, cpuUsed, Map.of());
  }

  private long roundTimeoutNanos() {
    long seconds = 300 + 10L * options.silos() * options.parameters() / 1_000_000;
    if (options.dropouts() > 0) {
      seconds += options.dropoutDeadline().toSeconds();
    }
    return TimeUnit.SECONDS.toNanos(seconds);
  }

  /** Rethrows the first failure among finished silos, so a broken round fails at once. */
  private static void failed(List<Future<?>> played) throws InterruptedException {
    for (Future<?> future : played) {
      if (future.isDone()) {
        get(future, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
      }
    }
  }

  private static void get(Future<?> future, long deadlineNanos) throws InterruptedException {
    try {
      future.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a silo failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("a silo did not finish in time", e);
    }
  }

  private void report(String kind, long round, Sample sample) {
    out.printf(
        Locale.ROOT,
        "  %-15s round %4d: to sum %9.1f ms, to finished %9.1f ms, process CPU %9.1f ms%s%n",
        kind,
        round,
        sample.toSum / 1e6,
        sample.toFinished / 1e6,
        sample.processCpu / 1e6,
        sample.stages.isEmpty() ? "" : "  " + stagesText(sample.stages));
    out.flush();
  }

  private static String stagesText(Map<Stage, Long> stages) {
    List<String> parts = new ArrayList<>();
    stages.forEach(
        (stage, nanos) -> parts.add(String.format(Locale.ROOT, "%s %.0f", stage, nanos / 1e6)));
    return String.join(", ", parts);
  }

  private void summary(List<Sample> secure, List<Sample> plain, Map<String, Object> figures) {
    out.printf(Locale.ROOT, "%nround times over %d rounds of each kind (ms):%n", secure.size());
    out.println("  figure                            median        min        max");
    line("secure, to unmasked sum", secure, Sample::toSum);
    line("secure, to round finished", secure, Sample::toFinished);
    line("plain, to sum", plain, Sample::toSum);
    line("secure, process CPU", secure, Sample::processCpu);
    line("plain, process CPU", plain, Sample::processCpu);
    Map<String, Object> stageMs = new LinkedHashMap<>();
    for (Stage stage : Stage.values()) {
      List<Sample> with = secure.stream().filter(s -> s.stages.containsKey(stage)).toList();
      if (!with.isEmpty()) {
        ToLongFunction<Sample> figure = s -> s.stages.get(stage);
        line("  stage " + stage, with, figure);
        stageMs.put(stage.name(), median(with, figure) / 1e6);
      }
    }
    double secureMs = median(secure, Sample::toSum) / 1e6;
    double plainMs = median(plain, Sample::toSum) / 1e6;
    double ratio = secureMs / plainMs;
    out.printf(
        Locale.ROOT,
        "ratio secure / plain (medians, to the sum): %.3f; to the round finished %.3f;"
            + " process CPU %.3f%n",
        ratio,
        median(secure, Sample::toFinished) / 1e6 / plainMs,
        median(secure, Sample::processCpu) / median(plain, Sample::processCpu));
    out.flush();
    figures.put("secure_ms", secureMs);
    figures.put("plain_ms", plainMs);
    figures.put("ratio", ratio);
    figures.put("secure_ms_min_max", minMaxMs(secure, Sample::toSum));
    figures.put("plain_ms_min_max", minMaxMs(plain, Sample::toSum));
    figures.put("secure_finished_ms", median(secure, Sample::toFinished) / 1e6);
    figures.put("secure_cpu_ms", median(secure, Sample::processCpu) / 1e6);
    figures.put("plain_cpu_ms", median(plain, Sample::processCpu) / 1e6);
    figures.put(
        "cpu_ratio", median(secure, Sample::processCpu) / median(plain, Sample::processCpu));
    figures.put("stage_ms", stageMs);
  }

  private void line(String name, List<Sample> samples, ToLongFunction<Sample> figure) {
    out.printf(
        Locale.ROOT,
        "  %-30s %10.1f %10.1f %10.1f%n",
        name,
        median(samples, figure) / 1e6,
        samples.stream().mapToLong(figure).min().orElseThrow() / 1e6,
        samples.stream().mapToLong(figure).max().orElseThrow() / 1e6);
  }

  private static double[] minMaxMs(List<Sample> samples, ToLongFunction<Sample> figure) {
    return new double[] {
      samples.stream().mapToLong(figure).min().orElseThrow() / 1e6,
      samples.stream().mapToLong(figure).max().orElseThrow() / 1e6
    };
  }

  static double median(List<Sample> samples, ToLongFunction<Sample> figure) {
    long[] values = samples.stream().mapToLong(figure).sorted().toArray();
    int middle = values.length / 2;
    return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static long[] minMax(long[] values) {
    return new long[] {
      Arrays.stream(values).min().orElseThrow(), Arrays.stream(values).max().orElseThrow()
    };
  }

  private static long[] pick(long[] values, int[] indices) {
    return Arrays.stream(indices).mapToLong(i -> values[i]).toArray();
  }

  // --- heap: the aggregator as its own process --------------------------------------------------

  private void heap(List<SiloSide> transportSides, Map<String, Object> figures)
      throws IOException, InterruptedException {
    int n = options.silos();
    long xmx =
        options.heapXmxBytes() > 0
            ? options.heapXmxBytes()
            : defaultHeapXmxBytes(options.parameters());
    List<BenchFederation.Party> roster = federation.silos(n);
    Path home = directory.resolve("heap");
    Path config = federation.writeAggregatorHome(home, roster);
    // Beside the work directory, which is deleted at the end: the log outlives a failed run.
    Path gcLog =
        directory.resolveSibling(
            String.format(
                Locale.ROOT,
                "fedsum-bench-round-gc-n%d-m%d-%d.log",
                n,
                options.parameters(),
                ProcessHandle.current().pid()));
    out.printf(
        Locale.ROOT,
        "%n== aggregator heap: its own JVM, -Xmx%dm, one secure round, GC log %s ==%n",
        xmx >> 20,
        gcLog);
    out.flush();
    AggregatorProcess.Heap heap;
    try (AggregatorProcess aggregator = AggregatorProcess.start(config, home, xmx, gcLog)) {
      URI base = URI.create("https://" + BenchFederation.HOST + ":" + aggregator.port());
      HttpClient operator = federation.operatorClient();
      String runId = "heap";
      aggregator.createAndStart(operator, runYaml(runId, roster, 1));
      List<SiloSide> sides = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          SiloSide side = new SiloSide(roster.get(i), base, dropsOut(i), Duration.ofMinutes(30));
          if (!transportSides.isEmpty()) {
            side.words = transportSides.get(i).words;
          }
          sides.add(side);
        }
        if (transportSides.isEmpty()) {
          // No transport part ran (--no-transport): encode the updates for this run's plan.
          try {
            awaitRound(sides.get(0).client, 1);
          } catch (InterruptedException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException("the heap run's round 1: " + e.getMessage(), e);
          }
          EncodingParameters encoding = planEncoding(sides.get(0));
          int vectorLength =
              options.rotation()
                  ? RandomizedHadamard.paddedDimensionOf(options.parameters())
                  : options.parameters();
          // One update for every silo: the aggregator's heap does not depend on the values, and
          // encoding n updates of 10^7 coordinates with secure rounding takes minutes.
          int[] words = encode(encoding, randomUpdate(options.parameters()), vectorLength);
          for (SiloSide side : sides) {
            side.words = words;
          }
        }
        ExecutorService threads = Executors.newCachedThreadPool();
        long start = System.nanoTime();
        try {
          List<Future<?>> played = new ArrayList<>();
          for (SiloSide side : sides) {
            played.add(
                threads.submit(
                    () -> {
                      awaitRound(side.client, 1);
                      float[] model = side.client.downloadModel(Optional.empty()).values();
                      if (model.length != options.parameters()) {
                        throw new IllegalStateException("model of " + model.length);
                      }
                      side.playSecure(1, true);
                      return null;
                    }));
          }
          long timeout = start + roundTimeoutNanos();
          for (Future<?> future : played) {
            get(future, timeout);
          }
          aggregator.awaitRoundsFinished(operator, runId, 1, timeout);
        } finally {
          threads.shutdownNow();
        }
        out.printf(
            Locale.ROOT,
            "  round finished in %.1f s (model download, secure round, unmask, decode,"
                + " checkpoint)%n",
            (System.nanoTime() - start) / 1e9);
      } finally {
        for (SiloSide side : sides) {
          side.close();
        }
      }
      heap = aggregator.heapAfterCollectingNow();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("bug: the benchmark's own certificates: " + e, e);
    }
    // Read: only a failed run's log is kept, for a look at what happened.
    Files.deleteIfExists(gcLog);
    double vector = 4.0 * options.parameters();
    out.printf(
        Locale.ROOT,
        "  aggregator GC log: %d collections; heap after GC max %d MiB (%.2f x one vector of"
            + " %.2f MiB); heap before GC max %d MiB; live at the end %d MiB%n",
        heap.collections(),
        heap.afterMaxBytes() >> 20,
        heap.afterMaxBytes() / vector,
        vector / (1 << 20),
        heap.beforeMaxBytes() >> 20,
        heap.liveAtEndBytes() >> 20);
    out.flush();
    figures.put("peak_heap_bytes", heap.afterMaxBytes());
    figures.put("peak_heap_vectors", heap.afterMaxBytes() / vector);
    figures.put("peak_heap_before_gc_bytes", heap.beforeMaxBytes());
    figures.put("heap_live_at_end_bytes", heap.liveAtEndBytes());
    figures.put("heap_collections", heap.collections());
    figures.put("heap_xmx_bytes", xmx);
    figures.put(
        "heap_note",
        "aggregator in its own JVM; peak_heap_bytes is the largest heap right after a collection"
            + " in its GC log (an upper bound of what was live), a full collection forced at the"
            + " end of the round included");
  }

  /** The encoding of the run's plan, as a silo reads it. */
  private static EncodingParameters planEncoding(SiloSide side) throws InterruptedException {
    try {
      SiloTask first = side.client.pollTask(-1, 0, POLL);
      return EncodingParametersCodec.fromJson(first.plan().orElseThrow().get("encoding"));
    } catch (AggregatorRefusal | ProtocolException | IOException e) {
      throw new IllegalStateException("the run's plan: " + e.getMessage(), e);
    }
  }

  private static void awaitRound(AggregatorClient client, long round) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (System.nanoTime() < deadline) {
      SiloTask task = client.pollTask(-1, 0, Duration.ofMillis(500));
      if (task.round().isPresent() && task.round().get().round() == round) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("round " + round + " did not open");
  }

  // --- helpers -----------------------------------------------------------------------------------

  private static float[] randomUpdate(int m) {
    float[] update = new float[m];
    for (int i = 0; i < m; i++) {
      update[i] = (float) ((RANDOM.nextDouble() - 0.5) * 0.002);
    }
    return update;
  }

  private static int[] encode(EncodingParameters encoding, float[] update, int vectorLength) {
    double[] values = new double[update.length];
    for (int i = 0; i < update.length; i++) {
      values[i] = update[i];
    }
    int[] words = UpdateEncoder.create(encoding).encode(values, RANDOM).words();
    if (words.length != vectorLength) {
      throw new IllegalStateException(
          "the encoding has " + words.length + " words, not " + vectorLength);
    }
    return words;
  }

  /**
   * Decodes the last timed secure round's unmasked sum as the aggregator does and compares the mean
   * with the true mean of the updates that went into it: the accuracy b costs (rounding to the grid
   * γ is chosen for b; no noise, the benchmark's runs have none).
   */
  private void decodeError(
      EncodingParameters encoding,
      int[] secureSum,
      List<SiloSide> summed,
      Map<String, Object> figures) {
    double[] decoded = UpdateDecoder.create(encoding).decode(secureSum, summed.size()).average();
    int m = options.parameters();
    double maxAbs = 0;
    double squares = 0;
    double maxTrue = 0;
    for (int i = 0; i < m; i++) {
      double mean = 0;
      for (SiloSide side : summed) {
        mean += side.update[i];
      }
      mean /= summed.size();
      double error = decoded[i] - mean;
      maxAbs = Math.max(maxAbs, Math.abs(error));
      squares += error * error;
      maxTrue = Math.max(maxTrue, Math.abs(mean));
    }
    double rms = Math.sqrt(squares / m);
    figures.put("gamma", encoding.gamma());
    figures.put("decode_max_abs_error", maxAbs);
    figures.put("decode_rms_error", rms);
    figures.put("mean_max_abs", maxTrue);
    out.printf(
        Locale.ROOT,
        "decode error at b = %d (gamma %.6g): mean of the %d updates decoded from the unmasked"
            + " sum against the true mean: max |error| %.3e, RMS %.3e (true mean up to %.3e)%n",
        options.bits(),
        encoding.gamma(),
        summed.size(),
        maxAbs,
        rms,
        maxTrue);
    out.flush();
  }

  /** A copy of {@code words} reduced modulo {@code 2^bits}. */
  private static int[] lowBits(int[] words, int bits) {
    int[] reduced = words.clone();
    if (bits < 32) {
      int mask = (1 << bits) - 1;
      for (int i = 0; i < reduced.length; i++) {
        reduced[i] &= mask;
      }
    }
    return reduced;
  }

  private static <T> T await(io.vertx.core.Future<T> future, int seconds)
      throws InterruptedException {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the in-process aggregator: " + e, e);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static void deleteRecursively(Path directory) throws IOException {
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
