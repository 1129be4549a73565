package org.fedsum.crypto;

import java.security.SecureRandom;
import java.util.Objects;

/** The AEAD constructions FedSum uses, by name; callers never choose modes, nonces or tags. */
public enum AeadSuite {
  /**
   * AES-256 in Galois/Counter Mode (NIST SP 800-38D) with a 12-byte random nonce drawn for every
   * message (SP 800-38D §8.2.2) and a 16-byte tag. The ciphertext is {@code nonce || ciphertext ||
   * tag}, 28 bytes longer than the plaintext. With random nonces SP 800-38D §8.3 allows at most
   * 2^32 messages under one key; FedSum encrypts a handful per key.
   */
  AES256_GCM;

  private static final int AES256_KEY_LENGTH = 32;

  /**
   * An {@link Aead} under {@code key}, drawing nonces from a fresh {@link SecureRandom}.
   *
   * @throws IllegalArgumentException if {@code key} is not 32 bytes
   */
  public Aead create(SecretBytes key) {
    return create(key, new SecureRandom());
  }

  /**
   * An {@link Aead} under {@code key}, drawing nonces from {@code nonceSource}. Meant for tests; a
   * source that repeats values destroys GCM's confidentiality and authenticity.
   *
   * @throws IllegalArgumentException if {@code key} is not 32 bytes
   */
  public Aead create(SecretBytes key, SecureRandom nonceSource) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(nonceSource, "nonceSource");
    if (key.length() != AES256_KEY_LENGTH) {
      throw new IllegalArgumentException(
          name() + " key must be " + AES256_KEY_LENGTH + " bytes, not " + key.length());
    }
    return new AesGcmAead(key, nonceSource);
  }
}
