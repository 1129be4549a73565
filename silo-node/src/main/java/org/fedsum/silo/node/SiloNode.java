package org.fedsum.silo.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.SiloState;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodedUpdate;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.PrivacyLedger;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RecordLevelLedger;
import org.fedsum.protocol.privacy.RoundPrivacy;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.AggregatorRefusal;
import org.fedsum.silo.client.GlobalModelDownload;
import org.fedsum.silo.client.SecureRound;
import org.fedsum.silo.client.SiloTask;
import org.fedsum.silo.client.TransportRetry;
import org.fedsum.silo.training.RecordLevelDp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The silo node's round loop (DESIGN.md §3–§5, §8): wait for a round, check it against the silo's
 * floor and budget, download the global model and check its hash, train locally, encode the update
 * (clip, noise, quantize), take part in the secure round, and record what it agreed to, what it
 * sent (hashes), for whom it revealed shares and what it spent.
 *
 * <p>The silo keeps one privacy ledger per protected unit: silo-level (the distributed discrete
 * Gaussian) and record-level (DP-SGD on its records, when a run asks for it). Both are rebuilt from
 * the journal's {@code privacy-spent} records, told apart by their {@code unit}, at start, so they
 * survive restarts. A silo killed mid-round starts again at the next round; the aggregator counts
 * it as a dropout of the interrupted one.
 *
 * <p><b>Stopping.</b> {@link #stop} (a JVM shutdown hook on SIGTERM, or a test) ends the node
 * cleanly within a bounded time even if the aggregator cannot be reached: it asks for no new work,
 * interrupts whatever the round loop waits on (a poll, a send, a retry's pause), and lets the
 * current journal step finish. Journal appends are not interruptible ({@link SiloJournal}), and a
 * round's outcome and its privacy spend are appended together, so a stop never leaves a round with
 * one spend record of two; a round left mid-session is journaled as it stood ({@code round-outcome}
 * with {@code leftWhenStopped}), with its spend if its masked input may have left the silo.
 */
public final class SiloNode {
  private static final Logger LOG = LoggerFactory.getLogger(SiloNode.class);
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final SiloConfig config;
  private final AggregatorClient client;
  private final SiloContext context;
  private final SiloJournal journal;
  private final LocalTrainer trainer;
  private final Clock clock;
  private final PrivacyPolicy policy;
  private final SecureRandom random;
  private final Optional<Stage> stopBefore;
  private BiConsumer<Long, int[]> encodedUpdateObserver = (round, words) -> {};
  private PrivacyLedger ledger;
  private RecordLevelLedger recordLevelLedger;
  private volatile boolean stopping;
  // The thread in run(), if any: the one stop() interrupts. Guarded by runLock.
  private Thread runner;
  private final Object runLock = new Object();

  /**
   * @param stopBefore drill hook: go silent before this stage's message in every round (empty in
   *     production)
   */
  public SiloNode(
      SiloConfig config,
      AggregatorClient client,
      SiloContext context,
      SiloJournal journal,
      LocalTrainer trainer,
      Clock clock,
      Optional<Stage> stopBefore)
      throws IOException {
    this.config = Objects.requireNonNull(config, "config");
    this.client = Objects.requireNonNull(client, "client");
    this.context = Objects.requireNonNull(context, "context");
    this.journal = Objects.requireNonNull(journal, "journal");
    this.trainer = Objects.requireNonNull(trainer, "trainer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.stopBefore = Objects.requireNonNull(stopBefore, "stopBefore");
    this.policy = new PrivacyPolicy(config.privacy());
    this.random = new SecureRandom();
    this.ledger = ledgerFromJournal(journal.lines());
    this.recordLevelLedger = recordLevelLedgerFromJournal(journal.lines());
  }

  /**
   * Test hook: told each round's encoded (clipped, noised, quantized, unmasked) update before it is
   * masked. It holds this silo's individual update, which secure aggregation exists to hide: never
   * set it outside tests.
   */
  public void observeEncodedUpdates(BiConsumer<Long, int[]> observer) {
    this.encodedUpdateObserver = Objects.requireNonNull(observer, "observer");
  }

  /** The silo's silo-level privacy ledger as it stands. */
  public synchronized PrivacyLedger ledger() {
    return ledger;
  }

  /** The silo's record-level privacy ledger (DP-SGD on its records) as it stands. */
  public synchronized RecordLevelLedger recordLevelLedger() {
    return recordLevelLedger;
  }

  /**
   * Serves the federation as a long-lived service: takes part in one run after the other, waiting
   * for the next run when one is over. Returns only by an exception (or interruption).
   */
  public void serve() throws IOException, InterruptedException {
    while (!stopping) {
      run();
    }
  }

  /**
   * Stops the node (see the class comment): no new work is taken, the thread in {@link #run} or
   * {@link #serve} is interrupted outside its journal appends, and this waits until that thread has
   * left the round loop, at most {@code timeout}.
   *
   * @return whether the round loop ended within {@code timeout} (true if none was running)
   */
  public boolean stop(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (runLock) {
      stopping = true;
      if (runner != null) {
        runner.interrupt();
      }
      while (runner != null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(runLock, left);
      }
    }
    return true;
  }

  /** Whether {@link #stop} was called. */
  public boolean stopping() {
    return stopping;
  }

  /**
   * Takes part in rounds until the run it joined is over. A run that ended before this silo saw any
   * of its rounds is not its run: the silo waits for the next one.
   *
   * @return how many rounds the silo saw through to the end
   */
  public int run() throws IOException, InterruptedException {
    synchronized (runLock) {
      if (runner != null) {
        throw new IllegalStateException("the silo node runs already, on " + runner.getName());
      }
      if (stopping) {
        return 0;
      }
      runner = Thread.currentThread();
    }
    try {
      return runUntilOverOrStopped();
    } catch (InterruptedException e) {
      if (stopping) {
        LOG.info("silo node stopped");
        return 0;
      }
      throw e;
    } finally {
      synchronized (runLock) {
        runner = null;
        runLock.notifyAll();
      }
      if (stopping) {
        // The interrupt of stop() may still be pending; it was for the round loop, not the caller.
        Thread.interrupted();
      }
    }
  }

  private int runUntilOverOrStopped() throws IOException, InterruptedException {
    journalConfiguration();
    Duration wait = Duration.ofSeconds(config.aggregator().pollWaitSeconds());
    long lastRound = -1;
    Optional<String> joinedRun = Optional.empty();
    int finished = 0;
    while (!stopping) {
      SiloTask task;
      try {
        task = client.pollTask(lastRound, 0, wait);
      } catch (AggregatorRefusal refusal) {
        if (!refusal.retryable()) {
          throw new IOException(
              "the aggregator refuses this silo: " + refusal.getMessage(), refusal);
        }
        Thread.sleep(1000);
        continue;
      } catch (IOException e) {
        LOG.warn("cannot reach the aggregator ({}); trying again", e.getMessage());
        Thread.sleep(2000);
        continue;
      }
      if (task.runOver()) {
        if (joinedRun.isPresent() && joinedRun.equals(task.runId())) {
          LOG.info("run {} is over; this silo saw {} rounds through", joinedRun.get(), finished);
          return finished;
        }
        // Another run's end: ask for news of the next run (the aggregator holds the poll).
        lastRound = -1;
        continue;
      }
      if (task.round().isEmpty() || task.round().get().round() == lastRound) {
        continue;
      }
      if (!task.runId().equals(joinedRun)) {
        joinedRun = task.runId();
        finished = 0;
      }
      RoundConfig round = task.round().get();
      lastRound = round.round();
      try {
        if (playRound(round, task)) {
          finished++;
        }
      } catch (AggregatorRefusal | ProtocolException e) {
        LOG.warn("round {}: left the round: {}", round.round(), e.getMessage());
      } catch (IOException e) {
        LOG.warn("round {}: lost the aggregator mid-round: {}", round.round(), e.getMessage());
      }
    }
    LOG.info("silo node stopped; it saw {} rounds of its run through", finished);
    return finished;
  }

  /**
   * Journals the floor and budget this silo enforces from now on ({@code silo-configured}), so that
   * an audit report can show each silo's own privacy settings from its signed journal rather than
   * from the operator's word.
   */
  private void journalConfiguration() throws IOException {
    SiloConfig.Privacy privacy = config.privacy();
    Map<String, Object> floor = new LinkedHashMap<>();
    floor.put("requireDifferentialPrivacy", privacy.floor().requireDifferentialPrivacy());
    floor.put("minNoiseMultiplier", Double.toString(privacy.floor().minNoiseMultiplier()));
    floor.put("minThreshold", privacy.floor().minThreshold());
    floor.put("minSurvivors", privacy.floor().minSurvivors());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("privacyFloor", floor);
    body.put("epsilonBudget", Double.toString(privacy.epsilonBudget()));
    body.put("delta", Double.toString(privacy.delta()));
    body.put("epsilonUnit", PrivacySpend.UNIT_SILO);
    Map<String, Object> recordLevel = new LinkedHashMap<>();
    recordLevel.put("epsilonBudget", Double.toString(privacy.recordLevel().epsilonBudget()));
    recordLevel.put("epsilonUnit", PrivacySpend.UNIT_RECORD);
    recordLevel.put("required", privacy.recordLevel().required());
    recordLevel.put(
        "minNoiseMultiplier", Double.toString(privacy.recordLevel().minNoiseMultiplier()));
    body.put("recordLevel", recordLevel);
    journal.append("silo-configured", body, clock.instant());
  }

  /** One round; true if the silo's session finished it. */
  boolean playRound(RoundConfig round, SiloTask task)
      throws IOException, InterruptedException, AggregatorRefusal, ProtocolException {
    JsonNode plan = task.plan().orElseThrow(() -> new IOException("the task has no plan"));
    EncodingParameters encoding = EncodingParametersCodec.fromJson(plan.get("encoding"));
    if (encoding.bits() != round.bits()
        || encoding.encodedLength() != round.vectorLength()
        || encoding.threshold() != round.threshold()) {
      refuse(round, "the run's encoding does not match the round's parameters");
      return false;
    }
    String runId = runId(task, plan);
    Optional<RecordLevelDp> recordLevelDp;
    Optional<RecordLevelLedger.Entry> recordLevelRound;
    try {
      Optional<RecordLevelPlan> recordLevelPlan = RecordLevelPlan.fromPlan(plan);
      if (recordLevelPlan.isPresent()) {
        int records = trainer.trainingRecords(plan.get("model"));
        RecordLevelDp dp = recordLevelPlan.get().forRecords(records);
        int epochs = DjlLocalTrainer.trainingConfig(plan.get("training"), round.round()).epochs();
        recordLevelDp = Optional.of(dp);
        recordLevelRound = Optional.of(RecordLevelPlan.entry(runId, round.round(), dp, epochs));
      } else {
        recordLevelDp = Optional.empty();
        recordLevelRound = Optional.empty();
      }
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      refuse(round, "cannot apply the run's record-level DP: " + e.getMessage());
      return false;
    }
    Optional<String> refusal;
    synchronized (this) {
      refusal = policy.refusal(runId, round, encoding, ledger, recordLevelRound, recordLevelLedger);
    }
    if (refusal.isPresent()) {
      refuse(round, refusal.get());
      return false;
    }
    String modelSha256 = task.modelSha256().orElseThrow(() -> new IOException("no model hash"));
    Map<String, Object> agreed = new LinkedHashMap<>();
    agreed.put("round", round.round());
    agreed.put("runId", plan.path("runId").asText());
    agreed.put("threshold", round.threshold());
    agreed.put("minSurvivors", round.minSurvivors());
    agreed.put("securityModel", round.securityModel().name());
    agreed.put("bits", round.bits());
    agreed.put("noiseMultiplier", Double.toString(encoding.noiseMultiplier()));
    agreed.put("clipNorm", Double.toString(encoding.clipNorm()));
    if (recordLevelDp.isPresent()) {
      Map<String, Object> recordLevel = new LinkedHashMap<>();
      recordLevel.put("sampleRate", Double.toString(recordLevelDp.get().sampleRate()));
      recordLevel.put("noiseMultiplier", Double.toString(recordLevelDp.get().noiseMultiplier()));
      recordLevel.put("clipNorm", Double.toString(recordLevelDp.get().clipNorm()));
      recordLevel.put("steps", recordLevelRound.orElseThrow().steps());
      agreed.put("recordLevel", recordLevel);
    }
    agreed.put("modelSha256", modelSha256);
    journal.append("round-agreed", agreed, clock.instant());

    GlobalModelDownload global =
        TransportRetry.call(
            "round " + round.round() + ": downloading the model",
            retry -> client.downloadModel(Optional.of(modelSha256)));
    LocalTrainer.LocalUpdate update;
    Map<String, Double> evaluation;
    try {
      evaluation = trainer.evaluate(global.values(), plan.get("model"));
      update =
          trainer.train(
              round.round(),
              global.values(),
              plan.get("model"),
              plan.get("training"),
              recordLevelDp);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      if (stopping) {
        throw new InterruptedException("the silo is stopping: local training ended early");
      }
      refuse(round, "local training failed: " + e.getMessage());
      return false;
    }
    LOG.info("round {}: global model on held-out data {}", round.round(), evaluation);
    boolean metricsShared = config.shareMetrics() && shareMetrics(round.round(), evaluation);
    float[] delta = new float[global.values().length];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = update.localModel()[i] - global.values()[i];
    }
    UpdateEncoder encoder = UpdateEncoder.create(encoding);
    EncodedUpdate encoded =
        encoding.weighted()
            ? encoder.encodeWeighted(
                delta, Math.max(1, Math.min(update.examples(), encoding.maxWeight())), random)
            : encoder.encode(delta, random);
    encodedUpdateObserver.accept(round.round(), encoded.words());
    WordVector words = WordVector.wrap(encoded.words());
    Map<String, Object> trained = new LinkedHashMap<>();
    trained.put("round", round.round());
    trained.put("examples", update.examples());
    trained.put("globalModelEvaluation", asStrings(evaluation));
    trained.put("metricsShared", metricsShared);
    trained.put("training", asStrings(update.metrics()));
    journal.append("local-update", trained, clock.instant());

    SecureRound.Outcome outcome =
        new SecureRound(
                client,
                context,
                clock,
                Duration.ofSeconds(config.aggregator().pollWaitSeconds()),
                stopBefore,
                () -> stopping)
            .run(round, words);
    recordOutcome(
        runId,
        round,
        encoding,
        recordLevelDp,
        recordLevelRound,
        outcome,
        HexFormat.of().formatHex(words.sha256()));
    return outcome.finished();
  }

  private static String runId(SiloTask task, JsonNode plan) {
    return task.runId().orElse(plan.path("runId").asText());
  }

  private void recordOutcome(
      String runId,
      RoundConfig round,
      EncodingParameters encoding,
      Optional<RecordLevelDp> recordLevelDp,
      Optional<RecordLevelLedger.Entry> recordLevelRound,
      SecureRound.Outcome outcome,
      String inputSha256)
      throws IOException {
    SiloState state = outcome.state();
    Stage reached = state.stage();
    boolean maskedInputSent = reached == Stage.CONSISTENCY_CHECK || reached == Stage.UNMASK;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", round.round());
    body.put("finished", outcome.finished());
    body.put("reachedStage", reached.name());
    body.put("maskedInputSent", maskedInputSent);
    body.put("encodedUpdateSha256", inputSha256);
    // What the aggregator journals as message-accepted, so an audit can match the two journals.
    Map<String, Object> submitted = new LinkedHashMap<>();
    outcome.submissions().forEach((stage, sha256) -> submitted.put(stage.name(), sha256));
    body.put("submitted", submitted);
    if (state instanceof SiloState.Finished done) {
      body.put("survivors", done.survivors());
      body.put("selfMaskSharesRevealedFor", done.selfMaskSharesRevealedFor());
      body.put("maskingKeySharesRevealedFor", done.maskingKeySharesRevealedFor());
    }
    if (state instanceof SiloState.Aborted aborted) {
      body.put("abortReason", aborted.reason().name());
      body.put("abortDetail", aborted.detail());
    }
    // Messages the session refused without leaving the round (another round's, a second request
    // after the round was over): in the signed journal, so a hostile aggregator's attempts show.
    List<Map<String, Object>> refusedMessages = new java.util.ArrayList<>();
    for (SecureRound.RefusedMessage refused : outcome.refusedMessages()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("stage", refused.stage().name());
      entry.put("round", refused.round());
      entry.put("message", refused.message());
      entry.put("code", refused.code().name());
      entry.put("detail", refused.detail());
      refusedMessages.add(entry);
    }
    if (!refusedMessages.isEmpty()) {
      body.put("refusedMessages", refusedMessages);
    }
    if (stopping && !state.terminal()) {
      body.put("leftWhenStopped", true);
    }
    outcome.lostAggregator().ifPresent(reason -> body.put("lostAggregator", reason));
    // The outcome and its spend records are appended together (one write, one fsync): a stop or a
    // crash between them would leave a round whose input left the silo with its spend half
    // recorded.
    List<SiloJournal.Entry> records = new java.util.ArrayList<>();
    records.add(new SiloJournal.Entry("round-outcome", body));
    List<Runnable> logs = new java.util.ArrayList<>();
    if (maskedInputSent && encoding.differentialPrivacy()) {
      // The aggregator may unmask a sum with this silo's input: spend, at the worst case unless the
      // silo saw the survivors.
      int survivors =
          state instanceof SiloState.Finished done ? done.survivors().size() : round.threshold();
      boolean verified = state instanceof SiloState.Finished;
      RoundPrivacy spent = PrivacyPolicy.roundPrivacy(round.round(), survivors, encoding);
      synchronized (this) {
        ledger = verified ? ledger.recordVerified(runId, spent) : ledger.record(runId, spent);
      }
      Map<String, Object> spend = new LinkedHashMap<>();
      spend.put("runId", runId);
      spend.put("round", round.round());
      spend.put("unit", PrivacySpend.UNIT_SILO);
      spend.put("survivors", survivors);
      spend.put("survivorsVerified", verified);
      spend.put("clipNorm", Double.toString(encoding.clipNorm()));
      spend.put("noiseMultiplier", Double.toString(encoding.noiseMultiplier()));
      spend.put("gamma", Double.toString(encoding.gamma()));
      spend.put("threshold", encoding.threshold());
      spend.put("dimension", encoding.dimension());
      double epsilon = ledger().spent(config.privacy().delta()).enforcedEpsilon();
      spend.put("epsilonSpent", Double.toString(epsilon));
      spend.put("delta", Double.toString(config.privacy().delta()));
      records.add(new SiloJournal.Entry("privacy-spent", spend));
      logs.add(() -> logSpend(round.round(), PrivacySpend.UNIT_SILO, epsilon));
    }
    if (maskedInputSent && recordLevelRound.isPresent()) {
      // The update trained with DP-SGD left the silo (masked): every step spent on each record.
      RecordLevelLedger.Entry entry = recordLevelRound.get();
      double epsilon;
      synchronized (this) {
        recordLevelLedger = recordLevelLedger.record(entry);
        epsilon = recordLevelLedger.spent(config.privacy().delta()).enforcedEpsilon();
      }
      Map<String, Object> spend = new LinkedHashMap<>();
      spend.put("runId", runId);
      spend.put("round", round.round());
      spend.put("unit", PrivacySpend.UNIT_RECORD);
      spend.put("sampleRate", Double.toString(entry.sampleRate()));
      spend.put("noiseMultiplier", Double.toString(entry.noiseMultiplier()));
      spend.put("clipNorm", Double.toString(recordLevelDp.orElseThrow().clipNorm()));
      spend.put("steps", entry.steps());
      spend.put("epsilonSpent", Double.toString(epsilon));
      spend.put("delta", Double.toString(config.privacy().delta()));
      records.add(new SiloJournal.Entry("privacy-spent", spend));
      double recordEpsilon = epsilon;
      logs.add(() -> logSpend(round.round(), PrivacySpend.UNIT_RECORD, recordEpsilon));
    }
    journal.appendAll(records, clock.instant());
    logs.forEach(Runnable::run);
    LOG.info(
        "round {}: {} (reached {})",
        round.round(),
        outcome.finished() ? "finished" : "left without finishing",
        reached);
  }

  private void logSpend(long round, String unit, double epsilon) {
    LOG.info(
        "round {}: {}-level privacy spent so far ε = {} at δ = {} (unit: {})",
        round,
        unit,
        String.format(java.util.Locale.ROOT, "%.4g", epsilon),
        config.privacy().delta(),
        PrivacySpend.describeUnit(unit));
  }

  /**
   * Tells the aggregator the held-out figures (the silo's {@code shareMetrics} choice). A refusal
   * or a lost request costs the round nothing: the figures are informative, not part of the
   * protocol.
   */
  private boolean shareMetrics(long round, Map<String, Double> evaluation)
      throws InterruptedException {
    Map<String, Double> figures = new LinkedHashMap<>(evaluation);
    Double examples = figures.remove("examples");
    figures.values().removeIf(value -> !Double.isFinite(value));
    if (figures.isEmpty()) {
      return false;
    }
    try {
      client.sendMetrics(round, examples == null ? 0 : examples.longValue(), figures);
      return true;
    } catch (IOException | AggregatorRefusal e) {
      LOG.warn(
          "round {}: the aggregator did not take this silo's metrics: {}", round, e.getMessage());
      return false;
    }
  }

  private void refuse(RoundConfig round, String reason) throws IOException, InterruptedException {
    LOG.warn("round {}: refused: {}", round.round(), reason);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", round.round());
    body.put("reason", reason);
    journal.append("round-refused", body, clock.instant());
    // Saying so lets the round go on without waiting for this silo until its deadline; if the
    // aggregator does not hear it, the deadline does the same, later.
    try {
      client.decline(
          round.round(), reason.length() <= 500 ? reason : reason.substring(0, 497) + "...");
    } catch (AggregatorRefusal | IOException e) {
      LOG.info(
          "round {}: the aggregator did not take the refusal: {}", round.round(), e.getMessage());
    }
  }

  private static Map<String, Object> asStrings(Map<String, Double> values) {
    Map<String, Object> strings = new LinkedHashMap<>();
    values.forEach((key, value) -> strings.put(key, Double.toString(value)));
    return strings;
  }

  /**
   * Replays the journal's silo-level {@code privacy-spent} records (unit {@code silo}, or no unit:
   * records written before units were named are all silo-level).
   */
  static PrivacyLedger ledgerFromJournal(List<String> lines) throws IOException {
    PrivacyLedger ledger =
        PrivacyLedger.empty(PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA));
    for (String line : lines) {
      JsonNode record = JSON.readTree(line);
      if (!record.path("type").asText().equals("privacy-spent")) {
        continue;
      }
      JsonNode body = record.path("body");
      if (!body.path("unit").asText(PrivacySpend.UNIT_SILO).equals(PrivacySpend.UNIT_SILO)) {
        continue;
      }
      RoundPrivacy round =
          new RoundPrivacy(
              body.path("round").asLong(),
              body.path("survivors").asInt(),
              Double.parseDouble(body.path("clipNorm").asText()),
              Double.parseDouble(body.path("noiseMultiplier").asText()),
              Double.parseDouble(body.path("gamma").asText()),
              body.path("threshold").asInt(),
              body.path("dimension").asLong());
      // Records written before runs were named carry no run id: they form one unnamed run.
      String runId = body.path("runId").asText("");
      ledger =
          body.path("survivorsVerified").asBoolean()
              ? ledger.recordVerified(runId, round)
              : ledger.record(runId, round);
    }
    return ledger;
  }

  /** Replays the journal's record-level {@code privacy-spent} records (unit {@code record}). */
  static RecordLevelLedger recordLevelLedgerFromJournal(List<String> lines) throws IOException {
    RecordLevelLedger ledger = RecordLevelLedger.empty();
    for (String line : lines) {
      JsonNode record = JSON.readTree(line);
      if (!record.path("type").asText().equals("privacy-spent")) {
        continue;
      }
      JsonNode body = record.path("body");
      if (!body.path("unit").asText("").equals(PrivacySpend.UNIT_RECORD)) {
        continue;
      }
      try {
        ledger =
            ledger.record(
                new RecordLevelLedger.Entry(
                    body.path("runId").asText(""),
                    body.path("round").asLong(),
                    Double.parseDouble(body.path("sampleRate").asText()),
                    Double.parseDouble(body.path("noiseMultiplier").asText()),
                    body.path("steps").asLong()));
      } catch (IllegalArgumentException e) {
        // A signed record the silo wrote itself that cannot be replayed: refuse to run with a
        // ledger that forgets spend.
        throw new IOException(
            "the journal's record-level privacy-spent record cannot be replayed: " + e.getMessage(),
            e);
      }
    }
    return ledger;
  }
}
