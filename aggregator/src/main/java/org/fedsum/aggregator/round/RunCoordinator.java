package org.fedsum.aggregator.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.fedsum.aggregator.store.Checkpoint;
import org.fedsum.aggregator.store.CheckpointStore;
import org.fedsum.aggregator.store.Float32Vector;
import org.fedsum.aggregator.store.JournalFile;
import org.fedsum.aggregator.store.JournalWriteException;
import org.fedsum.aggregator.store.SpoolWriter;
import org.fedsum.aggregator.store.SpooledVector;
import org.fedsum.aggregator.store.VectorSpool;
import org.fedsum.aggregator.strategy.ServerStrategy;
import org.fedsum.protocol.AdvertiseKeys;
import org.fedsum.protocol.AggregatorAction;
import org.fedsum.protocol.AggregatorEvent;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.AggregatorProtocol;
import org.fedsum.protocol.AggregatorState;
import org.fedsum.protocol.AggregatorStep;
import org.fedsum.protocol.ConsistencySignature;
import org.fedsum.protocol.EncryptedShares;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.Participation;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.UnmaskShares;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.fedsum.protocol.encoding.DecodedRanges;
import org.fedsum.protocol.encoding.UpdateDecoder;

/**
 * Runs the rounds of one federation run: feeds {@link AggregatorProtocol} with the silos' messages
 * and the stage deadlines, carries out its actions, and when a round finishes unmasks and decodes
 * the sum, applies the server strategy, checkpoints the model and starts the next round.
 *
 * <p><b>Threads.</b> Every state change happens under this object's monitor, so the operations may
 * be called from any thread; each waits for its journal records to be fsync'd, so call them from
 * worker threads, not an event loop. The fsync is a group commit ({@link JournalFile#write}, {@link
 * JournalFile#awaitDurable}): records are written, signed and chained under the monitor, and each
 * operation then releases the monitor and waits, outside it, until the journal is durable up to the
 * last record written when it left the monitor, so the silos' messages of one stage share fsyncs
 * instead of queueing behind one fsync each. What an operation returns or throws (a reply, a task,
 * a queued message, a refusal), the {@link #status()} snapshot and the {@link RoundEvents} are all
 * released only after that wait: nothing that depends on a record reaches anyone before the record
 * is durable, so a crash loses only records nobody was told about. Blocking work that needs no
 * state (adding a spooled vector into the running sum, unmasking, decoding, the strategy step, the
 * checkpoint) runs on the injected {@link Executor}, one task after another per round, outside the
 * monitor.
 *
 * <p><b>Journal.</b> Every state change is journaled before it takes effect: {@code round-started}
 * (the public round parameters), {@code message-accepted} (type, silo, stage and SHA-256 of the
 * message's wire encoding, or of the masked vector's words; never the message itself), {@code
 * stage-closed} (the participants, and what closed the stage: {@code all-answered}, {@value
 * #CLOSED_BY_GRACE} with the grace waited, or {@code deadline}), {@code round-finished}
 * (participation per stage, dropouts per stage, the new model's SHA-256; like {@code
 * round-aborted}, the requests refused since the previous round ended, by error code), {@code
 * round-aborted} (stage, reason code, detail), {@code silo-metrics} (a sharing silo's held-out
 * figures for the round's starting model), {@code round-declined} (a silo's refusal of the round,
 * with its reason), and {@code run-completed} or {@code run-stopped}. No share, seed, key or vector
 * is ever journaled. Refused submissions change no state and are not journaled.
 *
 * <p><b>Observers.</b> {@link #onChange} hears of everything a silo's poll could see; {@link
 * #onRoundEvents} hears of rounds started, stages closed, rounds finished and aborted (for
 * metrics), each just after its journal record is durable.
 *
 * <p><b>Round policy.</b> Round numbers start at 1 and are never reused: an aborted round keeps the
 * model and the next round gets the next number (silos bind their keys to the number). The run
 * completes when {@link RunSettings#rounds()} rounds have finished, and stops after {@link
 * RunSettings#maxConsecutiveAborts()} aborted rounds in a row.
 *
 * <p><b>Recovery.</b> {@link #resume} rebuilds the counters from the journal and the model from the
 * checkpoint of the last finished round. A round that was interrupted is closed with {@code
 * round-aborted}, reason {@value #REASON_RESTARTED}: resuming mid-stage is not supported, because
 * the spooled vectors and the protocol state (the silos' advertised keys and shares) were never
 * durable. Finished rounds are never redone.
 *
 * <p>A failed journal write or fsync ({@link JournalWriteException}) leaves the run {@link
 * RunStatus.Phase#FAILED} for good: this coordinator takes nothing more. The run goes on in a new
 * coordinator that recovery opens from the data directory, after a restart or, once the directory
 * can be written again, without one ({@link #onFailure}; the service's {@code Federation} retries
 * it, closing the interrupted round with {@value #REASON_STORAGE_RECOVERED}). The operations
 * waiting for the failed fsync throw it; their state changes were made in memory only, and the run
 * that recovery rebuilds never saw them.
 */
public final class RunCoordinator {
  /** The longest reason a silo may give for declining a round. */
  public static final int MAX_DECLINE_REASON = 500;

  /**
   * The {@code closedBy} of a stage closed by its grace period after its quorum ({@link
   * EarlyClose}).
   */
  public static final String CLOSED_BY_GRACE = "grace-after-quorum";

  /** The {@code round-aborted} reason of a round interrupted by a restart. */
  public static final String REASON_RESTARTED = "AGGREGATOR_RESTARTED";

  /**
   * The {@code round-aborted} reason of a round interrupted because the data directory could not be
   * written (full, read-only), closed when the aggregator reopened the run without a restart.
   */
  public static final String REASON_STORAGE_RECOVERED = "STORAGE_RECOVERED";

  /** The {@code round-aborted} reason of a round stopped by an operator. */
  public static final String REASON_OPERATOR_STOPPED = "OPERATOR_STOPPED";

  /** The {@code round-aborted} reason when unmasking, decoding or checkpointing failed. */
  public static final String REASON_AGGREGATION_FAILED = "AGGREGATION_FAILED";

  private static final Logger LOG = Logger.getLogger(RunCoordinator.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunSettings settings;
  private final ServerStrategy strategy;
  private final JournalFile journal;
  private final CheckpointStore checkpoints;
  private final VectorSpool spool;
  private final Scheduler scheduler;
  private final Executor executor;
  private final Clock clock;

  // Guarded by this.
  private RunStatus.Phase phase = RunStatus.Phase.IDLE;
  private long lastStartedRound;
  private int roundsFinished;
  private int roundsAborted;
  private int consecutiveAborts;
  private String lastModelSha256;
  private String failure;
  // The model and the strategy's moments as checkpointed: float32, the values the strategy only
  // ever holds between rounds (every step's result is rounded to float32). Replaced when a round
  // finishes, never written in place: downloads and the strategy step read them without a copy.
  private Float32Vector model;
  private float[][] moments;
  private long strategySteps;
  private String modelSha256;

  /**
   * The model as downloads stream it, with its hash: the model array itself, shared by every
   * download (a copy per download would hold one model per concurrent download, memory growing with
   * n).
   */
  private GlobalModel served;

  /**
   * How many coordinates the finish of a round decodes and steps at a time: the doubles it holds
   * besides the model, the next model and the moments (float32) are a few such ranges, not whole
   * vectors. Package-private so that tests can make rounds span several ranges.
   */
  int stepRangeLength = 1 << 16;

  private RoundRun current;
  private boolean pauseRequested;
  private String stopReason;
  private Runnable changeListener = () -> {};
  private Runnable failureListener = () -> {};
  // The round in progress when the run failed: its blocking work may still be running.
  private RoundRun failedRound;
  private volatile java.util.function.BiConsumer<Long, int[]> unmaskedSumObserver;
  private RoundEvents roundEvents = RoundEvents.NONE;
  private RefusalCounts refusals = new RefusalCounts();
  // Round events waiting for their record to be durable, in journal order.
  private final ArrayDeque<PendingEvent> pendingEvents = new ArrayDeque<>();
  private long statusVersion;

  /** The newest status whose records are durable: read without the monitor by status(). */
  private final AtomicReference<Published> published = new AtomicReference<>();

  /** A round event to deliver once the journal is durable up to {@code position}. */
  private record PendingEvent(long position, Runnable event) {}

  /** A status snapshot, numbered in the order the monitor saw the states. */
  private record Published(long version, RunStatus status) {}

  /**
   * Taken under the monitor as an operation leaves it: the state it leaves, and the journal
   * position every record that state depends on lies before. Released (returned, published) once
   * that position is durable.
   */
  private record Settlement(long version, RunStatus status, long position) {}

  /** An operation's work under the monitor. */
  @FunctionalInterface
  private interface Locked<T> {
    T run() throws ProtocolException, IOException;
  }

  /** One round in progress: the protocol state and what the coordinator keeps beside it. */
  private static final class RoundRun {
    final RoundConfig config;
    AggregatorState state;
    // Dropped once the round is aggregated, before the next round allocates its own: two sums at
    // once would be one vector more of peak heap.
    int[] sum;
    final String startModelSha256;
    // Never drained: silos read it from a cursor, so a lost reply is recovered by asking again.
    final Map<String, List<AggregatorMessage>> outbox = new TreeMap<>();
    // The cursor of the draining poll(siloId) convenience.
    final Map<String, Integer> delivered = new TreeMap<>();
    final Map<Stage, SortedSet<String>> participants = new EnumMap<>(Stage.class);
    // Silos that reported their metrics for this round (at most once each).
    final SortedSet<String> metricsReported = new TreeSet<>();
    // Silos that declined this round before advertising keys: ADVERTISE_KEYS does not wait for
    // them.
    final SortedSet<String> declined = new TreeSet<>();
    Scheduler.Cancellable deadline;
    // The grace period started when the open stage reached its quorum (EarlyClose), if any.
    Scheduler.Cancellable grace;
    Duration graceStarted;
    // When the round and its open stage started, by the coordinator's clock: for RoundEvents.
    final Instant startedAt;
    Instant stageOpenedAt;
    // The round's blocking work, chained so that it runs in order: additions, then the finish.
    CompletableFuture<Void> blockingWork = CompletableFuture.completedFuture(null);
    // Written by executor tasks in chain order, read by the finish task at its end.
    volatile String sumFailure;

    RoundRun(RoundConfig config, String startModelSha256, Instant startedAt) {
      this.config = config;
      this.startModelSha256 = startModelSha256;
      this.startedAt = startedAt;
      this.stageOpenedAt = startedAt;
      this.state = AggregatorProtocol.start(config);
      this.sum = new int[config.vectorLength()];
    }
  }

  private RunCoordinator(
      RunSettings settings,
      JournalFile journal,
      CheckpointStore checkpoints,
      VectorSpool spool,
      Scheduler scheduler,
      Executor executor,
      Clock clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.strategy = settings.strategy().strategy();
    this.journal = Objects.requireNonNull(journal, "journal");
    this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
    this.spool = Objects.requireNonNull(spool, "spool");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Opens the run that {@code journal} records, or a new one if it records no round: counters come
   * from the journal, the model from the checkpoint of the last finished round (checked against the
   * SHA-256 journaled with it) or else {@code initialModel}, and an interrupted round is closed
   * with {@code round-aborted} (see the class comment). No round is started: call {@link
   * #startRound()}.
   *
   * @param initialModel the model before the first round, {@link RunSettings#dimension()} values
   *     (copied, and rounded to float32 as checkpoints hold it)
   * @throws IOException if the journal or the checkpoint cannot be read or written, or the
   *     checkpoint does not match the journal
   * @throws IllegalArgumentException if the journal belongs to another federation, or the model has
   *     the wrong dimension
   */
  public static RunCoordinator resume(
      RunSettings settings,
      double[] initialModel,
      JournalFile journal,
      CheckpointStore checkpoints,
      VectorSpool spool,
      Scheduler scheduler,
      Executor executor,
      Clock clock)
      throws IOException {
    float[] floats = new float[initialModel.length];
    for (int i = 0; i < floats.length; i++) {
      floats[i] = (float) initialModel[i];
    }
    return resume(settings, floats, journal, checkpoints, spool, scheduler, executor, clock);
  }

  /**
   * As {@link #resume(RunSettings, double[], JournalFile, CheckpointStore, VectorSpool, Scheduler,
   * Executor, Clock)}, with the initial model already in float32, as checkpoints and downloads hold
   * it (the array is copied).
   */
  public static RunCoordinator resume(
      RunSettings settings,
      float[] initialModel,
      JournalFile journal,
      CheckpointStore checkpoints,
      VectorSpool spool,
      Scheduler scheduler,
      Executor executor,
      Clock clock)
      throws IOException {
    return resume(
        settings,
        initialModel,
        journal,
        checkpoints,
        spool,
        scheduler,
        executor,
        clock,
        REASON_RESTARTED);
  }

  /**
   * As {@link #resume(RunSettings, float[], JournalFile, CheckpointStore, VectorSpool, Scheduler,
   * Executor, Clock)}, closing an interrupted round with {@code interruptedReason}: {@value
   * #REASON_RESTARTED} after a restart, {@value #REASON_STORAGE_RECOVERED} when the service reopens
   * a run that failed writing its data directory.
   */
  public static RunCoordinator resume(
      RunSettings settings,
      float[] initialModel,
      JournalFile journal,
      CheckpointStore checkpoints,
      VectorSpool spool,
      Scheduler scheduler,
      Executor executor,
      Clock clock,
      String interruptedReason)
      throws IOException {
    Objects.requireNonNull(interruptedReason, "interruptedReason");
    RunCoordinator coordinator =
        new RunCoordinator(settings, journal, checkpoints, spool, scheduler, executor, clock);
    if (initialModel.length != settings.dimension()) {
      throw new IllegalArgumentException(
          "initialModel must have the encoding's dimension "
              + settings.dimension()
              + ", not "
              + initialModel.length);
    }
    Settlement settlement;
    synchronized (coordinator) {
      coordinator.recover(initialModel.clone(), interruptedReason);
      settlement = coordinator.settlementLocked();
    }
    coordinator.settle(settlement);
    return coordinator;
  }

  private void recover(float[] initialModel, String interruptedReason) throws IOException {
    long openRound = -1;
    Stage openStage = Stage.ADVERTISE_KEYS;
    long lastFinishedRound = -1;
    long strategySteps = 0;
    boolean runEnded = false;
    for (String line : journal.readLines()) {
      JsonNode record = JSON.readTree(line);
      String type = record.path("type").asText();
      JsonNode body = record.path("body");
      long round = body.path("round").asLong(-1);
      switch (type) {
        case "round-started" -> {
          String federation = body.path("federationId").asText();
          if (!federation.equals(settings.federationId())) {
            throw new IllegalArgumentException(
                "the journal records federation '"
                    + federation
                    + "', the settings name '"
                    + settings.federationId()
                    + "'");
          }
          lastStartedRound = Math.max(lastStartedRound, round);
          openRound = round;
          openStage = Stage.ADVERTISE_KEYS;
        }
        case "stage-closed" -> {
          Stage closed = Stage.valueOf(body.path("stage").asText());
          if (round == openRound) {
            openStage = stageAfter(closed);
          }
        }
        case "round-finished" -> {
          roundsFinished++;
          consecutiveAborts = 0;
          lastFinishedRound = round;
          lastModelSha256 = body.path("modelSha256").asText();
          strategySteps = body.path("strategySteps").asLong();
          openRound = round == openRound ? -1 : openRound;
        }
        case "round-aborted" -> {
          roundsAborted++;
          consecutiveAborts++;
          openRound = round == openRound ? -1 : openRound;
        }
        case "run-paused" -> pauseRequested = true;
        case "run-resumed" -> pauseRequested = false;
        case "run-completed", "run-stopped" -> runEnded = true;
        default -> {
          // journal-opened, message-accepted: nothing to rebuild from them.
        }
      }
    }
    if (lastFinishedRound >= 0) {
      Checkpoint checkpoint = checkpoints.load(lastFinishedRound);
      String hash = checkpoint.modelVector().sha256();
      if (!hash.equals(lastModelSha256)) {
        throw new IOException(
            "the checkpoint of round "
                + lastFinishedRound
                + " has SHA-256 "
                + hash
                + ", the journal recorded "
                + lastModelSha256);
      }
      // Restored only to check that the moments belong to this strategy and are valid for it.
      ModelCheckpoints.restoreState(
          strategy, strategySteps, checkpoint.optimizerState(), settings.dimension());
      model = checkpoint.modelVector();
      moments = checkpoint.optimizerState().toArray(new float[0][]);
      this.strategySteps = strategySteps;
    } else {
      model = Float32Vector.wrap(initialModel);
      moments =
          ModelCheckpoints.moments(strategy.initialState(settings.dimension()))
              .toArray(new float[0][]);
      this.strategySteps = 0;
    }
    if (openRound >= 0) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("round", openRound);
      body.put("stage", openStage.name());
      body.put("reason", interruptedReason);
      body.put(
          "detail",
          (interruptedReason.equals(REASON_STORAGE_RECOVERED)
                  ? "the data directory could be written again"
                  : "aggregator restarted")
              + "; resuming mid-round is not supported");
      append("round-aborted", body);
      roundsAborted++;
      consecutiveAborts++;
    }
    modelSha256 = model.sha256();
    if (roundsFinished >= settings.rounds()) {
      phase = RunStatus.Phase.COMPLETED;
    } else if (consecutiveAborts >= settings.maxConsecutiveAborts() || runEnded) {
      // runEnded alone: an operator stopped the run.
      phase = RunStatus.Phase.STOPPED;
    } else if (pauseRequested && lastStartedRound > 0) {
      phase = RunStatus.Phase.PAUSED;
    }
    if (!runEnded && phase != RunStatus.Phase.IDLE && phase != RunStatus.Phase.PAUSED) {
      append(phase == RunStatus.Phase.COMPLETED ? "run-completed" : "run-stopped", runEndBody());
    }
  }

  /**
   * Starts the next round: journals {@code round-started} and schedules the {@code ADVERTISE_KEYS}
   * deadline. Later rounds start by themselves when one closes.
   *
   * @throws IllegalStateException if a round is in progress or the run is over
   * @throws IOException if the journal append failed (the round did not start)
   */
  public void startRound() throws IOException {
    settled(
        () -> {
          if (phase != RunStatus.Phase.IDLE) {
            throw new IllegalStateException("cannot start a round while the run is " + phase);
          }
          openNextRound();
          return null;
        });
  }

  /**
   * Test hook: told each finished round's unmasked sum (the encoded sum, before decoding), so that
   * a test can compare it with the sum of the silos' own encodings. Never set in production: it is
   * exactly the sum the protocol reveals, but a copy of it outside the decoder serves no one.
   */
  public void observeUnmaskedSums(java.util.function.BiConsumer<Long, int[]> observer) {
    this.unmaskedSumObserver = observer;
  }

  /** Whether a round was ever started: a run created but never started has not. */
  public boolean started() {
    return status().currentRound() > 0;
  }

  /**
   * Registers the one listener told of every change a silo's poll could see (a round opened or
   * closed, a message queued, the run ended). Called with this object's lock held, so it must only
   * hand the news on (e.g. to an event loop), never block or call back in.
   */
  public synchronized void onChange(Runnable listener) {
    changeListener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Registers the one observer of round events (see {@link RoundEvents} for what it may do when
   * called); replaces the previous one.
   */
  public synchronized void onRoundEvents(RoundEvents observer) {
    roundEvents = Objects.requireNonNull(observer, "observer");
  }

  /**
   * Takes the transport's count of refused requests: each round's end journals the refusals counted
   * since the previous round's end ({@code refusals}, by error code).
   */
  public synchronized void countRefusalsIn(RefusalCounts counts) {
    refusals = Objects.requireNonNull(counts, "counts");
  }

  private Map<String, Object> drainRefusals() {
    return new LinkedHashMap<>(refusals.drain());
  }

  /**
   * Pauses the run: the round in progress runs to its end, no further round starts until {@link
   * #resumeRun()}. Journaled ({@code run-paused}) so that a restarted aggregator stays paused.
   *
   * @throws IllegalStateException if the run has not started, is over or already paused
   * @throws IOException if the journal append failed (nothing changed)
   */
  public void pause() throws IOException {
    settled(
        () -> {
          pauseLocked();
          return null;
        });
  }

  private void pauseLocked() throws IOException {
    if (lastStartedRound == 0 || over() || pauseRequested) {
      throw new IllegalStateException(
          "cannot pause a run that is "
              + (pauseRequested ? "paused" : phase.name().toLowerCase(Locale.ROOT)));
    }
    append("run-paused", Map.of("afterRound", lastStartedRound));
    pauseRequested = true;
    if (current == null && phase == RunStatus.Phase.IDLE) {
      phase = RunStatus.Phase.PAUSED;
    }
    changeListener.run();
  }

  /**
   * Resumes a paused run ({@code run-resumed}): the next round starts at once if the paused one has
   * closed, else the run simply goes on after it.
   *
   * @throws IllegalStateException if the run is not paused
   * @throws IOException if the journal append failed (nothing changed)
   */
  public void resumeRun() throws IOException {
    settled(
        () -> {
          resumeRunLocked();
          return null;
        });
  }

  private void resumeRunLocked() throws IOException {
    if (!pauseRequested || over()) {
      throw new IllegalStateException("the run is not paused");
    }
    append("run-resumed", Map.of("afterRound", lastStartedRound));
    pauseRequested = false;
    if (phase == RunStatus.Phase.PAUSED) {
      phase = RunStatus.Phase.IDLE;
      openNextRound();
    }
    changeListener.run();
  }

  /**
   * Stops the run for good: the round in progress is aborted with reason {@value
   * #REASON_OPERATOR_STOPPED} and {@code run-stopped} is journaled. The model stays that of the
   * last finished round.
   *
   * @throws IllegalStateException if the run is already over
   * @throws IOException if the journal append failed
   */
  public void stop(String detail) throws IOException {
    Objects.requireNonNull(detail, "detail");
    settled(
        () -> {
          stopLocked(detail);
          return null;
        });
  }

  private void stopLocked(String detail) throws IOException {
    if (over()) {
      throw new IllegalStateException(
          "the run is already " + phase.name().toLowerCase(Locale.ROOT));
    }
    stopReason = detail;
    if (current != null && !current.state.terminal()) {
      abortRound(current, current.state.stage(), REASON_OPERATOR_STOPPED, detail);
    } else if (phase != RunStatus.Phase.FINISHING) {
      // No round open (idle, paused, never started): stop at once. A round being finished stops
      // the run when its finish calls continueRun.
      continueRun();
    }
  }

  private boolean over() {
    return phase == RunStatus.Phase.COMPLETED
        || phase == RunStatus.Phase.STOPPED
        || phase == RunStatus.Phase.FAILED;
  }

  private void openNextRound() throws IOException {
    RoundConfig config = settings.roundConfig(lastStartedRound + 1);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", config.round());
    body.put("federationId", config.federationId());
    body.put("protocolVersion", config.protocolVersion());
    body.put("roster", config.roster());
    body.put("threshold", config.threshold());
    body.put("minSurvivors", config.minSurvivors());
    body.put("bits", config.bits());
    body.put("vectorLength", config.vectorLength());
    body.put("securityModel", config.securityModel().name());
    body.put("assumedColluders", config.assumedColluders());
    Map<String, Object> deadlines = new LinkedHashMap<>();
    settings.deadlines().forEach((stage, delay) -> deadlines.put(stage.name(), delay.toMillis()));
    body.put("deadlineMillis", deadlines);
    EarlyClose earlyClose = settings.earlyClose();
    Map<String, Object> early = new LinkedHashMap<>();
    early.put("enabled", earlyClose.enabled());
    early.put("minimumGraceMillis", earlyClose.minimumGrace().toMillis());
    early.put("graceFactor", Double.toString(earlyClose.graceFactor()));
    body.put("earlyClose", early);
    append("round-started", body);
    lastStartedRound = config.round();
    current = new RoundRun(config, modelSha256, clock.instant());
    phase = RunStatus.Phase.COLLECTING;
    scheduleDeadline(current);
    RoundEvents observer = roundEvents;
    long round = config.round();
    afterDurable(() -> observer.roundStarted(round));
    changeListener.run();
  }

  /**
   * Takes a control message from {@code siloId}, as the transport authenticated it.
   *
   * @throws ProtocolException if the message is refused (its code says why); nothing changed
   * @throws IOException if journaling failed; the run is then {@link RunStatus.Phase#FAILED} or, if
   *     the failure came before the message was recorded, unchanged
   */
  public void submit(String siloId, SiloMessage message) throws ProtocolException, IOException {
    Objects.requireNonNull(siloId, "siloId");
    Objects.requireNonNull(message, "message");
    settledOrRefused(
        () -> {
          submitLocked(siloId, message);
          return null;
        });
  }

  private void submitLocked(String siloId, SiloMessage message)
      throws ProtocolException, IOException {
    if (!message.siloId().equals(siloId)) {
      throw new ProtocolException(
          ErrorCode.MALFORMED_MESSAGE,
          message.round(),
          "the message names sender "
              + message.siloId()
              + ", the transport authenticated "
              + siloId);
    }
    RoundRun run = openRound(message.round());
    if (run.declined.contains(siloId) && run.config.round() == message.round()) {
      throw new ProtocolException(
          ErrorCode.NOT_A_PARTICIPANT,
          message.round(),
          "'" + siloId + "' declined round " + message.round());
    }
    AggregatorStep step =
        AggregatorProtocol.apply(run.state, new AggregatorEvent.Received(message));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", message.round());
    body.put("silo", siloId);
    body.put("stage", message.stage().name());
    body.put("type", typeOf(message));
    body.put("sha256", digest(message));
    append("message-accepted", body);
    run.participants.computeIfAbsent(message.stage(), stage -> new TreeSet<>()).add(siloId);
    commit(run, step, "all-answered");
    closeAdvertiseKeysIfAllAnswered(run);
  }

  /**
   * Takes {@code siloId}'s refusal of {@code round} (its privacy floor or budget, or a failed local
   * training), journaled as {@code round-declined}: the silo drops out of the round at {@code
   * ADVERTISE_KEYS}, which then closes as soon as every other silo has answered instead of waiting
   * for its deadline. Declining is only possible before advertising keys; later, a silo drops out
   * by going silent, as the protocol expects.
   *
   * @param reason the silo's own words, journaled (at most {@value #MAX_DECLINE_REASON} characters;
   *     it must not hold a secret, and the silo node only sends its refusal reason)
   * @throws ProtocolException {@code UNKNOWN_SILO}, {@code NOT_READY} or {@code ROUND_CLOSED},
   *     {@code ROUND_MISMATCH}, {@code STAGE_OUT_OF_ORDER} (the round is past ADVERTISE_KEYS),
   *     {@code DUPLICATE_SUBMISSION} (already declined, or already advertised); nothing changed
   * @throws IOException if journaling failed
   */
  public void decline(String siloId, long round, String reason)
      throws ProtocolException, IOException {
    Objects.requireNonNull(reason, "reason");
    settledOrRefused(
        () -> {
          declineLocked(siloId, round, reason);
          return null;
        });
  }

  private void declineLocked(String siloId, long round, String reason)
      throws ProtocolException, IOException {
    checkRoster(siloId);
    RoundRun run = openRoundNumbered(round, "the refusal is for round ");
    if (run.state.terminal() || run.state.stage() != Stage.ADVERTISE_KEYS) {
      throw new ProtocolException(
          ErrorCode.STAGE_OUT_OF_ORDER,
          round,
          "a silo declines a round before advertising its keys; the round is past ADVERTISE_KEYS");
    }
    if (participantsOf(run, Stage.ADVERTISE_KEYS).contains(siloId)
        || run.declined.contains(siloId)) {
      throw new ProtocolException(
          ErrorCode.DUPLICATE_SUBMISSION,
          round,
          "'"
              + siloId
              + "' has already "
              + (run.declined.contains(siloId) ? "declined" : "advertised keys in")
              + " round "
              + round);
    }
    if (reason.length() > MAX_DECLINE_REASON) {
      throw new ProtocolException(
          ErrorCode.MALFORMED_MESSAGE,
          round,
          "the reason is longer than " + MAX_DECLINE_REASON + " characters");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", round);
    body.put("silo", siloId);
    body.put("reason", reason);
    append("round-declined", body);
    run.declined.add(siloId);
    changeListener.run();
    closeAdvertiseKeysIfAllAnswered(run);
  }

  /** Closes ADVERTISE_KEYS early once every silo of the roster advertised or declined. */
  private void closeAdvertiseKeysIfAllAnswered(RoundRun run) throws IOException {
    if (run != current
        || run.declined.isEmpty()
        || run.state.terminal()
        || run.state.stage() != Stage.ADVERTISE_KEYS) {
      return;
    }
    Set<String> answered = new TreeSet<>(participantsOf(run, Stage.ADVERTISE_KEYS));
    answered.addAll(run.declined);
    if (!answered.containsAll(settings.roster())) {
      return;
    }
    try {
      // The deadline's event closes the stage with the silos that answered, as a deadline would.
      commit(
          run,
          AggregatorProtocol.apply(
              run.state, new AggregatorEvent.DeadlinePassed(Stage.ADVERTISE_KEYS)),
          "all-answered-or-declined");
    } catch (ProtocolException e) {
      throw new IllegalStateException("bug: closing the open stage was refused", e);
    }
  }

  /**
   * Journals {@code siloId}'s evaluation of the open round's starting model ({@code silo-metrics}).
   * Metrics do not take part in the protocol: they neither move a stage nor count a silo as a
   * participant.
   *
   * @throws ProtocolException {@code UNKNOWN_SILO}, {@code NOT_READY} or {@code ROUND_CLOSED} (no
   *     round open), {@code ROUND_MISMATCH}, {@code DUPLICATE_SUBMISSION} (already reported for
   *     this round); nothing changed
   * @throws IOException if journaling failed
   */
  public void recordSiloMetrics(String siloId, SiloMetrics metrics)
      throws ProtocolException, IOException {
    Objects.requireNonNull(metrics, "metrics");
    settledOrRefused(
        () -> {
          recordSiloMetricsLocked(siloId, metrics);
          return null;
        });
  }

  private void recordSiloMetricsLocked(String siloId, SiloMetrics metrics)
      throws ProtocolException, IOException {
    checkRoster(siloId);
    RoundRun run = openRoundNumbered(metrics.round(), "the metrics are for round ");
    if (run.metricsReported.contains(siloId)) {
      throw new ProtocolException(
          ErrorCode.DUPLICATE_SUBMISSION,
          metrics.round(),
          "'" + siloId + "' reported its metrics for round " + metrics.round() + " already");
    }
    Map<String, Object> values = new LinkedHashMap<>();
    metrics.values().forEach((name, value) -> values.put(name, Double.toString(value)));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", metrics.round());
    body.put("silo", siloId);
    body.put("examples", metrics.examples());
    body.put("metrics", values);
    append("silo-metrics", body);
    run.metricsReported.add(siloId);
  }

  /**
   * Opens the spool for {@code siloId}'s masked vector of {@code round}, refusing at once what the
   * round cannot take (another round, another stage) so that no byte of a hopeless upload is
   * written. The frame itself is checked by the writer; {@link #submitMaskedVector} then decides.
   *
   * @throws ProtocolException {@code UNKNOWN_SILO}, {@code NOT_READY} or {@code ROUND_CLOSED} (no
   *     round open), {@code ROUND_MISMATCH}, {@code STAGE_OUT_OF_ORDER}
   */
  public SpoolWriter receiveMaskedVector(String siloId, long round) throws ProtocolException {
    return settledRead(() -> receiveMaskedVectorLocked(siloId, round));
  }

  private SpoolWriter receiveMaskedVectorLocked(String siloId, long round)
      throws ProtocolException {
    RoundRun run = takingMaskedVectors(siloId, round);
    return spool.receive(round, siloId, run.config.bits(), run.config.vectorLength());
  }

  /**
   * {@code siloId}'s upload of its masked vector for {@code round}, to resume or to ask how far it
   * got: one that is still receiving (its connection broke) or has finished; empty if there is
   * none. Under the same checks as {@link #receiveMaskedVector}, except that a finished upload is
   * found in the round's later stages too: the reply to its last part may be what was lost, and the
   * silo should hear that its vector arrived rather than that the stage is over.
   *
   * @throws ProtocolException as for {@link #receiveMaskedVector}
   */
  public Optional<SpoolWriter> maskedVectorUpload(String siloId, long round)
      throws ProtocolException {
    return settledRead(
        () -> {
          checkRoster(siloId);
          openRoundNumbered(round, "the masked vector is for round ");
          Optional<SpoolWriter> upload = spool.upload(round, siloId);
          if (upload.isEmpty() || !upload.get().finished()) {
            takingMaskedVectors(siloId, round);
          }
          return upload;
        });
  }

  /** The open round {@code round}, if it takes masked vectors from {@code siloId} now. */
  private RoundRun takingMaskedVectors(String siloId, long round) throws ProtocolException {
    checkRoster(siloId);
    RoundRun run = openRoundNumbered(round, "the masked vector is for round ");
    if (run.state.terminal() || run.state.stage() != Stage.MASKED_INPUT) {
      throw new ProtocolException(
          ErrorCode.STAGE_OUT_OF_ORDER,
          round,
          "masked vectors are taken in MASKED_INPUT; the round is "
              + (run.state.terminal() ? "closing" : "in " + run.state.stage()));
    }
    return run;
  }

  /**
   * Takes {@code siloId}'s masked vector for {@code round}, spooled and checked (length, SHA-256,
   * word range) by the store. If the protocol accepts it, it is added into the round's running sum
   * on the executor and its spool file deleted; if refused, the spool file is deleted at once.
   *
   * @throws ProtocolException if the submission is refused (wrong round or stage, duplicate, not a
   *     participant, wrong length); nothing changed
   * @throws IOException as for {@link #submit}
   * @throws IllegalArgumentException if the spooled vector is not {@code siloId}'s for {@code
   *     round}
   */
  public void submitMaskedVector(String siloId, long round, SpooledVector vector)
      throws ProtocolException, IOException {
    if (!vector.siloId().equals(siloId) || vector.round() != round) {
      throw new IllegalArgumentException(
          "the spooled vector is " + vector.siloId() + "'s for round " + vector.round());
    }
    boolean accepted = false;
    try {
      submit(siloId, new MaskedInput(siloId, round, new SpooledMaskedVector(vector)));
      accepted = true;
    } finally {
      if (!accepted) {
        deleteQuietly(vector);
      }
    }
  }

  /**
   * The current round's parameters and the messages queued for {@code siloId} in it that it has not
   * received through this method before: a draining convenience for tests and in-process callers.
   * Transports use {@link #poll(String, long, int)}, which survives a lost reply.
   *
   * @throws ProtocolException {@code UNKNOWN_SILO} if the silo is not in the roster
   */
  public SiloTask poll(String siloId) throws ProtocolException {
    return settledRead(
        () -> {
          checkRoster(siloId);
          if (current == null) {
            return pollLocked(siloId, -1, 0);
          }
          int from = current.delivered.getOrDefault(siloId, 0);
          SiloTask task = pollLocked(siloId, current.config.round(), from);
          current.delivered.put(siloId, task.nextCursor());
          return task;
        });
  }

  /**
   * The current round's parameters and the messages queued for {@code siloId} in it from index
   * {@code after} on (the {@link SiloTask#nextCursor()} of the silo's previous poll of the same
   * round). Reading changes nothing, so a silo whose reply was lost asks again with the same
   * cursor. A cursor of another round than the current one reads from the start.
   *
   * @throws ProtocolException {@code UNKNOWN_SILO} if the silo is not in the roster
   * @throws IllegalArgumentException if {@code after} is negative
   */
  public SiloTask poll(String siloId, long round, int after) throws ProtocolException {
    return settledRead(() -> pollLocked(siloId, round, after));
  }

  private SiloTask pollLocked(String siloId, long round, int after) throws ProtocolException {
    checkRoster(siloId);
    if (after < 0) {
      throw new IllegalArgumentException("after must be >= 0, not " + after);
    }
    if (current == null) {
      return new SiloTask(Optional.empty(), List.of(), 0, Optional.empty(), over());
    }
    List<AggregatorMessage> queued = current.outbox.getOrDefault(siloId, List.of());
    int from = round == current.config.round() ? Math.min(after, queued.size()) : 0;
    return new SiloTask(
        Optional.of(current.config),
        queued.subList(from, queued.size()),
        queued.size(),
        Optional.of(current.startModelSha256),
        over());
  }

  private void checkRoster(String siloId) throws ProtocolException {
    if (!settings.roster().contains(siloId)) {
      throw new ProtocolException(
          ErrorCode.UNKNOWN_SILO, lastStartedRound, "'" + siloId + "' is not in the roster");
    }
  }

  /**
   * The global model as silos download it (float32, as checkpointed) with its hex SHA-256: the
   * model the current round started from, or after the last finished round between rounds.
   */
  public GlobalModel globalModelSnapshot() {
    return settledValue(this::globalModelSnapshotLocked);
  }

  private <T> T settledValue(Locked<T> action) {
    try {
      return settledRead(action);
    } catch (ProtocolException e) {
      throw new IllegalStateException("bug: a read without refusals refused", e);
    }
  }

  private GlobalModel globalModelSnapshotLocked() {
    GlobalModel current = served;
    if (current == null
        || current.roundsFinished() != roundsFinished
        || !current.sha256().equals(modelSha256)) {
      // No copy: the model array is replaced when a round finishes, never written in place.
      current = new GlobalModel(model, modelSha256, roundsFinished);
      served = current;
    }
    return current;
  }

  /**
   * As {@link #globalModelSnapshot()}, for a silo: the model is the product of the run's roster, so
   * a silo outside it gets it no more than it gets the run's tasks.
   *
   * @throws ProtocolException {@code UNKNOWN_SILO} if the silo is not in the roster
   */
  public GlobalModel globalModelSnapshot(String siloId) throws ProtocolException {
    return settledRead(
        () -> {
          checkRoster(siloId);
          return globalModelSnapshotLocked();
        });
  }

  /**
   * Whether the run has failed writing its journal, as of now rather than as last published: a poll
   * that saw the failure (and reports the run over) is followed by true here.
   */
  public synchronized boolean failed() {
    return phase == RunStatus.Phase.FAILED;
  }

  /**
   * A snapshot of the run: the newest state whose journal records are durable. Taken without the
   * coordinator's monitor, so it never waits for an operation or an fsync in progress.
   */
  public RunStatus status() {
    return published.get().status();
  }

  private RunStatus statusLocked() {
    Map<Stage, List<String>> participants = new EnumMap<>(Stage.class);
    Optional<Stage> stage = Optional.empty();
    if (current != null) {
      current.participants.forEach((key, value) -> participants.put(key, List.copyOf(value)));
      if (!current.state.terminal()) {
        stage = Optional.of(current.state.stage());
      }
    }
    return new RunStatus(
        phase,
        lastStartedRound == 0 ? -1 : lastStartedRound,
        stage,
        participants,
        roundsFinished,
        roundsAborted,
        consecutiveAborts,
        Optional.ofNullable(lastModelSha256),
        Optional.ofNullable(failure),
        pauseRequested);
  }

  /** A copy of the global model: after the last finished round, or the initial model. */
  public double[] globalModel() {
    return settledValue(() -> model.toDoubleArray());
  }

  /** The settings of this run. */
  public RunSettings settings() {
    return settings;
  }

  /** The round a message for {@code round} may go to, or the reason it may not. */
  /** The open round, which must be round {@code round}: else ROUND_MISMATCH, {@code what} first. */
  private RoundRun openRoundNumbered(long round, String what) throws ProtocolException {
    RoundRun run = openRound(round);
    if (run.config.round() != round) {
      throw new ProtocolException(
          ErrorCode.ROUND_MISMATCH,
          round,
          what + round + ", the open round is " + run.config.round());
    }
    return run;
  }

  private RoundRun openRound(long round) throws ProtocolException {
    if (current != null) {
      return current;
    }
    if (phase == RunStatus.Phase.IDLE) {
      throw new ProtocolException(ErrorCode.NOT_READY, round, "no round has started yet");
    }
    throw new ProtocolException(
        ErrorCode.ROUND_CLOSED, round, "the run is " + phase.name().toLowerCase(Locale.ROOT));
  }

  private void deadlinePassed(RoundRun run, Stage stage) {
    stageTimerFired(run, stage, new AggregatorEvent.DeadlinePassed(stage), "deadline", "deadline");
  }

  private void graceElapsed(RoundRun run, Stage stage) {
    stageTimerFired(
        run, stage, new AggregatorEvent.GraceElapsed(stage), CLOSED_BY_GRACE, "grace period");
  }

  /**
   * A stage's deadline or grace period ended: closes the stage if it is still the open one of the
   * current round (a timer may fire just after the stage closed for another reason).
   */
  private void stageTimerFired(
      RoundRun run, Stage stage, AggregatorEvent event, String closedBy, String timer) {
    Settlement settlement;
    synchronized (this) {
      if (run != current || run.state.terminal() || run.state.stage() != stage) {
        return;
      }
      try {
        commit(run, AggregatorProtocol.apply(run.state, event), closedBy);
      } catch (ProtocolException e) {
        throw new IllegalStateException("bug: the " + timer + " of the open stage was refused", e);
      } catch (IOException e) {
        fail(e);
      }
      settlement = settlementLocked();
    }
    settleQuietly(settlement);
  }

  /**
   * Starts the grace period of a stage that just reached its quorum: {@link EarlyClose#grace}
   * counts from the quorum's own time since the stage opened, and none starts if it would not end
   * before the stage deadline, which then closes the stage as before.
   */
  private void startGrace(RoundRun run, AggregatorAction.QuorumReached quorum) {
    Duration took = Duration.between(run.stageOpenedAt, clock.instant());
    Optional<Duration> grace =
        settings.earlyClose().grace(took, settings.deadlines().get(quorum.stage()));
    if (grace.isEmpty()) {
      return;
    }
    Stage stage = quorum.stage();
    run.graceStarted = grace.get();
    run.grace = scheduler.schedule(grace.get(), () -> graceElapsed(run, stage));
  }

  private static void cancelTimers(RoundRun run) {
    if (run.deadline != null) {
      run.deadline.cancel();
      run.deadline = null;
    }
    if (run.grace != null) {
      run.grace.cancel();
      run.grace = null;
    }
  }

  /** Applies an accepted step: new state, actions, and the journal records of a closed stage. */
  private void commit(RoundRun run, AggregatorStep step, String closedBy) throws IOException {
    AggregatorState before = run.state;
    run.state = step.state();
    for (AggregatorAction action : step.actions()) {
      if (action instanceof AggregatorAction.Send send) {
        run.outbox.computeIfAbsent(send.siloId(), silo -> new ArrayList<>()).add(send.message());
      } else if (action instanceof AggregatorAction.CountMaskedInput count) {
        addIntoSum(run, count);
      } else if (action instanceof AggregatorAction.QuorumReached quorum) {
        startGrace(run, quorum);
      }
    }
    AggregatorState after = step.state();
    if (!step.actions().isEmpty()) {
      changeListener.run();
    }
    if (after.stage() == before.stage() && !after.terminal()) {
      return;
    }
    Duration grace = run.graceStarted;
    run.graceStarted = null;
    cancelTimers(run);
    try {
      if (!(after instanceof AggregatorState.Aborted)) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("round", run.config.round());
        body.put("stage", before.stage().name());
        body.put("participants", List.copyOf(participantsOf(run, before.stage())));
        body.put("closedBy", closedBy);
        if (CLOSED_BY_GRACE.equals(closedBy)) {
          body.put("graceMillis", grace.toMillis());
        }
        append("stage-closed", body);
        Instant now = clock.instant();
        RoundEvents observer = roundEvents;
        long round = run.config.round();
        Stage closed = before.stage();
        Duration open = Duration.between(run.stageOpenedAt, now);
        int participants = participantsOf(run, closed).size();
        afterDurable(() -> observer.stageClosed(round, closed, open, participants));
        run.stageOpenedAt = now;
      }
      if (after instanceof AggregatorState.Aborted aborted) {
        abortRound(run, aborted.stage(), aborted.reason().name(), aborted.detail());
      } else if (after instanceof AggregatorState.Finished finished) {
        phase = RunStatus.Phase.FINISHING;
        run.blockingWork =
            run.blockingWork.thenRunAsync(() -> finishRound(run, finished), executor);
      } else {
        scheduleDeadline(run);
      }
    } catch (IOException e) {
      fail(e);
      throw e;
    }
  }

  private static SortedSet<String> participantsOf(RoundRun run, Stage stage) {
    return run.participants.getOrDefault(stage, new TreeSet<>());
  }

  private void scheduleDeadline(RoundRun run) {
    Stage stage = run.state.stage();
    run.deadline =
        scheduler.schedule(settings.deadlines().get(stage), () -> deadlinePassed(run, stage));
  }

  private void addIntoSum(RoundRun run, AggregatorAction.CountMaskedInput count) {
    run.blockingWork =
        run.blockingWork.thenRunAsync(
            () -> {
              if (count.vector() instanceof SpooledMaskedVector spooled) {
                try {
                  spooled.spooled().addTo(run.sum);
                } catch (IOException | RuntimeException | OutOfMemoryError e) {
                  // Recorded, never thrown: a failed step would skip the round's finish for good.
                  run.sumFailure = "adding " + count.siloId() + "'s vector failed: " + e;
                }
                deleteQuietly(spooled.spooled());
              } else if (count.vector() instanceof WordVector words) {
                int[] values = words.words();
                for (int i = 0; i < values.length; i++) {
                  run.sum[i] += values[i];
                }
              } else {
                run.sumFailure = "bug: a masked vector of " + count.vector().getClass();
              }
            },
            executor);
  }

  /** Aggregates the round, then settles what it journaled (see {@link #settle}). */
  private void finishRound(RoundRun run, AggregatorState.Finished finished) {
    try {
      aggregateRound(run, finished);
    } finally {
      Settlement settlement;
      synchronized (this) {
        settlement = settlementLocked();
      }
      settleQuietly(settlement);
    }
  }

  /** Unmasks, decodes, steps the strategy and checkpoints: on the executor, outside the lock. */
  private void aggregateRound(RoundRun run, AggregatorState.Finished finished) {
    long round = run.config.round();
    try {
      if (run.sumFailure != null) {
        throw new IOException(run.sumFailure);
      }
      finished.unmaskPlan().applyInParallel(run.sum);
      java.util.function.BiConsumer<Long, int[]> observer = unmaskedSumObserver;
      if (observer != null) {
        observer.accept(round, run.sum.clone());
      }
      Aggregate aggregate = aggregate(run, finished);
      synchronized (this) {
        append("round-finished", finishedBody(run, finished, aggregate));
        RoundEvents events = roundEvents;
        int survivors = finished.survivors().size();
        Duration took = Duration.between(run.startedAt, clock.instant());
        afterDurable(() -> events.roundFinished(round, survivors, took));
        model = aggregate.nextModel();
        moments = aggregate.nextMoments();
        strategySteps = aggregate.nextSteps();
        lastModelSha256 = aggregate.modelSha256();
        modelSha256 = aggregate.modelSha256();
        roundsFinished++;
        served = new GlobalModel(model, modelSha256, roundsFinished);
        run.sum = null;
        consecutiveAborts = 0;
        closeRound(run);
        continueRun();
      }
    } catch (JournalWriteException e) {
      fail(e);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "round " + round + " could not be aggregated", e);
      abortAggregation(run, String.valueOf(e.getMessage()));
    } catch (OutOfMemoryError e) {
      // Escaping here would end the round's future exceptionally and leave the run FINISHING for
      // good, with no word to anyone. The round's arrays are released with it, so the run can go
      // on.
      run.sum = null;
      LOG.log(
          Level.SEVERE,
          "round "
              + round
              + " ran out of memory while it was aggregated; give the aggregator a larger heap"
              + " (-Xmx): it needs about 3 vectors of the model's size",
          e);
      abortAggregation(run, "out of memory while aggregating: " + e.getMessage());
    }
  }

  private void abortAggregation(RoundRun run, String detail) {
    synchronized (this) {
      try {
        abortRound(run, Stage.UNMASK, REASON_AGGREGATION_FAILED, detail);
      } catch (IOException journalFailure) {
        fail(journalFailure);
      }
    }
  }

  /**
   * A finished round's results: the next model and moments (checkpointed already) and the figures
   * the journal records. The step's working references (the start model, the decoded sum) end with
   * {@link #aggregate}'s frame, before the next round allocates its sum.
   */
  private record Aggregate(
      Float32Vector nextModel,
      float[][] nextMoments,
      long nextSteps,
      String modelSha256,
      long totalWeight,
      long outerBandCount,
      double noiseStandardDeviation) {}

  /**
   * Decodes, steps the strategy range by range and checkpoints: outside the lock. The next model is
   * written over the words of the round's sum, range by range once they are decoded, so the finish
   * holds the sum (becoming the next model), the start model and one decoded block: not a third
   * vector. {@code run.sum} is the next model's array from then on.
   */
  private Aggregate aggregate(RoundRun run, AggregatorState.Finished finished) throws IOException {
    long round = run.config.round();
    DecodedRanges decoded =
        UpdateDecoder.create(settings.encoding())
            .decodeRanges(run.sum, finished.survivors().size());
    Float32Vector startModel;
    float[][] startMoments;
    long steps;
    synchronized (this) {
      // No copies: these are replaced when a round finishes, never written in place, and the step
      // only reads them.
      startModel = model;
      startMoments = moments;
      steps = strategySteps;
    }
    if (steps == Long.MAX_VALUE) {
      throw new IllegalStateException("the strategy has taken Long.MAX_VALUE steps already");
    }
    int dimension = startModel.dimension();
    float[][] nextMoments = new float[startMoments.length][dimension];
    stepInRanges(decoded, startModel, startMoments, run.sum, nextMoments);
    Float32Vector nextModel = Float32Vector.overBits(run.sum, dimension);
    long nextSteps = steps + 1;
    checkpoints.write(Checkpoint.of(round, nextModel, List.of(nextMoments)));
    return new Aggregate(
        nextModel,
        nextMoments,
        nextSteps,
        nextModel.sha256(),
        decoded.totalWeight(),
        decoded.outerBandCount(),
        decoded.noiseStandardDeviation());
  }

  /**
   * The strategy step over the whole model, one range of {@link #stepRangeLength} coordinates at a
   * time, in increasing order: the range is widened to doubles, stepped, and rounded to float32,
   * the next model's values going as raw bits into {@code nextModelBits} over the sum's words of
   * that range, which {@link DecodedRanges} has read by then and never reads again when read in
   * increasing order. Each coordinate gets the same arithmetic as a whole {@link
   * ServerStrategy#apply} on the float32 values widened to doubles, then rounded to float32, which
   * is what the checkpoint holds.
   */
  private void stepInRanges(
      DecodedRanges decoded,
      Float32Vector startModel,
      float[][] startMoments,
      int[] nextModelBits,
      float[][] nextMoments) {
    int dimension = startModel.dimension();
    int momentCount = startMoments.length;
    int rangeLength = Math.min(stepRangeLength, dimension);
    double[] modelRange = new double[rangeLength];
    double[] averageRange = new double[rangeLength];
    double[] nextModelRange = new double[rangeLength];
    double[][] momentRanges = new double[momentCount][rangeLength];
    double[][] nextMomentRanges = new double[momentCount][rangeLength];
    for (int from = 0; from < dimension; from += rangeLength) {
      int length = Math.min(rangeLength, dimension - from);
      decoded.readAverage(from, length, averageRange);
      startModel.widen(from, length, modelRange);
      for (int k = 0; k < momentCount; k++) {
        widen(startMoments[k], from, length, momentRanges[k]);
      }
      strategy.applyRange(
          from, length, modelRange, averageRange, momentRanges, nextModelRange, nextMomentRanges);
      for (int i = 0; i < length; i++) {
        nextModelBits[from + i] = Float.floatToRawIntBits((float) nextModelRange[i]);
      }
      for (int k = 0; k < momentCount; k++) {
        narrow(nextMomentRanges[k], length, nextMoments[k], from);
      }
    }
  }

  private static void widen(float[] values, int from, int length, double[] into) {
    for (int i = 0; i < length; i++) {
      into[i] = values[from + i];
    }
  }

  private static void narrow(double[] values, int length, float[] into, int from) {
    for (int i = 0; i < length; i++) {
      into[from + i] = (float) values[i];
    }
  }

  private Map<String, Object> finishedBody(
      RoundRun run, AggregatorState.Finished finished, Aggregate aggregate) {
    Participation participation = finished.participation();
    Map<String, Object> stages = new LinkedHashMap<>();
    stages.put(Stage.ADVERTISE_KEYS.name(), participation.advertised());
    stages.put(Stage.SHARE_KEYS.name(), participation.shared());
    stages.put(Stage.MASKED_INPUT.name(), participation.maskedInput());
    stages.put(Stage.CONSISTENCY_CHECK.name(), participation.signed());
    stages.put(Stage.UNMASK.name(), participation.unmasked());
    Map<String, Object> dropouts = new LinkedHashMap<>();
    dropouts.put(
        Stage.ADVERTISE_KEYS.name(), minus(run.config.roster(), participation.advertised()));
    dropouts.put(
        Stage.SHARE_KEYS.name(), minus(participation.advertised(), participation.shared()));
    dropouts.put(
        Stage.MASKED_INPUT.name(), minus(participation.shared(), participation.maskedInput()));
    dropouts.put(
        Stage.CONSISTENCY_CHECK.name(), minus(participation.maskedInput(), participation.signed()));
    dropouts.put(Stage.UNMASK.name(), minus(participation.signed(), participation.unmasked()));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", run.config.round());
    body.put("survivors", finished.survivors());
    body.put("participants", stages);
    body.put("dropouts", dropouts);
    body.put("totalWeight", aggregate.totalWeight());
    body.put("outerBandCount", aggregate.outerBandCount());
    // The canonical journal holds integers only: real numbers are written as strings.
    body.put("noiseStandardDeviation", Double.toString(aggregate.noiseStandardDeviation()));
    body.put("modelSha256", aggregate.modelSha256());
    body.put("strategy", strategy.name());
    body.put("strategySteps", aggregate.nextSteps());
    body.put("refusals", drainRefusals());
    return body;
  }

  private static List<String> minus(List<String> all, List<String> some) {
    return all.stream().filter(silo -> !some.contains(silo)).toList();
  }

  /** Journals the abort, keeps the model, and moves the run on. Caller holds the lock. */
  private void abortRound(RoundRun run, Stage stage, String reason, String detail)
      throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", run.config.round());
    body.put("stage", stage.name());
    body.put("reason", reason);
    body.put("detail", detail);
    body.put("participants", List.copyOf(participantsOf(run, stage)));
    body.put("refusals", drainRefusals());
    append("round-aborted", body);
    RoundEvents observer = roundEvents;
    long round = run.config.round();
    Duration took = Duration.between(run.startedAt, clock.instant());
    afterDurable(() -> observer.roundAborted(round, stage, reason, took));
    roundsAborted++;
    consecutiveAborts++;
    // Additions still queued must not read files the cleanup deletes: clean up after them.
    run.blockingWork = run.blockingWork.thenRunAsync(() -> deleteSpool(run), executor);
    closeRound(run);
    continueRun();
  }

  private void closeRound(RoundRun run) {
    cancelTimers(run);
    if (current == run) {
      current = null;
    }
    if (run.state instanceof AggregatorState.Finished) {
      deleteSpool(run);
    }
  }

  /** After a round closed: complete, stop, or start the next round. Caller holds the lock. */
  private void continueRun() throws IOException {
    if (roundsFinished >= settings.rounds()) {
      phase = RunStatus.Phase.COMPLETED;
      append("run-completed", runEndBody());
    } else if (stopReason != null) {
      phase = RunStatus.Phase.STOPPED;
      Map<String, Object> body = runEndBody();
      body.put("reason", REASON_OPERATOR_STOPPED);
      body.put("detail", stopReason);
      append("run-stopped", body);
    } else if (consecutiveAborts >= settings.maxConsecutiveAborts()) {
      phase = RunStatus.Phase.STOPPED;
      append("run-stopped", runEndBody());
    } else if (pauseRequested) {
      phase = RunStatus.Phase.PAUSED;
    } else {
      phase = RunStatus.Phase.IDLE;
      openNextRound();
    }
    changeListener.run();
  }

  private Map<String, Object> runEndBody() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("roundsFinished", roundsFinished);
    body.put("roundsAborted", roundsAborted);
    body.put("consecutiveAborts", consecutiveAborts);
    if (lastModelSha256 != null) {
      body.put("modelSha256", lastModelSha256);
    }
    return body;
  }

  /**
   * Fails the run because a write to its data directory outside the journal (a masked vector's
   * spool file) failed in I/O: as when a journal record cannot be written, the run takes nothing
   * more until it is reopened from the directory (see {@link #onFailure}).
   *
   * @param e the failure, whose message becomes the run's {@code failure}
   */
  public void failStorage(IOException e) {
    Objects.requireNonNull(e, "e");
    Settlement settlement;
    synchronized (this) {
      fail(e);
      settlement = settlementLocked();
    }
    // Publishes the failed status (the operator's view), as every operation does when it ends.
    settleQuietly(settlement);
  }

  private synchronized void fail(IOException e) {
    if (phase == RunStatus.Phase.FAILED) {
      return;
    }
    LOG.log(
        Level.SEVERE,
        "the run failed writing its data directory; it takes nothing until the run is reopened from"
            + " the directory, which the aggregator retries until the directory can be written",
        e);
    phase = RunStatus.Phase.FAILED;
    failure = e.getMessage();
    if (current != null) {
      cancelTimers(current);
    }
    failedRound = current;
    current = null;
    // Events of records that did reach the disk are still true; the others never happened.
    deliverDurableEventsLocked();
    pendingEvents.clear();
    changeListener.run();
    failureListener.run();
  }

  /**
   * Registers the one listener told when the run fails writing its data directory (see the class
   * comment). Called with this object's lock held, so it must only hand the news on (e.g. schedule
   * a retry), never block or call back in.
   */
  public synchronized void onFailure(Runnable listener) {
    failureListener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Whether this failed coordinator's blocking work (additions into the sum, the finish of a round,
   * the spool's cleanup) is over: only then may recovery open the data directory again, so that no
   * task of this coordinator writes a checkpoint or reads the spool behind the new one's back.
   */
  public synchronized boolean quietAfterFailure() {
    return phase == RunStatus.Phase.FAILED
        && (failedRound == null || failedRound.blockingWork.isDone());
  }

  /**
   * Writes a record (signed, chained) without waiting for it to be durable: the operation's
   * settlement waits for it before anything that depends on it leaves the coordinator.
   */
  private void append(String type, Map<String, Object> body) throws IOException {
    if (phase == RunStatus.Phase.FAILED) {
      throw new IOException("the run failed earlier: " + failure);
    }
    journal.write(type, body, Instant.now(clock));
  }

  /** Queues a round event for when the record just written is durable. Caller holds the lock. */
  private void afterDurable(Runnable event) {
    pendingEvents.addLast(new PendingEvent(journal.writtenPosition(), event));
  }

  private void deliverDurableEventsLocked() {
    long durable = journal.durablePosition();
    while (!pendingEvents.isEmpty() && pendingEvents.peekFirst().position() <= durable) {
      pendingEvents.removeFirst().event().run();
    }
  }

  /**
   * The state an operation leaves and the journal position it depends on. Caller holds the lock.
   */
  private Settlement settlementLocked() {
    statusVersion++;
    return new Settlement(statusVersion, statusLocked(), journal.writtenPosition());
  }

  /**
   * Waits, outside the monitor, until the records {@code settlement} depends on are durable, then
   * delivers the round events they carry and publishes the status. If the fsync failed, the run
   * fails and the published status becomes the last durable one, marked failed.
   */
  private void settle(Settlement settlement) throws JournalWriteException {
    try {
      journal.awaitDurable(settlement.position());
    } catch (JournalWriteException e) {
      fail(e);
      Published last = published.get();
      RunStatus failed = failedStatus(last == null ? null : last.status(), e);
      published.accumulateAndGet(
          new Published(Long.MAX_VALUE, failed),
          (old, next) -> old != null && old.version() == Long.MAX_VALUE ? old : next);
      throw e;
    }
    synchronized (this) {
      if (!pendingEvents.isEmpty()) {
        deliverDurableEventsLocked();
      }
    }
    Published next = new Published(settlement.version(), settlement.status());
    published.accumulateAndGet(
        next,
        (old, candidate) -> old != null && old.version() >= candidate.version() ? old : candidate);
  }

  /** As {@link #settle}, for threads with nobody to tell: the failure is the run's status. */
  private void settleQuietly(Settlement settlement) {
    try {
      settle(settlement);
    } catch (JournalWriteException e) {
      // Logged by fail(); the status says FAILED.
    }
  }

  private static RunStatus failedStatus(RunStatus last, IOException e) {
    String reason = String.valueOf(e.getMessage());
    if (last == null) {
      return new RunStatus(
          RunStatus.Phase.FAILED,
          -1,
          Optional.empty(),
          Map.of(),
          0,
          0,
          0,
          Optional.empty(),
          Optional.of(reason),
          false);
    }
    return new RunStatus(
        RunStatus.Phase.FAILED,
        last.currentRound(),
        Optional.empty(),
        Map.of(),
        last.roundsFinished(),
        last.roundsAborted(),
        last.consecutiveAborts(),
        last.lastModelSha256(),
        Optional.of(reason),
        last.pauseRequested());
  }

  /**
   * Runs {@code action} under the monitor, then settles (see {@link #settle}) before returning its
   * result or throwing its exception: a refusal, too, can tell of a record (a duplicate is refused
   * because the first one was accepted).
   */
  private <T> T settledOrRefused(Locked<T> action) throws ProtocolException, IOException {
    T result = null;
    Exception thrown = null;
    Settlement settlement;
    synchronized (this) {
      try {
        result = action.run();
      } catch (ProtocolException | IOException | RuntimeException e) {
        thrown = e;
      }
      settlement = settlementLocked();
    }
    try {
      settle(settlement);
    } catch (JournalWriteException e) {
      if (thrown != null && thrown != e) {
        e.addSuppressed(thrown);
      }
      throw e;
    }
    if (thrown instanceof ProtocolException refused) {
      throw refused;
    }
    if (thrown instanceof IOException failed) {
      throw failed;
    }
    if (thrown != null) {
      throw (RuntimeException) thrown;
    }
    return result;
  }

  /** As {@link #settledOrRefused}, for an action that refuses nothing. */
  private <T> T settled(Locked<T> action) throws IOException {
    try {
      return settledOrRefused(action);
    } catch (ProtocolException e) {
      throw new IllegalStateException("bug: an operation without refusals refused", e);
    }
  }

  /**
   * As {@link #settledOrRefused}, for a read: it writes nothing, but what it reads may depend on
   * records another operation wrote and has not settled yet. A failed fsync is unchecked here: the
   * run has failed, and the reader's caller answers with a server error.
   */
  private <T> T settledRead(Locked<T> action) throws ProtocolException {
    try {
      return settledOrRefused(action);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void deleteSpool(RoundRun run) {
    try {
      spool.deleteRound(run.config.round());
    } catch (IOException e) {
      // Harmless: recovery empties the spool.
      LOG.log(Level.WARNING, "could not delete the spool of round " + run.config.round(), e);
    }
  }

  private static void deleteQuietly(SpooledVector vector) {
    try {
      vector.delete();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "could not delete " + vector, e);
    }
  }

  /** The stage a round is in once {@code closed} has closed (UNMASK closes into the finish). */
  private static Stage stageAfter(Stage closed) {
    return switch (closed) {
      case ADVERTISE_KEYS -> Stage.SHARE_KEYS;
      case SHARE_KEYS -> Stage.MASKED_INPUT;
      case MASKED_INPUT -> Stage.CONSISTENCY_CHECK;
      case CONSISTENCY_CHECK, UNMASK -> Stage.UNMASK;
    };
  }

  private static String typeOf(SiloMessage message) {
    if (message instanceof AdvertiseKeys) {
      return "advertise-keys";
    }
    if (message instanceof EncryptedShares) {
      return "encrypted-shares";
    }
    if (message instanceof MaskedInput) {
      return "masked-input";
    }
    if (message instanceof ConsistencySignature) {
      return "consistency-signature";
    }
    if (message instanceof UnmaskShares) {
      return "unmask-shares";
    }
    throw new IllegalStateException("bug: unknown message " + message.getClass());
  }

  /**
   * SHA-256 of the message's wire encoding, or of a masked vector's words: identifies what was
   * accepted without journaling it.
   */
  private static String digest(SiloMessage message) {
    if (message instanceof MaskedInput input) {
      return HexFormat.of().formatHex(input.vector().sha256());
    }
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(JsonMessageCodec.encode(message)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing", e);
    }
  }
}
