package org.fedsum.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.fedsum.crypto.internal.AesCtrKeystream;
import org.fedsum.crypto.internal.MaskKeyDerivation;

/**
 * The seekable mask PRG of secure aggregation (the {@code PRG} of Bonawitz et al., CCS 2017, Round
 * 2 MaskedInputCollection; FedSum DESIGN.md §3): a stream of words uniform on {@code Z_{2^b}}, one
 * per vector coordinate, from which any range of coordinates can be produced without producing the
 * coordinates before it.
 *
 * <p>Construction (v1). The AES-256 key is HKDF-SHA256 (RFC 5869) of the 32-byte seed with no salt
 * and info {@code "fedsum/mask-prg/v1/aes256-ctr"}. The keystream is AES-256-CTR (NIST SP 800-38A
 * §6.5) with a 128-bit big-endian counter block starting at 0: counter block {@code i} gives
 * keystream bytes {@code [16i, 16i + 16)}. For {@code b <= 32} coordinate {@code j} is the low
 * {@code b} bits of the little-endian 32-bit word at byte {@code 4j}; for {@code b = 64} it is the
 * little-endian 64-bit word at byte {@code 8j}. Because {@code 2^b} divides {@code 2^32}, the low
 * {@code b} bits of a uniform 32-bit word are exactly uniform on {@code Z_{2^b}}: no rejection, no
 * bias. Each instance has its own key and the counter is the position in the stream, so no (key,
 * counter) pair ever serves two positions.
 *
 * <p>Coordinates run from 0 to {@code 2^60}; a request that reaches beyond is refused.
 *
 * <p>Not thread-safe: an instance keeps a keyed cipher and scratch buffers. Create one per thread
 * or per chunk of work; creation takes microseconds. The same seed always gives the same words,
 * whichever instance, thread or order of calls produces them.
 */
public final class MaskPrg {
  /**
   * The seed size: a 256-bit secret derived by the caller for one pair of silos and one purpose.
   */
  public static final int SEED_BYTES = 32;

  /** Coordinates are indices in {@code [0, 2^60)}. */
  public static final long MAX_COORDINATES = 1L << 60;

  // Keystream is produced in slices of this size: large enough to amortise a JNI call and a cipher
  // call, small enough that the bytes are still in the L2 cache when they are converted to words.
  private static final int CHUNK_BYTES = 64 * 1024;

  private static final VarHandle INT_LITTLE_ENDIAN =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LITTLE_ENDIAN =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private enum Operation {
    FILL,
    ADD,
    SUBTRACT
  }

  private final int bits;
  // The low b bits; -1 (all 32 bits) when b = 32 and unused when b = 64.
  private final int wordMask;
  private final AesCtrKeystream keystream;
  // Grown on demand up to CHUNK_BYTES, so that a short-lived instance for a few words stays small.
  private byte[] keystreamBytes = new byte[0];

  private MaskPrg(int bits, AesCtrKeystream keystream) {
    this.bits = bits;
    this.wordMask = bits >= 32 ? -1 : (1 << bits) - 1;
    this.keystream = keystream;
  }

  /**
   * A mask PRG for words of {@code bits} bits from {@code seed}.
   *
   * @param seed 32 secret bytes, already specific to one pair of silos (or one self-mask) and one
   *     round: the caller derives it with HKDF from the agreed secret and the session id
   * @param bits the word size {@code b}: 1 to 32, or 64
   * @throws IllegalArgumentException if the seed is not 32 bytes or {@code bits} is not allowed
   */
  public static MaskPrg create(SecretBytes seed, int bits) {
    return create(seed, bits, AesCtrKeystream.preferredImplementation());
  }

  /** As {@link #create(SecretBytes, int)} with a chosen keystream implementation; for tests. */
  static MaskPrg create(SecretBytes seed, int bits, AesCtrKeystream.Implementation implementation) {
    Objects.requireNonNull(seed, "seed");
    Objects.requireNonNull(implementation, "implementation");
    if (seed.length() != SEED_BYTES) {
      throw new IllegalArgumentException(
          "mask PRG seed must be " + SEED_BYTES + " bytes, not " + seed.length());
    }
    if (!((bits >= 1 && bits <= 32) || bits == 64)) {
      throw new IllegalArgumentException(
          "mask PRG word size must be 1..32 or 64 bits, not " + bits);
    }
    byte[] seedBytes = seed.copySecretBytes(SecretAccess.GRANTED);
    byte[] aes256Key = MaskKeyDerivation.aes256Key(seedBytes);
    try {
      return new MaskPrg(bits, AesCtrKeystream.create(aes256Key, implementation));
    } finally {
      Arrays.fill(seedBytes, (byte) 0);
      Arrays.fill(aes256Key, (byte) 0);
    }
  }

  /** The word size {@code b}: every word is in {@code [0, 2^b)}. */
  public int bits() {
    return bits;
  }

  /**
   * Which keystream code this instance uses, e.g. {@code conscrypt-aes-ctr} or {@code
   * jdk-aes-ecb-counter}. For benchmarks and reports; every implementation gives the same words.
   */
  public String implementation() {
    return keystream.implementation().label();
  }

  /**
   * Writes the words of coordinates {@code [firstCoordinate, firstCoordinate + length)} to {@code
   * out[offset, offset + length)}; each is in {@code [0, 2^b)}.
   *
   * @throws IllegalStateException if this PRG has 64-bit words
   * @throws IndexOutOfBoundsException if the range does not fit in {@code out}
   * @throws IllegalArgumentException if {@code firstCoordinate} is negative or the range reaches
   *     beyond {@code 2^60}
   */
  public void fill(int[] out, int offset, int length, long firstCoordinate) {
    process(out, offset, length, firstCoordinate, Operation.FILL);
  }

  /**
   * Adds the words of coordinates {@code [firstCoordinate, firstCoordinate + length)} to {@code
   * vector[offset, offset + length)}, wrapping modulo {@code 2^32}. Since {@code 2^b} divides
   * {@code 2^32}, the caller may reduce modulo {@code 2^b} once at the end.
   *
   * @throws IllegalStateException if this PRG has 64-bit words
   * @throws IndexOutOfBoundsException if the range does not fit in {@code vector}
   * @throws IllegalArgumentException if {@code firstCoordinate} is negative or the range reaches
   *     beyond {@code 2^60}
   */
  public void addTo(int[] vector, int offset, int length, long firstCoordinate) {
    process(vector, offset, length, firstCoordinate, Operation.ADD);
  }

  /**
   * Subtracts the words of coordinates {@code [firstCoordinate, firstCoordinate + length)} from
   * {@code vector[offset, offset + length)}, wrapping modulo {@code 2^32}: the inverse of {@link
   * #addTo(int[], int, int, long)}.
   *
   * @throws IllegalStateException if this PRG has 64-bit words
   * @throws IndexOutOfBoundsException if the range does not fit in {@code vector}
   * @throws IllegalArgumentException if {@code firstCoordinate} is negative or the range reaches
   *     beyond {@code 2^60}
   */
  public void subtractFrom(int[] vector, int offset, int length, long firstCoordinate) {
    process(vector, offset, length, firstCoordinate, Operation.SUBTRACT);
  }

  /**
   * Writes the 64-bit words of coordinates {@code [firstCoordinate, firstCoordinate + length)} to
   * {@code out[offset, offset + length)}.
   *
   * @throws IllegalStateException unless this PRG has 64-bit words
   * @throws IndexOutOfBoundsException if the range does not fit in {@code out}
   * @throws IllegalArgumentException if {@code firstCoordinate} is negative or the range reaches
   *     beyond {@code 2^60}
   */
  public void fill(long[] out, int offset, int length, long firstCoordinate) {
    process(out, offset, length, firstCoordinate, Operation.FILL);
  }

  /**
   * Adds the 64-bit words of coordinates {@code [firstCoordinate, firstCoordinate + length)} to
   * {@code vector[offset, offset + length)}, wrapping modulo {@code 2^64}.
   *
   * @throws IllegalStateException unless this PRG has 64-bit words
   * @throws IndexOutOfBoundsException if the range does not fit in {@code vector}
   * @throws IllegalArgumentException if {@code firstCoordinate} is negative or the range reaches
   *     beyond {@code 2^60}
   */
  public void addTo(long[] vector, int offset, int length, long firstCoordinate) {
    process(vector, offset, length, firstCoordinate, Operation.ADD);
  }

  /**
   * Subtracts the 64-bit words of coordinates {@code [firstCoordinate, firstCoordinate + length)}
   * from {@code vector[offset, offset + length)}, wrapping modulo {@code 2^64}: the inverse of
   * {@link #addTo(long[], int, int, long)}.
   *
   * @throws IllegalStateException unless this PRG has 64-bit words
   * @throws IndexOutOfBoundsException if the range does not fit in {@code vector}
   * @throws IllegalArgumentException if {@code firstCoordinate} is negative or the range reaches
   *     beyond {@code 2^60}
   */
  public void subtractFrom(long[] vector, int offset, int length, long firstCoordinate) {
    process(vector, offset, length, firstCoordinate, Operation.SUBTRACT);
  }

  @Override
  public String toString() {
    return "MaskPrg[" + bits + " bits, " + implementation() + "]";
  }

  private void process(
      int[] vector, int offset, int length, long firstCoordinate, Operation operation) {
    Objects.requireNonNull(vector, "vector");
    if (bits == 64) {
      throw new IllegalStateException("this mask PRG has 64-bit words: use the long[] methods");
    }
    checkRange(vector.length, offset, length, firstCoordinate);
    final int wordsPerBlock = AesCtrKeystream.BLOCK_BYTES / Integer.BYTES;
    long position = firstCoordinate;
    int done = 0;
    int skipped = (int) (position % wordsPerBlock);
    if (skipped != 0 && length > 0) {
      // A request that starts inside a counter block: take the tail of that block here, so that
      // every slice below starts on a block boundary and its loop reads from byte 0.
      byte[] bytes = keystream(position / wordsPerBlock, 1);
      done = Math.min(length, wordsPerBlock - skipped);
      for (int k = 0; k < done; k++) {
        int word = (int) INT_LITTLE_ENDIAN.get(bytes, Integer.BYTES * (skipped + k)) & wordMask;
        vector[offset + k] = combine(operation, vector[offset + k], word);
      }
      position += done;
    }
    while (done < length) {
      int words = Math.min(length - done, CHUNK_BYTES / Integer.BYTES);
      byte[] bytes =
          keystream(position / wordsPerBlock, (words + wordsPerBlock - 1) / wordsPerBlock);
      int to = offset + done;
      switch (operation) {
        case FILL:
          fillInts(bytes, vector, to, words, wordMask);
          break;
        case ADD:
          addInts(bytes, vector, to, words, wordMask);
          break;
        case SUBTRACT:
          subtractInts(bytes, vector, to, words, wordMask);
          break;
      }
      done += words;
      position += words;
    }
  }

  private void process(
      long[] vector, int offset, int length, long firstCoordinate, Operation operation) {
    Objects.requireNonNull(vector, "vector");
    if (bits != 64) {
      throw new IllegalStateException(
          "this mask PRG has " + bits + "-bit words: use the int[] methods");
    }
    checkRange(vector.length, offset, length, firstCoordinate);
    final int wordsPerBlock = AesCtrKeystream.BLOCK_BYTES / Long.BYTES;
    long position = firstCoordinate;
    int done = 0;
    if (position % wordsPerBlock != 0 && length > 0) {
      // Starts at the second word of a counter block; as above.
      byte[] bytes = keystream(position / wordsPerBlock, 1);
      long word = (long) LONG_LITTLE_ENDIAN.get(bytes, Long.BYTES);
      vector[offset] = combine(operation, vector[offset], word);
      done = 1;
      position += 1;
    }
    while (done < length) {
      int words = Math.min(length - done, CHUNK_BYTES / Long.BYTES);
      byte[] bytes =
          keystream(position / wordsPerBlock, (words + wordsPerBlock - 1) / wordsPerBlock);
      int to = offset + done;
      switch (operation) {
        case FILL:
          fillLongs(bytes, vector, to, words);
          break;
        case ADD:
          addLongs(bytes, vector, to, words);
          break;
        case SUBTRACT:
          subtractLongs(bytes, vector, to, words);
          break;
      }
      done += words;
      position += words;
    }
  }

  private static int combine(Operation operation, int current, int word) {
    switch (operation) {
      case FILL:
        return word;
      case ADD:
        return current + word;
      case SUBTRACT:
        return current - word;
    }
    throw new AssertionError(operation);
  }

  private static long combine(Operation operation, long current, long word) {
    switch (operation) {
      case FILL:
        return word;
      case ADD:
        return current + word;
      case SUBTRACT:
        return current - word;
    }
    throw new AssertionError(operation);
  }

  private static void checkRange(int arrayLength, int offset, int length, long firstCoordinate) {
    Objects.checkFromIndexSize(offset, length, arrayLength);
    if (firstCoordinate < 0 || firstCoordinate > MAX_COORDINATES - length) {
      throw new IllegalArgumentException(
          "mask PRG coordinates must lie in [0, 2^60), not ["
              + firstCoordinate
              + ", "
              + firstCoordinate
              + " + "
              + length
              + ")");
    }
  }

  private byte[] keystream(long firstBlock, int blocks) {
    int needed = blocks * AesCtrKeystream.BLOCK_BYTES;
    if (keystreamBytes.length < needed) {
      keystreamBytes = new byte[Math.max(needed, Math.min(CHUNK_BYTES, 2 * keystreamBytes.length))];
    }
    keystream.generate(firstBlock, keystreamBytes, blocks);
    return keystreamBytes;
  }

  // The loops below are kept trivial, and read the keystream from byte 0, so that C2 vectorises
  // them: little-endian VarHandle reads of a byte[] compile to plain vector loads on x86 and
  // aarch64.

  private static void fillInts(byte[] bytes, int[] out, int to, int words, int mask) {
    for (int k = 0; k < words; k++) {
      out[to + k] = (int) INT_LITTLE_ENDIAN.get(bytes, Integer.BYTES * k) & mask;
    }
  }

  private static void addInts(byte[] bytes, int[] vector, int to, int words, int mask) {
    for (int k = 0; k < words; k++) {
      vector[to + k] += (int) INT_LITTLE_ENDIAN.get(bytes, Integer.BYTES * k) & mask;
    }
  }

  private static void subtractInts(byte[] bytes, int[] vector, int to, int words, int mask) {
    for (int k = 0; k < words; k++) {
      vector[to + k] -= (int) INT_LITTLE_ENDIAN.get(bytes, Integer.BYTES * k) & mask;
    }
  }

  private static void fillLongs(byte[] bytes, long[] out, int to, int words) {
    for (int k = 0; k < words; k++) {
      out[to + k] = (long) LONG_LITTLE_ENDIAN.get(bytes, Long.BYTES * k);
    }
  }

  private static void addLongs(byte[] bytes, long[] vector, int to, int words) {
    for (int k = 0; k < words; k++) {
      vector[to + k] += (long) LONG_LITTLE_ENDIAN.get(bytes, Long.BYTES * k);
    }
  }

  private static void subtractLongs(byte[] bytes, long[] vector, int to, int words) {
    for (int k = 0; k < words; k++) {
      vector[to + k] -= (long) LONG_LITTLE_ENDIAN.get(bytes, Long.BYTES * k);
    }
  }
}
