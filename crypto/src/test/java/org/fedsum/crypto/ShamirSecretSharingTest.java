package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShamirSecretSharingTest {
  private static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);

  @Test
  void combine_32ByteKey_threeOfFive_reconstructsFromEveryTriple() throws Exception {
    SecretBytes key = SecretBytes.random(32, seeded(1));
    List<ShamirShare> shares = ShamirSecretSharing.split(key, 3, 5, seeded(2));
    int triples = 0;
    for (int a = 0; a < 5; a++) {
      for (int b = a + 1; b < 5; b++) {
        for (int c = b + 1; c < 5; c++) {
          SecretBytes combined =
              ShamirSecretSharing.combine(List.of(shares.get(a), shares.get(b), shares.get(c)), 3);
          assertThat(combined.equalsConstantTime(key)).as("shares %s %s %s", a, b, c).isTrue();
          triples++;
        }
      }
    }
    assertThat(triples).isEqualTo(10);
  }

  @Test
  void combine_oneKibibyteSecret_reconstructs() throws Exception {
    SecretBytes secret = SecretBytes.random(1024, seeded(3));
    List<ShamirShare> shares = ShamirSecretSharing.split(secret, 5, 7, seeded(4));
    assertThat(ShamirSecretSharing.combine(shares.subList(2, 7), 5).equalsConstantTime(secret))
        .isTrue();
    assertThat(ShamirSecretSharing.combine(shares, 5).equalsConstantTime(secret)).isTrue();
  }

  @Test
  void combine_extremeBlockValues_reconstruct() throws Exception {
    for (int length : new int[] {1, 63, 64, 65, 128, 129}) {
      for (byte fill : new byte[] {0, (byte) 0xFF}) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, fill);
        SecretBytes secret = SecretBytes.copyOf(bytes);
        List<ShamirShare> shares = ShamirSecretSharing.split(secret, 2, 3, seeded(length));
        assertThat(ShamirSecretSharing.combine(shares.subList(1, 3), 2).equalsConstantTime(secret))
            .as("length %s fill %s", length, fill)
            .isTrue();
      }
    }
  }

  @Test
  void split_twoOfTwo_isLineOverGf2To521MinusOneWithBigEndianBlocks() throws Exception {
    // For t = 2: y1 = s + a, y2 = s + 2a, so s = 2·y1 - y2 mod p, block by block.
    byte[] bytes = new byte[100];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 37 + 11);
    }
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.copyOf(bytes), 2, 2, seeded(5));
    byte[] first = shares.get(0).encode(SecretAccess.GRANTED);
    byte[] second = shares.get(1).encode(SecretAccess.GRANTED);
    assertThat(Arrays.copyOf(first, 9)).isEqualTo(HexFormat.of().parseHex("010001000200000064"));
    assertThat(Arrays.copyOf(second, 9)).isEqualTo(HexFormat.of().parseHex("010002000200000064"));
    int[][] blocks = {{0, 64}, {64, 100}};
    for (int block = 0; block < 2; block++) {
      BigInteger y1 = fieldElement(first, block);
      BigInteger y2 = fieldElement(second, block);
      BigInteger expected =
          new BigInteger(1, Arrays.copyOfRange(bytes, blocks[block][0], blocks[block][1]));
      assertThat(y1.shiftLeft(1).subtract(y2).mod(PRIME)).as("block %s", block).isEqualTo(expected);
    }
  }

  @Test
  void split_invalidParameters_throwNamingValue() throws Exception {
    SecretBytes secret = SecretBytes.random(32, seeded(6));
    SecureRandom random = seeded(7);
    assertThatThrownBy(() -> ShamirSecretSharing.split(secret, 1, 3, random))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("threshold")
        .hasMessageContaining("not 1");
    assertThatThrownBy(() -> ShamirSecretSharing.split(secret, 4, 3, random))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shareCount must be at least the threshold 4, not 3");
    assertThatThrownBy(() -> ShamirSecretSharing.split(secret, 2, 65536, random))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shareCount must be at most 65535, not 65536");
    assertThatThrownBy(() -> ShamirSecretSharing.split(secret, 65536, 65536, random))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 65536");
    assertThatThrownBy(() -> ShamirSecretSharing.split(null, 2, 3, random))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ShamirSecretSharing.split(secret, 2, 3, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void combine_invalidThresholdArgument_throwsIllegalArgument() throws Exception {
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.random(8, seeded(8)), 2, 3, seeded(9));
    assertThatThrownBy(() -> ShamirSecretSharing.combine(shares, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 1");
    assertThatThrownBy(() -> ShamirSecretSharing.combine(shares, 65536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 65536");
  }

  @Test
  void combine_duplicatedX_refused() throws Exception {
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.random(32, seeded(10)), 3, 5, seeded(11));
    ShamirShare copy = ShamirShare.decode(shares.get(1).encode(SecretAccess.GRANTED));
    assertThatThrownBy(
            () -> ShamirSecretSharing.combine(List.of(shares.get(0), shares.get(1), copy), 3))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("same x-coordinate 2");
  }

  @Test
  void decode_xZero_refused() throws Exception {
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.random(32, seeded(12)), 2, 3, seeded(13));
    byte[] encoded = shares.get(0).encode(SecretAccess.GRANTED);
    encoded[1] = 0;
    encoded[2] = 0;
    assertThatThrownBy(() -> ShamirShare.decode(encoded))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("x-coordinate must not be 0");
  }

  @Test
  void combine_xZero_refused() throws Exception {
    // decode never yields x = 0; combine refuses it all the same.
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.random(32, seeded(14)), 2, 3, seeded(15));
    ShamirShare atZero = ShamirShare.of(0, 2, 32, new BigInteger[] {BigInteger.TEN});
    assertThatThrownBy(() -> ShamirSecretSharing.combine(List.of(atZero, shares.get(1)), 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("x-coordinate must not be 0");
  }

  @Test
  void combine_shareFromAnotherSplit_refusedWhenMoreThanThreshold() throws Exception {
    SecretBytes secret = SecretBytes.random(32, seeded(16));
    List<ShamirShare> shares = ShamirSecretSharing.split(secret, 3, 5, seeded(17));
    List<ShamirShare> other = ShamirSecretSharing.split(secret, 3, 5, seeded(18));
    // The foreign share sits at every position in turn: among the basis or among the extras.
    for (int replaced = 0; replaced < 5; replaced++) {
      List<ShamirShare> mixed = new ArrayList<>(shares);
      mixed.set(replaced, other.get(replaced));
      assertThatThrownBy(() -> ShamirSecretSharing.combine(mixed, 3))
          .as("foreign share at x=%s", replaced + 1)
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessageContaining("inconsistent");
    }
  }

  @Test
  void combine_alteredY_refusedWhenMoreThanThreshold() throws Exception {
    SecretBytes secret = SecretBytes.random(200, seeded(19));
    List<ShamirShare> shares = ShamirSecretSharing.split(secret, 4, 6, seeded(20));
    for (int altered = 0; altered < 6; altered++) {
      byte[] encoded = shares.get(altered).encode(SecretAccess.GRANTED);
      encoded[encoded.length - 1] ^= 1; // lowest bit of the last block's y
      List<ShamirShare> mixed = new ArrayList<>(shares);
      mixed.set(altered, ShamirShare.decode(encoded));
      // Five shares: one beyond the threshold, which must be checked.
      List<ShamirShare> fiveOfThem = mixed.subList(altered == 5 ? 1 : 0, altered == 5 ? 6 : 5);
      assertThatThrownBy(() -> ShamirSecretSharing.combine(fiveOfThem, 4))
          .as("altered share x=%s", altered + 1)
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessageContaining("inconsistent");
    }
  }

  @Test
  void combine_foreignShare_exactlyThreshold_refusedWhenOutOfRange() throws Exception {
    SecretBytes secret = SecretBytes.random(32, seeded(21));
    List<ShamirShare> shares = ShamirSecretSharing.split(secret, 2, 3, seeded(22));
    List<ShamirShare> other = ShamirSecretSharing.split(secret, 2, 3, seeded(23));
    // The line through a foreign share crosses x = 0 at a uniformly random field element: beyond
    // 2^256, so refused, but for a chance of 2^-265.
    assertThatThrownBy(() -> ShamirSecretSharing.combine(List.of(other.get(0), shares.get(1)), 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("do not reconstruct a 32-byte secret");
  }

  @Test
  void combine_mismatchedThreshold_refused() throws Exception {
    SecretBytes secret = SecretBytes.random(32, seeded(23));
    List<ShamirShare> threeOfFive = ShamirSecretSharing.split(secret, 3, 5, seeded(24));
    List<ShamirShare> twoOfFive = ShamirSecretSharing.split(secret, 2, 5, seeded(25));
    assertThatThrownBy(() -> ShamirSecretSharing.combine(threeOfFive, 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("made for threshold 3, not 2");
    assertThatThrownBy(
            () ->
                ShamirSecretSharing.combine(
                    List.of(twoOfFive.get(0), twoOfFive.get(1), threeOfFive.get(2)), 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("x=3 was made for threshold 3, not 2");
  }

  @Test
  void combine_mismatchedSecretLength_refused() throws Exception {
    List<ShamirShare> short32 =
        ShamirSecretSharing.split(SecretBytes.random(32, seeded(26)), 2, 3, seeded(27));
    List<ShamirShare> long33 =
        ShamirSecretSharing.split(SecretBytes.random(33, seeded(28)), 2, 3, seeded(29));
    assertThatThrownBy(() -> ShamirSecretSharing.combine(List.of(short32.get(0), long33.get(1)), 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("disagree on the secret length: 32 and 33 bytes");
  }

  @Test
  void combine_nullShare_throwsNullPointer() throws Exception {
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.random(8, seeded(30)), 2, 3, seeded(31));
    List<ShamirShare> withNull = new ArrayList<>(shares);
    withNull.set(1, null);
    assertThatThrownBy(() -> ShamirSecretSharing.combine(withNull, 2))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void decode_malformed_refusedNamingTheProblemNotTheContent() throws Exception {
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.random(32, seeded(32)), 2, 3, seeded(33));
    byte[] valid = shares.get(0).encode(SecretAccess.GRANTED);
    assertThat(valid).hasSize(75);
    String yHex = HexFormat.of().formatHex(valid, 9, 75);

    List<String> failures = new ArrayList<>();
    int checked = 0;
    Object[][] cases = {
      {Arrays.copyOf(valid, 8), "at least 9 bytes, not 8"},
      {with(valid, 0, 2), "unsupported Shamir share version 2"},
      {with(valid, 4, 1), "threshold must be at least 2, not 1"},
      {with(with(valid, 3, 0), 4, 0), "threshold must be at least 2, not 0"},
      {with(valid, 8, 0), "secret length must be between 1 and 2147483647 bytes, not 0"},
      {with(valid, 5, 0x80), "not 2147483680"},
      {Arrays.copyOf(valid, 74), "32-byte secret must be 75 bytes, not 74"},
      {Arrays.copyOf(valid, 76), "32-byte secret must be 75 bytes, not 76"},
      {with(valid, 8, 65), "65-byte secret must be 141 bytes, not 75"},
      {withY(valid, PRIME), "y value of block 0 is not an element"},
      {
        withY(valid, BigInteger.ONE.shiftLeft(528).subtract(BigInteger.ONE)),
        "block 0 is not an element"
      },
    };
    for (Object[] c : cases) {
      byte[] encoded = (byte[]) c[0];
      String expected = (String) c[1];
      checked++;
      try {
        ShamirShare.decode(encoded);
        failures.add(expected + " — accepted");
      } catch (GeneralSecurityException e) {
        if (!e.getMessage().contains(expected)) {
          failures.add(expected + " — message was: " + e.getMessage());
        }
        if (e.getMessage().toLowerCase(java.util.Locale.ROOT).contains(yHex.substring(0, 16))) {
          failures.add(expected + " — message discloses y");
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(11);
    // The largest field element, p - 1, is accepted.
    assertThat(ShamirShare.decode(withY(valid, PRIME.subtract(BigInteger.ONE))).x()).isEqualTo(1);
  }

  @Test
  void toString_showsXAndLengthsOnly() throws Exception {
    List<ShamirShare> shares =
        ShamirSecretSharing.split(SecretBytes.random(32, seeded(34)), 2, 3, seeded(35));
    ShamirShare share = shares.get(2);
    assertThat(share.toString()).isEqualTo("ShamirShare[x=3, threshold=2, secretLength=32 bytes]");
  }

  @Test
  void split_twoOfN_singleShareIsUniformWhateverTheSecret() throws Exception {
    // With t = 2 one share's y is the secret plus a uniform field element: uniform for every
    // secret. Test the low byte of share x=1's y for two very different secrets against the uniform
    // distribution (chi-square, 255 degrees of freedom, p = 0.001 critical value 330.5).
    int splits = 6000;
    for (byte fill : new byte[] {0, (byte) 0xFF}) {
      byte[] bytes = new byte[32];
      Arrays.fill(bytes, fill);
      SecretBytes secret = SecretBytes.copyOf(bytes);
      SecureRandom random = seeded(36 + fill);
      long[] counts = new long[256];
      for (int i = 0; i < splits; i++) {
        byte[] encoded =
            ShamirSecretSharing.split(secret, 2, 2, random).get(0).encode(SecretAccess.GRANTED);
        counts[encoded[encoded.length - 1] & 0xFF]++;
      }
      double expected = splits / 256.0;
      double chiSquare = 0;
      for (long count : counts) {
        chiSquare += (count - expected) * (count - expected) / expected;
      }
      assertThat(chiSquare).as("secret filled with %s", fill).isLessThan(330.5);
    }
  }

  private static BigInteger fieldElement(byte[] encoded, int block) {
    return new BigInteger(1, Arrays.copyOfRange(encoded, 9 + 66 * block, 9 + 66 * (block + 1)));
  }

  private static byte[] with(byte[] bytes, int index, int value) {
    byte[] copy = bytes.clone();
    copy[index] = (byte) value;
    return copy;
  }

  private static byte[] withY(byte[] encoded, BigInteger y) {
    byte[] copy = encoded.clone();
    byte[] magnitude = y.toByteArray();
    int significant = Math.min(66, magnitude.length);
    Arrays.fill(copy, 9, 75, (byte) 0);
    System.arraycopy(
        magnitude, magnitude.length - significant, copy, 75 - significant, significant);
    return copy;
  }

  private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(seed);
    return random;
  }
}
