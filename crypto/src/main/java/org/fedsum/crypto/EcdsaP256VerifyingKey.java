package org.fedsum.crypto;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.fedsum.crypto.internal.P256;

/**
 * An ECDSA P-256 public key that verifies SHA-256 signatures (FIPS 186-5 §6.4.2).
 *
 * <p>A key is accepted only in one form: a DER SubjectPublicKeyInfo (RFC 5480 §2) with algorithm
 * id-ecPublicKey, the named curve prime256v1 and an uncompressed point that lies on the curve (SEC
 * 1 v2 §3.2.2.1). Compressed points, explicit curve parameters and any other encoding of the same
 * key are refused, so a key has exactly one encoding and {@link #fingerprint()} identifies it.
 *
 * <p>Verification parses the signature strictly (see {@link #verify}) before any curve arithmetic:
 * every case of the Wycheproof ECDSA P-256 SHA-256 files, DER and P1363, gives the expected result.
 * The curve arithmetic is BoringSSL's, through Conscrypt, where Conscrypt's native library loads,
 * and Bouncy Castle's elsewhere; either receives only integers r and s already checked to lie in
 * [1, n-1]. A key decodes itself for that code once, on its first verification.
 *
 * <p>Keys are public, and a party meets the same few hundred of them every round, so the process
 * remembers up to {@value #VALIDATED_CACHE_LIMIT} keys it has accepted, by their point: parsing the
 * same SubjectPublicKeyInfo again returns the key already validated (and decoded for the verifier)
 * instead of repeating the on-curve check and the decoding, a quarter of the cost of a
 * verification.
 */
public final class EcdsaP256VerifyingKey {
  // SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 }, BIT STRING (0 unused bits) ... }:
  // the only DER header a named-curve P-256 key with an uncompressed point can have.
  private static final byte[] SPKI_PREFIX =
      HexFormat.of().parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
  private static final int SPKI_LENGTH = SPKI_PREFIX.length + P256.POINT_LENGTH;
  private static final int VALIDATED_CACHE_LIMIT = 10_000;
  // Accepted keys by point (a ByteBuffer over the key's own array, compared by content).
  private static final ConcurrentHashMap<ByteBuffer, EcdsaP256VerifyingKey> VALIDATED =
      new ConcurrentHashMap<>();

  private final byte[] point;
  private final byte[] subjectPublicKeyInfo;
  // The key decoded for the preferred verifier on first use; derived from the bytes above, so a
  // race between threads only decodes it twice.
  private volatile P256.PreparedKey preparedKey;

  private EcdsaP256VerifyingKey(byte[] point) {
    this.point = point;
    this.subjectPublicKeyInfo = new byte[SPKI_LENGTH];
    System.arraycopy(SPKI_PREFIX, 0, subjectPublicKeyInfo, 0, SPKI_PREFIX.length);
    System.arraycopy(point, 0, subjectPublicKeyInfo, SPKI_PREFIX.length, point.length);
  }

  /** Package-private: the public point of a freshly derived key pair, known to be valid. */
  static EcdsaP256VerifyingKey fromValidPoint(byte[] point) {
    return new EcdsaP256VerifyingKey(point.clone());
  }

  /**
   * Parses a DER SubjectPublicKeyInfo holding a named-curve P-256 key (RFC 5480 §2.1.1, §2.2).
   *
   * @throws InvalidKeyException if the encoding is not exactly that, or the point is not on the
   *     curve
   */
  public static EcdsaP256VerifyingKey fromSubjectPublicKeyInfo(byte[] der)
      throws GeneralSecurityException {
    Objects.requireNonNull(der, "der");
    if (der.length != SPKI_LENGTH) {
      throw new InvalidKeyException(
          "P-256 SubjectPublicKeyInfo must be "
              + SPKI_LENGTH
              + " bytes (named curve, uncompressed point), not "
              + der.length);
    }
    if (!Arrays.equals(der, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
      throw new InvalidKeyException(
          "not a DER SubjectPublicKeyInfo of a named-curve P-256 key with an uncompressed point");
    }
    EcdsaP256VerifyingKey remembered =
        VALIDATED.get(ByteBuffer.wrap(der, SPKI_PREFIX.length, P256.POINT_LENGTH));
    if (remembered != null) {
      return remembered;
    }
    byte[] point = Arrays.copyOfRange(der, SPKI_PREFIX.length, SPKI_LENGTH);
    P256.validatePublicPoint(point);
    EcdsaP256VerifyingKey key = new EcdsaP256VerifyingKey(point);
    if (VALIDATED.size() >= VALIDATED_CACHE_LIMIT) {
      // Simpler than eviction and just as bounded; a legitimate federation never gets here.
      VALIDATED.clear();
    }
    VALIDATED.put(ByteBuffer.wrap(key.point), key);
    return key;
  }

  /**
   * The subject public key of {@code certificate}, which must be a P-256 key as for {@link
   * #fromSubjectPublicKeyInfo}. Does not check the certificate itself; use {@link FederationTrust}.
   */
  public static EcdsaP256VerifyingKey fromCertificate(X509Certificate certificate)
      throws GeneralSecurityException {
    Objects.requireNonNull(certificate, "certificate");
    PublicKey key = certificate.getPublicKey();
    byte[] encoded = key == null ? null : key.getEncoded();
    if (encoded == null) {
      throw new InvalidKeyException("certificate has no encodable public key");
    }
    return fromSubjectPublicKeyInfo(encoded);
  }

  /** Package-private: the uncompressed point 0x04 || x || y; a fresh copy. */
  byte[] uncompressedPoint() {
    return point.clone();
  }

  /** The DER SubjectPublicKeyInfo (91 bytes); a fresh copy. */
  public byte[] toSubjectPublicKeyInfo() {
    return subjectPublicKeyInfo.clone();
  }

  /**
   * Verifies a DER {@code Ecdsa-Sig-Value} (RFC 3279 §2.2.3) over SHA-256({@code message}).
   *
   * <p>The signature must be the distinguished encoding: short-form lengths, minimal positive
   * integers r and s in [1, n-1], nothing after s. Both (r, s) and (r, n-s) verify, as ECDSA
   * allows; callers that need a unique signature per message must not rely on its bytes.
   *
   * @throws SignatureException if the encoding is not strict DER or the signature does not verify
   */
  public void verify(byte[] derSignature, byte[] message) throws GeneralSecurityException {
    Objects.requireNonNull(derSignature, "derSignature");
    Objects.requireNonNull(message, "message");
    verifyValues(EcdsaSignatureEncoding.decodeDer(derSignature), message);
  }

  /**
   * Verifies an IEEE P1363 signature {@code r || s} (exactly 64 bytes, each half big-endian, in [1,
   * n-1]) over SHA-256({@code message}).
   *
   * @throws SignatureException if the length or range is wrong or the signature does not verify
   */
  public void verifyP1363(byte[] signature, byte[] message) throws GeneralSecurityException {
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(message, "message");
    verifyValues(EcdsaSignatureEncoding.decodeP1363(signature), message);
  }

  /** {@link #verify} with a chosen verifier; for tests that run the vectors through each. */
  void verify(byte[] derSignature, byte[] message, P256.Verifier verifier)
      throws GeneralSecurityException {
    Objects.requireNonNull(derSignature, "derSignature");
    Objects.requireNonNull(message, "message");
    verifyValues(EcdsaSignatureEncoding.decodeDer(derSignature), message, prepared(verifier));
  }

  /** {@link #verifyP1363} with a chosen verifier; for tests. */
  void verifyP1363(byte[] signature, byte[] message, P256.Verifier verifier)
      throws GeneralSecurityException {
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(message, "message");
    verifyValues(EcdsaSignatureEncoding.decodeP1363(signature), message, prepared(verifier));
  }

  private void verifyValues(BigInteger[] rs, byte[] message) throws SignatureException {
    P256.PreparedKey key = preparedKey;
    if (key == null) {
      key = P256.prepare(subjectPublicKeyInfo, point, P256.preferredVerifier());
      preparedKey = key;
    }
    verifyValues(rs, message, key);
  }

  private P256.PreparedKey prepared(P256.Verifier verifier) {
    return P256.prepare(subjectPublicKeyInfo, point, verifier);
  }

  private static void verifyValues(BigInteger[] rs, byte[] message, P256.PreparedKey key)
      throws SignatureException {
    if (!P256.verify(key, rs[0], rs[1], message)) {
      throw new SignatureException("ECDSA P-256 signature does not verify");
    }
  }

  /** Lowercase hex SHA-256 of {@link #toSubjectPublicKeyInfo()}: the key's stable identifier. */
  public String fingerprint() {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(subjectPublicKeyInfo));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof EcdsaP256VerifyingKey that
        && Arrays.equals(subjectPublicKeyInfo, that.subjectPublicKeyInfo);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(subjectPublicKeyInfo);
  }

  /** The type and the fingerprint (public). */
  @Override
  public String toString() {
    return "EcdsaP256VerifyingKey[sha256:" + fingerprint() + "]";
  }
}
