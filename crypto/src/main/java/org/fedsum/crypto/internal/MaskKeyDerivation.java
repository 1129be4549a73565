package org.fedsum.crypto.internal;

import java.nio.charset.StandardCharsets;

/**
 * The mask PRG's AES-256 key derivation: HKDF-SHA256 (RFC 5869) through {@link HkdfSha256}, with a
 * fixed {@code info} that binds the key to this one use. {@code MaskKeyDerivationVectorTest} and
 * the mask PRG's known-answer test pin the result.
 */
public final class MaskKeyDerivation {
  /** The HKDF {@code info} that binds the derived key to this one use. */
  public static final String MASK_PRG_INFO = "fedsum/mask-prg/v1/aes256-ctr";

  private MaskKeyDerivation() {}

  /**
   * The AES-256 key of the mask PRG: HKDF-SHA256 with no salt (RFC 5869 §2.2: HashLen zero bytes),
   * input keying material {@code seed} and info {@link #MASK_PRG_INFO}, 32 bytes of output.
   */
  public static byte[] aes256Key(byte[] seed) {
    return HkdfSha256.derive(
        seed, new byte[0], MASK_PRG_INFO.getBytes(StandardCharsets.US_ASCII), 32);
  }
}
