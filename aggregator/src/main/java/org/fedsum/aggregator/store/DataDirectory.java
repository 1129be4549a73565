package org.fedsum.aggregator.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The aggregator's data directory (DESIGN.md §7):
 *
 * <pre>
 * &lt;root&gt;/
 *   lock            held (FileChannel.tryLock) while an aggregator uses the directory
 *   journal.jsonl   the signed, hash-chained journal ({@link JournalFile})
 *   models/         round-&lt;n&gt;.bin checkpoints ({@link CheckpointStore})
 *   spool/          round-&lt;n&gt;/&lt;siloId&gt;.vec masked vectors being summed ({@link VectorSpool})
 * </pre>
 *
 * Directories are made owner-only ({@code 0700}) and files are created owner-only ({@code 0600})
 * where the file system is POSIX: the journal and the models are the federation's records.
 *
 * <p>{@link #open} takes the lock, so two aggregators cannot use one directory; the lock is an OS
 * lock on an open file, released when the process dies, so a killed aggregator never leaves a stale
 * lock. {@link #recover} then brings the directory to a consistent state after a crash (kill -9 at
 * any point): the journal loses at most a half-written last line, the newest checkpoint that
 * verifies is found (a corrupt newer one is skipped, never partly applied), and temporary
 * checkpoint files and every spooled vector are deleted. Spooled vectors are deleted rather than
 * resumed because they were never durable and counting a vector needs its verification in this
 * process: the silos of an interrupted round send their masked vectors again, or the round aborts.
 * Which of the two happens is the coordinator's decision, made from the journal.
 *
 * <p>Blocking I/O: call from a worker thread.
 */
public final class DataDirectory implements Closeable {
  /** The lock file's name. */
  public static final String LOCK_FILE = "lock";

  private final Path root;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private JournalFile journal;
  private boolean recovered;
  private boolean closed;

  /**
   * What {@link #recover} hands over: the stores, ready for use, the model to continue from, and
   * the report.
   *
   * @param journal the journal, open for appending; closed with the data directory
   * @param checkpoints the checkpoint store
   * @param spool the (now empty) vector spool
   * @param latestCheckpoint the newest checkpoint that verified, if any
   * @param report what was found and repaired
   */
  public record Recovered(
      JournalFile journal,
      CheckpointStore checkpoints,
      VectorSpool spool,
      Optional<Checkpoint> latestCheckpoint,
      RecoveryReport report) {
    /** Checks that no part is null. */
    public Recovered {
      Objects.requireNonNull(journal, "journal");
      Objects.requireNonNull(checkpoints, "checkpoints");
      Objects.requireNonNull(spool, "spool");
      Objects.requireNonNull(latestCheckpoint, "latestCheckpoint");
      Objects.requireNonNull(report, "report");
    }
  }

  private DataDirectory(Path root, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Creates the layout if missing (owner-only), and locks the directory.
   *
   * @throws DataDirectoryLockedException if another aggregator, in this process or another, holds
   *     it
   */
  public static DataDirectory open(Path root) throws IOException {
    Objects.requireNonNull(root, "root");
    Path directory = root.toAbsolutePath().normalize();
    FileDurability.createPrivateDirectory(directory);
    Path lockFile = directory.resolve(LOCK_FILE);
    FileChannel channel =
        FileChannel.open(
            lockFile,
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
            FileDurability.ownerOnlyFile(lockFile));
    try {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        // This JVM holds it already: file locks belong to processes, not channels.
        lock = null;
      }
      if (lock == null) {
        throw new DataDirectoryLockedException(directory, holder(channel));
      }
      // For a person looking at a held directory; the lock itself is what counts.
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap(
              ("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
          0);
      FileDurability.createPrivateDirectory(directory.resolve(CheckpointStore.DIRECTORY_NAME));
      FileDurability.createPrivateDirectory(directory.resolve(VectorSpool.DIRECTORY_NAME));
      return new DataDirectory(directory, channel, lock);
    } catch (IOException | RuntimeException e) {
      try {
        channel.close();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  private static String holder(FileChannel channel) {
    try {
      ByteBuffer content = ByteBuffer.allocate(64);
      channel.read(content, 0);
      String text = new String(content.array(), 0, content.position(), StandardCharsets.US_ASCII);
      String line = text.strip();
      return line.matches("pid [0-9]{1,19}") ? " (" + line + ")" : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The data directory (absolute). */
  public Path root() {
    return root;
  }

  /** The journal file's path. */
  public Path journalFile() {
    return root.resolve(JournalFile.FILE_NAME);
  }

  /** The checkpoints' directory. */
  public Path modelsDirectory() {
    return root.resolve(CheckpointStore.DIRECTORY_NAME);
  }

  /** The vector spool's directory. */
  public Path spoolDirectory() {
    return root.resolve(VectorSpool.DIRECTORY_NAME);
  }

  /**
   * Brings the directory to a consistent state and opens its stores (see the class comment): opens
   * or starts the journal (cutting off a half-written last line), deletes temporary checkpoint
   * files, finds the newest checkpoint that verifies, and empties the spool. Runs once per open.
   *
   * @param owner who writes the journal
   * @param checkpointsToKeep how many checkpoints the store keeps ({@link
   *     CheckpointStore#DEFAULT_KEEP} unless configured)
   * @param now the time of the opening record if a journal is started
   * @throws GeneralSecurityException if the journal does not verify or was written with another
   *     key; nothing was changed then
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  public synchronized Recovered recover(JournalOwner owner, int checkpointsToKeep, Instant now)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    if (closed) {
      throw new IllegalStateException("the data directory " + root + " is closed");
    }
    if (recovered) {
      throw new IllegalStateException("the data directory " + root + " was already recovered");
    }
    CheckpointStore checkpoints = CheckpointStore.open(modelsDirectory(), checkpointsToKeep);
    JournalFile opened = JournalFile.open(root, owner, now);
    try {
      List<String> temporaryFiles = checkpoints.deleteTemporaryFiles();
      CheckpointStore.Latest latest = checkpoints.latest();
      VectorSpool spool = VectorSpool.open(spoolDirectory());
      List<String> spoolEntries = spool.deleteAll();
      JournalFile.Opening opening = opened.opening();
      RecoveryReport report =
          new RecoveryReport(
              opening.created(),
              opening.droppedPartialLastLine(),
              opening.droppedBytes(),
              opening.records(),
              latest.checkpoint().isPresent()
                  ? OptionalLong.of(latest.checkpoint().get().round())
                  : OptionalLong.empty(),
              latest.warnings(),
              temporaryFiles,
              spoolEntries);
      journal = opened;
      recovered = true;
      return new Recovered(opened, checkpoints, spool, latest.checkpoint(), report);
    } catch (IOException | RuntimeException e) {
      try {
        opened.close();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /** Closes the journal, if recovered, and releases the lock. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (journal != null) {
        journal.close();
      }
    } finally {
      try {
        lock.release();
      } finally {
        lockChannel.close();
      }
    }
  }

  @Override
  public String toString() {
    return "DataDirectory[" + root + "]";
  }
}
