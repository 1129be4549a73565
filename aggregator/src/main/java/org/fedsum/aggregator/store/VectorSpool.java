package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.codec.VectorFrame;

/**
 * The spool of masked vectors in the data directory's {@value #DIRECTORY_NAME} directory: one file
 * {@code round-<n>/<siloId>.vec} per received vector (DESIGN.md §9).
 *
 * <p>A masked vector arrives as a stream of bytes, a {@link VectorFrame} header and then the words.
 * It must not count towards the round's sum until all of it arrived and its SHA-256 matches, yet
 * the aggregator cannot hold n vectors in memory. So {@link SpoolWriter} writes the body to a file
 * while hashing it, holding one chunk at a time; only a vector that {@link SpoolWriter#finish()
 * finished} as a {@link SpooledVector} is added into the running sum, in chunks and, by coordinate
 * range, in parallel.
 *
 * <p>Spooled files are not fsync'd: they do not survive a crash on purpose. Recovery deletes every
 * round's spool ({@link #deleteAll()}): an interrupted round's masked vectors are sent again by the
 * silos, or the round aborts; a vector is never counted from a file that outlived the process that
 * verified it. Delete a round's spool when the round closes ({@link #deleteRound}).
 */
public final class VectorSpool {
  /** The spool's directory name in the data directory. */
  public static final String DIRECTORY_NAME = "spool";

  private static final String ROUND_PREFIX = "round-";

  private final Path directory;

  /**
   * The latest upload of each spool file. A silo whose upload stalled mid-vector (a connection that
   * stopped carrying bytes without closing) retries on a new connection; the newer upload replaces
   * the stalled one instead of being refused as a duplicate of a vector that never arrives.
   */
  private final Map<Path, SpoolWriter> receiving = new ConcurrentHashMap<>();

  private VectorSpool(Path directory) {
    this.directory = directory;
  }

  /** Opens (creating it, owner-only, if missing) the spool directory {@code directory}. */
  public static VectorSpool open(Path directory) throws IOException {
    Objects.requireNonNull(directory, "directory");
    FileDurability.createPrivateDirectory(directory);
    return new VectorSpool(directory);
  }

  /** The spool directory. */
  public Path directory() {
    return directory;
  }

  /** The directory of round {@code round}'s spooled vectors. */
  public Path roundDirectory(long round) {
    if (round < 0) {
      throw new IllegalArgumentException("round must not be negative, not " + round);
    }
    return directory.resolve(ROUND_PREFIX + round);
  }

  /**
   * Starts receiving {@code siloId}'s masked vector for {@code round}. Nothing touches the disk
   * until the frame's header has arrived and matches {@code round}, {@code bits} and {@code length}
   * (see {@link SpoolWriter}). An earlier upload of the same silo and round that is still being
   * received is abandoned (its partial file deleted): the silo gave up on it and retries.
   *
   * @param bits the round's word width, 1..32
   * @param length the round's vector length, at least 1
   * @throws IllegalArgumentException if the silo id is not a valid site id (it names a file), or a
   *     parameter is out of range
   */
  public SpoolWriter receive(long round, String siloId, int bits, int length) {
    if (bits < 1 || bits > 32) {
      throw new IllegalArgumentException("word width must be 1..32 bits, not " + bits);
    }
    if (length < 1) {
      throw new IllegalArgumentException("vector length must be at least 1, not " + length);
    }
    Path file = vectorFile(round, siloId);
    Path roundPath = file.getParent();
    SpoolWriter writer = new SpoolWriter(roundPath, file, round, siloId, bits, length);
    SpoolWriter earlier = receiving.put(file, writer);
    if (earlier != null) {
      earlier.supersede();
    }
    return writer;
  }

  /**
   * {@code siloId}'s latest upload for {@code round}, if it is still receiving (an interrupted one
   * the silo may resume) or finished; not one that was refused, closed or superseded.
   */
  public Optional<SpoolWriter> upload(long round, String siloId) {
    SpoolWriter writer = receiving.get(vectorFile(round, siloId));
    return writer != null && (writer.receiving() || writer.finished())
        ? Optional.of(writer)
        : Optional.empty();
  }

  /** Where {@code siloId}'s vector of {@code round} is spooled; the id is checked first. */
  private Path vectorFile(long round, String siloId) {
    Objects.requireNonNull(siloId, "siloId");
    if (!SiteIdentity.isValidSiteId(siloId)) {
      throw new IllegalArgumentException("not a valid silo id: " + siloId);
    }
    return roundDirectory(round).resolve(siloId + ".vec");
  }

  /**
   * Deletes round {@code round}'s spool, finished vectors and partial ones alike; uploads still
   * receiving (interrupted ones nobody resumed) are closed.
   *
   * @return true if there was one
   */
  public boolean deleteRound(long round) throws IOException {
    Path path = roundDirectory(round);
    closeReceiving(file -> file.startsWith(path));
    if (!Files.exists(path)) {
      return false;
    }
    FileDurability.deleteRecursively(path);
    return true;
  }

  /**
   * Deletes everything in the spool: what recovery does (see the class comment).
   *
   * @return the names of the deleted entries (normally {@code round-<n>} directories), sorted
   */
  public List<String> deleteAll() throws IOException {
    closeReceiving(file -> true);
    List<String> deleted = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
      for (Path entry : entries) {
        FileDurability.deleteRecursively(entry);
        deleted.add(entry.getFileName().toString());
      }
    }
    Collections.sort(deleted);
    return deleted;
  }

  /** Ends the uploads still receiving into the files {@code which} accepts (their round closed). */
  private void closeReceiving(Predicate<Path> which) {
    for (var iterator = receiving.entrySet().iterator(); iterator.hasNext(); ) {
      var entry = iterator.next();
      if (which.test(entry.getKey())) {
        iterator.remove();
        entry.getValue().roundClosed();
      }
    }
  }

  @Override
  public String toString() {
    return "VectorSpool[" + directory + "]";
  }
}
