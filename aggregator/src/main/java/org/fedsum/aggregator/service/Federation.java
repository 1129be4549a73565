package org.fedsum.aggregator.service;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.fedsum.aggregator.config.RunConfig;
import org.fedsum.aggregator.round.GlobalModel;
import org.fedsum.aggregator.round.RefusalCounts;
import org.fedsum.aggregator.round.RoundEvents;
import org.fedsum.aggregator.round.RunCoordinator;
import org.fedsum.aggregator.round.RunStatus;
import org.fedsum.aggregator.round.Scheduler;
import org.fedsum.aggregator.store.CheckpointStore;
import org.fedsum.aggregator.store.DataDirectory;
import org.fedsum.aggregator.store.JournalFile;
import org.fedsum.aggregator.store.JournalOwner;
import org.fedsum.aggregator.store.JournalWriteException;
import org.fedsum.protocol.lineage.LineageManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs of one aggregator (DESIGN.md §6–§7). Each run lives in {@code
 * <dataDirectory>/runs/<runId>/}: {@code run.yaml} (the configuration as the operator submitted
 * it), optionally {@code initial-model.f32} (float32 little-endian), and the data directory of its
 * {@link RunCoordinator} (journal, checkpoints, spool).
 *
 * <p><b>One active run.</b> A run is active from its creation until it completes or is stopped;
 * creating another while one is active is refused ({@code RUN_ACTIVE}), because the silos of a
 * federation serve one training at a time. Finished runs stay, with their journal and model, for
 * download and audit; their ids are never reused.
 *
 * <p><b>Restart.</b> {@link #open} finds the active run, if any (the run whose journal has no
 * {@code run-completed} or {@code run-stopped}), and resumes it: a run that was running goes on
 * with its next round, a paused run stays paused, a created run waits for its start.
 *
 * <p><b>Storage recovery.</b> When the active run fails writing its data directory (a full or
 * read-only disk: its coordinator's phase is {@code FAILED}, see {@link RunCoordinator}), the
 * federation tries every {@link AggregatorConfig#storageRecoveryInterval()} to reopen it from the
 * directory exactly as {@link #open} does at a restart: release the directory, take it again,
 * verify the journal (cutting a half-written last line), close the interrupted round, this time
 * with {@value RunCoordinator#REASON_STORAGE_RECOVERED}, and go on. An attempt that fails changes
 * nothing durable (a journal record that does not fit is cut back whole) and the failed run stays
 * active, so silos keep being told {@code STORAGE_FAILED} until one succeeds.
 */
public final class Federation implements AutoCloseable {
  /** The name of the folder of runs inside the aggregator's data directory. */
  public static final String RUNS_DIRECTORY = "runs";

  static final String RUN_CONFIG_FILE = "run.yaml";
  static final String INITIAL_MODEL_FILE = "initial-model.f32";

  private static final Logger LOG = LoggerFactory.getLogger(Federation.class);

  private final AggregatorConfig config;
  private final JournalOwner owner;
  private final Scheduler scheduler;
  private final Executor executor;
  private final Clock clock;
  private final RoundEvents roundEvents;
  private final Path runsDirectory;
  // Set by close(): no storage recovery is attempted after it.
  private volatile boolean closed;

  // Written under this; read without it by active(), which every silo request calls.
  private volatile ActiveRun active;
  // Guarded by this.
  // The run that ended last, reported to silos as over until another run is created.
  private String lastEndedRunId;
  private Runnable changeListener = () -> {};
  private RefusalCounts refusals = new RefusalCounts();
  // Per run, what was read of its journal for round histories (a dashboard polls them).
  private final Map<String, JournalRounds> roundHistories = new HashMap<>();

  /**
   * The active run: its configuration and coordinator, and the data directory it holds locked.
   *
   * @param config the run's configuration
   * @param coordinator the run's coordinator
   * @param directory the run's data directory, locked while the run is active
   * @param journal the run's journal
   */
  public record ActiveRun(
      RunConfig config, RunCoordinator coordinator, DataDirectory directory, JournalFile journal) {}

  private Federation(
      AggregatorConfig config,
      JournalOwner owner,
      Scheduler scheduler,
      Executor executor,
      Clock clock,
      RoundEvents roundEvents)
      throws IOException {
    this.config = config;
    this.owner = owner;
    this.scheduler = scheduler;
    this.executor = executor;
    this.clock = clock;
    this.roundEvents = roundEvents;
    this.runsDirectory = config.dataDirectory().resolve(RUNS_DIRECTORY);
    createPrivateDirectory(runsDirectory);
  }

  /**
   * Opens the federation's runs and resumes the active one, if any.
   *
   * @throws IOException if a run's files cannot be read or repaired
   * @throws GeneralSecurityException if the active run's journal does not verify
   * @throws AggregatorConfigException if a stored run configuration no longer fits the aggregator's
   *     configuration (e.g. a silo was removed from its roster); the message names the run
   */
  public static Federation open(
      AggregatorConfig config,
      JournalOwner owner,
      Scheduler scheduler,
      Executor executor,
      Clock clock)
      throws IOException, GeneralSecurityException, AggregatorConfigException {
    return open(config, owner, scheduler, executor, clock, RoundEvents.NONE);
  }

  /**
   * As {@link #open(AggregatorConfig, JournalOwner, Scheduler, Executor, Clock)}, with {@code
   * roundEvents} observing the rounds of every run this federation activates, from the resumed
   * run's next round on (see {@link RunCoordinator#onRoundEvents}).
   */
  public static Federation open(
      AggregatorConfig config,
      JournalOwner owner,
      Scheduler scheduler,
      Executor executor,
      Clock clock,
      RoundEvents roundEvents)
      throws IOException, GeneralSecurityException, AggregatorConfigException {
    Federation federation =
        new Federation(
            Objects.requireNonNull(config, "config"),
            Objects.requireNonNull(owner, "owner"),
            Objects.requireNonNull(scheduler, "scheduler"),
            Objects.requireNonNull(executor, "executor"),
            Objects.requireNonNull(clock, "clock"),
            Objects.requireNonNull(roundEvents, "roundEvents"));
    List<String> unfinished = new ArrayList<>();
    FileTime lastEndedAt = null;
    for (String runId : federation.runIds()) {
      if (!federation.ended(runId)) {
        unfinished.add(runId);
        continue;
      }
      FileTime endedAt = federation.journalModified(runId);
      if (lastEndedAt == null || endedAt.compareTo(lastEndedAt) > 0) {
        lastEndedAt = endedAt;
        federation.lastEndedRunId = runId;
      }
    }
    if (unfinished.size() > 1) {
      throw new IOException(
          "more than one unfinished run in "
              + federation.runsDirectory
              + ": "
              + unfinished
              + "; move all but one out of the folder");
    }
    if (!unfinished.isEmpty()) {
      synchronized (federation) {
        federation.activate(unfinished.get(0));
        RunCoordinator coordinator = federation.active.coordinator();
        if (coordinator.started() && coordinator.status().phase() == RunStatus.Phase.IDLE) {
          coordinator.startRound();
        }
        LOG.info("resumed run {}: {}", unfinished.get(0), coordinator.status().phase().toString());
      }
    }
    return federation;
  }

  /**
   * Registers the listener told of every change silos could see (see {@link
   * RunCoordinator#onChange}); it also follows the coordinator of every run created later.
   */
  public synchronized void onChange(Runnable listener) {
    changeListener = Objects.requireNonNull(listener, "listener");
    if (active != null) {
      active.coordinator().onChange(listener);
    }
  }

  /**
   * Gives the transport's count of refused requests to the active run and every run activated
   * later, whose round ends journal them (see {@link RunCoordinator#countRefusalsIn}).
   */
  public synchronized void countRefusalsIn(RefusalCounts counts) {
    refusals = Objects.requireNonNull(counts, "counts");
    if (active != null) {
      active.coordinator().countRefusalsIn(counts);
    }
  }

  /**
   * Creates a run from its YAML configuration. The run is active but not started.
   *
   * @throws FederationException {@code INVALID_RUN_CONFIG} naming the key, {@code RUN_EXISTS},
   *     {@code RUN_ACTIVE}
   */
  public synchronized RunConfig createRun(String yaml)
      throws FederationException, IOException, GeneralSecurityException {
    RunConfig run;
    try {
      run = RunConfig.parse(yaml, config);
    } catch (AggregatorConfigException e) {
      throw new FederationException(FederationException.Reason.INVALID_RUN_CONFIG, e.getMessage());
    }
    if (Files.exists(runDirectory(run.runId()))) {
      throw new FederationException(
          FederationException.Reason.RUN_EXISTS,
          "run '" + run.runId() + "' exists already; run ids are never reused");
    }
    if (active != null) {
      throw new FederationException(
          FederationException.Reason.RUN_ACTIVE,
          "run '" + active.config().runId() + "' is active; stop it or let it complete first");
    }
    Path directory = runDirectory(run.runId());
    Path staging = runsDirectory.resolve("." + run.runId() + ".creating");
    deleteTree(staging);
    createPrivateDirectory(staging);
    writeDurably(staging.resolve(RUN_CONFIG_FILE), yaml.getBytes(StandardCharsets.UTF_8));
    // The run exists once its folder has its final name: a crash before leaves only the staging
    // folder, which the next creation of the same id removes.
    Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
    fsyncDirectory(runsDirectory);
    activate(run.runId());
    active.journal().append("run-privacy", run.privacyJournalBody(), clock.instant());
    LOG.info(
        "created run {}: {} silos, threshold {}, {} rounds, {} parameters, {}",
        run.runId(),
        run.settings().roster().size(),
        run.settings().threshold(),
        run.settings().rounds(),
        run.settings().dimension(),
        run.privacyDescription());
    return run;
  }

  /**
   * Sets the model the run starts from: {@code model.parameters} float32 little-endian values, all
   * finite. Only before the run starts; replaces an earlier upload.
   *
   * @throws FederationException {@code RUN_NOT_FOUND}, {@code RUN_STATE_CONFLICT} (started or not
   *     active), {@code INVALID_MODEL} (size, non-finite value)
   */
  public synchronized void setInitialModel(String runId, InputStream floats)
      throws FederationException, IOException, GeneralSecurityException {
    ActiveRun run = activeRun(runId, "upload an initial model to");
    if (run.coordinator().started()) {
      throw new FederationException(
          FederationException.Reason.RUN_STATE_CONFLICT,
          "run '" + runId + "' has started; its initial model is fixed");
    }
    int dimension = run.config().settings().dimension();
    byte[] bytes = floats.readNBytes(4 * dimension + 1);
    if (bytes.length != 4L * dimension) {
      throw new FederationException(
          FederationException.Reason.INVALID_MODEL,
          "the model must be "
              + (4L * dimension)
              + " bytes (model.parameters = "
              + dimension
              + " float32 values), not "
              + (bytes.length > 4L * dimension ? "more" : String.valueOf(bytes.length)));
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < dimension; i++) {
      float value = buffer.getFloat(4 * i);
      if (!Float.isFinite(value)) {
        throw new FederationException(
            FederationException.Reason.INVALID_MODEL,
            "parameter " + i + " of the model is " + value + ", not a finite number");
      }
    }
    writeDurably(runDirectory(runId).resolve(INITIAL_MODEL_FILE), bytes);
    // The coordinator was opened with the old initial model: reopen it on the new one.
    run.directory().close();
    active = null;
    activate(runId);
  }

  /**
   * Starts the active run's first round.
   *
   * @throws FederationException {@code RUN_NOT_FOUND}, {@code RUN_STATE_CONFLICT}
   */
  public synchronized RunStatus start(String runId) throws FederationException, IOException {
    ActiveRun run = activeRun(runId, "start");
    if (run.coordinator().started()) {
      throw new FederationException(
          FederationException.Reason.RUN_STATE_CONFLICT, "run '" + runId + "' has started already");
    }
    run.coordinator().startRound();
    return run.coordinator().status();
  }

  /** Pauses the active run after its current round; see {@link RunCoordinator#pause()}. */
  public synchronized RunStatus pause(String runId) throws FederationException, IOException {
    ActiveRun run = activeRun(runId, "pause");
    try {
      run.coordinator().pause();
    } catch (IllegalStateException e) {
      throw new FederationException(FederationException.Reason.RUN_STATE_CONFLICT, e.getMessage());
    }
    return run.coordinator().status();
  }

  /** Resumes the paused active run; see {@link RunCoordinator#resumeRun()}. */
  public synchronized RunStatus resume(String runId) throws FederationException, IOException {
    ActiveRun run = activeRun(runId, "resume");
    try {
      run.coordinator().resumeRun();
    } catch (IllegalStateException e) {
      throw new FederationException(FederationException.Reason.RUN_STATE_CONFLICT, e.getMessage());
    }
    return run.coordinator().status();
  }

  /**
   * Stops the active run for good (its current round is aborted) and releases its data directory.
   */
  public synchronized RunStatus stop(String runId, String detail)
      throws FederationException, IOException {
    ActiveRun run = activeRun(runId, "stop");
    try {
      run.coordinator().stop(detail);
    } catch (IllegalStateException e) {
      throw new FederationException(FederationException.Reason.RUN_STATE_CONFLICT, e.getMessage());
    }
    return run.coordinator().status();
  }

  /**
   * The active run, if any, as silos see it; an active run that has ended is released first. A run
   * that has not ended is returned without this object's lock, which operator actions hold while
   * their journal records are fsync'd: silo requests never queue behind them.
   */
  public Optional<ActiveRun> active() {
    ActiveRun run = active;
    if (run != null && !ended(run.coordinator().status().phase())) {
      return Optional.of(run);
    }
    synchronized (this) {
      releaseIfEnded();
      return Optional.ofNullable(active);
    }
  }

  private static boolean ended(RunStatus.Phase phase) {
    return phase == RunStatus.Phase.COMPLETED || phase == RunStatus.Phase.STOPPED;
  }

  /**
   * The run that ended last while no run is active: silos that took part in it learn from it that
   * their run is over. Empty while a run is active, and before any run ended.
   */
  public synchronized Optional<String> lastEndedRun() {
    releaseIfEnded();
    return active == null ? Optional.ofNullable(lastEndedRunId) : Optional.empty();
  }

  /** Every run's id, sorted. */
  public synchronized List<String> runIds() throws IOException {
    List<String> ids = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(runsDirectory)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.startsWith(".") && Files.isRegularFile(entry.resolve(RUN_CONFIG_FILE))) {
          ids.add(name);
        }
      }
    }
    ids.sort(null);
    return ids;
  }

  /** A summary of run {@code runId}: its configuration and status. */
  public synchronized RunView view(String runId)
      throws FederationException, IOException, GeneralSecurityException {
    releaseIfEnded();
    if (active != null && active.config().runId().equals(runId)) {
      return new RunView(active.config(), active.coordinator().status(), true);
    }
    RunConfig run = storedConfig(runId);
    return new RunView(run, JournalSummary.status(readJournal(runId)), false);
  }

  /**
   * The signed lineage manifest of the model that round {@code round} of run {@code runId}
   * published, if it was written (rounds that finished have one; see {@link LineageWriter}).
   *
   * @throws FederationException {@code RUN_NOT_FOUND}
   */
  public synchronized Optional<Path> lineageFile(String runId, long round)
      throws FederationException, IOException {
    storedConfig(runId);
    Path file = LineageWriter.manifestFile(runDirectory(runId), round);
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  /** The journal lines of run {@code runId}, as written (each a signed, chained JSON record). */
  public synchronized List<String> journalLines(String runId)
      throws FederationException, IOException {
    if (active != null && active.config().runId().equals(runId)) {
      try {
        return active.journal().readLines();
      } catch (IllegalStateException closedAfterFailure) {
        // A failed run whose reopening did not succeed yet: its journal is closed; read the file.
        return readJournal(runId);
      }
    }
    storedConfig(runId);
    return readJournal(runId);
  }

  /**
   * The rounds of run {@code runId} and the privacy they spent, from its journal; reads only what
   * was appended since the previous call for the same run.
   *
   * @throws FederationException {@code RUN_NOT_FOUND}
   */
  public synchronized RoundHistory rounds(String runId) throws FederationException, IOException {
    JournalRounds rounds = roundHistories.get(runId);
    if (rounds == null) {
      RunConfig run =
          active != null && active.config().runId().equals(runId)
              ? active.config()
              : storedConfig(runId);
      rounds = new JournalRounds(runId, run.settings().encoding(), run.delta(), run.recordLevel());
    } else {
      requireRun(runId);
    }
    syncIfActive(runId);
    Path journal = runDirectory(runId).resolve(JournalFile.FILE_NAME);
    if (!rounds.readNew(journal)) {
      roundHistories.remove(runId);
      return rounds(runId);
    }
    roundHistories.put(runId, rounds);
    return rounds.snapshot();
  }

  /** The journal file of run {@code runId}: for streaming it to an operator. */
  public synchronized Path journalFile(String runId) throws FederationException, IOException {
    requireRun(runId);
    syncIfActive(runId);
    return runDirectory(runId).resolve(JournalFile.FILE_NAME);
  }

  /**
   * Makes every record the active run {@code runId} has written durable before its journal file is
   * read: records are fsync'd by group commit (see {@link JournalFile}), and an operator must not
   * read one that a crash could still take back.
   */
  private void syncIfActive(String runId) throws IOException {
    ActiveRun run = active;
    if (run != null && run.config().runId().equals(runId)) {
      try {
        run.journal().sync();
      } catch (JournalWriteException | IllegalStateException e) {
        // The run has failed and waits to be reopened from its directory; the file is what an
        // operator diagnosing it needs to see.
        LOG.warn(
            "run {}: the journal could not be synced before reading it: {}", runId, e.getMessage());
      }
    }
  }

  /**
   * The global model of run {@code runId}: the active run's current model, or the last checkpoint
   * of a finished run (its initial model if no round finished).
   */
  public synchronized GlobalModel model(String runId)
      throws FederationException, IOException, GeneralSecurityException {
    if (active != null && active.config().runId().equals(runId)) {
      return active.coordinator().globalModelSnapshot();
    }
    RunConfig run = storedConfig(runId);
    Path directory = runDirectory(runId);
    CheckpointStore checkpoints =
        CheckpointStore.open(directory.resolve(CheckpointStore.DIRECTORY_NAME), 1);
    var latest = checkpoints.latest().checkpoint();
    float[] values =
        latest.isPresent()
            ? latest.get().model()
            : initialModel(directory, run.settings().dimension());
    int finished = JournalSummary.status(readJournal(runId)).roundsFinished();
    return new GlobalModel(values, GlobalModel.sha256Of(values), finished);
  }

  /**
   * Called by a coordinator that failed writing its data directory, with its lock held: only
   * schedules the attempt.
   */
  private void scheduleStorageRecovery(String runId) {
    if (closed) {
      return;
    }
    Duration interval = config.storageRecoveryInterval();
    LOG.warn(
        "run {}: the aggregator could not write its data directory; trying to reopen the run from"
            + " it every {} s (silos are told STORAGE_FAILED meanwhile)",
        runId,
        interval.toSeconds());
    scheduler.schedule(interval, () -> recoverStorage(runId));
  }

  /**
   * One attempt to reopen the active run {@code runId}, failed writing its data directory, from the
   * directory (see the class comment); schedules the next one if it fails.
   */
  synchronized void recoverStorage(String runId) {
    ActiveRun failed = active;
    if (closed
        || failed == null
        || !failed.config().runId().equals(runId)
        || !failed.coordinator().failed()) {
      return;
    }
    Duration interval = config.storageRecoveryInterval();
    if (!failed.coordinator().quietAfterFailure()) {
      // A task of the failed coordinator still runs (e.g. a round's finish): wait for it.
      scheduler.schedule(interval, () -> recoverStorage(runId));
      return;
    }
    try {
      failed.directory().close();
    } catch (IOException e) {
      LOG.warn("run {}: closing its failed data directory: {}", runId, e.getMessage());
    }
    try {
      activate(runId, RunCoordinator.REASON_STORAGE_RECOVERED);
    } catch (IOException | RuntimeException e) {
      // Nothing durable changed; the failed run stays active and silos keep being told so.
      LOG.warn(
          "run {}: its data directory still cannot be written ({}); trying again in {} s",
          runId,
          e.getMessage(),
          interval.toSeconds());
      scheduler.schedule(interval, () -> recoverStorage(runId));
      return;
    }
    roundHistories.remove(runId);
    RunCoordinator coordinator = active.coordinator();
    LOG.warn(
        "run {}: its data directory can be written again; reopened the run from it without a"
            + " restart: {}, {} rounds finished",
        runId,
        coordinator.status().phase().toString(),
        coordinator.status().roundsFinished());
    try {
      if (coordinator.started() && coordinator.status().phase() == RunStatus.Phase.IDLE) {
        coordinator.startRound();
      }
    } catch (IOException e) {
      // The new coordinator failed in turn; it has scheduled the next attempt itself.
      LOG.warn("run {}: the next round could not start: {}", runId, e.getMessage());
    }
    changeListener.run();
  }

  @Override
  public synchronized void close() throws IOException {
    closed = true;
    if (active != null) {
      active.directory().close();
      active = null;
    }
  }

  private void releaseIfEnded() {
    if (active == null) {
      return;
    }
    RunStatus.Phase phase = active.coordinator().status().phase();
    if (ended(phase)) {
      try {
        active.directory().close();
      } catch (IOException e) {
        LOG.warn("could not close the data directory of run {}", active.config().runId(), e);
      }
      LOG.info("run {} is over: {}", active.config().runId(), phase);
      lastEndedRunId = active.config().runId();
      active = null;
    }
  }

  private ActiveRun activeRun(String runId, String verb) throws FederationException {
    releaseIfEnded();
    requireRun(runId);
    if (active == null || !active.config().runId().equals(runId)) {
      throw new FederationException(
          FederationException.Reason.RUN_STATE_CONFLICT,
          "cannot " + verb + " run '" + runId + "': it is over");
    }
    return active;
  }

  private void requireRun(String runId) throws FederationException {
    if (!org.fedsum.crypto.SiteIdentity.isValidSiteId(runId)
        || !Files.isRegularFile(runDirectory(runId).resolve(RUN_CONFIG_FILE))) {
      throw new FederationException(
          FederationException.Reason.RUN_NOT_FOUND, "no run with id '" + safe(runId) + "'");
    }
  }

  private RunConfig storedConfig(String runId) throws FederationException, IOException {
    requireRun(runId);
    String yaml =
        Files.readString(runDirectory(runId).resolve(RUN_CONFIG_FILE), StandardCharsets.UTF_8);
    try {
      return RunConfig.parse(yaml, config);
    } catch (AggregatorConfigException e) {
      throw new IOException("the stored configuration of run '" + runId + "': " + e.getMessage());
    }
  }

  private List<String> readJournal(String runId) throws IOException {
    Path file = runDirectory(runId).resolve(JournalFile.FILE_NAME);
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        lines.add(line);
      }
    }
    return lines;
  }

  private FileTime journalModified(String runId) throws IOException {
    Path file = runDirectory(runId).resolve(JournalFile.FILE_NAME);
    return Files.exists(file) ? Files.getLastModifiedTime(file) : FileTime.fromMillis(0);
  }

  private boolean ended(String runId) throws IOException {
    return JournalSummary.ended(readJournal(runId));
  }

  private void activate(String runId) throws IOException {
    activate(runId, RunCoordinator.REASON_RESTARTED);
  }

  /** Opens run {@code runId} from its data directory and makes it the active run. */
  private void activate(String runId, String interruptedReason) throws IOException {
    RunConfig run;
    try {
      run = storedConfig(runId);
    } catch (FederationException e) {
      throw new IOException(e.getMessage(), e);
    }
    Path directory = runDirectory(runId);
    float[] initial = initialModel(directory, run.settings().dimension());
    String initialModelSha256 = GlobalModel.sha256Of(initial);
    DataDirectory data = DataDirectory.open(directory);
    try {
      DataDirectory.Recovered stores =
          data.recover(owner, CheckpointStore.DEFAULT_KEEP, clock.instant());
      RunCoordinator coordinator =
          RunCoordinator.resume(
              run.settings(),
              initial,
              stores.journal(),
              stores.checkpoints(),
              stores.spool(),
              scheduler,
              executor,
              clock,
              interruptedReason);
      coordinator.onChange(changeListener);
      coordinator.onFailure(() -> scheduleStorageRecovery(runId));
      coordinator.countRefusalsIn(refusals);
      coordinator.onRoundEvents(
          new LineageWriter(
              roundEvents,
              runId,
              stores.journal(),
              directory,
              initialModelSha256,
              LineageManifest.Privacy.of(run.settings().encoding(), run.delta()),
              owner,
              executor,
              clock));
      active = new ActiveRun(run, coordinator, data, stores.journal());
    } catch (GeneralSecurityException e) {
      data.close();
      throw new IOException("the journal of run '" + runId + "' does not verify: " + e, e);
    } catch (IOException | RuntimeException e) {
      data.close();
      throw e;
    }
  }

  private static float[] initialModel(Path runDirectory, int dimension) throws IOException {
    Path file = runDirectory.resolve(INITIAL_MODEL_FILE);
    float[] model = new float[dimension];
    if (!Files.exists(file)) {
      return model;
    }
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.remaining() != 4L * dimension) {
      throw new IOException(
          file + " holds " + bytes.remaining() + " bytes, not " + (4L * dimension));
    }
    for (int i = 0; i < dimension; i++) {
      model[i] = bytes.getFloat(4 * i);
    }
    return model;
  }

  private Path runDirectory(String runId) {
    return runsDirectory.resolve(runId);
  }

  private static String safe(String text) {
    String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return cut.replaceAll("[^A-Za-z0-9._-]", "?");
  }

  static void createPrivateDirectory(Path directory) throws IOException {
    if (Files.isDirectory(directory)) {
      return;
    }
    try {
      Files.createDirectories(
          directory,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException e) {
      Files.createDirectories(directory);
    }
  }

  /** Write, fsync, rename, fsync the folder: the file is whole or absent after a crash. */
  static void writeDurably(Path file, byte[] bytes) throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel channel =
        FileChannel.open(
            temporary,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      try {
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system.
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
    try {
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
    }
    fsyncDirectory(file.getParent());
  }

  private static void fsyncDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a folder for fsync; the rename is then as durable as it gets.
      LOG.debug("cannot fsync folder {}", directory, e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
