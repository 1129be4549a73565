package org.fedsum.crypto.internal;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM (NIST SP 800-38D) with an explicit IV, on raw byte arrays, through the JDK's {@code
 * AES/GCM/NoPadding}. The caller owns nonce uniqueness; the public {@code AeadSuite} draws a fresh
 * random nonce for every message.
 *
 * <p>Supports what the JDK supports: 16-, 24- and 32-byte keys, IVs of at least one byte, tags of
 * 12 to 16 bytes. The ciphertext is {@code ciphertext || tag}.
 */
public final class AesGcm {
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private AesGcm() {}

  /** Whether an IV of {@code ivLength} bytes can be used (SP 800-38D §5.2.1.1: at least 1 bit). */
  public static boolean supportsIvLength(int ivLength) {
    return ivLength >= 1;
  }

  /** Whether a tag of {@code tagLength} bytes can be used (the JDK: 96, 104, ..., 128 bits). */
  public static boolean supportsTagLength(int tagLength) {
    return tagLength >= 12 && tagLength <= 16;
  }

  /** Whether an AES key of {@code keyLength} bytes can be used. */
  public static boolean supportsKeyLength(int keyLength) {
    return keyLength == 16 || keyLength == 24 || keyLength == 32;
  }

  /**
   * Encrypts and authenticates; returns {@code ciphertext || tag}.
   *
   * @throws GeneralSecurityException if the key, IV or tag length is not supported
   */
  public static byte[] encrypt(
      byte[] key, byte[] iv, byte[] plaintext, byte[] associatedData, int tagLength)
      throws GeneralSecurityException {
    Objects.requireNonNull(plaintext, "plaintext");
    Cipher cipher = init(Cipher.ENCRYPT_MODE, key, iv, associatedData, tagLength);
    return cipher.doFinal(plaintext);
  }

  /**
   * Verifies the tag and decrypts {@code ciphertext || tag}. No plaintext is released unless the
   * tag verifies.
   *
   * @throws GeneralSecurityException if the input is shorter than the tag, the key, IV or tag
   *     length is not supported, or the tag does not verify (wrong key, IV or associated data, or a
   *     modified ciphertext)
   */
  public static byte[] decrypt(
      byte[] key, byte[] iv, byte[] ciphertextAndTag, byte[] associatedData, int tagLength)
      throws GeneralSecurityException {
    Objects.requireNonNull(ciphertextAndTag, "ciphertextAndTag");
    if (ciphertextAndTag.length < tagLength) {
      throw new GeneralSecurityException(
          "AES-GCM ciphertext must be at least the "
              + tagLength
              + "-byte tag long, not "
              + ciphertextAndTag.length
              + " bytes");
    }
    Cipher cipher = init(Cipher.DECRYPT_MODE, key, iv, associatedData, tagLength);
    try {
      return cipher.doFinal(ciphertextAndTag);
    } catch (AEADBadTagException e) {
      // The JDK's message is fine but terse; say what it means for the caller.
      throw new AEADBadTagException(
          "AES-GCM tag mismatch: wrong key, nonce or associated data, or modified ciphertext");
    }
  }

  private static Cipher init(int mode, byte[] key, byte[] iv, byte[] associatedData, int tagLength)
      throws GeneralSecurityException {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(iv, "iv");
    Objects.requireNonNull(associatedData, "associatedData");
    if (!supportsKeyLength(key.length)) {
      throw new InvalidAlgorithmParameterException(
          "AES key must be 16, 24 or 32 bytes, not " + key.length);
    }
    if (!supportsIvLength(iv.length)) {
      throw new InvalidAlgorithmParameterException(
          "AES-GCM IV must be at least 1 byte, not " + iv.length);
    }
    if (!supportsTagLength(tagLength)) {
      throw new InvalidAlgorithmParameterException(
          "AES-GCM tag must be 12 to 16 bytes, not " + tagLength);
    }
    Cipher cipher = newCipher();
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(tagLength * 8, iv));
    cipher.updateAAD(associatedData);
    return cipher;
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance(TRANSFORMATION);
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new IllegalStateException("bug: the JDK has no " + TRANSFORMATION, e);
    }
  }
}
