package org.fedsum.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import java.util.Objects;
import org.fedsum.crypto.internal.P256;

/**
 * An ECDSA P-256 private key that signs with SHA-256 (FIPS 186-5 §6.4.1), the per-signature nonce
 * derived deterministically from the key and the message (RFC 6979 §3.2): the same message always
 * gets the same signature, and a weak random source at signing time cannot leak the key.
 *
 * <p>The private scalar is held in {@link SecretBytes}; {@link #toString()} prints the type only.
 * The only way out is {@link #toPkcs8Pem(SecretAccess)}.
 */
public final class EcdsaP256SigningKey {
  private final SecretBytes privateScalar;
  private final EcdsaP256VerifyingKey verifyingKey;

  private EcdsaP256SigningKey(byte[] scalar) {
    this.privateScalar = SecretBytes.copyOf(scalar);
    this.verifyingKey = EcdsaP256VerifyingKey.fromValidPoint(P256.publicPoint(scalar));
  }

  /** A fresh key with its scalar drawn uniformly from [1, n-1] (FIPS 186-5 §A.4.2). */
  public static EcdsaP256SigningKey generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] scalar = P256.generatePrivateScalar(random);
    try {
      return new EcdsaP256SigningKey(scalar);
    } finally {
      Arrays.fill(scalar, (byte) 0);
    }
  }

  /**
   * Reads a {@code PRIVATE KEY} PEM block (RFC 7468 §10): PKCS#8 holding an RFC 5915 named-curve
   * P-256 key. An embedded public key must match the private one. SEC 1 {@code EC PRIVATE KEY}
   * blocks and encrypted keys are refused; convert them with {@code openssl pkcs8 -topk8 -nocrypt}.
   *
   * @throws GeneralSecurityException naming what is wrong, never quoting the key
   */
  public static EcdsaP256SigningKey fromPkcs8Pem(String pem) throws GeneralSecurityException {
    Pem.Block block = Pem.decodeSingle(pem, Pem.PRIVATE_KEY);
    byte[] der = block.der();
    byte[] scalar = null;
    try {
      scalar = P256.decodePkcs8(der);
      return new EcdsaP256SigningKey(scalar);
    } catch (IllegalArgumentException e) {
      throw new InvalidKeySpecException("PRIVATE KEY block is not a valid P-256 key");
    } finally {
      Arrays.fill(der, (byte) 0);
      if (scalar != null) {
        Arrays.fill(scalar, (byte) 0);
      }
    }
  }

  /**
   * The key as a {@code PRIVATE KEY} PEM block (PKCS#8 with the RFC 5915 ECPrivateKey, public key
   * included), readable by {@link #fromPkcs8Pem} and OpenSSL.
   *
   * @param access proof that the caller knowingly exports raw key material
   */
  public String toPkcs8Pem(SecretAccess access) {
    Objects.requireNonNull(access, "access");
    byte[] scalar = privateScalar.copySecretBytes(access);
    byte[] der = null;
    try {
      der = P256.encodePkcs8(scalar, verifyingKey.uncompressedPoint());
      return Pem.encode(Pem.PRIVATE_KEY, der);
    } finally {
      Arrays.fill(scalar, (byte) 0);
      if (der != null) {
        Arrays.fill(der, (byte) 0);
      }
    }
  }

  /**
   * Signs SHA-256({@code message}).
   *
   * @return a DER {@code Ecdsa-Sig-Value} (RFC 3279 §2.2.3), at most 72 bytes
   */
  public byte[] sign(byte[] message) {
    Objects.requireNonNull(message, "message");
    byte[] scalar = privateScalar.copySecretBytes(SecretAccess.GRANTED);
    try {
      BigInteger[] rs = P256.sign(scalar, message);
      return EcdsaSignatureEncoding.encodeDer(rs[0], rs[1]);
    } finally {
      Arrays.fill(scalar, (byte) 0);
    }
  }

  /** The matching public key. */
  public EcdsaP256VerifyingKey verifyingKey() {
    return verifyingKey;
  }

  /** The type only: no key material, not even the public key. */
  @Override
  public String toString() {
    return "EcdsaP256SigningKey";
  }
}
