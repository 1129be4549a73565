package org.fedsum.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.fedsum.crypto.internal.X25519Function;

/**
 * An X25519 key pair for Diffie-Hellman key agreement (RFC 7748 §6.1).
 *
 * <p>The private key is 32 raw bytes, clamped by the X25519 function on every use (RFC 7748 §5,
 * {@code decodeScalar25519}), so any 32 bytes are a valid private key and {@link #privateKey()}
 * returns exactly what {@link #fromPrivateKey} was given. That lets a dropped silo's masking key be
 * Shamir-shared as bytes and rebuilt by the survivors (Bonawitz et al. 2017, Round 4).
 */
public final class X25519KeyPair {
  private final SecretBytes privateKey;
  private final X25519PublicKey publicKey;

  private X25519KeyPair(SecretBytes privateKey, X25519PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** A fresh key pair from 32 bytes of {@code random} (RFC 7748 §6.1). */
  public static X25519KeyPair generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    return fromPrivateKey(SecretBytes.random(X25519Function.LENGTH, random));
  }

  /**
   * The key pair whose private key is {@code privateKey}; the public key is {@code X25519(k, 9)}.
   *
   * @throws IllegalArgumentException if {@code privateKey} is not 32 bytes
   */
  public static X25519KeyPair fromPrivateKey(SecretBytes privateKey) {
    Objects.requireNonNull(privateKey, "privateKey");
    if (privateKey.length() != X25519Function.LENGTH) {
      throw new IllegalArgumentException(
          "X25519 private key must be "
              + X25519Function.LENGTH
              + " bytes, not "
              + privateKey.length());
    }
    byte[] raw = privateKey.copySecretBytes(SecretAccess.GRANTED);
    try {
      // Our own copy, so that a caller destroying theirs cannot change this key pair.
      return new X25519KeyPair(
          SecretBytes.copyOf(raw), X25519PublicKey.wrap(X25519Function.publicKey(raw)));
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /** The public key, safe to publish. */
  public X25519PublicKey publicKey() {
    return publicKey;
  }

  /** A copy of the 32 raw private-key bytes, for Shamir sharing. */
  public SecretBytes privateKey() {
    byte[] raw = privateKey.copySecretBytes(SecretAccess.GRANTED);
    try {
      return SecretBytes.copyOf(raw);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /**
   * The 32-byte shared secret {@code X25519(k, peer)} of RFC 7748 §6.1; both parties get the same
   * value. It is not uniformly random: derive keys from it with {@link Hkdf}, never use it as one.
   *
   * @throws GeneralSecurityException if the result is all zero, that is the peer key is a point of
   *     small order: a peer (or an aggregator substituting keys) could otherwise force a known
   *     pairwise secret
   */
  public SecretBytes agree(X25519PublicKey peer) throws GeneralSecurityException {
    Objects.requireNonNull(peer, "peer");
    byte[] raw = privateKey.copySecretBytes(SecretAccess.GRANTED);
    byte[] shared = null;
    try {
      shared = X25519Function.sharedSecret(raw, peer.toBytes());
      return SecretBytes.copyOf(shared);
    } finally {
      Arrays.fill(raw, (byte) 0);
      if (shared != null) {
        Arrays.fill(shared, (byte) 0);
      }
    }
  }

  /** The type only: never the private key. */
  @Override
  public String toString() {
    return "X25519KeyPair";
  }
}
