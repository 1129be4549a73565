package org.fedsum.aggregator.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fedsum.aggregator.store.FileDurability.ChannelOpener;
import org.fedsum.protocol.journal.JournalLines;
import org.fedsum.protocol.journal.JournalWriter;

/**
 * The aggregator's journal file ({@value #FILE_NAME} in the data directory): append-only JSON
 * Lines, each line one signed, hash-chained record made by {@link JournalWriter} (DESIGN.md §7).
 *
 * <p><b>Durability</b>: {@link #append} writes the record's line and its line feed with one write
 * and fsyncs the file ({@code FileChannel.force(true)}) before it returns. A record is either
 * wholly durable when {@code append} returns, or not in the file: if the write or the fsync fails,
 * the file is cut back to its previous length and a {@link JournalWriteException} is thrown. After
 * such a failure the journal refuses every further append until it is reopened, because the
 * writer's chain position is ahead of the file and a failed fsync leaves the file's state on disk
 * unknown.
 *
 * <p><b>Group commit</b>: {@link #write} is the first half of {@code append}: it signs, chains and
 * writes the record under this object's lock, in seq order, and returns the file position after it
 * without syncing. {@link #awaitDurable} is the second half: it returns once every byte before that
 * position is fsync'd. One caller at a time runs the fsync, outside the lock, for everything
 * written so far; callers waiting for the same or an earlier position meanwhile wait for that one
 * fsync instead of running their own, so n records written at once cost one fsync, not n. A record
 * written but not yet durable may be lost in a crash; the caller must therefore tell nobody about
 * it (no reply, no task, no message) before {@code awaitDurable} returned for its position. If the
 * fsync fails, the file is cut back to the last durable position: every record after it is gone,
 * each waiter for it gets the {@link JournalWriteException}, and the journal refuses appends as
 * above.
 *
 * <p><b>Recovery</b>: {@link #open} resumes an existing file. A crash during a write can leave at
 * most the last line half-written; {@link JournalLines#recover} decides whether the last line is
 * such an artefact, in which case the file is truncated after the last complete record and {@link
 * Opening#droppedPartialLastLine()} reports it. Any other damage (a broken line in the middle, a
 * broken signature or chain) makes {@code open} fail: that is not what a crash produces. Records
 * written but never synced are simply absent, or complete and verifiable, after a crash.
 *
 * <p><b>Threads</b>: writes are serialized by this object's lock; the fsync runs outside it, so
 * records can be written while an fsync is in progress. The file itself is not locked: {@link
 * DataDirectory} holds the directory lock that keeps a second aggregator away.
 */
public final class JournalFile implements Closeable {
  /** The journal's file name in the data directory. */
  public static final String FILE_NAME = "journal.jsonl";

  private static final byte LINE_FEED = '\n';

  private final Path path;
  private final FileChannel channel;
  private final JournalWriter writer;
  private final Opening opening;
  private final Syncer syncer;
  // Guarded by this. size: bytes written; durableSize: bytes known fsync'd (<= size).
  private long size;
  private long durableSize;
  // True while one caller runs the fsync outside the lock; the others wait for it.
  private boolean syncing;
  private long syncs;
  private JournalWriteException failure;
  private boolean closed;

  /**
   * Makes the file's bytes durable for the group commit: {@link #FORCE} in the service; tests pass
   * one that counts fsyncs or holds one back (see {@link #open(Path, JournalOwner, Instant,
   * Syncer)}).
   */
  @FunctionalInterface
  public interface Syncer {
    /** Makes every byte written to {@code channel} so far durable. */
    void sync(FileChannel channel) throws IOException;

    /** The real fsync. */
    Syncer FORCE = channel -> channel.force(true);
  }

  /**
   * A record written by {@link #write} and not necessarily durable yet.
   *
   * @param line the record's line as written, without its line feed
   * @param position the file position after the record's line feed: pass it to {@link
   *     #awaitDurable}
   */
  public record Written(String line, long position) {
    /** Checks the line is present. */
    public Written {
      Objects.requireNonNull(line, "line");
    }
  }

  /**
   * How {@link #open} found the file.
   *
   * @param created true if a new journal was started (no file, an empty one, or one holding only a
   *     half-written first line)
   * @param droppedPartialLastLine true if the last line was a half-written record and the file was
   *     truncated after the last complete one
   * @param droppedBytes how many bytes the truncation removed (0 if none)
   * @param records the number of records in the journal after opening, the opening record included
   */
  public record Opening(
      boolean created, boolean droppedPartialLastLine, long droppedBytes, long records) {}

  private JournalFile(
      Path path, FileChannel channel, JournalWriter writer, Opening opening, long size) {
    this.path = path;
    this.channel = channel;
    this.writer = writer;
    this.opening = opening;
    this.size = size;
    this.durableSize = size;
    this.syncer = Syncer.FORCE;
  }

  private JournalFile(JournalFile opened, Syncer syncer) {
    this.path = opened.path;
    this.channel = opened.channel;
    this.writer = opened.writer;
    this.opening = opened.opening;
    this.size = opened.size;
    this.durableSize = opened.size;
    this.syncer = syncer;
  }

  /**
   * As {@link #open(Path, JournalOwner, Instant)}, with {@code syncer} instead of {@code
   * FileChannel.force} for the group commit's fsyncs (opening and recovery still force): for tests
   * that count fsyncs or hold one back.
   */
  public static JournalFile open(
      Path dataDirectory, JournalOwner owner, Instant time, Syncer syncer)
      throws IOException, GeneralSecurityException {
    return new JournalFile(open(dataDirectory, owner, time), Objects.requireNonNull(syncer));
  }

  /**
   * Opens the journal {@value #FILE_NAME} in {@code dataDirectory}: starts it with a {@code
   * journal-opened} record at {@code time} if there is none, or resumes it after recovering a
   * half-written last line (see the class comment).
   *
   * @throws GeneralSecurityException if the existing journal does not verify (chain, structure,
   *     signatures of the first and last record) or was opened with another key
   * @throws IllegalArgumentException if the existing journal belongs to another federation or
   *     writer than {@code owner}, or (new journal) {@code owner}'s certificate does not name its
   *     writer or {@code time} is outside its validity
   * @throws JournalWriteException if the opening record or the recovery could not be made durable
   */
  public static JournalFile open(Path dataDirectory, JournalOwner owner, Instant time)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(dataDirectory, "dataDirectory");
    return open(dataDirectory.resolve(FILE_NAME), owner, time, ChannelOpener.DEFAULT);
  }

  /** As {@link #open(Path, JournalOwner, Instant)}, on {@code file}, with a substitute opener. */
  static JournalFile open(Path file, JournalOwner owner, Instant time, ChannelOpener opener)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(time, "time");
    boolean existed = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
    FileChannel channel =
        existed
            ? opener.open(file, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE))
            : FileDurability.createPrivateFile(file, opener);
    try {
      JournalFile journal =
          existed ? resume(file, channel, owner, time) : start(file, channel, owner, time, 0);
      if (!existed) {
        FileDurability.syncDirectory(file.toAbsolutePath().getParent());
      }
      return journal;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      try {
        channel.close();
        if (!existed) {
          // Leave no empty journal behind for a start that failed (a certificate not yet valid).
          Files.deleteIfExists(file);
        }
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private static JournalFile resume(
      Path file, FileChannel channel, JournalOwner owner, Instant time)
      throws IOException, GeneralSecurityException {
    long fileSize = channel.size();
    if (fileSize > Integer.MAX_VALUE - 8) {
      throw new IOException(
          "the journal " + file + " has " + fileSize + " bytes, too many to resume");
    }
    byte[] content = new byte[(int) fileSize];
    readFully(channel, content);
    Lines lines = Lines.split(content);
    JournalLines.Recovery recovery = JournalLines.recover(lines.text);
    List<String> kept = recovery.lines();
    if (kept.isEmpty()) {
      // Nothing complete: a crash beat the opening record to disk. Start afresh.
      return start(file, channel, owner, time, fileSize);
    }
    JournalWriter writer = JournalWriter.resume(kept, owner.key());
    if (!writer.federationId().equals(owner.federationId())) {
      throw new IllegalArgumentException(
          "the journal "
              + file
              + " belongs to federation "
              + writer.federationId()
              + ", not to "
              + owner.federationId());
    }
    if (!writer.writer().equals(owner.writer())) {
      throw new IllegalArgumentException(
          "the journal "
              + file
              + " was written by "
              + writer.writer().uri()
              + ", not by "
              + owner.writer().uri());
    }
    // Verified: only now change the file.
    int lastKept = kept.size() - 1;
    long keptEnd = lines.end[lastKept];
    boolean terminated = lines.terminated[lastKept];
    long keptBytes = terminated ? keptEnd + 1 : keptEnd;
    long newSize = keptBytes;
    try {
      if (newSize < fileSize) {
        channel.truncate(newSize);
      }
      if (!terminated) {
        // A complete record whose line feed did not reach the disk: add it before appending.
        writeFully(channel, ByteBuffer.wrap(new byte[] {LINE_FEED}), keptEnd);
        newSize = keptEnd + 1;
      }
      if (newSize != fileSize) {
        channel.force(true);
      }
    } catch (IOException | RuntimeException e) {
      throw new JournalWriteException(
          file, false, "could not repair the end of the journal " + file + ": " + e, e);
    }
    Opening opening =
        new Opening(false, recovery.droppedPartialLastLine(), fileSize - keptBytes, kept.size());
    return new JournalFile(file, channel, writer, opening, newSize);
  }

  private static JournalFile start(
      Path file, FileChannel channel, JournalOwner owner, Instant time, long oldSize)
      throws IOException {
    JournalWriter.Opened opened =
        JournalWriter.open(
            owner.federationId(), owner.writer(), owner.certificate(), owner.key(), time);
    byte[] line = terminated(opened.line());
    try {
      if (oldSize > 0) {
        channel.truncate(0);
      }
      writeFully(channel, ByteBuffer.wrap(line), 0);
      channel.force(true);
    } catch (IOException | RuntimeException e) {
      throw new JournalWriteException(
          file, false, "could not write the opening record of the journal " + file + ": " + e, e);
    }
    Opening opening = new Opening(true, oldSize > 0, oldSize, 1);
    return new JournalFile(file, channel, opened.writer(), opening, line.length);
  }

  /**
   * Appends a record and makes it durable before returning (see the class comment). The body is
   * given as Java values as for {@link JournalWriter#append(String, Map, Instant)}; secrets are
   * refused there.
   *
   * @return the record's line as written, without its line feed
   * @throws IllegalArgumentException if the writer refuses the record (bad type, a refused body
   *     value, a time outside the certificate's validity); nothing is written and the journal stays
   *     usable
   * @throws JournalWriteException if the record could not be made durable, or an earlier append
   *     failed; the record is not in the journal
   * @throws IllegalStateException if the journal is closed
   */
  public String append(String type, Map<String, ?> body, Instant time)
      throws JournalWriteException {
    Written written = write(type, body, time);
    awaitDurable(written.position());
    return written.line();
  }

  /**
   * Signs, chains and writes a record without waiting for it to be durable (see "Group commit" in
   * the class comment): call {@link #awaitDurable} with the returned position before telling anyone
   * about the record.
   *
   * @throws IllegalArgumentException if the writer refuses the record; nothing is written and the
   *     journal stays usable
   * @throws JournalWriteException if the write failed, or an earlier write or fsync failed; the
   *     record is not in the journal
   * @throws IllegalStateException if the journal is closed
   */
  public synchronized Written write(String type, Map<String, ?> body, Instant time)
      throws JournalWriteException {
    requireUsable();
    String line = writer.append(type, body, time);
    byte[] bytes = terminated(line);
    long before = size;
    try {
      writeFully(channel, ByteBuffer.wrap(bytes), before);
    } catch (IOException | RuntimeException e) {
      // RuntimeException too: a channel opened read-only throws NonWritableChannelException.
      failure = restore(before, e);
      throw failure;
    }
    size = before + bytes.length;
    return new Written(line, size);
  }

  /**
   * Returns once every record written before {@code position} is durable: at once if it is, after
   * the fsync in progress if that covers it, else after an fsync this caller runs, outside the
   * lock, for every record written so far. Waits without giving up on an interrupt (the interrupt
   * is kept): a waiter that left early could not know whether its record will survive a crash.
   *
   * @throws JournalWriteException if the fsync failed (the records after the last durable position
   *     were cut off), or an earlier failure left the journal unusable before {@code position} was
   *     durable
   * @throws IllegalArgumentException if {@code position} is past the bytes written
   */
  public void awaitDurable(long position) throws JournalWriteException {
    long target;
    synchronized (this) {
      boolean interrupted = false;
      try {
        while (position > durableSize && failure == null && syncing) {
          try {
            wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      if (position <= durableSize) {
        return;
      }
      if (failure != null) {
        throw new JournalWriteException(
            path,
            failure.restored(),
            "a record written to the journal "
                + path
                + " was not made durable, an earlier write or fsync failed: "
                + failure.getMessage(),
            failure);
      }
      if (closed) {
        throw new IllegalStateException("the journal " + path + " is closed");
      }
      if (position > size) {
        throw new IllegalArgumentException(
            "position " + position + " is past the " + size + " bytes written to " + path);
      }
      syncing = true;
      target = size;
    }
    Exception error = null;
    try {
      syncer.sync(channel);
    } catch (IOException | RuntimeException e) {
      error = e;
    }
    synchronized (this) {
      syncing = false;
      syncs++;
      if (error == null) {
        durableSize = Math.max(durableSize, target);
      } else if (failure == null) {
        failure = restore(durableSize, error);
      }
      notifyAll();
      if (error != null) {
        throw failure;
      }
    }
  }

  /** Makes every record written so far durable; see {@link #awaitDurable}. */
  public void sync() throws JournalWriteException {
    long written;
    synchronized (this) {
      written = size;
    }
    awaitDurable(written);
  }

  /** The file position after the last record written, durable or not. */
  public synchronized long writtenPosition() {
    return size;
  }

  /** The file position up to which every record is durable. */
  public synchronized long durablePosition() {
    return durableSize;
  }

  /** How many group-commit fsyncs ran (failed ones included): for tests and metrics. */
  public synchronized long syncCount() {
    return syncs;
  }

  private JournalWriteException restore(long previousSize, Exception cause) {
    boolean restored;
    try {
      channel.truncate(previousSize);
      channel.force(true);
      restored = channel.size() == previousSize;
      if (restored) {
        size = previousSize;
        durableSize = previousSize;
      }
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
      restored = false;
    }
    String outcome =
        restored
            ? "the record is not in the journal (the file was cut back to its previous "
                + previousSize
                + " bytes)"
            : "the file could not be cut back to its previous "
                + previousSize
                + " bytes; it may end with a partial line, which reopening drops";
    return new JournalWriteException(
        path,
        restored,
        "could not append to the journal "
            + path
            + ": "
            + cause
            + "; "
            + outcome
            + "; reopen the journal before appending again",
        cause);
  }

  private void requireUsable() throws JournalWriteException {
    if (closed) {
      throw new IllegalStateException("the journal " + path + " is closed");
    }
    if (failure != null) {
      throw refusal();
    }
  }

  private JournalWriteException refusal() {
    return new JournalWriteException(
        path,
        failure.restored(),
        "the journal "
            + path
            + " refuses appends after an earlier write failed; reopen it ("
            + failure.getMessage()
            + ")",
        failure);
  }

  /**
   * Reads the journal's durable lines (without line terminators), for rebuilding state,
   * verification or an operator: records written but not yet fsync'd are left out, since nobody may
   * learn of them before they are durable.
   */
  public synchronized List<String> readLines() throws IOException {
    if (closed) {
      throw new IllegalStateException("the journal " + path + " is closed");
    }
    if (durableSize > Integer.MAX_VALUE - 8) {
      throw new IOException(
          "the journal " + path + " has " + durableSize + " bytes, too many to read");
    }
    byte[] content = new byte[(int) durableSize];
    ByteBuffer buffer = ByteBuffer.wrap(content);
    long position = 0;
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position);
      if (read < 0) {
        throw new IOException("the journal " + path + " is shorter than the bytes written to it");
      }
      position += read;
    }
    return Lines.split(content).text;
  }

  /** How {@link #open} found the file. */
  public Opening opening() {
    return opening;
  }

  /** The journal file. */
  public Path path() {
    return path;
  }

  /** The seq the next appended record gets. */
  public synchronized long nextSeq() {
    return writer.nextSeq();
  }

  /** Hex SHA-256 of the last record appended or found: the next record's {@code prev}. */
  public synchronized String headHash() {
    return writer.headHash();
  }

  /**
   * Closes the file after the fsync in progress, if any, and a last fsync of records written but
   * not yet durable (nobody was told of them, so keeping them is a choice, not a promise). Appends
   * made before are durable; appends after throw.
   */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    boolean interrupted = false;
    while (syncing) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    closed = true;
    try {
      if (failure == null && size > durableSize) {
        syncer.sync(channel);
        durableSize = size;
      }
    } finally {
      channel.close();
      notifyAll();
    }
  }

  @Override
  public String toString() {
    return "JournalFile[" + path + "]";
  }

  private static byte[] terminated(String line) {
    byte[] text = line.getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[text.length + 1];
    System.arraycopy(text, 0, bytes, 0, text.length);
    bytes[text.length] = LINE_FEED;
    return bytes;
  }

  private static void writeFully(FileChannel channel, ByteBuffer bytes, long position)
      throws IOException {
    // One write call for a regular file; the loop only guards against a short write.
    long at = position;
    while (bytes.hasRemaining()) {
      at += channel.write(bytes, at);
    }
  }

  private static void readFully(FileChannel channel, byte[] into) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(into);
    long position = 0;
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position);
      if (read < 0) {
        throw new IOException("the journal file shrank while it was read");
      }
      position += read;
    }
  }

  /** A file's lines split at line feeds, with each line's end offset and whether a feed follows. */
  private static final class Lines {
    final List<String> text = new ArrayList<>();
    final long[] end;
    final boolean[] terminated;

    private Lines(int count) {
      end = new long[count];
      terminated = new boolean[count];
    }

    static Lines split(byte[] content) {
      int count = 0;
      for (byte b : content) {
        if (b == LINE_FEED) {
          count++;
        }
      }
      boolean tail = content.length > 0 && content[content.length - 1] != LINE_FEED;
      Lines lines = new Lines(tail ? count + 1 : count);
      int start = 0;
      int index = 0;
      for (int i = 0; i < content.length; i++) {
        if (content[i] == LINE_FEED) {
          lines.add(index++, content, start, i, true);
          start = i + 1;
        }
      }
      if (tail) {
        lines.add(index, content, start, content.length, false);
      }
      return lines;
    }

    private void add(int index, byte[] content, int start, int stop, boolean feed) {
      // Malformed UTF-8 decodes to U+FFFD, which no canonical record contains: the verifier
      // refuses such a line, and a cut multi-byte character in the last line stays a partial line.
      text.add(new String(content, start, stop - start, StandardCharsets.UTF_8));
      end[index] = stop;
      terminated[index] = feed;
    }
  }
}
