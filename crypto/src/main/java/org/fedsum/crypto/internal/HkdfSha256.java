package org.fedsum.crypto.internal;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF with HMAC-SHA256 (RFC 5869) on raw byte arrays, through the JDK's {@code HmacSHA256}.
 *
 * <p>Unlike the public {@code org.fedsum.crypto.Hkdf}, this accepts an empty {@code info}, so that
 * it can be checked against every RFC and Wycheproof vector.
 */
public final class HkdfSha256 {
  /** HashLen of RFC 5869 for SHA-256. */
  public static final int HASH_LENGTH = 32;

  /** The largest output, {@code 255 * HashLen} (RFC 5869 §2.3). */
  public static final int MAX_OUTPUT_LENGTH = 255 * HASH_LENGTH;

  private static final String HMAC = "HmacSHA256";

  private HkdfSha256() {}

  /**
   * HKDF-Extract (RFC 5869 §2.2): {@code PRK = HMAC-Hash(salt, IKM)}. An empty salt stands for
   * HashLen zero bytes, as the RFC says.
   */
  public static byte[] extract(byte[] salt, byte[] inputKeyMaterial) {
    Objects.requireNonNull(salt, "salt");
    Objects.requireNonNull(inputKeyMaterial, "inputKeyMaterial");
    // The JCA refuses an empty HMAC key, so the RFC's default is spelled out.
    byte[] key = salt.length == 0 ? new byte[HASH_LENGTH] : salt;
    Mac mac = newMac(key);
    return mac.doFinal(inputKeyMaterial);
  }

  /**
   * HKDF-Expand (RFC 5869 §2.3): {@code T(i) = HMAC-Hash(PRK, T(i-1) | info | i)}, truncated to
   * {@code outputLength} bytes.
   *
   * @throws IllegalArgumentException if {@code outputLength} is not in {@code 1..255*HashLen}, or
   *     the PRK is shorter than HashLen
   */
  public static byte[] expand(byte[] pseudorandomKey, byte[] info, int outputLength) {
    Objects.requireNonNull(pseudorandomKey, "pseudorandomKey");
    Objects.requireNonNull(info, "info");
    checkOutputLength(outputLength);
    if (pseudorandomKey.length < HASH_LENGTH) {
      throw new IllegalArgumentException(
          "HKDF-SHA256 PRK must be at least "
              + HASH_LENGTH
              + " bytes, not "
              + pseudorandomKey.length);
    }
    Mac mac = newMac(pseudorandomKey);
    byte[] output = new byte[outputLength];
    byte[] block = new byte[0];
    int written = 0;
    for (int counter = 1; written < outputLength; counter++) {
      mac.update(block);
      mac.update(info);
      mac.update((byte) counter);
      Arrays.fill(block, (byte) 0);
      block = mac.doFinal();
      int take = Math.min(block.length, outputLength - written);
      System.arraycopy(block, 0, output, written, take);
      written += take;
    }
    Arrays.fill(block, (byte) 0);
    return output;
  }

  /** Extract then expand (RFC 5869 §2). */
  public static byte[] derive(byte[] inputKeyMaterial, byte[] salt, byte[] info, int outputLength) {
    // Checked first so that a bad length fails before any key material is processed.
    checkOutputLength(outputLength);
    byte[] pseudorandomKey = extract(salt, inputKeyMaterial);
    try {
      return expand(pseudorandomKey, info, outputLength);
    } finally {
      Arrays.fill(pseudorandomKey, (byte) 0);
    }
  }

  private static void checkOutputLength(int outputLength) {
    if (outputLength < 1 || outputLength > MAX_OUTPUT_LENGTH) {
      throw new IllegalArgumentException(
          "HKDF-SHA256 output length must be in 1.."
              + MAX_OUTPUT_LENGTH
              + " bytes (RFC 5869 §2.3), not "
              + outputLength);
    }
  }

  private static Mac newMac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("bug: " + HMAC + " is missing or refused a key", e);
    }
  }
}
