package org.fedsum.silo.node;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.journal.JournalLines;
import org.fedsum.protocol.journal.JournalWriter;

/**
 * The silo's own journal (DESIGN.md §7): {@code journal.jsonl} in the silo's data directory, one
 * signed, hash-chained record per line, each fsync'd before {@link #append} returns. What the silo
 * agreed to, hashes of what it sent, for whom it revealed shares, its privacy spend; never a
 * secret, a raw record or a per-record value ({@link JournalWriter} refuses secret types).
 *
 * <p>After a crash the journal loses at most a half-written last line, which reopening drops; any
 * other damage (a broken chain or signature) makes {@link #open} fail rather than write on.
 *
 * <p><b>Interrupts.</b> The file is written through {@link RandomAccessFile}, not an NIO {@code
 * FileChannel}: a thread interrupted while it appends (a silo node being stopped) finishes the
 * write and the fsync, and the interrupt stays pending for whatever waits next. An NIO channel
 * would be closed by the interrupt mid-write ({@code ClosedByInterruptException}), leaving the
 * journal unusable and a round's records cut between them. Records that belong together (a round's
 * outcome and its privacy spend) are appended by {@link #appendAll} in one write and one fsync.
 */
public final class SiloJournal implements AutoCloseable {
  /** The journal's file name in the silo's data directory. */
  public static final String FILE_NAME = "journal.jsonl";

  private final Path file;
  private final RandomAccessFile channel;
  private final JournalWriter writer;
  private final List<String> lines;
  private boolean broken;
  private boolean closed;

  /**
   * One record for {@link #appendAll}.
   *
   * @param type the record's type
   * @param body the record's body
   */
  public record Entry(String type, Map<String, ?> body) {
    public Entry {
      java.util.Objects.requireNonNull(type, "type");
      java.util.Objects.requireNonNull(body, "body");
    }
  }

  private SiloJournal(
      Path file, RandomAccessFile channel, JournalWriter writer, List<String> lines) {
    this.file = file;
    this.channel = channel;
    this.writer = writer;
    this.lines = lines;
  }

  /**
   * Opens (or starts) the journal in {@code directory}, written by {@code identity}.
   *
   * @throws GeneralSecurityException if the existing journal does not verify or was written with
   *     another key
   */
  public static SiloJournal open(
      Path directory,
      String federationId,
      SiteIdentity identity,
      X509Certificate certificate,
      EcdsaP256SigningKey key,
      Instant now)
      throws IOException, GeneralSecurityException {
    Path file = directory.resolve(FILE_NAME);
    boolean existed = Files.exists(file);
    if (!existed) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    RandomAccessFile channel = new RandomAccessFile(file.toFile(), "rw");
    try {
      List<String> existing = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        existing.add(line);
      }
      JournalLines.Recovery recovery = JournalLines.recover(existing);
      List<String> kept = new ArrayList<>(recovery.lines());
      JournalWriter writer;
      if (kept.isEmpty()) {
        JournalWriter.Opened opened =
            JournalWriter.open(federationId, identity, certificate, key, now);
        channel.setLength(0);
        write(channel, opened.line(), 0);
        kept.add(opened.line());
        writer = opened.writer();
      } else {
        writer = JournalWriter.resume(kept, key);
        if (!writer.federationId().equals(federationId) || !writer.writer().equals(identity)) {
          throw new GeneralSecurityException(
              "the journal "
                  + file
                  + " belongs to "
                  + writer.writer().uri()
                  + " in "
                  + writer.federationId()
                  + ", not to "
                  + identity.uri()
                  + " in "
                  + federationId);
        }
        // Drop a half-written last line, as a crash leaves it.
        long keptBytes = 0;
        for (String line : kept) {
          keptBytes += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        long size = channel.length();
        if (size > keptBytes) {
          channel.setLength(keptBytes);
          channel.getFD().sync();
        } else if (size == keptBytes - 1) {
          // The last record is whole but its line feed did not reach the disk.
          channel.seek(size);
          channel.write('\n');
          channel.getFD().sync();
        }
      }
      return new SiloJournal(file, channel, writer, kept);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Appends a record and makes it durable; see {@link JournalWriter#append}. */
  public String append(String type, Map<String, ?> body, Instant time) throws IOException {
    return appendAll(List.of(new Entry(type, body)), time).get(0);
  }

  /**
   * Appends {@code entries} as consecutive records in one write and makes them durable with one
   * fsync: records that only make sense together (a round's outcome and its privacy spend) are
   * never separated by a stop between two appends. Not interrupted by a thread interrupt (see the
   * class comment).
   *
   * @return the lines written, in order
   * @throws IOException if the write failed: nothing of it is kept (the file is cut back), and the
   *     journal refuses further appends until the silo is restarted
   */
  public synchronized List<String> appendAll(List<Entry> entries, Instant time) throws IOException {
    if (closed) {
      throw new IOException("the journal " + file + " is closed");
    }
    if (broken) {
      throw new IOException("the journal " + file + " failed earlier; restart the silo");
    }
    if (entries.isEmpty()) {
      return List.of();
    }
    List<String> written = new ArrayList<>();
    long before = channel.length();
    try {
      for (Entry entry : entries) {
        written.add(writer.append(entry.type(), entry.body(), time));
      }
      write(channel, String.join("\n", written), before);
    } catch (IOException | RuntimeException e) {
      // The writer's chain may be ahead of the file now: never write on from it.
      broken = !written.isEmpty();
      try {
        channel.setLength(before);
      } catch (IOException ignored) {
        e.addSuppressed(ignored);
      }
      throw e;
    }
    lines.addAll(written);
    return List.copyOf(written);
  }

  /** The journal's records, oldest first. */
  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** The journal file. */
  public Path file() {
    return file;
  }

  /** Closes the file; waits for an append in progress (on another thread) to finish first. */
  @Override
  public synchronized void close() throws IOException {
    closed = true;
    channel.close();
  }

  private static void write(RandomAccessFile channel, String text, long position)
      throws IOException {
    channel.seek(position);
    channel.write((text + "\n").getBytes(StandardCharsets.UTF_8));
    channel.getFD().sync();
  }
}
