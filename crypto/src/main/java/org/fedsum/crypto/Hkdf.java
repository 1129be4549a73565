package org.fedsum.crypto;

import java.util.Arrays;
import java.util.Objects;
import org.fedsum.crypto.internal.HkdfSha256;

/** HKDF key derivation (RFC 5869) with HMAC-SHA256. */
public final class Hkdf {
  private Hkdf() {}

  /**
   * Derives {@code outputLength} bytes from {@code inputKeyMaterial} with HKDF-SHA256 (RFC 5869
   * §2.2 extract, §2.3 expand).
   *
   * @param salt optional non-secret randomness; an empty array means HashLen zero bytes (RFC 5869
   *     §2.2). Must not be null.
   * @param info the context, which FedSum always requires: different uses of one secret must get
   *     different {@code info} (RFC 5869 §3.2), so keys for one purpose can never equal keys for
   *     another
   * @param outputLength 1 to {@code 255 * 32} = 8160 bytes (RFC 5869 §2.3)
   * @throws IllegalArgumentException if {@code info} is null or empty, or {@code outputLength} is
   *     out of range
   */
  public static SecretBytes deriveSha256(
      SecretBytes inputKeyMaterial, byte[] salt, byte[] info, int outputLength) {
    Objects.requireNonNull(inputKeyMaterial, "inputKeyMaterial");
    Objects.requireNonNull(salt, "salt");
    if (info == null || info.length == 0) {
      throw new IllegalArgumentException(
          "HKDF info must name the purpose (domain separation), not be "
              + (info == null ? "null" : "empty"));
    }
    if (outputLength < 1 || outputLength > HkdfSha256.MAX_OUTPUT_LENGTH) {
      throw new IllegalArgumentException(
          "HKDF-SHA256 output length must be in 1.."
              + HkdfSha256.MAX_OUTPUT_LENGTH
              + " bytes (RFC 5869 §2.3), not "
              + outputLength);
    }
    byte[] inputKeyBytes = inputKeyMaterial.copySecretBytes(SecretAccess.GRANTED);
    byte[] output = null;
    try {
      output = HkdfSha256.derive(inputKeyBytes, salt.clone(), info.clone(), outputLength);
      return SecretBytes.copyOf(output);
    } finally {
      Arrays.fill(inputKeyBytes, (byte) 0);
      if (output != null) {
        Arrays.fill(output, (byte) 0);
      }
    }
  }
}
