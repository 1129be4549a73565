package org.fedsum.crypto.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-SHA256 (RFC 5869 §2.2 extract, §2.3 expand) for the mask PRG's AES key.
 *
 * <p>An interim copy for the mask PRG only: once the public {@code org.fedsum.crypto.Hkdf} lands,
 * the mask PRG derives its key through it and this class goes away. The derivation must stay
 * byte-for-byte the same, which {@code MaskKeyDerivationVectorTest} and the mask PRG's known-answer
 * test pin.
 */
public final class MaskKeyDerivation {
  /** The HKDF {@code info} that binds the derived key to this one use. */
  public static final String MASK_PRG_INFO = "fedsum/mask-prg/v1/aes256-ctr";

  private static final int HASH_BYTES = 32;

  private MaskKeyDerivation() {}

  /**
   * The AES-256 key of the mask PRG: HKDF-SHA256 with no salt (RFC 5869 §2.2: HashLen zero bytes),
   * input keying material {@code seed} and info {@link #MASK_PRG_INFO}, 32 bytes of output.
   */
  public static byte[] aes256Key(byte[] seed) {
    return hkdfSha256(seed, new byte[0], MASK_PRG_INFO.getBytes(StandardCharsets.US_ASCII), 32);
  }

  /**
   * HKDF-SHA256 of RFC 5869: {@code length} bytes of output keying material. An empty {@code salt}
   * means HashLen zero bytes (§2.2).
   *
   * @throws IllegalArgumentException if {@code length} is not in 1..8160 (255 · HashLen, §2.3)
   */
  public static byte[] hkdfSha256(byte[] ikm, byte[] salt, byte[] info, int length) {
    Objects.requireNonNull(ikm, "ikm");
    Objects.requireNonNull(salt, "salt");
    Objects.requireNonNull(info, "info");
    if (length < 1 || length > 255 * HASH_BYTES) {
      throw new IllegalArgumentException("HKDF-SHA256 output must be 1..8160 bytes, not " + length);
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      // SecretKeySpec refuses an empty key, and RFC 5869 says an absent salt is HashLen zeros.
      byte[] extractKey = salt.length == 0 ? new byte[HASH_BYTES] : salt;
      mac.init(new SecretKeySpec(extractKey, "HmacSHA256"));
      byte[] pseudorandomKey = mac.doFinal(ikm);
      mac.init(new SecretKeySpec(pseudorandomKey, "HmacSHA256"));
      Arrays.fill(pseudorandomKey, (byte) 0);
      byte[] output = new byte[length];
      byte[] block = new byte[0];
      for (int counter = 1, written = 0; written < length; counter++) {
        mac.update(block);
        mac.update(info);
        mac.update((byte) counter);
        Arrays.fill(block, (byte) 0);
        block = mac.doFinal();
        int take = Math.min(HASH_BYTES, length - written);
        System.arraycopy(block, 0, output, written, take);
        written += take;
      }
      Arrays.fill(block, (byte) 0);
      return output;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("bug: HmacSHA256 is missing from this JDK", e);
    }
  }
}
