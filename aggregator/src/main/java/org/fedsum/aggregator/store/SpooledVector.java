package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A masked vector that arrived whole, with the length and SHA-256 its header declared, spooled in a
 * file: the only form in which a vector may count towards a round's sum (DESIGN.md §9).
 *
 * <p>{@link #addTo(int[], int, int)} streams a coordinate range of the file into a running sum in
 * chunks of {@value #CHUNK_WORDS} words, so memory stays one chunk per call; calls over disjoint
 * ranges may run on several threads at once, on this vector and on others, each adding into its own
 * range of the sum. The file is trusted local storage (owner-only, in an owner-only directory) and
 * is not hashed again.
 */
public final class SpooledVector {
  /** Words read per chunk (256 KiB). */
  public static final int CHUNK_WORDS = 1 << 16;

  private final Path path;
  private final long round;
  private final String siloId;
  private final int length;
  private final byte[] sha256;

  SpooledVector(Path path, long round, String siloId, int length, byte[] sha256) {
    this.path = path;
    this.round = round;
    this.siloId = siloId;
    this.length = length;
    this.sha256 = sha256.clone();
  }

  /** The round the vector was sent for. */
  public long round() {
    return round;
  }

  /** The silo that sent it. */
  public String siloId() {
    return siloId;
  }

  /** Its number of words. */
  public int length() {
    return length;
  }

  /** SHA-256 of its words as little-endian 32-bit integers (a copy). */
  public byte[] sha256() {
    return sha256.clone();
  }

  /** The spool file. */
  public Path path() {
    return path;
  }

  /**
   * Adds every word into {@code runningSum} modulo 2^32 (Java's wrapping int addition). For a round
   * with {@code b < 32} bits the sum modulo 2^b is the low {@code b} bits of the result.
   *
   * @throws IllegalArgumentException if the sum's length is not the vector's
   */
  public void addTo(int[] runningSum) throws IOException {
    addTo(runningSum, 0, length);
  }

  /**
   * Adds words {@code [offset, offset + count)} into the same coordinates of {@code runningSum}
   * modulo 2^32, reading only that range of the file.
   *
   * @param runningSum the round's whole running sum, of the vector's length
   * @throws IllegalArgumentException if the sum's length is not the vector's
   * @throws IndexOutOfBoundsException if the range is not within the vector
   * @throws IOException if the file cannot be read or is shorter than the vector
   */
  public void addTo(int[] runningSum, int offset, int count) throws IOException {
    Objects.requireNonNull(runningSum, "runningSum");
    if (runningSum.length != length) {
      throw new IllegalArgumentException(
          "the running sum has " + runningSum.length + " words, the vector " + length);
    }
    Objects.checkFromIndexSize(offset, count, length);
    if (count == 0) {
      return;
    }
    int chunkWords = Math.min(CHUNK_WORDS, count);
    ByteBuffer buffer = ByteBuffer.allocate(4 * chunkWords).order(ByteOrder.LITTLE_ENDIAN);
    int[] words = new int[chunkWords];
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      int end = offset + count;
      for (int start = offset; start < end; start += chunkWords) {
        int n = Math.min(chunkWords, end - start);
        buffer.clear().limit(4 * n);
        long position = 4L * start;
        while (buffer.hasRemaining()) {
          int read = channel.read(buffer, position);
          if (read < 0) {
            throw new IOException(
                "the spool file " + path + " ended at byte " + position + " of " + 4L * length);
          }
          position += read;
        }
        buffer.flip();
        buffer.asIntBuffer().get(words, 0, n);
        for (int i = 0; i < n; i++) {
          runningSum[start + i] += words[i];
        }
      }
    }
  }

  /** Deletes the spool file (the vector was summed, or its round closed). */
  public void delete() throws IOException {
    Files.deleteIfExists(path);
  }

  @Override
  public String toString() {
    return "SpooledVector[" + siloId + ", round " + round + ", " + length + " words]";
  }
}
