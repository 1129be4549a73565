package org.fedsum.cli.bench.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The real aggregator ({@code AggregatorMain}) as its own JVM, with {@code -Xmx} and a GC log, so
 * that its heap can be read apart from the process that plays the silos (and holds their vectors).
 * The JVM is this process's {@code java} with this process's class path: the launcher's jar names
 * its libraries in its manifest, and tests run with the full class path.
 */
final class AggregatorProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

  /**
   * One collection of the unified GC log ({@code -Xlog:gc}): {@code GC(7) Pause Young (Normal) (G1
   * Evacuation Pause) 24M->3M(256M) 3.456ms}.
   */
  private static final Pattern COLLECTION =
      Pattern.compile("GC\\((\\d+)\\) (.*?) (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  /**
   * The aggregator's heap as its GC log tells it.
   *
   * @param collections collections logged
   * @param afterMaxBytes the largest heap right after a collection: an upper bound of what was live
   *     at the fullest moment a collection saw (young collections may leave dead large arrays in
   *     place until a concurrent cycle)
   * @param beforeMaxBytes the largest heap right before a collection, garbage included
   * @param liveAtEndBytes the heap after the full collection forced at the end
   */
  record Heap(int collections, long afterMaxBytes, long beforeMaxBytes, long liveAtEndBytes) {}

  private final Process process;
  private final Path gcLog;
  private final URI base;
  private final List<String> output;

  private AggregatorProcess(Process process, Path gcLog, URI base, List<String> output) {
    this.process = process;
    this.gcLog = gcLog;
    this.base = base;
    this.output = output;
  }

  /** Starts the aggregator on {@code config} in {@code home} and waits until it listens. */
  static AggregatorProcess start(Path config, Path home, long xmxBytes, Path gcLog)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-Xmx" + Math.max(1, xmxBytes >> 20) + "m",
                "-Xlog:gc:file=" + gcLog,
                "-cp",
                absoluteClassPath(),
                "org.fedsum.aggregator.AggregatorMain",
                config.toString())
            .directory(home.toFile())
            .redirectErrorStream(true)
            .start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                  output.add(line);
                  Matcher matcher = LISTENING.matcher(line);
                  if (matcher.find()) {
                    port.complete(Integer.parseInt(matcher.group(1)));
                  }
                }
              } catch (IOException e) {
                port.completeExceptionally(e);
              }
              port.completeExceptionally(
                  new IllegalStateException("the aggregator exited: " + lastLines(output)));
            },
            "bench-aggregator-output");
    reader.setDaemon(true);
    reader.start();
    try {
      int listening = port.get(120, TimeUnit.SECONDS);
      return new AggregatorProcess(
          process, gcLog, URI.create("https://" + BenchFederation.HOST + ":" + listening), output);
    } catch (ExecutionException | TimeoutException e) {
      stop(process);
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException("the aggregator JVM did not start: " + cause.getMessage(), e);
    }
  }

  int port() {
    return base.getPort();
  }

  /** Creates run {@code yaml} through the operator API and starts it. */
  void createAndStart(HttpClient operator, String yaml) throws IOException, InterruptedException {
    String runId = yaml.lines().findFirst().orElseThrow().substring("runId: ".length()).trim();
    expect(
        operator,
        HttpRequest.newBuilder(base.resolve("/v1/runs"))
            .POST(HttpRequest.BodyPublishers.ofString(yaml))
            .build(),
        201);
    expect(
        operator,
        HttpRequest.newBuilder(base.resolve("/v1/runs/" + runId + "/start"))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        200);
  }

  /** Waits until run {@code runId} has finished {@code rounds} rounds. */
  void awaitRoundsFinished(HttpClient operator, String runId, long rounds, long deadlineNanos)
      throws IOException, InterruptedException {
    JsonNode status = null;
    while (System.nanoTime() < deadlineNanos) {
      HttpResponse<String> reply =
          operator.send(
              HttpRequest.newBuilder(base.resolve("/v1/runs/" + runId)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      status = JSON.readTree(reply.body());
      if (status.path("roundsFinished").asLong() >= rounds) {
        return;
      }
      if (status.path("roundsAborted").asLong() > 0
          || "FAILED".equals(status.path("phase").asText())) {
        throw new IllegalStateException(
            "the aggregator's run failed: " + status + "; its last output: " + lastLines(output));
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(
        "round "
            + rounds
            + " did not finish: "
            + status
            + "; the aggregator's last output: "
            + lastLines(output));
  }

  /**
   * Forces a full collection ({@code jcmd PID GC.run}), so that even a round too small to need one
   * leaves a figure, and reads the GC log.
   */
  Heap heapAfterCollectingNow() throws IOException, InterruptedException {
    int before = collections().size();
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(jcmd)) {
      throw new IllegalStateException(
          jcmd + " is missing: the heap part needs a JDK, not only a runtime (or use --no-heap)");
    }
    Process gc =
        new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run")
            .redirectErrorStream(true)
            .start();
    String said = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
      throw new IllegalStateException("jcmd GC.run failed: " + said.trim());
    }
    // The log is written by the aggregator's JVM; give it a moment to reach the file.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<long[]> collections = collections();
    while (collections.size() == before && System.nanoTime() < deadline) {
      Thread.sleep(50);
      collections = collections();
    }
    if (collections.isEmpty()) {
      throw new IllegalStateException("the aggregator's GC log " + gcLog + " shows no collection");
    }
    long afterMax = 0;
    long beforeMax = 0;
    for (long[] collection : collections) {
      beforeMax = Math.max(beforeMax, collection[0]);
      afterMax = Math.max(afterMax, collection[1]);
    }
    return new Heap(
        collections.size(), afterMax, beforeMax, collections.get(collections.size() - 1)[1]);
  }

  /** Each logged collection's heap before and after, in bytes. */
  private List<long[]> collections() throws IOException {
    List<long[]> collections = new ArrayList<>();
    if (!Files.exists(gcLog)) {
      return collections;
    }
    for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
      Matcher matcher = COLLECTION.matcher(line);
      if (matcher.find()) {
        collections.add(
            new long[] {
              bytes(matcher.group(3), matcher.group(4)), bytes(matcher.group(5), matcher.group(6))
            });
      }
    }
    return collections;
  }

  private static long bytes(String amount, String unit) {
    long value = Long.parseLong(amount);
    return switch (unit) {
      case "K" -> value << 10;
      case "M" -> value << 20;
      case "G" -> value << 30;
      default -> throw new IllegalStateException("unit " + unit);
    };
  }

  @Override
  public void close() throws InterruptedException {
    stop(process);
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static String lastLines(List<String> output) {
    synchronized (output) {
      return String.join(" | ", output.subList(Math.max(0, output.size() - 5), output.size()));
    }
  }

  private static void expect(HttpClient http, HttpRequest request, int status)
      throws IOException, InterruptedException {
    HttpResponse<String> reply = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (reply.statusCode() != status) {
      throw new IllegalStateException(
          request.uri().getPath() + ": HTTP " + reply.statusCode() + " " + reply.body());
    }
  }

  /** This process's class path with absolute entries: the aggregator runs in its own folder. */
  private static String absoluteClassPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(entry -> Path.of(entry).toAbsolutePath().toString())
        .collect(Collectors.joining(File.pathSeparator));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "AggregatorProcess[pid %d, %s]", process.pid(), base);
  }
}
