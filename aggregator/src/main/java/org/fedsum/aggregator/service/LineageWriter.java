package org.fedsum.aggregator.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.fedsum.aggregator.round.RoundEvents;
import org.fedsum.aggregator.store.JournalFile;
import org.fedsum.aggregator.store.JournalOwner;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.lineage.LineageManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the signed lineage manifest of every model a run publishes, {@code
 * <run>/lineage/round-<n>.json}, so that any model file can be traced to the run, the rounds and
 * the silos that produced it (docs/AUDIT.md). Told of finished rounds as a {@link RoundEvents}
 * observer, it does the work on the executor: the observer is called under the coordinator's lock
 * and must not block. Every other event goes to the wrapped observer unchanged.
 *
 * <p>A manifest that cannot be written is logged and skipped: the model and the journal, which a
 * manifest only summarizes, are durable already, and {@code fedsum audit} rebuilds the same facts
 * from the journal.
 */
final class LineageWriter implements RoundEvents {
  static final String DIRECTORY = "lineage";

  private static final Logger LOG = LoggerFactory.getLogger(LineageWriter.class);

  private final RoundEvents next;
  private final String runId;
  private final JournalFile journal;
  private final Path directory;
  private final String initialModelSha256;
  private final LineageManifest.Privacy privacy;
  private final JournalOwner owner;
  private final Executor executor;
  private final Clock clock;

  LineageWriter(
      RoundEvents next,
      String runId,
      JournalFile journal,
      Path runDirectory,
      String initialModelSha256,
      LineageManifest.Privacy privacy,
      JournalOwner owner,
      Executor executor,
      Clock clock) {
    this.next = next;
    this.runId = runId;
    this.journal = journal;
    this.directory = runDirectory.resolve(DIRECTORY);
    this.initialModelSha256 = initialModelSha256;
    this.privacy = privacy;
    this.owner = owner;
    this.executor = executor;
    this.clock = clock;
  }

  /** Where the manifest of the model published by {@code round} is written. */
  static Path manifestFile(Path runDirectory, long round) {
    return runDirectory.resolve(DIRECTORY).resolve("round-" + round + ".json");
  }

  @Override
  public void roundStarted(long round) {
    next.roundStarted(round);
  }

  @Override
  public void stageClosed(long round, Stage stage, Duration duration, int participants) {
    next.stageClosed(round, stage, duration, participants);
  }

  @Override
  public void roundFinished(long round, int survivors, Duration duration) {
    next.roundFinished(round, survivors, duration);
    executor.execute(() -> write(round));
  }

  @Override
  public void roundAborted(long round, Stage stage, String reason, Duration duration) {
    next.roundAborted(round, stage, reason, duration);
  }

  private void write(long round) {
    try {
      String document =
          LineageManifest.forRound(
                  runId,
                  journal.readLines(),
                  round,
                  initialModelSha256,
                  privacy,
                  codeVersion(),
                  clock.instant())
              .sign(owner.certificate(), owner.key());
      Files.createDirectories(directory);
      Path target = manifestFile(directory.getParent(), round);
      Path partial = directory.resolve("." + target.getFileName() + ".partial");
      Files.writeString(partial, document + "\n", StandardCharsets.UTF_8);
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      LOG.warn("run {}: no lineage manifest for round {}: {}", runId, round, e.getMessage());
    }
  }

  private static String codeVersion() {
    String version = LineageWriter.class.getPackage().getImplementationVersion();
    return "fedsum-aggregator " + (version == null ? "development build" : version);
  }
}
