package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.fedsum.crypto.internal.AesCtrKeystream;
import org.fedsum.crypto.internal.AesCtrKeystream.Implementation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class MaskPrgTest {
  // 00 01 02 ... 1f, the seed of the literal known answers below.
  private static final SecretBytes COUNTING_SEED = SecretBytes.copyOf(countingBytes());
  // Words per 64 KiB slice that MaskPrg produces at a time; lengths around it cross slices.
  private static final int SLICE_WORDS = 16 * 1024;

  private static byte[] countingBytes() {
    byte[] bytes = new byte[32];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    return bytes;
  }

  private static SecretBytes seed(long value) {
    byte[] bytes = new byte[32];
    new SplittableRandom(value).nextBytes(bytes);
    return SecretBytes.copyOf(bytes);
  }

  private static int[] words(MaskPrg prg, long firstCoordinate, int length) {
    int[] out = new int[length];
    prg.fill(out, 0, length, firstCoordinate);
    return out;
  }

  // --- argument validation -----------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {1, 16, 31, 33, 64})
  void create_seedNot32Bytes_throwsNamingLength(int length) {
    SecretBytes seed = SecretBytes.copyOf(new byte[length]);
    assertThatThrownBy(() -> MaskPrg.create(seed, 32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("mask PRG seed must be 32 bytes, not " + length);
  }

  @ParameterizedTest
  @ValueSource(ints = {Integer.MIN_VALUE, -1, 0, 33, 48, 63, 65, 128})
  void create_bitsNotAllowed_throwsNamingValue(int bits) {
    assertThatThrownBy(() -> MaskPrg.create(COUNTING_SEED, bits))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("mask PRG word size must be 1..32 or 64 bits, not " + bits);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 17, 31, 32, 64})
  void create_allowedBits_reportsThem(int bits) {
    assertThat(MaskPrg.create(COUNTING_SEED, bits).bits()).isEqualTo(bits);
  }

  @Test
  void create_nullSeed_throwsNullPointer() {
    assertThatThrownBy(() -> MaskPrg.create(null, 32)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void implementation_isThePreferredOne() throws InterruptedException {
    // The default until the background measurement has ended, then possibly the JDK's CTR.
    assertThat(MaskPrg.create(COUNTING_SEED, 32).implementation())
        .isIn(AesCtrKeystream.defaultImplementation().label(), Implementation.JDK_AES_CTR.label());
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (AesCtrKeystream.jdkCounterModeChoice().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(AesCtrKeystream.jdkCounterModeChoice()).as("the measurement ended").isPresent();
    assertThat(MaskPrg.create(COUNTING_SEED, 32).implementation())
        .isEqualTo(AesCtrKeystream.preferredImplementation().label());
    assertThat(
            MaskPrg.create(COUNTING_SEED, 32, Implementation.JDK_AES_ECB_COUNTER).implementation())
        .isEqualTo("jdk-aes-ecb-counter");
  }

  @Test
  void toString_showsNoSecret() {
    assertThat(MaskPrg.create(COUNTING_SEED, 32, Implementation.JDK_AES_ECB_COUNTER).toString())
        .isEqualTo("MaskPrg[32 bits, jdk-aes-ecb-counter]");
  }

  @Test
  void fill_negativeCoordinate_throws() {
    MaskPrg prg = MaskPrg.create(COUNTING_SEED, 32);
    assertThatThrownBy(() -> prg.fill(new int[4], 0, 4, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[-1, -1 + 4)");
  }

  @Test
  void allOperations_rangeBeyond2To60_throw() {
    MaskPrg prg32 = MaskPrg.create(COUNTING_SEED, 32);
    MaskPrg prg64 = MaskPrg.create(COUNTING_SEED, 64);
    long last = MaskPrg.MAX_COORDINATES - 4;
    List<Runnable> calls =
        List.of(
            () -> prg32.fill(new int[5], 0, 5, last),
            () -> prg32.addTo(new int[5], 0, 5, last),
            () -> prg32.subtractFrom(new int[5], 0, 5, last),
            () -> prg32.fill(new int[1], 0, 1, Long.MAX_VALUE),
            () -> prg64.fill(new long[5], 0, 5, last),
            () -> prg64.addTo(new long[5], 0, 5, last),
            () -> prg64.subtractFrom(new long[5], 0, 5, last),
            () -> prg64.fill(new long[1], 0, 1, MaskPrg.MAX_COORDINATES));
    for (Runnable call : calls) {
      assertThatThrownBy(call::run)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must lie in [0, 2^60)");
    }
  }

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void fill_rangeEndingExactlyAt2To60_isAllowedAndMatchesKnownAnswer(Implementation implementation)
      throws GeneralSecurityException {
    assumeAvailable(implementation);
    long first = MaskPrg.MAX_COORDINATES - 7;
    int[] words = words(MaskPrg.create(COUNTING_SEED, 32, implementation), first, 7);
    assertThat(words).containsExactly(Reference.words(countingBytes(), 32, first, 7));
    long[] longs = new long[7];
    MaskPrg.create(COUNTING_SEED, 64, implementation).fill(longs, 0, 7, first);
    assertThat(longs).containsExactly(Reference.longWords(countingBytes(), first, 7));
  }

  @Test
  void fill_rangeOutsideArray_throwsIndexOutOfBounds() {
    MaskPrg prg = MaskPrg.create(COUNTING_SEED, 32);
    assertThatThrownBy(() -> prg.fill(new int[4], 1, 4, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> prg.addTo(new int[4], -1, 2, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> prg.subtractFrom(new int[4], 0, -1, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
    MaskPrg prg64 = MaskPrg.create(COUNTING_SEED, 64);
    assertThatThrownBy(() -> prg64.fill(new long[4], 3, 2, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void fill_nullArray_throwsNullPointer() {
    MaskPrg prg = MaskPrg.create(COUNTING_SEED, 32);
    assertThatThrownBy(() -> prg.fill((int[]) null, 0, 0, 0))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void intMethods_on64BitPrg_throwIllegalState() {
    MaskPrg prg = MaskPrg.create(COUNTING_SEED, 64);
    int[] vector = new int[4];
    List<Runnable> calls =
        List.of(
            () -> prg.fill(vector, 0, 4, 0),
            () -> prg.addTo(vector, 0, 4, 0),
            () -> prg.subtractFrom(vector, 0, 4, 0));
    for (Runnable call : calls) {
      assertThatThrownBy(call::run)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("64-bit words");
    }
  }

  @Test
  void longMethods_on32BitPrg_throwIllegalState() {
    MaskPrg prg = MaskPrg.create(COUNTING_SEED, 20);
    long[] vector = new long[4];
    List<Runnable> calls =
        List.of(
            () -> prg.fill(vector, 0, 4, 0),
            () -> prg.addTo(vector, 0, 4, 0),
            () -> prg.subtractFrom(vector, 0, 4, 0));
    for (Runnable call : calls) {
      assertThatThrownBy(call::run)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("20-bit words");
    }
  }

  @Test
  void fill_zeroLength_writesNothing() {
    int[] out = {7, 7};
    MaskPrg.create(COUNTING_SEED, 32).fill(out, 1, 0, 123);
    assertThat(out).containsExactly(7, 7);
  }

  // --- known answers ------------------------------------------------------------------------

  /** Words computed outside Java: Python's hmac for HKDF, `openssl enc -aes-256-ecb` for AES. */
  @ParameterizedTest
  @EnumSource(Implementation.class)
  void fill_countingSeed_matchesLiteralKnownAnswer(Implementation implementation) {
    assumeAvailable(implementation);
    MaskPrg prg32 = MaskPrg.create(COUNTING_SEED, 32, implementation);
    assertThat(words(prg32, 0, 8))
        .containsExactly(
            0xa9f12f91,
            0x8ecbe74b,
            0x5d43e65b,
            0x3a11af8b,
            0xafba55c6,
            0x271a7038,
            0xf5bdd837,
            0xaf3ec6cf);
    // Counter blocks 2^32 - 1 and 2^32: the carry out of the low 32 counter bits.
    assertThat(words(prg32, 4 * ((1L << 32) - 1), 8))
        .containsExactly(
            0xdb09c3b3,
            0x5e520e74,
            0xc9dbff0f,
            0x1fca6857,
            0xad438c69,
            0xfde04db1,
            0xc4c66190,
            0x68bd4459);
    assertThat(words(MaskPrg.create(COUNTING_SEED, 8, implementation), 0, 4))
        .containsExactly(0x91, 0x4b, 0x5b, 0x8b);
    long[] longs = new long[2];
    MaskPrg.create(COUNTING_SEED, 64, implementation).fill(longs, 0, 2, 0);
    assertThat(longs).containsExactly(0x8ecbe74ba9f12f91L, 0x3a11af8b5d43e65bL);
  }

  /** The construction of the class Javadoc, recomputed here from javax.crypto directly. */
  @ParameterizedTest
  @EnumSource(Implementation.class)
  void fill_randomSeeds_matchReferenceConstruction(Implementation implementation)
      throws GeneralSecurityException {
    assumeAvailable(implementation);
    SplittableRandom random = new SplittableRandom(11);
    List<String> failures = new ArrayList<>();
    int checked = 0;
    long[] starts = {0, 1, 3, 5, 4L * ((1L << 32) - 2) + 1, (1L << 40) + 2, (1L << 59) + 3};
    int[] bitsCases = {1, 7, 16, 31, 32};
    for (int seedIndex = 0; seedIndex < 4; seedIndex++) {
      byte[] seed = new byte[32];
      random.nextBytes(seed);
      for (int bits : bitsCases) {
        MaskPrg prg = MaskPrg.create(SecretBytes.copyOf(seed), bits, implementation);
        for (long start : starts) {
          int length = 1 + random.nextInt(3 * SLICE_WORDS);
          int[] expected = Reference.words(seed, bits, start, length);
          if (!Arrays.equals(words(prg, start, length), expected)) {
            failures.add("seed " + seedIndex + ", b=" + bits + ", start " + start);
          }
          checked++;
        }
      }
      MaskPrg prg64 = MaskPrg.create(SecretBytes.copyOf(seed), 64, implementation);
      for (long start : starts) {
        int length = 1 + random.nextInt(2 * SLICE_WORDS);
        long[] actual = new long[length];
        prg64.fill(actual, 0, length, start);
        if (!Arrays.equals(actual, Reference.longWords(seed, start, length))) {
          failures.add("seed " + seedIndex + ", b=64, start " + start);
        }
        checked++;
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(4 * (bitsCases.length + 1) * starts.length);
  }

  // --- stream properties --------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void fill_anySlice_equalsSliceOfStreamFromZero(Implementation implementation) {
    assumeAvailable(implementation);
    int total = 3 * SLICE_WORDS + 77;
    int[] full = words(MaskPrg.create(seed(1), 32, implementation), 0, total);
    MaskPrg prg = MaskPrg.create(seed(1), 32, implementation);
    SplittableRandom random = new SplittableRandom(2);
    for (int trial = 0; trial < 300; trial++) {
      int from = random.nextInt(total);
      int to = from + random.nextInt(Math.min(total - from, trial % 3 == 0 ? total : 40) + 1);
      int[] slice = new int[to - from + 2];
      prg.fill(slice, 1, to - from, from);
      assertThat(Arrays.copyOfRange(slice, 1, 1 + to - from))
          .as("[%d, %d)", from, to)
          .isEqualTo(Arrays.copyOfRange(full, from, to));
      assertThat(slice[0]).isZero();
      assertThat(slice[slice.length - 1]).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void fill64_anySlice_equalsSliceOfStreamFromZero(Implementation implementation) {
    assumeAvailable(implementation);
    int total = 2 * 8192 + 33;
    long[] full = new long[total];
    MaskPrg.create(seed(3), 64, implementation).fill(full, 0, total, 0);
    MaskPrg prg = MaskPrg.create(seed(3), 64, implementation);
    SplittableRandom random = new SplittableRandom(4);
    for (int trial = 0; trial < 200; trial++) {
      int from = random.nextInt(total);
      int to = from + random.nextInt(total - from + 1);
      long[] slice = new long[to - from];
      prg.fill(slice, 0, slice.length, from);
      assertThat(slice).as("[%d, %d)", from, to).isEqualTo(Arrays.copyOfRange(full, from, to));
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Implementation.class,
      names = {"CONSCRYPT_AES_CTR", "JDK_AES_CTR"})
  void counterModes_giveTheSameStreamAsJdkEcbOverCounterBlocks(Implementation implementation) {
    assumeAvailable(implementation);
    long[] starts = {
      0, 2, 4L * ((1L << 32) - 3) + 3, (1L << 47) + 1, MaskPrg.MAX_COORDINATES - 70_000
    };
    for (int bits : new int[] {3, 32}) {
      MaskPrg counterMode = MaskPrg.create(seed(5), bits, implementation);
      MaskPrg jdk = MaskPrg.create(seed(5), bits, Implementation.JDK_AES_ECB_COUNTER);
      for (long start : starts) {
        assertThat(words(counterMode, start, 70_000))
            .as("b=%d from %d", bits, start)
            .isEqualTo(words(jdk, start, 70_000));
      }
    }
    long[] counterMode64 = new long[50_000];
    long[] jdk64 = new long[50_000];
    MaskPrg.create(seed(5), 64, implementation).fill(counterMode64, 0, 50_000, 7);
    MaskPrg.create(seed(5), 64, Implementation.JDK_AES_ECB_COUNTER).fill(jdk64, 0, 50_000, 7);
    assertThat(counterMode64).isEqualTo(jdk64);
  }

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void fill_sameSeed_sameWordsAcrossInstancesAndCallOrders(Implementation implementation) {
    assumeAvailable(implementation);
    int[] first = words(MaskPrg.create(seed(6), 32, implementation), 100, 50_000);
    int[] second = words(MaskPrg.create(seed(6), 32, implementation), 100, 50_000);
    assertThat(second).isEqualTo(first);
    // Backwards, in uneven pieces, through one instance.
    MaskPrg prg = MaskPrg.create(seed(6), 32, implementation);
    int[] pieces = new int[50_000];
    for (int end = 50_000; end > 0; end -= 9_999) {
      int start = Math.max(0, end - 9_999);
      prg.fill(pieces, start, end - start, 100 + start);
    }
    assertThat(pieces).isEqualTo(first);
  }

  @Test
  void fill_differentSeeds_giveDifferentStreams() {
    int[] a = words(MaskPrg.create(seed(7), 32), 0, 1000);
    int[] b = words(MaskPrg.create(seed(8), 32), 0, 1000);
    int equal = 0;
    for (int i = 0; i < a.length; i++) {
      equal += a[i] == b[i] ? 1 : 0;
    }
    // Two independent uniform 32-bit streams agree on a word with probability 2^-32.
    assertThat(equal).isLessThanOrEqualTo(1);
  }

  @Test
  void fill_seedsDifferingInOneBit_giveUnrelatedStreams() {
    byte[] bytes = countingBytes();
    bytes[31] ^= 1;
    int[] a = words(MaskPrg.create(COUNTING_SEED, 32), 0, 256);
    int[] b = words(MaskPrg.create(SecretBytes.copyOf(bytes), 32), 0, 256);
    int differingBits = 0;
    for (int i = 0; i < a.length; i++) {
      differingBits += Integer.bitCount(a[i] ^ b[i]);
    }
    // 8192 bits, each differing with probability 1/2: mean 4096, standard deviation 45.
    assertThat(differingBits).isBetween(4096 - 400, 4096 + 400);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 13, 24, 31, 32})
  void fill_words_lieInZ2ToB_andUseEveryBit(int bits) {
    int[] words = words(MaskPrg.create(seed(9), bits), 3, 4096);
    int union = 0;
    for (int word : words) {
      assertThat(Integer.toUnsignedLong(word)).isLessThan(1L << bits);
      union |= word;
    }
    assertThat(union).isEqualTo(bits == 32 ? -1 : (1 << bits) - 1);
  }

  @ParameterizedTest
  @ValueSource(ints = {4, 17, 32})
  void fill_lowerBits_areTheLowBitsOf32BitWords(int bits) {
    int[] full = words(MaskPrg.create(seed(10), 32), 9, 1000);
    int[] narrow = words(MaskPrg.create(seed(10), bits), 9, 1000);
    int mask = bits == 32 ? -1 : (1 << bits) - 1;
    for (int i = 0; i < full.length; i++) {
      assertThat(narrow[i]).isEqualTo(full[i] & mask);
    }
  }

  @Test
  void fill64_words_arePairsOf32BitWords() {
    int[] ints = words(MaskPrg.create(seed(12), 32), 2 * 101L, 2000);
    long[] longs = new long[1000];
    MaskPrg.create(seed(12), 64).fill(longs, 0, 1000, 101);
    for (int i = 0; i < longs.length; i++) {
      long expected = Integer.toUnsignedLong(ints[2 * i]) | ((long) ints[2 * i + 1] << 32);
      assertThat(longs[i]).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 9, 32})
  void addTo_thenSubtractFrom_restoresVector(int bits) {
    MaskPrg prg = MaskPrg.create(seed(13), bits);
    SplittableRandom random = new SplittableRandom(14);
    int[] original = random.ints(40_000).toArray();
    int[] vector = original.clone();
    prg.addTo(vector, 5, 39_990, 1234);
    assertThat(vector).isNotEqualTo(original);
    assertThat(vector[0]).isEqualTo(original[0]);
    assertThat(vector[39_999]).isEqualTo(original[39_999]);
    prg.subtractFrom(vector, 5, 39_990, 1234);
    assertThat(vector).isEqualTo(original);
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 20, 32})
  void addTo_andSubtractFrom_addAndSubtractTheFilledWords(int bits) {
    MaskPrg prg = MaskPrg.create(seed(15), bits);
    int[] vector = new SplittableRandom(16).ints(30_000).toArray();
    int[] mask = words(prg, 77, 30_000);
    int[] added = vector.clone();
    prg.addTo(added, 0, added.length, 77);
    int[] subtracted = vector.clone();
    prg.subtractFrom(subtracted, 0, subtracted.length, 77);
    for (int i = 0; i < vector.length; i++) {
      assertThat(added[i]).isEqualTo(vector[i] + mask[i]);
      assertThat(subtracted[i]).isEqualTo(vector[i] - mask[i]);
    }
  }

  @Test
  void addTo64_andSubtractFrom64_addAndSubtractTheFilledWords() {
    MaskPrg prg = MaskPrg.create(seed(17), 64);
    long[] vector = new SplittableRandom(18).longs(20_000).toArray();
    long[] mask = new long[20_000];
    prg.fill(mask, 0, mask.length, 5);
    long[] added = vector.clone();
    prg.addTo(added, 0, added.length, 5);
    for (int i = 0; i < vector.length; i++) {
      assertThat(added[i]).isEqualTo(vector[i] + mask[i]);
    }
    prg.subtractFrom(added, 0, added.length, 5);
    assertThat(added).isEqualTo(vector);
  }

  /** A silo's y = x + m1 - m2 and the aggregator removing m1 and adding m2 back, mod 2^b. */
  @Test
  void masks_cancelModulo2ToB_whateverTheChunking() {
    int bits = 24;
    int mask = (1 << bits) - 1;
    int[] input = new SplittableRandom(19).ints(10_000, 0, 1 << bits).toArray();
    MaskPrg plus = MaskPrg.create(seed(20), bits);
    MaskPrg minus = MaskPrg.create(seed(21), bits);
    int[] masked = input.clone();
    plus.addTo(masked, 0, masked.length, 0);
    minus.subtractFrom(masked, 0, masked.length, 0);
    for (int start = 0; start < masked.length; start += 3333) {
      int length = Math.min(3333, masked.length - start);
      plus.subtractFrom(masked, start, length, start);
      minus.addTo(masked, start, length, start);
    }
    for (int i = 0; i < masked.length; i++) {
      assertThat(masked[i] & mask).isEqualTo(input[i]);
    }
  }

  private static void assumeAvailable(Implementation implementation) {
    assumeTrue(
        implementation != Implementation.CONSCRYPT_AES_CTR || AesCtrKeystream.conscryptAvailable(),
        "Conscrypt's native library did not load");
  }

  /**
   * The construction written out with javax.crypto only: HKDF-SHA256 (RFC 5869) by hand with
   * HmacSHA256, then AES-256/ECB over explicit 128-bit big-endian counter blocks.
   */
  static final class Reference {
    private Reference() {}

    static byte[] aesKey(byte[] seed) throws GeneralSecurityException {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
      byte[] pseudorandomKey = mac.doFinal(seed);
      mac.init(new SecretKeySpec(pseudorandomKey, "HmacSHA256"));
      mac.update("fedsum/mask-prg/v1/aes256-ctr".getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) 1);
      return mac.doFinal();
    }

    /** Keystream bytes of counter blocks [firstBlock, firstBlock + blocks). */
    static byte[] keystream(byte[] seed, long firstBlock, int blocks)
        throws GeneralSecurityException {
      ByteBuffer counters = ByteBuffer.allocate(16 * blocks).order(ByteOrder.BIG_ENDIAN);
      for (int i = 0; i < blocks; i++) {
        counters.putLong(0L).putLong(firstBlock + i);
      }
      Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
      aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aesKey(seed), "AES"));
      return aes.doFinal(counters.array());
    }

    static int[] words(byte[] seed, int bits, long firstCoordinate, int length)
        throws GeneralSecurityException {
      long firstBlock = firstCoordinate / 4;
      int skip = (int) (firstCoordinate % 4);
      int blocks = (skip + length + 3) / 4;
      ByteBuffer bytes =
          ByteBuffer.wrap(keystream(seed, firstBlock, blocks)).order(ByteOrder.LITTLE_ENDIAN);
      int[] words = new int[length];
      for (int k = 0; k < length; k++) {
        long word = Integer.toUnsignedLong(bytes.getInt(4 * (skip + k)));
        words[k] = (int) (word % (1L << bits));
      }
      return words;
    }

    static long[] longWords(byte[] seed, long firstCoordinate, int length)
        throws GeneralSecurityException {
      long firstBlock = firstCoordinate / 2;
      int skip = (int) (firstCoordinate % 2);
      int blocks = (skip + length + 1) / 2;
      ByteBuffer bytes =
          ByteBuffer.wrap(keystream(seed, firstBlock, blocks)).order(ByteOrder.LITTLE_ENDIAN);
      long[] words = new long[length];
      for (int k = 0; k < length; k++) {
        words[k] = bytes.getLong(8 * (skip + k));
      }
      return words;
    }
  }
}
