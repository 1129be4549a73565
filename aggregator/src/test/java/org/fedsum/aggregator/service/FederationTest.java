package org.fedsum.aggregator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.round.RunCoordinator;
import org.fedsum.aggregator.round.RunStatus;
import org.fedsum.aggregator.round.Scheduler;
import org.fedsum.aggregator.store.JournalOwner;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runs of a data directory: creation, the one-active-run rule, restarts, stop. */
class FederationTest {
  private static final List<String> ROSTER = List.of("silo-a", "silo-b", "silo-c", "silo-d");
  private static final Scheduler NEVER = (delay, task) -> () -> {};

  @TempDir Path directory;

  private AggregatorConfig config;
  private JournalOwner owner;

  @BeforeEach
  void setUp() throws Exception {
    SecureRandom random = new SecureRandom();
    FederationCa ca = FederationCa.create("fed-1", Duration.ofDays(2), random);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(random);
    SiteIdentity identity = new SiteIdentity(SiteRole.AGGREGATOR, "aggregator");
    owner =
        new JournalOwner(
            "fed-1",
            identity,
            ca.issue(identity, key.verifyingKey(), Duration.ofDays(1), List.of()),
            key);
    Path data = Files.createDirectories(directory.resolve("data"));
    config =
        new AggregatorConfig(
            "fed-1",
            new AggregatorConfig.Listen("127.0.0.1", 0),
            new AggregatorConfig.Tls(
                Path.of("/unused.pem"),
                Path.of("/unused.key"),
                Path.of("/ca.pem"),
                Path.of("/crl.pem"),
                Duration.ofSeconds(5)),
            data,
            ROSTER,
            new AggregatorConfig.Limits(1 << 20, 1000, 8));
  }

  private Federation open() throws Exception {
    return Federation.open(config, owner, NEVER, Runnable::run, Clock.systemUTC());
  }

  private static String run(String runId) {
    return String.join(
        "\n",
        "runId: " + runId,
        "roster: [silo-a, silo-b, silo-c, silo-d]",
        "rounds: 5",
        "threshold: 3",
        "model: {kind: logistic-regression, parameters: 4}",
        "privacy: {clipNorm: 1, noiseMultiplier: 0}",
        "");
  }

  private static ByteArrayInputStream floats(float... values) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return new ByteArrayInputStream(bytes.array());
  }

  @Test
  void createRun_oneActiveAtATime_idsNeverReused_filesPrivate() throws Exception {
    try (Federation federation = open()) {
      federation.createRun(run("first"));

      assertThat(String.join("\n", federation.journalLines("first")))
          .contains("\"type\":\"run-privacy\"", "\"protectedUnits\":[");
      assertThat(federation.view("first").status().phase()).isEqualTo(RunStatus.Phase.IDLE);
      assertThat(federation.view("first").active()).isTrue();
      assertThat(reason(() -> federation.createRun(run("second"))))
          .isEqualTo(FederationException.Reason.RUN_ACTIVE);
      assertThat(reason(() -> federation.createRun(run("first"))))
          .isEqualTo(FederationException.Reason.RUN_EXISTS);
      assertThat(reason(() -> federation.createRun("runId: bad\n")))
          .isEqualTo(FederationException.Reason.INVALID_RUN_CONFIG);
      assertThat(reason(() -> federation.view("nobody")))
          .isEqualTo(FederationException.Reason.RUN_NOT_FOUND);
      assertThat(reason(() -> federation.view("../first")))
          .isEqualTo(FederationException.Reason.RUN_NOT_FOUND);

      Path runYaml = config.dataDirectory().resolve("runs/first/run.yaml");
      assertThat(Files.getPosixFilePermissions(runYaml))
          .containsExactlyInAnyOrder(
              PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      assertThat(federation.runIds()).containsExactly("first");
    }
  }

  @Test
  void initialModel_checkedAndUsed_fixedOnceStarted() throws Exception {
    try (Federation federation = open()) {
      federation.createRun(run("r"));

      assertThat(reason(() -> federation.setInitialModel("r", floats(1, 2, 3))))
          .isEqualTo(FederationException.Reason.INVALID_MODEL);
      assertThat(reason(() -> federation.setInitialModel("r", floats(1, 2, 3, 4, 5))))
          .isEqualTo(FederationException.Reason.INVALID_MODEL);
      assertThat(reason(() -> federation.setInitialModel("r", floats(1, Float.NaN, 3, 4))))
          .isEqualTo(FederationException.Reason.INVALID_MODEL);
      federation.setInitialModel("r", floats(1, 2, 3, 4.5f));
      assertThat(federation.model("r").values()).containsExactly(1, 2, 3, 4.5f);

      federation.start("r");
      assertThat(reason(() -> federation.setInitialModel("r", floats(0, 0, 0, 0))))
          .isEqualTo(FederationException.Reason.RUN_STATE_CONFLICT);
      assertThat(reason(() -> federation.start("r")))
          .isEqualTo(FederationException.Reason.RUN_STATE_CONFLICT);
      assertThat(federation.model("r").values()).containsExactly(1, 2, 3, 4.5f);
    }
  }

  @Test
  void restart_runningRunAbortsTheInterruptedRoundAndGoesOn_pausedRunStaysPaused()
      throws Exception {
    try (Federation federation = open()) {
      federation.createRun(run("r"));
      federation.start("r");
      assertThat(federation.view("r").status().currentRound()).isEqualTo(1);
    }
    try (Federation federation = open()) {
      RunStatus status = federation.view("r").status();
      assertThat(status.phase()).isEqualTo(RunStatus.Phase.COLLECTING);
      assertThat(status.currentRound()).isEqualTo(2);
      assertThat(status.roundsAborted()).isEqualTo(1);
      assertThat(String.join("\n", federation.journalLines("r")))
          .contains(RunCoordinator.REASON_RESTARTED);
      federation.pause("r");
      assertThat(federation.view("r").status().pauseRequested()).isTrue();
    }
    try (Federation federation = open()) {
      // Round 2 was interrupted while the run was pausing: aborted, and no round 3 starts.
      RunStatus status = federation.view("r").status();
      assertThat(status.phase()).isEqualTo(RunStatus.Phase.PAUSED);
      assertThat(status.currentRound()).isEqualTo(2);
      federation.resume("r");
      assertThat(federation.view("r").status().currentRound()).isEqualTo(3);
    }
  }

  @Test
  void stop_endsTheRunForGood_andFreesTheFederationForTheNext() throws Exception {
    try (Federation federation = open()) {
      federation.createRun(run("r"));
      federation.start("r");
      RunStatus stopped = federation.stop("r", "test");
      assertThat(stopped.phase()).isEqualTo(RunStatus.Phase.STOPPED);
      assertThat(federation.view("r").active()).isFalse();
      assertThat(reason(() -> federation.pause("r")))
          .isEqualTo(FederationException.Reason.RUN_STATE_CONFLICT);
      assertThat(String.join("\n", federation.journalLines("r")))
          .contains(RunCoordinator.REASON_OPERATOR_STOPPED)
          .contains("\"run-stopped\"");

      // Until the next run is created, silos learn from the ended run that their run is over.
      assertThat(federation.lastEndedRun()).contains("r");
      federation.createRun(run("next"));
      assertThat(federation.lastEndedRun()).isEmpty();
      assertThat(federation.runIds()).containsExactly("next", "r");
    }
    try (Federation federation = open()) {
      assertThat(federation.view("r").status().phase()).isEqualTo(RunStatus.Phase.STOPPED);
      assertThat(federation.view("next").active()).isTrue();
      federation.stop("next", "test");
    }
    try (Federation federation = open()) {
      // After a restart the run whose journal ended last is the one reported as over.
      assertThat(federation.lastEndedRun()).contains("next");
    }
  }

  private interface Call {
    void run() throws Exception;
  }

  private static FederationException.Reason reason(Call call) {
    FederationException refusal = catchThrowableOfType(FederationException.class, call::run);
    assertThat(refusal).as("refused").isNotNull();
    assertThat(refusal.getMessage()).isNotBlank();
    return refusal.reason();
  }
}
