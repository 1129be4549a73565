package org.fedsum.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * One share of a secret split by {@link ShamirSecretSharing}: the x-coordinate, the threshold, the
 * secret's length in bytes, and one y value per 64-byte block of the secret, each an element of the
 * field {@code GF(p)}, {@code p = 2^521 - 1}.
 *
 * <p>The y values are secret: {@link #toString()} shows the x-coordinate and the lengths only, and
 * the one way to read them is {@link #encode(SecretAccess)}, whose output must be encrypted for the
 * share's addressee. Encoded form (big-endian):
 *
 * <pre>
 *   version      1 byte    = 1
 *   x            2 bytes   1..65535
 *   threshold    2 bytes   2..65535
 *   secretLength 4 bytes   1..2^31-1
 *   y            66 bytes per block, ⌈secretLength / 64⌉ blocks, each below p
 * </pre>
 */
public final class ShamirShare {
  static final int VERSION = 1;
  static final int HEADER_BYTES = 9;
  static final int BLOCK_BYTES = 64;
  static final int FIELD_ELEMENT_BYTES = 66;
  static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);
  static final int MAX_X = 0xFFFF;

  private final int x;
  private final int threshold;
  private final int secretLength;
  // y values, FIELD_ELEMENT_BYTES each, big-endian, every one below PRIME.
  private final byte[] yValues;

  private ShamirShare(int x, int threshold, int secretLength, byte[] yValues) {
    this.x = x;
    this.threshold = threshold;
    this.secretLength = secretLength;
    this.yValues = yValues;
  }

  /** A share with the given field elements as y values; for tests that build shares by hand. */
  static ShamirShare of(int x, int threshold, int secretLength, BigInteger[] ys) {
    byte[] yValues = new byte[ys.length * FIELD_ELEMENT_BYTES];
    for (int block = 0; block < ys.length; block++) {
      writeFixedWidth(ys[block], yValues, block * FIELD_ELEMENT_BYTES, FIELD_ELEMENT_BYTES);
    }
    return new ShamirShare(x, threshold, secretLength, yValues);
  }

  /**
   * A share made by {@link ShamirSecretSharing#split}: {@code yValues} are its field elements,
   * encoded as {@link #encode} writes them; the share keeps the array.
   */
  static ShamirShare ofEncodedYValues(int x, int threshold, int secretLength, byte[] yValues) {
    return new ShamirShare(x, threshold, secretLength, yValues);
  }

  /** The x-coordinate, 1..65535; the secret is the polynomial's value at 0. */
  public int x() {
    return x;
  }

  /** The number of shares needed to reconstruct. */
  public int threshold() {
    return threshold;
  }

  /** The length in bytes of the shared secret. */
  public int secretLength() {
    return secretLength;
  }

  /**
   * The compact binary form described in the class comment. It holds the secret y values: encrypt
   * it for its addressee and never log it.
   *
   * @param access proof that the caller knowingly handles secret share material
   */
  public byte[] encode(SecretAccess access) {
    Objects.requireNonNull(access, "access");
    byte[] encoded = new byte[HEADER_BYTES + yValues.length];
    encoded[0] = (byte) VERSION;
    encoded[1] = (byte) (x >>> 8);
    encoded[2] = (byte) x;
    encoded[3] = (byte) (threshold >>> 8);
    encoded[4] = (byte) threshold;
    encoded[5] = (byte) (secretLength >>> 24);
    encoded[6] = (byte) (secretLength >>> 16);
    encoded[7] = (byte) (secretLength >>> 8);
    encoded[8] = (byte) secretLength;
    System.arraycopy(yValues, 0, encoded, HEADER_BYTES, yValues.length);
    return encoded;
  }

  /**
   * Parses the output of {@link #encode(SecretAccess)}, typically just decrypted from a peer.
   *
   * @throws GeneralSecurityException if the encoding is malformed: wrong version, x-coordinate 0,
   *     threshold below 2, secret length 0 or above 2^31-1, a total length that does not match the
   *     secret length, or a y value that is not below p. The message says which, never the y
   *     values.
   */
  public static ShamirShare decode(byte[] encoded) throws GeneralSecurityException {
    Objects.requireNonNull(encoded, "encoded");
    if (encoded.length < HEADER_BYTES) {
      throw new GeneralSecurityException(
          "encoded Shamir share must be at least "
              + HEADER_BYTES
              + " bytes, not "
              + encoded.length);
    }
    int version = encoded[0] & 0xFF;
    if (version != VERSION) {
      throw new GeneralSecurityException(
          "unsupported Shamir share version " + version + " (expected " + VERSION + ")");
    }
    int x = ((encoded[1] & 0xFF) << 8) | (encoded[2] & 0xFF);
    if (x == 0) {
      // The value at x = 0 is the secret itself: no honest dealer makes such a share.
      throw new GeneralSecurityException("Shamir share x-coordinate must not be 0");
    }
    int threshold = ((encoded[3] & 0xFF) << 8) | (encoded[4] & 0xFF);
    if (threshold < 2) {
      throw new GeneralSecurityException(
          "Shamir share threshold must be at least 2, not " + threshold);
    }
    long secretLength =
        ((encoded[5] & 0xFFL) << 24)
            | ((encoded[6] & 0xFFL) << 16)
            | ((encoded[7] & 0xFFL) << 8)
            | (encoded[8] & 0xFFL);
    if (secretLength == 0 || secretLength > Integer.MAX_VALUE) {
      throw new GeneralSecurityException(
          "Shamir share secret length must be between 1 and "
              + Integer.MAX_VALUE
              + " bytes, not "
              + secretLength);
    }
    long expectedLength =
        HEADER_BYTES + blockCount((int) secretLength) * (long) FIELD_ELEMENT_BYTES;
    if (encoded.length != expectedLength) {
      throw new GeneralSecurityException(
          "encoded Shamir share of a "
              + secretLength
              + "-byte secret must be "
              + expectedLength
              + " bytes, not "
              + encoded.length);
    }
    byte[] yValues = Arrays.copyOfRange(encoded, HEADER_BYTES, encoded.length);
    ShamirShare share = new ShamirShare(x, threshold, (int) secretLength, yValues);
    for (int block = 0; block < share.blockCount(); block++) {
      if (share.y(block).compareTo(PRIME) >= 0) {
        throw new GeneralSecurityException(
            "Shamir share y value of block " + block + " is not an element of GF(2^521 - 1)");
      }
    }
    return share;
  }

  @Override
  public String toString() {
    return "ShamirShare[x="
        + x
        + ", threshold="
        + threshold
        + ", secretLength="
        + secretLength
        + " bytes]";
  }

  /** The number of 64-byte blocks of a secret of {@code secretLength} bytes. */
  static int blockCount(int secretLength) {
    return (secretLength + BLOCK_BYTES - 1) / BLOCK_BYTES;
  }

  int blockCount() {
    return yValues.length / FIELD_ELEMENT_BYTES;
  }

  /** The y value of {@code block}, a field element. */
  BigInteger y(int block) {
    // Read in place: combining reads hundreds of thousands of y values, and a copy of each would
    // be one more secret array to wipe.
    return new BigInteger(1, yValues, block * FIELD_ELEMENT_BYTES, FIELD_ELEMENT_BYTES);
  }

  /**
   * Feeds {@link #encode(SecretAccess)}'s output to {@code digest} without copying the secret y
   * values into a new array.
   */
  void updateDigestWithEncoding(MessageDigest digest) {
    digest.update((byte) VERSION);
    digest.update((byte) (x >>> 8));
    digest.update((byte) x);
    digest.update((byte) (threshold >>> 8));
    digest.update((byte) threshold);
    digest.update((byte) (secretLength >>> 24));
    digest.update((byte) (secretLength >>> 16));
    digest.update((byte) (secretLength >>> 8));
    digest.update((byte) secretLength);
    digest.update(yValues);
  }

  /** Writes the non-negative {@code value} big-endian into exactly {@code width} bytes. */
  static void writeFixedWidth(BigInteger value, byte[] target, int offset, int width) {
    byte[] magnitude = value.toByteArray(); // may carry one leading sign byte of 0
    int significant = magnitude.length;
    int skip = 0;
    while (significant > width && magnitude[skip] == 0) {
      skip++;
      significant--;
    }
    if (significant > width) {
      throw new IllegalStateException("bug: field element wider than " + width + " bytes");
    }
    System.arraycopy(magnitude, skip, target, offset + width - significant, significant);
    Arrays.fill(magnitude, (byte) 0);
  }
}
