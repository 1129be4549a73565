package org.fedsum.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * A vector of 32-bit words held in memory. It takes ownership of the array it wraps (no copy:
 * models have up to 10^8 coordinates); the creator must not modify the array afterwards.
 */
public final class WordVector implements MaskedVector {
  private static final int HASH_CHUNK_WORDS = 1 << 14;

  private final int[] words;
  private byte[] digest;

  private WordVector(int[] words) {
    this.words = words;
  }

  /** Wraps {@code words} without copying; see the class comment. */
  public static WordVector wrap(int[] words) {
    return new WordVector(Objects.requireNonNull(words, "words"));
  }

  /** The words themselves (not a copy: read only). */
  public int[] words() {
    return words;
  }

  @Override
  public int length() {
    return words.length;
  }

  @Override
  public synchronized byte[] sha256() {
    if (digest == null) {
      digest = sha256(words);
    }
    return digest.clone();
  }

  /** SHA-256 over {@code words} as little-endian 32-bit words. */
  public static byte[] sha256(int[] words) {
    MessageDigest sha256 = newSha256();
    ByteBuffer buffer =
        ByteBuffer.allocate(4 * Math.min(HASH_CHUNK_WORDS, Math.max(1, words.length)))
            .order(ByteOrder.LITTLE_ENDIAN);
    for (int start = 0; start < words.length; start += HASH_CHUNK_WORDS) {
      int end = Math.min(words.length, start + HASH_CHUNK_WORDS);
      buffer.clear();
      buffer.asIntBuffer().put(words, start, end - start);
      sha256.update(buffer.array(), 0, 4 * (end - start));
    }
    return sha256.digest();
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "WordVector[" + words.length + " words]";
  }
}
