package org.fedsum.crypto;

import java.security.GeneralSecurityException;

/**
 * Authenticated encryption with associated data. Instances come from {@link AeadSuite#create}; they
 * hold their key, choose their own nonces and are safe to share between threads.
 */
public interface Aead {
  /**
   * Encrypts {@code plaintext} and authenticates it together with {@code associatedData}, which is
   * not encrypted and not included in the result. Encrypting the same plaintext twice gives
   * different ciphertexts.
   *
   * @param associatedData context the ciphertext is bound to (use an empty array for none)
   */
  byte[] encrypt(byte[] plaintext, byte[] associatedData);

  /**
   * Verifies and decrypts a ciphertext made by {@link #encrypt} with the same key and {@code
   * associatedData}. No plaintext is returned unless the whole ciphertext verifies.
   *
   * @throws GeneralSecurityException if the ciphertext is too short, was modified, or was made with
   *     another key or other associated data
   */
  byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException;
}
