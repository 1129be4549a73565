package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedsum.aggregator.AggregatorMain;
import org.fedsum.aggregator.http.SiloDriver.Played;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.journal.JournalRecord;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalVerifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The aggregator as its own JVM ({@link AggregatorMain}), killed with SIGKILL while a round is in
 * each stage in turn, and once just after the last unmasking share, while the sum is unmasked and
 * the model checkpointed; each time restarted on the same data directory and configuration, with
 * the silos (driven from this JVM) reconnecting to its new port. The run must finish its rounds
 * with the model equal to the initial model plus the average update of every round that finished,
 * and its journal must verify as a whole: chain and signatures intact, each interrupted round
 * closed once with {@code AGGREGATOR_RESTARTED}, no round finished twice.
 *
 * <p>Each process's standard output and error go to {@code target/aggregator-kill-it/}.
 */
class AggregatorKillIT {
  private static final List<String> ROSTER =
      List.of("silo-1", "silo-2", "silo-3", "silo-4", "silo-5");
  private static final int PARAMETERS = 2_000;
  private static final int ROUNDS = 3;
  private static final String RUN = "killed";
  private static final Pattern LISTENING =
      Pattern.compile("fedsum aggregator listening on port (\\d+)");

  /** Exit status of a process ended by signal 9: 128 + 9. */
  private static final int KILLED_BY_SIGKILL = 137;

  private final List<Process> processes = new ArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private Vertx vertx;
  private Path base;
  private FederationFixture fixture;
  private Path configFile;
  private Process aggregator;
  private volatile int port;

  /** One step of the test: a round played through, or a round during which the JVM is killed. */
  private sealed interface Step permits Finish, KillIn, KillWhileFinishing {}

  private record Finish() implements Step {}

  private record KillIn(Stage stage) implements Step {}

  private record KillWhileFinishing() implements Step {}

  @AfterEach
  void stopEverything() throws Exception {
    threads.shutdownNow();
    for (Process process : processes) {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @Test
  void killedInEveryStage_restartedOnItsDataDirectory_runFinishesWithAnUnbrokenJournal()
      throws Exception {
    base = Path.of(System.getProperty("basedir", "."), "target", "aggregator-kill-it");
    deleteTree(base);
    Files.createDirectories(base.resolve("federation"));
    fixture = FederationFixture.create(base.resolve("federation"));
    fixture.config("aggregator", "crl.pem", ROSTER, 1 << 20, 16);
    configFile = fixture.directory.resolve("aggregator.yaml");
    vertx = Vertx.vertx();
    OperatorCalls operator =
        new OperatorCalls(
            vertx.createHttpClient(
                fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1)))),
            () -> port);
    List<SiloDriver> drivers = new ArrayList<>();
    for (String silo : ROSTER) {
      drivers.add(
          new SiloDriver(
              fixture, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)), PARAMETERS));
    }

    startAggregator();
    operator.create(
        OperatorCalls.runYaml(
            RUN, ROSTER, ROUNDS, PARAMETERS, "120s", "120s", Map.of("maxConsecutiveAborts", "10")));
    float[] initial = new float[PARAMETERS];
    Random random = new Random(7);
    for (int i = 0; i < PARAMETERS; i++) {
      initial[i] = random.nextFloat() * 2 - 1;
    }
    operator.initialModel(RUN, initial);
    operator.change(RUN, "start");

    List<Step> plan =
        List.of(
            new KillIn(Stage.ADVERTISE_KEYS),
            new Finish(),
            new KillIn(Stage.SHARE_KEYS),
            new KillIn(Stage.MASKED_INPUT),
            new Finish(),
            new KillIn(Stage.CONSISTENCY_CHECK),
            new KillIn(Stage.UNMASK),
            new KillWhileFinishing(),
            new Finish());
    double[] expected = new double[PARAMETERS];
    for (int i = 0; i < PARAMETERS; i++) {
      expected[i] = initial[i];
    }
    Map<Long, Stage> killedIn = new LinkedHashMap<>();
    List<Long> finishedRounds = new ArrayList<>();
    long round = 0;
    for (Step step : plan) {
      if (step instanceof Finish && finishedRounds.size() == ROUNDS) {
        break;
      }
      round++;
      long playing = round;
      if (step instanceof Finish) {
        List<Future<Played>> futures = new ArrayList<>();
        for (SiloDriver driver : drivers) {
          futures.add(threads.submit(() -> driver.play(port, playing - 1, SiloDriver.SEND)));
        }
        List<double[]> updates = new ArrayList<>();
        for (Future<Played> future : futures) {
          Played played = SiloDriver.join(future);
          assertThat(played.round()).isEqualTo(playing);
          assertThat(played.ending()).as("%s", played).isEqualTo(SiloDriver.Ending.FINISHED);
          updates.add(played.update());
        }
        finishedRounds.add(playing);
        operator.waitFor(
            RUN,
            "round " + playing + " finished",
            status -> status.getInteger("roundsFinished") == finishedRounds.size());
        expected = SiloDriver.plus(expected, SiloDriver.average(updates));
        SiloDriver.assertModelClose(operator.model(RUN), expected, finishedRounds.size());
      } else if (step instanceof KillIn kill) {
        killedIn.put(playing, kill.stage());
        killDuring(operator, drivers, playing, kill.stage());
      } else {
        List<double[]> updates = killWhileFinishing(operator, drivers, playing);
        boolean finished =
            OperatorCalls.bodies(operator.journal(RUN), "round-finished").stream()
                .anyMatch(body -> body.getLong("round") == playing);
        // The last share was accepted, so the stage had closed before the kill.
        assertThat(OperatorCalls.bodies(operator.journal(RUN), "stage-closed"))
            .anyMatch(
                body ->
                    body.getLong("round") == playing && "UNMASK".equals(body.getString("stage")));
        if (finished) {
          // The kill came after the round-finished record: the round counts, once.
          finishedRounds.add(playing);
          expected = SiloDriver.plus(expected, SiloDriver.average(updates));
        } else {
          killedIn.put(playing, Stage.UNMASK);
        }
        System.out.println(
            "AggregatorKillIT: killed after the last unmasking share of round "
                + playing
                + (finished ? "; the round had finished" : "; the round was being finished"));
      }
    }

    JsonObject done = operator.waitForPhase(RUN, "COMPLETED");
    assertThat(done.getInteger("roundsFinished")).isEqualTo(ROUNDS);
    assertThat(done.getInteger("roundsAborted")).isEqualTo(killedIn.size());
    assertThat(finishedRounds).hasSize(ROUNDS);
    SiloDriver.assertModelClose(operator.model(RUN), expected, ROUNDS);
    assertUnbrokenJournal(killedIn, finishedRounds, done.getString("modelSha256"));
  }

  /**
   * Plays round {@code round} with silo-5 holding its message of {@code stage}; once the other
   * four's messages of that stage are in, kills the aggregator, restarts it, and waits for the next
   * round.
   */
  private void killDuring(OperatorCalls operator, List<SiloDriver> drivers, long round, Stage stage)
      throws Exception {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch killed = new CountDownLatch(1);
    List<Future<Played>> futures = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      SiloDriver.SendHook hook =
          driver.siloId().equals("silo-5")
              ? (message, sender) -> {
                if (message.stage() != stage) {
                  sender.send(message);
                  return true;
                }
                holding.countDown();
                killed.await(2, TimeUnit.MINUTES);
                return false;
              }
              : SiloDriver.SEND;
      futures.add(threads.submit(() -> driver.play(port, round - 1, hook)));
    }
    assertThat(holding.await(2, TimeUnit.MINUTES)).as("silo-5 reached " + stage).isTrue();
    operator.waitForStage(RUN, round, stage, ROSTER.size() - 1);
    kill();
    killed.countDown();
    for (Future<Played> future : futures) {
      // The silos lose their aggregator: each ends with an I/O error or holding its message.
      awaitQuietly(future);
    }
    startAggregator();
    operator.waitFor(
        RUN, "round " + (round + 1) + " open", status -> status.getLong("currentRound") > round);
  }

  /**
   * Plays round {@code round} to its last unmasking share (silo-5's, sent after the others') and
   * kills the aggregator as soon as that share is accepted: the stage has closed, and the
   * aggregator is unmasking the sum, stepping the strategy and checkpointing the model. Restarts it
   * and returns the silos' updates.
   */
  private List<double[]> killWhileFinishing(
      OperatorCalls operator, List<SiloDriver> drivers, long round) throws Exception {
    List<Future<Played>> futures = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      SiloDriver.SendHook hook =
          driver.siloId().equals("silo-5")
              ? (message, sender) -> {
                if (message.stage() == Stage.UNMASK) {
                  operator.waitForStage(RUN, round, Stage.UNMASK, ROSTER.size() - 1);
                  sender.send(message);
                  kill();
                } else {
                  sender.send(message);
                }
                return true;
              }
              : SiloDriver.SEND;
      futures.add(threads.submit(() -> driver.play(port, round - 1, hook)));
    }
    List<double[]> updates = new ArrayList<>();
    for (Future<Played> future : futures) {
      Played played = SiloDriver.join(future);
      assertThat(played.ending()).as("%s", played).isEqualTo(SiloDriver.Ending.FINISHED);
      updates.add(played.update());
    }
    startAggregator();
    operator.waitFor(
        RUN,
        "round " + round + " closed",
        status ->
            status.getLong("currentRound") > round
                || "COMPLETED".equals(status.getString("phase")));
    return updates;
  }

  /** Waits for a silo's round; failures are expected here (its aggregator was killed). */
  private static void awaitQuietly(Future<Played> future) throws Exception {
    try {
      future.get(2, TimeUnit.MINUTES);
    } catch (ExecutionException expected) {
      // The aggregator went away mid-round.
    }
  }

  // ----------------------------------------------------------------------------------------------
  // The aggregator process
  // ----------------------------------------------------------------------------------------------

  /** Starts {@code java -cp <this JVM's class path> AggregatorMain aggregator.yaml}. */
  private void startAggregator() throws Exception {
    int number = processes.size() + 1;
    Path out = base.resolve("aggregator-" + number + ".out");
    Path err = base.resolve("aggregator-" + number + ".err");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                // A short-lived JVM on a shared machine: the first JIT tier is plenty.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                AggregatorMain.class.getName(),
                configFile.toString())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    aggregator = builder.start();
    processes.add(aggregator);
    port = awaitPort(aggregator, out, err);
  }

  /** Reads the port the process prints, failing with its output if it exits first. */
  private static int awaitPort(Process process, Path out, Path err) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      Matcher listening = LISTENING.matcher(Files.readString(out, StandardCharsets.UTF_8));
      if (listening.find()) {
        return Integer.parseInt(listening.group(1));
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "the aggregator exited with "
                + process.exitValue()
                + " before listening; stderr:\n"
                + Files.readString(err, StandardCharsets.UTF_8));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the aggregator did not print its port within 120 s; see " + err);
  }

  /**
   * SIGKILL: {@link Process#destroyForcibly()} sends signal 9 on Linux, which the exit status 137
   * (128 + 9) confirms. No shutdown hook runs, nothing is flushed or closed.
   */
  private void kill() throws Exception {
    Process process = aggregator;
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the killed JVM exits").isTrue();
    assertThat(process.exitValue()).as("exit status of SIGKILL").isEqualTo(KILLED_BY_SIGKILL);
  }

  // ----------------------------------------------------------------------------------------------
  // The journal
  // ----------------------------------------------------------------------------------------------

  /**
   * Verifies the run's journal as an auditor would, from the data directory with the federation CA:
   * every line signed by the aggregator and chained, each round started once and closed once, the
   * killed rounds aborted by the restart in the stage they were killed in, and the last model hash
   * the one the operator sees.
   */
  private void assertUnbrokenJournal(
      Map<Long, Stage> killedIn, List<Long> finishedRounds, String modelSha256) throws Exception {
    Path file =
        fixture.directory.resolve("data").resolve("runs").resolve(RUN).resolve("journal.jsonl");
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    JournalVerification verification =
        JournalVerifier.verify(
            lines,
            FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl),
            Instant.now());
    assertThat(verification.problem()).as("journal problem").isEmpty();
    assertThat(verification.isValid()).isTrue();
    assertThat(verification.writer().orElseThrow().siteId()).isEqualTo("aggregator");
    List<JournalRecord> records = verification.verifiedRecords();
    assertThat(records).hasSize(lines.size());

    Map<Long, Integer> started = new LinkedHashMap<>();
    Map<Long, List<String>> closings = new LinkedHashMap<>();
    Map<Long, JsonObject> aborts = new LinkedHashMap<>();
    String lastModel = null;
    for (JournalRecord record : records) {
      JsonObject body = new JsonObject(record.body().toString());
      switch (record.type()) {
        case "round-started" -> started.merge(body.getLong("round"), 1, Integer::sum);
        case "round-finished" -> {
          closings.computeIfAbsent(body.getLong("round"), r -> new ArrayList<>()).add("finished");
          lastModel = body.getString("modelSha256");
        }
        case "round-aborted" -> {
          closings.computeIfAbsent(body.getLong("round"), r -> new ArrayList<>()).add("aborted");
          aborts.put(body.getLong("round"), body);
        }
        default -> {
          // journal-opened, message-accepted, stage-closed, run-completed: checked below.
        }
      }
    }
    long rounds = finishedRounds.size() + killedIn.size();
    assertThat(started.keySet()).as("rounds started").hasSize((int) rounds);
    assertThat(started.values()).as("starts per round").containsOnly(1);
    for (long round = 1; round <= rounds; round++) {
      assertThat(started).as("round numbers").containsKey(round);
      assertThat(closings.get(round))
          .as("records closing round %d", round)
          .containsExactly(finishedRounds.contains(round) ? "finished" : "aborted");
    }
    killedIn.forEach(
        (round, stage) -> {
          JsonObject abort = aborts.get(round);
          assertThat(abort.getString("reason"))
              .as("round %d", round)
              .isEqualTo("AGGREGATOR_RESTARTED");
          assertThat(abort.getString("stage")).as("round %d", round).isEqualTo(stage.name());
        });
    assertThat(records.stream().filter(r -> r.type().equals("run-completed"))).hasSize(1);
    assertThat(records.get(records.size() - 1).type()).isEqualTo("run-completed");
    assertThat(records.stream().filter(r -> r.type().equals(JournalRecord.OPENING_TYPE)))
        .hasSize(1);
    assertThat(lastModel).as("the last round's model").isEqualTo(modelSha256);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
