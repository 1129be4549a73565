package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.http.SiloDriver.Played;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.silo.client.AggregatorRefusal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stragglers over real mutual TLS: one silo holds its message of a stage until the stage's deadline
 * has closed it, then sends it. The late message must get its documented error (docs/ERRORS.md) and
 * change nothing: the silo is recorded as a dropout of that stage and the round finishes with the
 * others, the model moving by their average.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StragglerIT {
  private static final List<String> ROSTER =
      List.of("silo-1", "silo-2", "silo-3", "silo-4", "silo-5");
  private static final int PARAMETERS = 2_000;

  @TempDir static Path directory;

  private FederationFixture fixture;
  private AggregatorServer server;
  private Vertx vertx;
  private OperatorCalls operator;
  private final List<SiloDriver> drivers = new ArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeAll
  void start() throws Exception {
    fixture = FederationFixture.create(directory);
    server =
        await(AggregatorServer.start(fixture.config("stragglers", "crl.pem", ROSTER, 1 << 20, 16)));
    vertx = Vertx.vertx();
    operator =
        new OperatorCalls(
            vertx.createHttpClient(
                fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1)))),
            server::port);
    for (String silo : ROSTER) {
      drivers.add(
          new SiloDriver(
              fixture, fixture.issue(SiteRole.SILO, silo, Duration.ofDays(1)), PARAMETERS));
    }
  }

  @AfterAll
  void stop() throws Exception {
    threads.shutdownNow();
    await(vertx.close());
    await(server.close());
  }

  /** What a straggler was told, per attempt. */
  private record Late(String when, AggregatorRefusal refusal) {}

  /**
   * One run per stage, whose deadline is short only for that stage: the others close when every
   * silo has answered, so a slow machine cannot turn an honest silo into a dropout there.
   */
  @ParameterizedTest
  @EnumSource(Stage.class)
  void lateMessage_documentedRefusal_countedAsDropout_roundFinishesWithTheOthers(Stage stage)
      throws Exception {
    String run = "late-" + stage.name().toLowerCase(Locale.ROOT).replace('_', '-');
    // The straggler of CONSISTENCY_CHECK tries again in round 2, which everybody then plays.
    int rounds = stage == Stage.CONSISTENCY_CHECK ? 2 : 1;
    operator.create(runYaml(run, rounds, stage));
    String straggler = "silo-3";
    List<Late> late = new ArrayList<>();
    // The others hold their next-stage messages until the straggler has tried, so that its late
    // message meets the round in the next stage, not in a later one.
    CountDownLatch straggled = new CountDownLatch(1);
    List<Future<Played>> futures = new ArrayList<>();
    for (SiloDriver driver : drivers) {
      SiloDriver.SendHook hook =
          driver.siloId().equals(straggler)
              ? (message, sender) -> straggle(run, stage, message, sender, late, straggled)
              : stage == Stage.UNMASK ? SiloDriver.SEND : gatedAt(next(stage), straggled);
      futures.add(threads.submit(() -> driver.play(server.port(), 0, hook)));
    }
    // The silos are polling already when the round opens: its first deadline is theirs in full.
    operator.change(run, "start");
    List<Played> played = new ArrayList<>();
    for (Future<Played> future : futures) {
      played.add(SiloDriver.join(future));
    }

    operator.waitFor(run, "round 1 finished", status -> status.getInteger("roundsFinished") >= 1);
    JsonObject finished = OperatorCalls.roundRecord(operator.journal(run), "round-finished", 1);
    JsonObject dropouts = finished.getJsonObject("dropouts");
    for (Stage each : Stage.values()) {
      assertThat(dropouts.getJsonArray(each.name()).getList())
          .as("dropouts at %s", each)
          .isEqualTo(each == stage ? List.of(straggler) : List.of());
    }
    // A silo that dropped before its masked vector counted is not in the sum; later ones are.
    boolean counted = stage == Stage.CONSISTENCY_CHECK || stage == Stage.UNMASK;
    List<double[]> summed = new ArrayList<>();
    for (Played each : played) {
      if (each.siloId().equals(straggler)) {
        assertThat(each.ending()).as("%s", each).isEqualTo(SiloDriver.Ending.SILENT);
      }
      if (!each.siloId().equals(straggler) || counted) {
        summed.add(each.update());
      }
    }
    assertThat(finished.getJsonArray("survivors").getList()).hasSize(summed.size());
    double[] expected = SiloDriver.average(summed);
    if (rounds == 2) {
      SiloDriver.assertModelClose(operator.model(run), expected, 1);
      List<Future<Played>> round2 = new ArrayList<>();
      for (SiloDriver driver : drivers) {
        round2.add(threads.submit(() -> driver.play(server.port(), 1, SiloDriver.SEND)));
      }
      List<double[]> all = new ArrayList<>();
      for (Future<Played> future : round2) {
        Played each = SiloDriver.join(future);
        assertThat(each.ending()).as("%s", each).isEqualTo(SiloDriver.Ending.FINISHED);
        all.add(each.update());
      }
      expected = SiloDriver.plus(expected, SiloDriver.average(all));
    }
    JsonObject status = operator.waitForPhase(run, "COMPLETED");
    assertThat(status.getInteger("roundsFinished")).isEqualTo(rounds);
    assertThat(status.getInteger("roundsAborted")).isZero();
    SiloDriver.assertModelClose(operator.model(run), expected, rounds);

    switch (stage) {
      case SHARE_KEYS ->
          // It shared nothing in time, so it is no participant of the masked-input stage.
          assertLate(late, "STAGE_OUT_OF_ORDER", 409, 1L, "NOT_A_PARTICIPANT", 403, 1L);
      case CONSISTENCY_CHECK ->
          assertLate(late, "STAGE_OUT_OF_ORDER", 409, 1L, "ROUND_MISMATCH", 409, 2L);
      case UNMASK -> assertLate(late, "ROUND_CLOSED", 410, 1L);
      default -> assertLate(late, "STAGE_OUT_OF_ORDER", 409, 1L);
    }
  }

  /**
   * The run: a short deadline for {@code straggled} (8 seconds for ADVERTISE_KEYS, whose honest
   * silos first download the model and encode, 5 for the others), two minutes for the rest.
   */
  private static String runYaml(String runId, int rounds, Stage straggled) {
    String yaml =
        OperatorCalls.runYaml(runId, ROSTER, rounds, PARAMETERS, "120s", "120s", Map.of());
    String key =
        switch (straggled) {
          case ADVERTISE_KEYS -> "advertiseKeys";
          case SHARE_KEYS -> "shareKeys";
          case MASKED_INPUT -> "maskedInput";
          case CONSISTENCY_CHECK -> "consistencyCheck";
          case UNMASK -> "unmask";
        };
    String deadline = straggled == Stage.ADVERTISE_KEYS ? "8s" : "5s";
    return yaml.replace("  " + key + ": 120s", "  " + key + ": " + deadline);
  }

  /**
   * The straggler: sends its messages until {@code stage}'s, holds that one until the round has
   * moved past the stage, then sends it (and, in some rounds, something more). Goes silent after.
   */
  private boolean straggle(
      String run,
      Stage stage,
      SiloMessage message,
      SiloDriver.Sender sender,
      List<Late> late,
      CountDownLatch straggled)
      throws Exception {
    if (message.stage() != stage) {
      sender.send(message);
      return true;
    }
    long round = message.round();
    try {
      if (stage == Stage.UNMASK) {
        operator.waitForPhase(run, "COMPLETED");
        late.add(new Late("after the run completed", refused(sender, message)));
        return false;
      }
      operator.waitFor(
          run,
          "round " + round + " in " + next(stage),
          status ->
              status.getLong("currentRound") == round
                  && next(stage).name().equals(status.getString("stage")));
      late.add(new Late("in " + next(stage), refused(sender, message)));
      if (stage == Stage.SHARE_KEYS) {
        // It shared nothing in time, so it is no participant of the masked-input stage.
        int length =
            drivers
                .get(0)
                .client(server.port())
                .pollTask(round, 0, Duration.ZERO)
                .round()
                .orElseThrow()
                .vectorLength();
        MaskedInput vector =
            new MaskedInput(message.siloId(), round, WordVector.wrap(new int[length]));
        late.add(new Late("masked vector", refused(sender, vector)));
      }
      if (stage == Stage.CONSISTENCY_CHECK) {
        straggled.countDown();
        operator.waitFor(
            run, "round " + (round + 1), status -> status.getLong("currentRound") > round);
        late.add(new Late("in the next round", refused(sender, message)));
      }
      return false;
    } finally {
      straggled.countDown();
    }
  }

  private static AggregatorRefusal refused(SiloDriver.Sender sender, SiloMessage message)
      throws Exception {
    try {
      sender.send(message);
    } catch (AggregatorRefusal refusal) {
      return refusal;
    }
    throw new AssertionError("the late " + message.stage() + " message was accepted");
  }

  /** A silo that holds its message of {@code stage} until {@code gate} opens. */
  private static SiloDriver.SendHook gatedAt(Stage stage, CountDownLatch gate) {
    return (message, sender) -> {
      if (message.stage() == stage) {
        assertThat(gate.await(60, TimeUnit.SECONDS)).as("the straggler acted").isTrue();
      }
      sender.send(message);
      return true;
    };
  }

  private static Stage next(Stage stage) {
    return stage == Stage.UNMASK ? Stage.UNMASK : Stage.values()[stage.ordinal() + 1];
  }

  /** Asserts the straggler's replies: (code, status, round) per attempt, each documented. */
  private static void assertLate(List<Late> late, Object... expected) throws Exception {
    assertThat(late).as("late attempts").hasSize(expected.length / 3);
    for (int i = 0; i < late.size(); i++) {
      AggregatorRefusal refusal = late.get(i).refusal();
      String code = (String) expected[3 * i];
      assertThat(refusal.code()).as("%s: %s", late.get(i).when(), refusal).isEqualTo(code);
      assertThat(refusal.httpStatus()).as("%s", refusal).isEqualTo(expected[3 * i + 1]);
      assertThat(refusal.retryable()).as("%s retryable", refusal).isFalse();
      assertThat(refusal.round().getAsLong())
          .as("%s round", refusal)
          .isEqualTo(expected[3 * i + 2]);
      Calls.assertDocumented(code);
    }
  }
}
