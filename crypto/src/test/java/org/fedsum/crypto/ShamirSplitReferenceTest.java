package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pins what {@link ShamirSecretSharing#split} outputs for a given random source, so that a faster
 * evaluation cannot change a share: against a naive big-integer reference that draws the same
 * coefficients in the same order, and against digests recorded from the original BigInteger Horner
 * implementation (commit 1fc0484).
 */
class ShamirSplitReferenceTest {
  private static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);

  /** (threshold, shareCount, secretLength): small, multi-block, and the paper's n = 500 setting. */
  private static final int[][] SETTINGS = {
    {2, 2, 1}, {2, 3, 32}, {3, 5, 64}, {5, 7, 65}, {7, 40, 200}, {252, 500, 32}, {300, 310, 129}
  };

  /**
   * SHA-256 over every share's encoding, for each of {@link #SETTINGS} with secret seed 100 + i and
   * coefficient seed 200 + i, as computed by the implementation of commit 1fc0484.
   */
  private static final String[] PINNED_DIGESTS = {
    "9bd4cde2d34f67e1a70c3e8278dcedad70f9fc65d47371219d4c813dbcb97851",
    "1d72fa8f34c6302d7f77eae106b281439782e1d1d25d4460e0064994b0097eb8",
    "76f0e7c7e371d887b1f0af61b0412e19875bb18ed2cbddebf811297ca74a64d4",
    "803b8ab8d8488dbe81c264cd17cfcaa263cfa6a126ebaa316d50fc16ab987afe",
    "57182b025027e436a8974ebd917240bc1265e31f4051652a6fbaf1b5efba441f",
    "75f3fdc2e7465ba2051e5b33388292c383b24c3bf16f471357ab8e7663fa155f",
    "fa980f6f79a98cfb90f6427ce9bef8dfaa419bf0964660eb6715c762d43bc9f1",
  };

  @Test
  void split_everySetting_matchesNaiveReferenceWithSameRandomness() throws Exception {
    List<String> failures = new ArrayList<>();
    int sharesChecked = 0;
    for (int i = 0; i < SETTINGS.length; i++) {
      int threshold = SETTINGS[i][0];
      int shareCount = SETTINGS[i][1];
      byte[] secret = secretBytes(SETTINGS[i][2], 100 + i);
      List<ShamirShare> shares =
          ShamirSecretSharing.split(
              SecretBytes.copyOf(secret), threshold, shareCount, seeded(200 + i));
      List<byte[]> expected = referenceSplit(secret, threshold, shareCount, seeded(200 + i));
      for (int x = 1; x <= shareCount; x++) {
        if (!Arrays.equals(shares.get(x - 1).encode(SecretAccess.GRANTED), expected.get(x - 1))) {
          failures.add("setting " + i + " share x=" + x + " differs from the reference");
        }
        sharesChecked++;
      }
    }
    assertThat(failures).isEmpty();
    assertThat(sharesChecked).isEqualTo(2 + 3 + 5 + 7 + 40 + 500 + 310);
  }

  @Test
  void split_everySetting_matchesDigestOfOriginalImplementation() throws Exception {
    List<String> digests = new ArrayList<>();
    for (int i = 0; i < SETTINGS.length; i++) {
      List<ShamirShare> shares =
          ShamirSecretSharing.split(
              SecretBytes.copyOf(secretBytes(SETTINGS[i][2], 100 + i)),
              SETTINGS[i][0],
              SETTINGS[i][1],
              seeded(200 + i));
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      for (ShamirShare share : shares) {
        sha256.update(share.encode(SecretAccess.GRANTED));
      }
      digests.add(HexFormat.of().formatHex(sha256.digest()));
    }
    assertThat(digests).containsExactly(PINNED_DIGESTS);
  }

  /**
   * The definition, written out: for each 64-byte block, the constant term is the block and the
   * other {@code t - 1} coefficients are drawn in order, each as 521 random bits from {@link
   * BigInteger#BigInteger(int, java.util.Random)} redrawn while equal to p; share x holds {@code
   * Σ_k c_k·x^k mod p} per block, 66 bytes big-endian after the 9-byte header.
   */
  private static List<byte[]> referenceSplit(
      byte[] secret, int threshold, int shareCount, SecureRandom random) {
    int blocks = (secret.length + 63) / 64;
    List<byte[]> encodings = new ArrayList<>();
    for (int x = 1; x <= shareCount; x++) {
      byte[] encoded = new byte[9 + 66 * blocks];
      encoded[0] = 1;
      encoded[1] = (byte) (x >>> 8);
      encoded[2] = (byte) x;
      encoded[3] = (byte) (threshold >>> 8);
      encoded[4] = (byte) threshold;
      encoded[5] = (byte) (secret.length >>> 24);
      encoded[6] = (byte) (secret.length >>> 16);
      encoded[7] = (byte) (secret.length >>> 8);
      encoded[8] = (byte) secret.length;
      encodings.add(encoded);
    }
    for (int block = 0; block < blocks; block++) {
      BigInteger[] coefficients = new BigInteger[threshold];
      coefficients[0] =
          new BigInteger(
              1, Arrays.copyOfRange(secret, 64 * block, Math.min(secret.length, 64 * block + 64)));
      for (int k = 1; k < threshold; k++) {
        BigInteger candidate;
        do {
          candidate = new BigInteger(521, random);
        } while (candidate.equals(PRIME));
        coefficients[k] = candidate;
      }
      for (int x = 1; x <= shareCount; x++) {
        BigInteger y = BigInteger.ZERO;
        BigInteger power = BigInteger.ONE;
        for (BigInteger coefficient : coefficients) {
          y = y.add(coefficient.multiply(power)).mod(PRIME);
          power = power.multiply(BigInteger.valueOf(x)).mod(PRIME);
        }
        byte[] magnitude = y.toByteArray();
        int significant = Math.min(66, magnitude.length);
        System.arraycopy(
            magnitude,
            magnitude.length - significant,
            encodings.get(x - 1),
            9 + 66 * block + 66 - significant,
            significant);
      }
    }
    return encodings;
  }

  private static byte[] secretBytes(int length, long seed) throws NoSuchAlgorithmException {
    byte[] bytes = new byte[length];
    seeded(seed).nextBytes(bytes);
    return bytes;
  }

  private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(seed);
    return random;
  }
}
