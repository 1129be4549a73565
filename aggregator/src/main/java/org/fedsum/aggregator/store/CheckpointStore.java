package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Model checkpoints in the data directory's {@value #DIRECTORY_NAME} directory, one file {@code
 * round-<n>.bin} per round, each written atomically: a temporary file in the same directory is
 * written and fsync'd, renamed over the target with an atomic move, and the directory is fsync'd. A
 * crash leaves either the old file set or the new one, plus perhaps a temporary file, which is
 * never read ({@link #deleteTemporaryFiles()} removes it at recovery).
 *
 * <p><b>Format</b> (all integers little-endian):
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "FSCP"
 *      4     1  version (1)
 *      5     1  value type (1 = IEEE 754 binary32, little-endian)
 *      6     2  vector count k, 1..65535: the model, then k-1 optimizer-state vectors
 *      8     8  round
 *     16     4  dimension d, at least 1
 *     20    32  SHA-256 over bytes 0..19 and then the payload
 *     52  4·k·d payload: the k vectors one after the other, d values each
 * </pre>
 *
 * 32-bit floats because the models are trained in 32-bit floats (DJL): the checkpoint holds the
 * global model bit for bit, at half the size of doubles. The hash covers the header fields too, so
 * a flipped bit anywhere in the file is detected.
 *
 * <p><b>Latest</b>: there is no pointer file (it would need its own atomic update); the latest
 * checkpoint is the highest-numbered {@code round-<n>.bin} whose header and hash verify. A corrupt
 * or truncated newer file is skipped with a warning and never partly applied. Writing round {@code
 * r} makes it the latest: files of later rounds (left by an attempt the journal does not record)
 * are deleted, then all but the newest {@code keep} files.
 *
 * <p>Blocking I/O; methods are synchronized.
 */
public final class CheckpointStore {
  /** The checkpoints' directory name in the data directory. */
  public static final String DIRECTORY_NAME = "models";

  /** How many checkpoints are kept unless configured otherwise. */
  public static final int DEFAULT_KEEP = 5;

  static final int HEADER_BYTES = 52;
  static final int HASHED_HEADER_BYTES = 20;
  static final int HASH_OFFSET = 20;
  private static final byte[] MAGIC = {'F', 'S', 'C', 'P'};
  private static final byte VERSION = 1;
  private static final byte FLOAT32_LITTLE_ENDIAN = 1;
  private static final int CHUNK_VALUES = 1 << 14;
  private static final Pattern FILE_NAME = Pattern.compile("round-(0|[1-9][0-9]{0,18})\\.bin");
  private static final String TEMPORARY_PREFIX = ".round-";
  private static final String TEMPORARY_SUFFIX = ".tmp";
  private static final System.Logger LOG = System.getLogger(CheckpointStore.class.getName());

  private final Path directory;
  private final int keep;

  private CheckpointStore(Path directory, int keep) {
    this.directory = directory;
    this.keep = keep;
  }

  /**
   * The newest verified checkpoint, and what was skipped on the way.
   *
   * @param checkpoint the highest-numbered checkpoint that verifies, if any
   * @param warnings one message per newer file that was skipped as corrupt, newest first
   */
  public record Latest(Optional<Checkpoint> checkpoint, List<String> warnings) {
    /** Copies the warnings. */
    public Latest {
      Objects.requireNonNull(checkpoint, "checkpoint");
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * Opens (creating it, owner-only, if missing) the checkpoint directory {@code directory}.
   *
   * @param keep how many checkpoints to keep, at least 1
   */
  public static CheckpointStore open(Path directory, int keep) throws IOException {
    Objects.requireNonNull(directory, "directory");
    if (keep < 1) {
      throw new IllegalArgumentException("must keep at least 1 checkpoint, not " + keep);
    }
    FileDurability.createPrivateDirectory(directory);
    return new CheckpointStore(directory, keep);
  }

  /** The directory holding the checkpoints. */
  public Path directory() {
    return directory;
  }

  /** The path of round {@code round}'s checkpoint. */
  public Path pathOf(long round) {
    if (round < 0) {
      throw new IllegalArgumentException("round must not be negative, not " + round);
    }
    return directory.resolve("round-" + round + ".bin");
  }

  /**
   * Writes {@code checkpoint} atomically as {@code round-<n>.bin} (see the class comment), then
   * deletes later rounds' files and all but the newest {@code keep}. When this returns the
   * checkpoint is durable.
   *
   * @return the checkpoint's path
   */
  public synchronized Path write(Checkpoint checkpoint) throws IOException {
    Objects.requireNonNull(checkpoint, "checkpoint");
    Path target = pathOf(checkpoint.round());
    Path temporary =
        Files.createTempFile(
            directory,
            TEMPORARY_PREFIX + checkpoint.round() + ".bin.",
            TEMPORARY_SUFFIX,
            FileDurability.ownerOnlyFile(directory));
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        writeContent(channel, checkpoint);
        channel.force(true);
      }
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException deleting) {
        e.addSuppressed(deleting);
      }
      throw e;
    }
    FileDurability.syncDirectory(directory);
    prune(checkpoint.round());
    return target;
  }

  private static void writeContent(FileChannel channel, Checkpoint checkpoint) throws IOException {
    MessageDigest sha256 = newSha256();
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    header.put(MAGIC).put(VERSION).put(FLOAT32_LITTLE_ENDIAN);
    header.putShort((short) (1 + checkpoint.optimizerState().size()));
    header.putLong(checkpoint.round()).putInt(checkpoint.dimension());
    sha256.update(header.array(), 0, HASHED_HEADER_BYTES);
    // The hash is not known yet: zeros now, the real value once the payload is written.
    header.clear();
    writeFully(channel, header, 0);
    long position = HEADER_BYTES;
    ByteBuffer chunk = ByteBuffer.allocate(4 * CHUNK_VALUES).order(ByteOrder.LITTLE_ENDIAN);
    List<Float32Vector> vectors = new ArrayList<>();
    vectors.add(checkpoint.modelVector());
    checkpoint.optimizerState().forEach(state -> vectors.add(Float32Vector.wrap(state)));
    for (Float32Vector vector : vectors) {
      for (int start = 0; start < vector.dimension(); start += CHUNK_VALUES) {
        int count = Math.min(CHUNK_VALUES, vector.dimension() - start);
        chunk.clear();
        vector.putLittleEndian(start, count, chunk);
        chunk.flip();
        sha256.update(chunk.array(), 0, 4 * count);
        position += writeFully(channel, chunk, position);
      }
    }
    writeFully(channel, ByteBuffer.wrap(sha256.digest()), HASH_OFFSET);
  }

  /**
   * The highest-numbered checkpoint that verifies; newer files that do not verify are skipped, each
   * with a warning (returned and logged).
   *
   * @throws IOException if a file cannot be read at all (permissions, I/O error): falling back to
   *     an older model then would silently lose rounds
   */
  public synchronized Latest latest() throws IOException {
    List<String> warnings = new ArrayList<>();
    List<Long> rounds = rounds();
    for (int i = rounds.size() - 1; i >= 0; i--) {
      long round = rounds.get(i);
      try {
        return new Latest(Optional.of(load(round)), warnings);
      } catch (CorruptCheckpointException e) {
        String warning = e.getMessage() + "; ignored, falling back to an older checkpoint";
        LOG.log(System.Logger.Level.WARNING, warning);
        warnings.add(warning);
      } catch (NoSuchFileException e) {
        // Deleted since it was listed: not a checkpoint any more.
      }
    }
    return new Latest(Optional.empty(), warnings);
  }

  /**
   * Reads and verifies round {@code round}'s checkpoint.
   *
   * @throws NoSuchFileException if there is none
   * @throws CorruptCheckpointException if its header, size or hash is wrong
   */
  public synchronized Checkpoint load(long round) throws IOException {
    Path path = pathOf(round);
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      return read(path, channel, round);
    }
  }

  private static Checkpoint read(Path path, FileChannel channel, long expectedRound)
      throws IOException {
    long fileSize = channel.size();
    if (fileSize < HEADER_BYTES) {
      throw new CorruptCheckpointException(
          path, "has " + fileSize + " bytes, fewer than its " + HEADER_BYTES + "-byte header");
    }
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, header, 0);
    header.flip();
    byte[] magic = new byte[MAGIC.length];
    header.get(magic);
    if (!MessageDigest.isEqual(magic, MAGIC)) {
      throw new CorruptCheckpointException(path, "is not a FedSum checkpoint (bad magic)");
    }
    byte version = header.get();
    if (version != VERSION) {
      throw new CorruptCheckpointException(path, "has unsupported version " + version);
    }
    byte valueType = header.get();
    if (valueType != FLOAT32_LITTLE_ENDIAN) {
      throw new CorruptCheckpointException(path, "has unknown value type " + valueType);
    }
    int vectorCount = Short.toUnsignedInt(header.getShort());
    long round = header.getLong();
    int dimension = header.getInt();
    byte[] expectedHash = new byte[32];
    header.get(expectedHash);
    if (vectorCount < 1) {
      throw new CorruptCheckpointException(path, "holds no model (vector count 0)");
    }
    if (round != expectedRound) {
      throw new CorruptCheckpointException(path, "is for round " + round);
    }
    if (dimension < 1) {
      throw new CorruptCheckpointException(path, "has dimension " + dimension);
    }
    // Checked before allocating anything: a corrupt header must not ask for gigabytes.
    long expectedSize = HEADER_BYTES + 4L * vectorCount * dimension;
    if (fileSize != expectedSize) {
      throw new CorruptCheckpointException(
          path,
          "has "
              + fileSize
              + " bytes, its header ("
              + vectorCount
              + " vectors of "
              + dimension
              + ") promises "
              + expectedSize);
    }
    MessageDigest sha256 = newSha256();
    sha256.update(header.array(), 0, HASHED_HEADER_BYTES);
    ByteBuffer chunk = ByteBuffer.allocate(4 * CHUNK_VALUES).order(ByteOrder.LITTLE_ENDIAN);
    long position = HEADER_BYTES;
    float[] model = null;
    List<float[]> state = new ArrayList<>();
    for (int v = 0; v < vectorCount; v++) {
      float[] vector = new float[dimension];
      for (int start = 0; start < dimension; start += CHUNK_VALUES) {
        int count = Math.min(CHUNK_VALUES, dimension - start);
        chunk.clear().limit(4 * count);
        readFully(channel, chunk, position);
        position += 4L * count;
        sha256.update(chunk.array(), 0, 4 * count);
        chunk.flip();
        chunk.asFloatBuffer().get(vector, start, count);
      }
      if (v == 0) {
        model = vector;
      } else {
        state.add(vector);
      }
    }
    if (!MessageDigest.isEqual(sha256.digest(), expectedHash)) {
      throw new CorruptCheckpointException(path, "does not match its SHA-256");
    }
    return Checkpoint.of(round, model, state);
  }

  /** The rounds that have a checkpoint file, ascending; the files are not verified. */
  public synchronized List<Long> rounds() throws IOException {
    List<Long> rounds = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
      for (Path entry : entries) {
        Matcher matcher = FILE_NAME.matcher(entry.getFileName().toString());
        if (matcher.matches() && Files.isRegularFile(entry)) {
          try {
            rounds.add(Long.parseLong(matcher.group(1)));
          } catch (NumberFormatException e) {
            // Nineteen digits beyond Long.MAX_VALUE: no round of ours.
          }
        }
      }
    }
    Collections.sort(rounds);
    return rounds;
  }

  /**
   * Deletes temporary files that an interrupted {@link #write} left behind.
   *
   * @return their names
   */
  public synchronized List<String> deleteTemporaryFiles() throws IOException {
    List<String> deleted = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.startsWith(TEMPORARY_PREFIX) && name.endsWith(TEMPORARY_SUFFIX)) {
          Files.deleteIfExists(entry);
          deleted.add(name);
        }
      }
    }
    Collections.sort(deleted);
    return deleted;
  }

  private void prune(long written) throws IOException {
    List<Long> rounds = rounds();
    List<Long> older = new ArrayList<>();
    for (long round : rounds) {
      if (round > written) {
        Files.deleteIfExists(pathOf(round));
      } else {
        older.add(round);
      }
    }
    for (int i = 0; i < older.size() - keep; i++) {
      Files.deleteIfExists(pathOf(older.get(i)));
    }
  }

  @Override
  public String toString() {
    return "CheckpointStore[" + directory + ", keep " + keep + "]";
  }

  private static int writeFully(FileChannel channel, ByteBuffer bytes, long position)
      throws IOException {
    int written = 0;
    while (bytes.hasRemaining()) {
      written += channel.write(bytes, position + written);
    }
    return written;
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position)
      throws IOException {
    long at = position;
    while (into.hasRemaining()) {
      int read = channel.read(into, at);
      if (read < 0) {
        throw new IOException("file ended early at byte " + at);
      }
      at += read;
    }
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: every JDK has SHA-256", e);
    }
  }
}
