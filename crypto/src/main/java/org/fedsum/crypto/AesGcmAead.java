package org.fedsum.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.fedsum.crypto.internal.AesGcm;

/** {@link AeadSuite#AES256_GCM}: {@code nonce || ciphertext || tag} with a random 12-byte nonce. */
final class AesGcmAead implements Aead {
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;

  private final SecretBytes key;
  private final SecureRandom nonceSource;

  AesGcmAead(SecretBytes key, SecureRandom nonceSource) {
    // Own copy of the key, so that destroying the caller's SecretBytes does not change this one.
    byte[] raw = key.copySecretBytes(SecretAccess.GRANTED);
    try {
      this.key = SecretBytes.copyOf(raw);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
    this.nonceSource = nonceSource;
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(associatedData, "associatedData");
    byte[] nonce = new byte[NONCE_LENGTH];
    nonceSource.nextBytes(nonce);
    byte[] raw = key.copySecretBytes(SecretAccess.GRANTED);
    byte[] sealed;
    try {
      sealed = AesGcm.encrypt(raw, nonce, plaintext, associatedData, TAG_LENGTH);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("bug: AES-256-GCM refused a 32-byte key or 12-byte nonce", e);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
    byte[] result = new byte[NONCE_LENGTH + sealed.length];
    System.arraycopy(nonce, 0, result, 0, NONCE_LENGTH);
    System.arraycopy(sealed, 0, result, NONCE_LENGTH, sealed.length);
    return result;
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
    Objects.requireNonNull(ciphertext, "ciphertext");
    Objects.requireNonNull(associatedData, "associatedData");
    if (ciphertext.length < NONCE_LENGTH + TAG_LENGTH) {
      throw new GeneralSecurityException(
          "AES256_GCM ciphertext must be at least "
              + (NONCE_LENGTH + TAG_LENGTH)
              + " bytes (12-byte nonce and 16-byte tag), not "
              + ciphertext.length);
    }
    byte[] nonce = Arrays.copyOfRange(ciphertext, 0, NONCE_LENGTH);
    byte[] sealed = Arrays.copyOfRange(ciphertext, NONCE_LENGTH, ciphertext.length);
    byte[] raw = key.copySecretBytes(SecretAccess.GRANTED);
    try {
      return AesGcm.decrypt(raw, nonce, sealed, associatedData, TAG_LENGTH);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /** The suite only: never the key. */
  @Override
  public String toString() {
    return "Aead[" + AeadSuite.AES256_GCM + "]";
  }
}
