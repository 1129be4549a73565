package org.fedsum.silo.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 */
public final class SiloJournal implements AutoCloseable {
  /** The journal's file name in the silo's data directory. */
  public static final String FILE_NAME = "journal.jsonl";

  private final Path file;
  private final FileChannel channel;
  private final JournalWriter writer;
  private final List<String> lines;
  private boolean broken;

  private SiloJournal(Path file, FileChannel channel, JournalWriter writer, List<String> lines) {
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
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
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
        channel.truncate(0);
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
        long size = channel.size();
        if (size > keptBytes) {
          channel.truncate(keptBytes);
          channel.force(true);
        } else if (size == keptBytes - 1) {
          // The last record is whole but its line feed did not reach the disk.
          channel.write(ByteBuffer.wrap(new byte[] {'\n'}), size);
          channel.force(true);
        }
      }
      return new SiloJournal(file, channel, writer, kept);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Appends a record and makes it durable; see {@link JournalWriter#append}. */
  public synchronized String append(String type, Map<String, ?> body, Instant time)
      throws IOException {
    if (broken) {
      throw new IOException("the journal " + file + " failed earlier; restart the silo");
    }
    String line = writer.append(type, body, time);
    long before = channel.size();
    try {
      write(channel, line, before);
    } catch (IOException e) {
      broken = true;
      try {
        channel.truncate(before);
      } catch (IOException ignored) {
        e.addSuppressed(ignored);
      }
      throw e;
    }
    lines.add(line);
    return line;
  }

  /** The journal's records, oldest first. */
  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** The journal file. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  private static void write(FileChannel channel, String line, long position) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    long at = position;
    while (bytes.hasRemaining()) {
      at += channel.write(bytes, at);
    }
    channel.force(true);
  }
}
