package org.fedsum.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * A stream of fair random bits read from a {@link SecureRandom} in bulk.
 *
 * <p>Exact samplers consume a few bits per decision; asking {@code SecureRandom} for them one call
 * at a time would cost far more than the arithmetic. This buffer asks for bytes in chunks that
 * start small (so a single sample wastes little) and double up to {@value #MAX_CHUNK} bytes. Not
 * thread-safe: one instance per call of a sampler. The bits it held are noise that must stay
 * secret, so callers {@link #wipe()} it when done.
 */
final class RandomBits {
  static final int MAX_CHUNK = 4096;

  private final SecureRandom random;
  private byte[] buffer;
  private int filled;
  private int position;
  private long word;
  private int wordBits;

  /**
   * @param initialChunk bytes requested at the first refill (multiple of 8, at most {@value
   *     #MAX_CHUNK}); later refills double it
   */
  RandomBits(SecureRandom random, int initialChunk) {
    this.random = Objects.requireNonNull(random, "random");
    if (initialChunk < 8 || initialChunk > MAX_CHUNK || initialChunk % 8 != 0) {
      throw new IllegalArgumentException(
          "initial chunk must be a multiple of 8 between 8 and "
              + MAX_CHUNK
              + ", not "
              + initialChunk);
    }
    this.buffer = new byte[initialChunk];
  }

  /** One fair bit. */
  boolean nextBit() {
    if (wordBits == 0) {
      loadWord();
    }
    wordBits--;
    return ((word >>> wordBits) & 1L) != 0;
  }

  /** {@code count} fair bits as a non-negative number, 0 <= count <= 63. */
  long nextBits(int count) {
    if (count <= wordBits) {
      wordBits -= count;
      return (word >>> wordBits) & ((1L << count) - 1);
    }
    // Take what is left of this word, then the high bits of the next one.
    int fromOld = wordBits;
    long high = fromOld == 0 ? 0 : word & ((1L << fromOld) - 1);
    loadWord();
    int fromNew = count - fromOld;
    wordBits = 64 - fromNew;
    return (high << fromNew) | (word >>> wordBits);
  }

  /**
   * A uniform integer in {@code [0, bound)} for {@code 1 <= bound <= 2^62}, by rejection: draws as
   * many bits as {@code bound - 1} has and retries when the draw is too large (fewer than 2 tries
   * on average).
   */
  long uniform(long bound) {
    if (bound == 1) {
      return 0;
    }
    int bits = 64 - Long.numberOfLeadingZeros(bound - 1);
    while (true) {
      long candidate = nextBits(bits);
      if (candidate < bound) {
        return candidate;
      }
    }
  }

  /** Overwrites the buffered random bytes; this instance must not be used afterwards. */
  void wipe() {
    Arrays.fill(buffer, (byte) 0);
    word = 0;
    wordBits = 0;
    filled = 0;
    position = 0;
  }

  private void loadWord() {
    if (position + 8 > filled) {
      refill();
    }
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = (value << 8) | (buffer[position + i] & 0xFFL);
    }
    position += 8;
    word = value;
    wordBits = 64;
  }

  private void refill() {
    if (filled > 0 && buffer.length < MAX_CHUNK) {
      // Grow once the first chunk is used up: a single sample needs little, a vector a lot.
      Arrays.fill(buffer, (byte) 0);
      buffer = new byte[Math.min(MAX_CHUNK, buffer.length * 2)];
    }
    random.nextBytes(buffer);
    filled = buffer.length;
    position = 0;
  }
}
