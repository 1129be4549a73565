package org.fedsum.aggregator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.round.RunCoordinator;
import org.fedsum.aggregator.service.Federation;
import org.fedsum.aggregator.store.VectorSpool;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.RandomizedHadamard;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.SecureRound;
import org.fedsum.silo.client.SiloTask;

/**
 * Whole rounds over mutual TLS on 127.0.0.1, without training (BENCHMARKS.md, "Rounds over the
 * transport"). Two parts, each optional:
 *
 * <ol>
 *   <li><b>Transport</b>: the real aggregator service in this process, {@code n} silos on their own
 *       threads playing secure rounds through the real silo client ({@link SecureRound}, HTTP/2,
 *       TLS 1.3 with their certificates) with fixed pre-encoded updates, alternating with plain
 *       rounds of the same vectors over the same server ({@link PlainSumRoutes}). Round times are
 *       from releasing the silos to the sum being available (unmasked, for secure rounds) and, for
 *       secure rounds, to the round being finished (decoded, strategy step, checkpoint). Each plain
 *       sum is checked against the secure sum of the same vectors. Then one round of each kind
 *       through a {@link ByteCountingProxy} per silo counts what each silo puts on the wire.
 *   <li><b>Heap</b>: the real aggregator as its own process ({@code AggregatorMain}, with {@code
 *       -Xmx} and a GC log), driven through the operator API, with {@code n} silos in this process
 *       playing secure rounds that include downloading the model; the aggregator's heap after each
 *       collection comes from its GC log.
 * </ol>
 *
 * Options: {@code --rounds R} (timed rounds of each kind, default 7), {@code --silos n} (10),
 * {@code --parameters m} (10^6), {@code --heap-silos 10,50}, {@code --heap-parameters m} (10^7),
 * {@code --heap-rounds} (2), {@code --heap-xmx 1g}, {@code --work-directory} (where the data
 * directories go; default {@code java.io.tmpdir}), {@code --skip-transport}, {@code --skip-heap}.
 */
public final class TransportBenchmark {
  private static final String FEDERATION_ID = "bench-fed";
  private static final String HOST = "127.0.0.1";
  private static final int BITS = 32;
  private static final Duration POLL = Duration.ofSeconds(20);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern GC_LINE =
      Pattern.compile("GC\\((\\d+)\\) (Pause [^(]*\\([^)]*\\)).* (\\d+)M->(\\d+)M\\((\\d+)M\\)");

  private final Path directory;
  private final FederationCa ca;
  private final X509CRL crl;
  private final List<Party> silos = new ArrayList<>();
  private final Party operator;

  private record Party(SiteIdentity identity, X509Certificate certificate, String keyPem) {
    String siteId() {
      return identity.siteId();
    }
  }

  private TransportBenchmark(Path directory, int silos) throws IOException {
    this.directory = directory;
    this.ca = FederationCa.create(FEDERATION_ID, Duration.ofDays(2), RANDOM);
    this.crl = ca.emptyCrl(Instant.now(), Duration.ofDays(1));
    Party aggregator = issue(SiteRole.AGGREGATOR, "aggregator", List.of(HOST, "localhost"));
    Files.writeString(directory.resolve("ca.pem"), Pem.encodeCertificate(ca.certificate()));
    Files.writeString(directory.resolve("crl.pem"), Pem.encodeCrl(crl));
    Files.writeString(
        directory.resolve("aggregator.pem"), Pem.encodeCertificate(aggregator.certificate()));
    Path key = directory.resolve("aggregator.key");
    Files.writeString(key, aggregator.keyPem());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    for (int i = 1; i <= silos; i++) {
      this.silos.add(issue(SiteRole.SILO, String.format(Locale.ROOT, "silo-%02d", i), List.of()));
    }
    this.operator = issue(SiteRole.OPERATOR, "ops", List.of());
  }

  private Party issue(SiteRole role, String siteId, List<String> hostNames) {
    SiteIdentity identity = new SiteIdentity(role, siteId);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    X509Certificate certificate =
        ca.issue(identity, key.verifyingKey(), Duration.ofDays(1), hostNames);
    return new Party(identity, certificate, key.toPkcs8Pem(SecretAccess.GRANTED));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "7"));
    int silos = Integer.parseInt(options.getOrDefault("silos", "10"));
    int parameters = Integer.parseInt(options.getOrDefault("parameters", "1000000"));
    List<Integer> heapSilos =
        Arrays.stream(options.getOrDefault("heap-silos", "10,50").split(","))
            .map(Integer::parseInt)
            .toList();
    int heapParameters = Integer.parseInt(options.getOrDefault("heap-parameters", "10000000"));
    int heapRounds = Integer.parseInt(options.getOrDefault("heap-rounds", "2"));
    String heapXmx = options.getOrDefault("heap-xmx", "1g");
    // The run config's default (docs/OPERATOR.md): the vector is then the rotation's padded length.
    boolean rotation = parseBoolean("rotation", options.getOrDefault("rotation", "true"));

    System.out.println("load average at start: " + loadAverage());
    System.out.println(
        "machine: "
            + Runtime.getRuntime().availableProcessors()
            + " CPUs, "
            + cpuModel()
            + ", Java "
            + System.getProperty("java.vm.version")
            + " ("
            + System.getProperty("java.vm.vendor")
            + "), -Xmx "
            + Runtime.getRuntime().maxMemory() / (1 << 20)
            + " MiB");
    // The aggregator's data directory (journal, spool, checkpoints) is under this directory; its
    // file system's fsync latency is what the control stages of a secure round wait on.
    Path workRoot =
        Path.of(options.getOrDefault("work-directory", System.getProperty("java.io.tmpdir")));
    Path directory = Files.createTempDirectory(workRoot, "fedsum-transport-bench");
    System.out.println("work directory (data directories, spool, journal): " + directory);
    try {
      int parties = Math.max(silos, heapSilos.stream().mapToInt(Integer::intValue).max().orElse(0));
      TransportBenchmark benchmark = new TransportBenchmark(directory, parties);
      if (!options.containsKey("skip-transport")) {
        benchmark.transport(silos, parameters, rounds, rotation);
        System.out.println("load average after the transport part: " + loadAverage());
      }
      if (!options.containsKey("skip-heap")) {
        for (int n : heapSilos) {
          benchmark.heap(n, heapParameters, heapRounds, heapXmx, rotation);
        }
      }
    } finally {
      deleteRecursively(directory);
    }
    System.out.println("load average at end: " + loadAverage());
    // The JDK's HTTP clients keep selector threads until they are collected.
    System.exit(0);
  }

  // --- transport: secure rounds against plain rounds in one process -----------------------------

  private void transport(int n, int m, int rounds, boolean rotation) throws Exception {
    int vectorLength = rotation ? RandomizedHadamard.paddedDimensionOf(m) : m;
    System.out.printf(
        Locale.ROOT,
        "%n== transport: n = %d silos, m = %d, b = %d, rotation %s (vector of %d words), %d timed"
            + " rounds of each kind ==%n",
        n,
        m,
        BITS,
        rotation ? "on" : "off",
        vectorLength,
        rounds);
    Path home = Files.createDirectories(directory.resolve("transport"));
    List<Party> roster = silos.subList(0, n);
    AggregatorConfig config = AggregatorConfig.load(writeConfig(home, roster));
    ExecutorService plainSum = Executors.newFixedThreadPool(2);
    PlainSumRoutes plain =
        new PlainSumRoutes(
            VectorSpool.open(home.resolve("plain-spool")), plainSum, BITS, vectorLength);
    AggregatorServer server =
        AggregatorServer.start(config, List.of(plain))
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    ExecutorService threads = Executors.newCachedThreadPool();
    try {
      Federation federation = server.federation();
      int secureRounds = rounds + 2; // a warm-up round and a counted round
      federation.createRun(runYaml("transport", roster, secureRounds, m, 60, rotation));
      federation.start("transport");
      RunCoordinator coordinator = federation.active().orElseThrow().coordinator();
      Map<Long, Long> unmaskedAt = new ConcurrentHashMap<>();
      Map<Long, int[]> unmaskedSums = new ConcurrentHashMap<>();
      coordinator.observeUnmaskedSums(
          (round, sum) -> {
            unmaskedAt.put(round, System.nanoTime());
            unmaskedSums.put(round, sum);
          });
      URI direct = URI.create("https://" + HOST + ":" + server.port());
      List<SiloSide> sides = new ArrayList<>();
      for (Party party : roster) {
        sides.add(new SiloSide(party, direct));
      }
      // The plan's encoding, then one fixed encoded update per silo, reused every round.
      SiloTask first = sides.get(0).client.pollTask(-1, 0, POLL);
      EncodingParameters encoding =
          EncodingParametersCodec.fromJson(first.plan().orElseThrow().get("encoding"));
      for (SiloSide side : sides) {
        side.words = encodeRandomUpdate(encoding, m, vectorLength);
      }

      List<Sample> secure = new ArrayList<>();
      List<Sample> plainSamples = new ArrayList<>();
      long round = 1;
      for (int pair = 0; pair <= rounds; pair++) {
        boolean warmUp = pair == 0;
        boolean secureFirst = pair % 2 == 0;
        for (int half = 0; half < 2; half++) {
          if ((half == 0) == secureFirst) {
            Sample sample = secureRound(coordinator, sides, threads, round, unmaskedAt);
            lastSecureSum = unmaskedSums.remove(round);
            if (!warmUp) {
              secure.add(sample);
            }
            report(warmUp ? "warm-up secure" : "secure", round, sample);
            System.out.println("    stages opened at (ms): " + lastStages);
            round++;
          } else {
            Sample sample = plainRound(plain, sides, threads, 1000 + pair);
            if (!warmUp) {
              plainSamples.add(sample);
            }
            report(warmUp ? "warm-up plain" : "plain", 1000 + pair, sample);
          }
        }
        if (!Arrays.equals(lastSecureSum, lastPlainSum)) {
          throw new IllegalStateException(
              "the secure round's unmasked sum differs from the plain sum of the same vectors");
        }
      }
      System.out.println(
          "check: every secure round's unmasked sum equals the plain sum of the same vectors");

      summary(secure, plainSamples, m);

      // Bytes on the wire: one round of each kind, each silo through its own counting relay and
      // on a new connection (so the TLS handshake counts too).
      List<ByteCountingProxy> relays = new ArrayList<>();
      List<SiloSide> counted = new ArrayList<>();
      try {
        for (SiloSide side : sides) {
          ByteCountingProxy relay = new ByteCountingProxy(server.port());
          relays.add(relay);
          SiloSide through =
              new SiloSide(side.party, URI.create("https://" + HOST + ":" + relay.port()));
          through.words = side.words;
          counted.add(through);
        }
        secureRound(coordinator, counted, threads, round, unmaskedAt);
        long[] secureSent = relays.stream().mapToLong(ByteCountingProxy::bytesSent).toArray();
        long[] secureReceived =
            relays.stream().mapToLong(ByteCountingProxy::bytesReceived).toArray();
        plainRound(plain, counted, threads, 2000);
        long[] plainSent = new long[n];
        long[] plainReceived = new long[n];
        for (int i = 0; i < n; i++) {
          plainSent[i] = relays.get(i).bytesSent() - secureSent[i];
          plainReceived[i] = relays.get(i).bytesReceived() - secureReceived[i];
        }
        bytes("secure round", secureSent, secureReceived, m);
        bytes("plain round", plainSent, plainReceived, m);
      } finally {
        for (ByteCountingProxy relay : relays) {
          relay.close();
        }
      }
    } finally {
      threads.shutdownNow();
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      plainSum.shutdownNow();
    }
  }

  private int[] lastSecureSum;
  private String lastStages = "";
  private int[] lastPlainSum;

  /** One silo's clients and its fixed encoded update. */
  private final class SiloSide {
    final Party party;
    final AggregatorClient client;
    final PlainSiloClient plainClient;
    final SiloContext context;
    int[] words;

    SiloSide(Party party, URI base) throws Exception {
      this(party, base, Duration.ofSeconds(60));
    }

    /**
     * @param requestTimeout how long one request may take: the heap part's n uploads of 4m bytes
     *     share one loopback and the aggregator's workers, so its requests get far longer
     */
    SiloSide(Party party, URI base, Duration requestTimeout) throws Exception {
      this.party = party;
      FederationTrust trust = FederationTrust.create(ca.certificate(), crl);
      EcdsaP256SigningKey key = EcdsaP256SigningKey.fromPkcs8Pem(party.keyPem());
      SSLContext tls =
          MutualTls.clientContext(
              party.certificate(), key, trust, SiteRole.AGGREGATOR, Clock.systemUTC());
      this.client = AggregatorClient.create(base, tls, requestTimeout);
      this.plainClient = new PlainSiloClient(base, tls);
      this.context =
          new SiloContext(party.siteId(), key, party.certificate().getEncoded(), trust, RANDOM, 3);
    }

    /** Plays secure round {@code round} (the task poll that announces it included). */
    void playSecure(long round) throws Exception {
      SiloTask task = client.pollTask(-1, 0, POLL);
      RoundConfig config = task.round().orElseThrow();
      if (config.round() != round) {
        throw new IllegalStateException(party.siteId() + " got round " + config.round());
      }
      SecureRound.Outcome outcome =
          new SecureRound(client, context, Clock.systemUTC(), POLL, Optional.empty())
              .run(config, WordVector.wrap(words));
      if (!outcome.finished()) {
        throw new IllegalStateException(party.siteId() + " did not finish: " + outcome);
      }
    }

    void playPlain(long round) throws Exception {
      long open = plainClient.openRound();
      if (open != round) {
        throw new IllegalStateException(party.siteId() + " saw plain round " + open);
      }
      plainClient.sendVector(round, BITS, WordVector.wrap(words));
    }
  }

  /** One round's figures, in nanoseconds. */
  private record Sample(long toSum, long toFinished, long processCpu) {}

  private Sample secureRound(
      RunCoordinator coordinator,
      List<SiloSide> sides,
      ExecutorService threads,
      long round,
      Map<Long, Long> unmaskedAt)
      throws Exception {
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
                side.playSecure(round);
                return null;
              }));
    }
    List<String> stages = new ArrayList<>();
    String lastStage = "";
    while (!played.stream().allMatch(Future::isDone)) {
      String stage = coordinator.status().stage().map(Enum::name).orElse("closing");
      if (!stage.equals(lastStage)) {
        stages.add(String.format(Locale.ROOT, "%s@%.0f", stage, (System.nanoTime() - start) / 1e6));
        lastStage = stage;
      }
      Thread.sleep(0, 500_000);
    }
    for (Future<?> future : played) {
      future.get(5, TimeUnit.MINUTES);
    }
    stages.add(String.format(Locale.ROOT, "silos-done@%.0f", (System.nanoTime() - start) / 1e6));
    lastStages = String.join(" ", stages);
    while (coordinator.status().roundsFinished() == finishedBefore) {
      if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(5)) {
        throw new IllegalStateException(
            "round " + round + " did not finish: " + coordinator.status());
      }
      Thread.sleep(0, 200_000);
    }
    long finished = System.nanoTime();
    long cpuUsed = processCpuNanos() - cpu;
    Long summed = unmaskedAt.get(round);
    if (summed == null) {
      throw new IllegalStateException("round " + round + " finished without an unmasked sum");
    }
    return new Sample(summed - start, finished - start, cpuUsed);
  }

  private Sample plainRound(
      PlainSumRoutes plain, List<SiloSide> sides, ExecutorService threads, long round)
      throws Exception {
    PlainSumRoutes.PlainRound open = plain.open(round, sides.size());
    long cpu = processCpuNanos();
    long start = System.nanoTime();
    List<Future<?>> played = new ArrayList<>();
    for (SiloSide side : sides) {
      played.add(
          threads.submit(
              () -> {
                side.playPlain(round);
                return null;
              }));
    }
    for (Future<?> future : played) {
      future.get(5, TimeUnit.MINUTES);
    }
    long summed = open.summedAtNanos.get(5, TimeUnit.MINUTES);
    long cpuUsed = processCpuNanos() - cpu;
    lastPlainSum = open.sum;
    return new Sample(summed - start, summed - start, cpuUsed);
  }

  private static void report(String kind, long round, Sample sample) {
    System.out.printf(
        Locale.ROOT,
        "  %-15s round %4d: to sum %8.1f ms, to finished %8.1f ms, process CPU %8.1f ms%n",
        kind,
        round,
        sample.toSum / 1e6,
        sample.toFinished / 1e6,
        sample.processCpu / 1e6);
  }

  private static void summary(List<Sample> secure, List<Sample> plain, int m) {
    System.out.printf(
        Locale.ROOT, "%nround times over %d rounds of each kind (ms):%n", secure.size());
    System.out.println("  figure                          median      min      max");
    line("secure, to unmasked sum", secure, Sample::toSum);
    line("secure, to round finished", secure, Sample::toFinished);
    line("plain, to sum", plain, Sample::toSum);
    line("secure, process CPU", secure, Sample::processCpu);
    line("plain, process CPU", plain, Sample::processCpu);
    double sumMedian = median(secure, Sample::toSum) / median(plain, Sample::toSum);
    double sumMin = min(secure, Sample::toSum) / min(plain, Sample::toSum);
    double finishedMedian = median(secure, Sample::toFinished) / median(plain, Sample::toSum);
    double finishedMin = min(secure, Sample::toFinished) / min(plain, Sample::toSum);
    double cpu = median(secure, Sample::processCpu) / median(plain, Sample::processCpu);
    System.out.printf(
        Locale.ROOT,
        "ratio secure / plain, to sum:          median %.2f, min %.2f (goal <= 1.5)%n",
        sumMedian,
        sumMin);
    System.out.printf(
        Locale.ROOT,
        "ratio secure round finished / plain:   median %.2f, min %.2f%n",
        finishedMedian,
        finishedMin);
    System.out.printf(Locale.ROOT, "ratio of process CPU, secure / plain: median %.2f%n", cpu);
  }

  private static void line(
      String name, List<Sample> samples, java.util.function.ToLongFunction<Sample> figure) {
    System.out.printf(
        Locale.ROOT,
        "  %-28s %9.1f %8.1f %8.1f%n",
        name,
        median(samples, figure) / 1e6,
        min(samples, figure) / 1e6,
        samples.stream().mapToLong(figure).max().orElseThrow() / 1e6);
  }

  private static double median(
      List<Sample> samples, java.util.function.ToLongFunction<Sample> figure) {
    long[] values = samples.stream().mapToLong(figure).sorted().toArray();
    int middle = values.length / 2;
    return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
  }

  private static double min(
      List<Sample> samples, java.util.function.ToLongFunction<Sample> figure) {
    return samples.stream().mapToLong(figure).min().orElseThrow();
  }

  private static void bytes(String kind, long[] sent, long[] received, int m) {
    long[] sorted = sent.clone();
    Arrays.sort(sorted);
    double vector = 4.0 * m;
    System.out.printf(
        Locale.ROOT,
        "bytes on the wire per silo, %s (TLS records incl. handshake): sent median %d [min %d,"
            + " max %d] = %.4f x 4m (max %.4f; goal <= 1.05); received median %d%n",
        kind,
        sorted[sorted.length / 2],
        sorted[0],
        sorted[sorted.length - 1],
        sorted[sorted.length / 2] / vector,
        sorted[sorted.length - 1] / vector,
        Arrays.stream(received).sorted().toArray()[received.length / 2]);
  }

  // --- heap: the aggregator as its own process --------------------------------------------------

  private void heap(int n, int m, int rounds, String xmx, boolean rotation) throws Exception {
    System.out.printf(
        Locale.ROOT,
        "%n== aggregator heap: n = %d silos, m = %d, b = %d, %d rounds, aggregator -Xmx%s ==%n",
        n,
        m,
        BITS,
        rounds,
        xmx);
    Path home = Files.createDirectories(directory.resolve("heap-" + n));
    List<Party> roster = silos.subList(0, n);
    Path config = writeConfig(home, roster);
    // Outside the work directory, which is deleted at the end: the log outlives a failed run.
    Path gcLog =
        directory.resolveSibling(
            String.format(Locale.ROOT, "fedsum-aggregator-gc-n%d-m%d.log", n, m));
    System.out.println("  aggregator GC log: " + gcLog);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-Xmx" + xmx,
                "-Xlog:gc:file=" + gcLog,
                "-cp",
                absoluteClassPath(),
                "org.fedsum.aggregator.AggregatorMain",
                config.toString())
            .directory(home.toFile())
            .redirectErrorStream(true)
            .start();
    ExecutorService threads = Executors.newCachedThreadPool();
    try {
      CompletableFuture<Integer> port = new CompletableFuture<>();
      List<String> output = Collections.synchronizedList(new ArrayList<>());
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader lines =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  Pattern listening = Pattern.compile("listening on port (\\d+)");
                  while ((line = lines.readLine()) != null) {
                    output.add(line);
                    Matcher matcher = listening.matcher(line);
                    if (matcher.find()) {
                      port.complete(Integer.parseInt(matcher.group(1)));
                    }
                  }
                } catch (IOException e) {
                  port.completeExceptionally(e);
                }
                port.completeExceptionally(
                    new IllegalStateException("the aggregator exited: " + output));
              },
              "aggregator-output");
      reader.setDaemon(true);
      reader.start();
      URI base = URI.create("https://" + HOST + ":" + port.get(120, TimeUnit.SECONDS));
      HttpClient operatorHttp = operatorClient();
      String runId = "heap-" + n;
      expect(
          operatorHttp,
          HttpRequest.newBuilder(base.resolve("/v1/runs"))
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      runYaml(runId, roster, rounds, m, 1800, rotation)))
              .build(),
          201);
      List<SiloSide> sides = new ArrayList<>();
      for (Party party : roster) {
        sides.add(new SiloSide(party, base, Duration.ofMinutes(30)));
      }
      expect(
          operatorHttp,
          HttpRequest.newBuilder(base.resolve("/v1/runs/" + runId + "/start"))
              .POST(HttpRequest.BodyPublishers.noBody())
              .build(),
          200);
      SiloTask first = sides.get(0).client.pollTask(-1, 0, POLL);
      EncodingParameters encoding =
          EncodingParametersCodec.fromJson(first.plan().orElseThrow().get("encoding"));
      // One update shared by all silos: the aggregator's memory does not depend on the values,
      // and 50 different vectors of 10^7 words would only load this process.
      int[] words =
          encodeRandomUpdate(encoding, m, rotation ? RandomizedHadamard.paddedDimensionOf(m) : m);
      for (SiloSide side : sides) {
        side.words = words;
      }
      for (long round = 1; round <= rounds; round++) {
        long start = System.nanoTime();
        List<Future<?>> played = new ArrayList<>();
        long playing = round;
        for (SiloSide side : sides) {
          played.add(
              threads.submit(
                  () -> {
                    awaitRound(side.client, playing);
                    float[] model = side.client.downloadModel(Optional.empty()).values();
                    if (model.length != m) {
                      throw new IllegalStateException("model of " + model.length);
                    }
                    side.playSecure(playing);
                    return null;
                  }));
        }
        for (Future<?> future : played) {
          future.get(40, TimeUnit.MINUTES);
        }
        JsonNode status = awaitRoundsFinished(operatorHttp, base, runId, round);
        System.out.printf(
            Locale.ROOT,
            "  round %d finished in %.1f s (download, secure round, unmask, decode, checkpoint);"
                + " phase %s%n",
            round,
            (System.nanoTime() - start) / 1e9,
            status.path("phase").asText());
      }
    } finally {
      if (Files.exists(gcLog)) {
        gcFigures(gcLog, m);
      }
      threads.shutdownNow();
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static void awaitRound(AggregatorClient client, long round) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(40);
    while (System.nanoTime() < deadline) {
      SiloTask task = client.pollTask(-1, 0, Duration.ofMillis(500));
      if (task.round().isPresent() && task.round().get().round() == round) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("round " + round + " did not open");
  }

  private JsonNode awaitRoundsFinished(HttpClient operatorHttp, URI base, String runId, long rounds)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(40);
    JsonNode status = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> reply =
          operatorHttp.send(
              HttpRequest.newBuilder(base.resolve("/v1/runs/" + runId)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      status = JSON.readTree(reply.body());
      if (status.path("roundsFinished").asLong() >= rounds) {
        return status;
      }
      if (status.path("roundsAborted").asLong() > 0
          || "FAILED".equals(status.path("phase").asText())) {
        throw new IllegalStateException("the run failed: " + status);
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("round " + rounds + " did not finish: " + status);
  }

  private static void gcFigures(Path gcLog, int m) throws IOException {
    long maxBefore = 0;
    long maxAfter = 0;
    long maxCommitted = 0;
    int collections = 0;
    List<String> pauses = new ArrayList<>();
    for (String line : Files.readAllLines(gcLog)) {
      Matcher matcher = GC_LINE.matcher(line);
      if (matcher.find()) {
        collections++;
        maxBefore = Math.max(maxBefore, Long.parseLong(matcher.group(3)));
        maxAfter = Math.max(maxAfter, Long.parseLong(matcher.group(4)));
        maxCommitted = Math.max(maxCommitted, Long.parseLong(matcher.group(5)));
        if (matcher.group(2).startsWith("Pause Full")) {
          pauses.add(line.substring(line.indexOf("GC(")));
        }
      }
    }
    double vectorMb = 4.0 * m / (1 << 20);
    System.out.printf(
        Locale.ROOT,
        "  aggregator GC log: %d collections; heap after GC max %d MiB (%.2f x one vector of %.1f"
            + " MiB); heap before GC max %d MiB (%.2f x); committed max %d MiB; goal < 4 x = %.0f"
            + " MiB%n",
        collections,
        maxAfter,
        maxAfter / vectorMb,
        vectorMb,
        maxBefore,
        maxBefore / vectorMb,
        maxCommitted,
        4 * vectorMb);
    for (String pause : pauses) {
      System.out.println("  full collection: " + pause);
    }
  }

  private HttpClient operatorClient() throws Exception {
    FederationTrust trust = FederationTrust.create(ca.certificate(), crl);
    SSLContext tls =
        MutualTls.clientContext(
            operator.certificate(),
            EcdsaP256SigningKey.fromPkcs8Pem(operator.keyPem()),
            trust,
            SiteRole.AGGREGATOR,
            Clock.systemUTC());
    SSLParameters parameters = new SSLParameters();
    parameters.setProtocols(new String[] {"TLSv1.3"});
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    return HttpClient.newBuilder().sslContext(tls).sslParameters(parameters).build();
  }

  private static void expect(HttpClient http, HttpRequest request, int status) throws Exception {
    HttpResponse<String> reply = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (reply.statusCode() != status) {
      throw new IllegalStateException(
          request.uri() + ": HTTP " + reply.statusCode() + " " + reply.body());
    }
  }

  // --- set-up ------------------------------------------------------------------------------------

  private Path writeConfig(Path home, List<Party> roster) throws IOException {
    for (String file : List.of("ca.pem", "crl.pem", "aggregator.pem", "aggregator.key")) {
      Path target = home.resolve(file);
      Files.copy(directory.resolve(file), target);
    }
    Files.setPosixFilePermissions(
        home.resolve("aggregator.key"), PosixFilePermissions.fromString("rw-------"));
    Files.createDirectories(home.resolve("data"));
    String yaml =
        String.join(
            "\n",
            "federationId: " + FEDERATION_ID,
            "listen:",
            "  host: " + HOST,
            "  port: 0",
            "tls:",
            "  certificate: aggregator.pem",
            "  privateKey: aggregator.key",
            "  ca: ca.pem",
            "  crl: crl.pem",
            "dataDirectory: data",
            "roster: [" + String.join(", ", roster.stream().map(Party::siteId).toList()) + "]",
            "");
    Path file = home.resolve("aggregator.yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    return file;
  }

  /**
   * A run of {@code rounds} rounds of a test vector of {@code m} parameters, FedAvg, no noise, b =
   * 32, threshold about two thirds of the roster; with rotation (the default) the vector has the
   * rotation's padded length ({@code RandomizedHadamard.paddedDimensionOf(m)}, less than {@code
   * m/64} more), without it exactly {@code m} words.
   */
  private static String runYaml(
      String runId, List<Party> roster, int rounds, int m, int deadlineSeconds, boolean rotation) {
    String deadline = deadlineSeconds + "s";
    return String.join(
        "\n",
        "runId: " + runId,
        "roster: [" + String.join(", ", roster.stream().map(Party::siteId).toList()) + "]",
        "rounds: " + rounds,
        "threshold: " + Math.max(3, (2 * roster.size() + 2) / 3),
        "deadlines:",
        "  advertiseKeys: " + deadline,
        "  shareKeys: " + deadline,
        "  maskedInput: " + deadline,
        "  consistencyCheck: " + deadline,
        "  unmask: " + deadline,
        "model:",
        "  kind: test-vector",
        "  parameters: " + m,
        "privacy:",
        "  clipNorm: 10",
        "  noiseMultiplier: 0",
        "  bits: " + BITS,
        "  rotation: " + rotation,
        "");
  }

  private static int[] encodeRandomUpdate(EncodingParameters encoding, int m, int vectorLength) {
    double[] update = new double[m];
    for (int i = 0; i < m; i++) {
      update[i] = (RANDOM.nextDouble() - 0.5) * 0.002;
    }
    int[] words = UpdateEncoder.create(encoding).encode(update, RANDOM).words();
    if (words.length != vectorLength) {
      throw new IllegalStateException(
          "the encoding has " + words.length + " words, not " + vectorLength);
    }
    return words;
  }

  // --- helpers -----------------------------------------------------------------------------------

  private static boolean parseBoolean(String option, String value) {
    if (!value.equals("true") && !value.equals("false")) {
      throw new IllegalArgumentException("--" + option + " must be true or false, not " + value);
    }
    return Boolean.parseBoolean(value);
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
      String name = args[i].substring(2);
      if (name.startsWith("skip-")) {
        options.put(name, "");
      } else if (i + 1 < args.length) {
        options.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
    }
    return options;
  }

  /** This process's class path with absolute entries: the aggregator runs in its own folder. */
  private static String absoluteClassPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .map(entry -> Path.of(entry).toAbsolutePath().toString())
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(line -> line.startsWith("model name"))
          .findFirst()
          .map(line -> line.substring(line.indexOf(':') + 1).trim())
          .orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static void deleteRecursively(Path directory) throws IOException {
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
