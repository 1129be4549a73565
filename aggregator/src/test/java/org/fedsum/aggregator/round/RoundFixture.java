package org.fedsum.aggregator.round;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedsum.aggregator.store.DataDirectory;
import org.fedsum.aggregator.store.JournalFile;
import org.fedsum.aggregator.store.JournalOwner;
import org.fedsum.aggregator.store.SpoolWriter;
import org.fedsum.aggregator.store.SpooledVector;
import org.fedsum.aggregator.strategy.StrategyConfig;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.EncryptedShares;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.SiloProtocol;
import org.fedsum.protocol.SiloState;
import org.fedsum.protocol.SiloStep;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.UnmaskShares;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.VectorFrame;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalVerifier;

/**
 * A federation of four honest in-memory silos (driven by {@link SiloProtocol}) around a {@link
 * RunCoordinator} on a real data directory, with time advanced by hand and blocking work run
 * inline. Silo ids are {@code silo-00} … {@code silo-03}.
 */
final class RoundFixture implements AutoCloseable {
  static final String FEDERATION_ID = "round-test";
  static final int SILOS = 4;
  static final int DIMENSION = 20;
  static final Duration DEADLINE = Duration.ofSeconds(30);
  static final SiteIdentity AGGREGATOR = new SiteIdentity(SiteRole.AGGREGATOR, "aggregator");

  final SecureRandom random = new SecureRandom();
  final ManualTime time = new ManualTime(Instant.now().truncatedTo(ChronoUnit.MILLIS));
  final FederationTrust trust;
  final JournalOwner owner;
  final Map<String, SiloContext> contexts = new TreeMap<>();
  final List<String> roster = new ArrayList<>();
  final EncodingParameters encoding;
  final RunSettings settings;
  final double[] initialModel = new double[DIMENSION];
  final Path root;

  /** Every share and share ciphertext the silos sent, base64: must never reach the journal. */
  final Set<String> secretsSent = new TreeSet<>();

  /** Where blocking work runs: inline unless a test sets a pool before {@link #open()}. */
  java.util.concurrent.Executor executor = Runnable::run;

  DataDirectory directory;
  private JournalFile syncedJournal;
  DataDirectory.Recovered stores;
  RunCoordinator coordinator;
  private final Map<String, SiloState> siloStates = new TreeMap<>();

  RoundFixture(Path root, int rounds, int maxConsecutiveAborts) {
    this(root, rounds, maxConsecutiveAborts, StrategyConfig.defaults("fedavg"), null);
  }

  /**
   * A federation whose run uses {@code strategy}, and the randomized Hadamard rotation with {@code
   * rotationSeed} unless it is null.
   */
  RoundFixture(
      Path root,
      int rounds,
      int maxConsecutiveAborts,
      StrategyConfig strategy,
      byte[] rotationSeed) {
    this(root, rounds, maxConsecutiveAborts, strategy, rotationSeed, EarlyClose.OFF);
  }

  /**
   * As above, with stages closing early as {@code earlyClose} says (the other constructors keep
   * early close off, so that their silent silos cost the whole deadline).
   */
  RoundFixture(
      Path root,
      int rounds,
      int maxConsecutiveAborts,
      StrategyConfig strategy,
      byte[] rotationSeed,
      EarlyClose earlyClose) {
    this.root = root;
    FederationCa ca = FederationCa.create(FEDERATION_ID, Duration.ofDays(30), random);
    try {
      trust =
          FederationTrust.create(ca.certificate(), ca.emptyCrl(time.instant(), Duration.ofDays(7)));
      for (int i = 0; i < SILOS; i++) {
        String siloId = String.format("silo-%02d", i);
        EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(random);
        byte[] certificate =
            ca.issue(
                    new SiteIdentity(SiteRole.SILO, siloId),
                    key.verifyingKey(),
                    Duration.ofDays(10),
                    List.of())
                .getEncoded();
        roster.add(siloId);
        contexts.put(
            siloId,
            new SiloContext(
                siloId, key, certificate, trust, random, RoundConfig.MINIMUM_SURVIVORS_FLOOR));
      }
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
    EcdsaP256SigningKey aggregatorKey = EcdsaP256SigningKey.generate(random);
    X509Certificate aggregatorCertificate =
        ca.issue(
            AGGREGATOR, aggregatorKey.verifyingKey(), Duration.ofDays(10), List.of("127.0.0.1"));
    owner = new JournalOwner(FEDERATION_ID, AGGREGATOR, aggregatorCertificate, aggregatorKey);
    encoding =
        EncodingParameters.builder()
            .setDimension(DIMENSION)
            .setClipNorm(10)
            .setNoiseMultiplier(0)
            .setThreshold(3)
            .setSilos(SILOS)
            .setBits(24)
            .setRotationSeed(rotationSeed)
            .buildChoosingGamma();
    Map<Stage, Duration> deadlines = new EnumMap<>(Stage.class);
    for (Stage stage : Stage.values()) {
      deadlines.put(stage, DEADLINE);
    }
    settings =
        new RunSettings(
            FEDERATION_ID,
            roster,
            3,
            3,
            SecurityModel.HONEST_BUT_CURIOUS,
            1,
            24,
            rounds,
            deadlines,
            encoding,
            strategy,
            maxConsecutiveAborts,
            earlyClose);
    for (int i = 0; i < DIMENSION; i++) {
      initialModel[i] = 0.5 - 0.05 * i;
    }
  }

  /** Opens (or reopens, after {@link #crash()}) the data directory and the coordinator. */
  RunCoordinator open() throws IOException, GeneralSecurityException {
    directory = DataDirectory.open(root);
    stores = directory.recover(owner, 10, time.instant());
    coordinator =
        RunCoordinator.resume(
            settings,
            initialModel,
            stores.journal(),
            stores.checkpoints(),
            stores.spool(),
            time,
            executor,
            time);
    return coordinator;
  }

  /**
   * As {@link #open()}, with the journal's group-commit fsyncs made by {@code syncer} (the journal
   * the recovery opened is closed and the same file reopened; the directory keeps its lock).
   */
  RunCoordinator open(JournalFile.Syncer syncer) throws IOException, GeneralSecurityException {
    directory = DataDirectory.open(root);
    stores = directory.recover(owner, 10, time.instant());
    stores.journal().close();
    syncedJournal = JournalFile.open(root, owner, time.instant(), syncer);
    coordinator =
        RunCoordinator.resume(
            settings,
            initialModel,
            syncedJournal,
            stores.checkpoints(),
            stores.spool(),
            time,
            executor,
            time);
    return coordinator;
  }

  /** Abandons the coordinator as a kill -9 would: its timers vanish, the directory is unlocked. */
  void crash() throws IOException {
    time.dropAllTasks();
    siloStates.clear();
    coordinator = null;
    directory.close();
  }

  @Override
  public void close() throws IOException {
    if (syncedJournal != null) {
      syncedJournal.close();
    }
    if (directory != null) {
      directory.close();
    }
  }

  /** Small random updates, one per silo. */
  Map<String, double[]> randomUpdates() {
    Map<String, double[]> updates = new TreeMap<>();
    for (String siloId : roster) {
      double[] update = new double[DIMENSION];
      for (int i = 0; i < DIMENSION; i++) {
        update[i] = 0.2 * random.nextGaussian();
      }
      updates.put(siloId, update);
    }
    return updates;
  }

  /** The mean of the given silos' updates. */
  static double[] mean(Map<String, double[]> updates, List<String> silos) {
    double[] mean = new double[DIMENSION];
    for (String silo : silos) {
      for (int i = 0; i < DIMENSION; i++) {
        mean[i] += updates.get(silo)[i] / silos.size();
      }
    }
    return mean;
  }

  /**
   * Starts the coordinator's current round on every silo that does not drop at {@code
   * ADVERTISE_KEYS} and sends their advertisements.
   */
  RoundConfig startSilos(Map<String, double[]> updates, Map<String, Stage> dropouts)
      throws ProtocolException, IOException {
    RoundConfig config = coordinator.poll(roster.get(0)).round().orElseThrow();
    UpdateEncoder encoder = UpdateEncoder.create(encoding);
    siloStates.clear();
    for (String siloId : roster) {
      if (!answers(dropouts, siloId, Stage.ADVERTISE_KEYS)) {
        continue;
      }
      int[] words = encoder.encode(updates.get(siloId), random).words();
      SiloStep step = SiloProtocol.start(contexts.get(siloId), config, WordVector.wrap(words));
      siloStates.put(siloId, step.state());
      send(siloId, step.outbound());
    }
    return config;
  }

  /**
   * Plays the current round to its end: silos answer what they poll unless they drop at that stage;
   * when nobody has anything left to do, time jumps past the stage deadline.
   */
  void playRound(Map<String, double[]> updates, Map<String, Stage> dropouts)
      throws ProtocolException, IOException {
    long round = startSilos(updates, dropouts).round();
    finishRound(round, dropouts);
  }

  /** Delivers messages until round {@code round} is no longer collecting. */
  void finishRound(long round, Map<String, Stage> dropouts) throws ProtocolException, IOException {
    int passes = 0;
    while (collecting(round)) {
      if (++passes > 100) {
        throw new AssertionError("round " + round + " does not end");
      }
      boolean progressed = false;
      for (String siloId : new ArrayList<>(siloStates.keySet())) {
        for (AggregatorMessage message : coordinator.poll(siloId).messages()) {
          if (!answers(dropouts, siloId, message.stage()) || message.round() != round) {
            continue;
          }
          SiloStep step =
              SiloProtocol.apply(
                  contexts.get(siloId), siloStates.get(siloId), message, time.instant());
          siloStates.put(siloId, step.state());
          send(siloId, step.outbound());
          progressed = true;
        }
      }
      if (!progressed && collecting(round)) {
        time.advance(DEADLINE);
      }
    }
  }

  private boolean collecting(long round) {
    RunStatus status = coordinator.status();
    return status.currentRound() == round && status.phase() == RunStatus.Phase.COLLECTING;
  }

  private static boolean answers(Map<String, Stage> dropouts, String siloId, Stage stage) {
    Stage dropout = dropouts.get(siloId);
    return dropout == null || stage.compareTo(dropout) < 0;
  }

  /** Sends a silo's messages: masked vectors through the spool, as the transport will. */
  void send(String siloId, List<SiloMessage> messages) throws ProtocolException, IOException {
    for (SiloMessage message : messages) {
      remember(message);
      if (message instanceof MaskedInput input) {
        coordinator.submitMaskedVector(
            siloId, input.round(), spool(siloId, input.round(), (WordVector) input.vector()));
      } else {
        coordinator.submit(siloId, message);
      }
    }
  }

  /** Spools a vector as the transport does: the frame streamed into the store's spool writer. */
  SpooledVector spool(String siloId, long round, WordVector vector)
      throws ProtocolException, IOException {
    byte[] frame = VectorFrame.encode(round, encoding.bits(), vector);
    SpoolWriter writer = stores.spool().receive(round, siloId, encoding.bits(), vector.length());
    writer.write(frame, 0, frame.length);
    return writer.finish();
  }

  private void remember(SiloMessage message) {
    Base64.Encoder base64 = Base64.getEncoder();
    if (message instanceof UnmaskShares shares) {
      shares
          .selfMaskSeedShares()
          .values()
          .forEach(bytes -> secretsSent.add(base64.encodeToString(bytes)));
      shares
          .maskingKeyShares()
          .values()
          .forEach(bytes -> secretsSent.add(base64.encodeToString(bytes)));
    } else if (message instanceof EncryptedShares shares) {
      shares.ciphertexts().values().forEach(bytes -> secretsSent.add(base64.encodeToString(bytes)));
    }
  }

  /** The journal's lines. */
  List<String> journalLines() throws IOException {
    return Files.readAllLines(directory.journalFile());
  }

  /** The journal's durable lines, as the coordinator's journal reads them (group commit). */
  List<String> durableJournalLines() throws IOException {
    return stores.journal().readLines();
  }

  /** Verifies the journal as an auditor would. */
  JournalVerification verifyJournal() throws IOException {
    return JournalVerifier.verify(journalLines(), trust, time.instant());
  }
}
