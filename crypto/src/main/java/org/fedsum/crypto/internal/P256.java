package org.fedsum.crypto.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * ECDSA over NIST P-256 with SHA-256 (FIPS 186-5 §6): signing, key encoding and point validation on
 * Bouncy Castle's low-level engine; verification on BoringSSL through Conscrypt where its native
 * library loads, else on Bouncy Castle ({@link Verifier}).
 *
 * <p>Private keys cross this boundary as 32-byte big-endian scalars, public keys as 65-byte
 * uncompressed points (SEC 1 v2 §2.3.3), signatures as the pair (r, s). No provider's signature
 * decoder decides what is accepted: the JDK 17 provider and lenient DER decoders accept
 * non-canonical signatures, so the callers parse encodings themselves and hand over bare integers,
 * and Conscrypt receives the distinguished DER encoding of those integers.
 */
public final class P256 {
  /** Bytes of a private scalar and of one coordinate. */
  public static final int FIELD_LENGTH = 32;

  /** Bytes of an uncompressed public point: 0x04 || x || y. */
  public static final int POINT_LENGTH = 1 + 2 * FIELD_LENGTH;

  private static final X9ECParameters CURVE_PARAMETERS =
      CustomNamedCurves.getByOID(SECObjectIdentifiers.secp256r1);
  private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE_PARAMETERS);
  private static final ECCurve CURVE = CURVE_PARAMETERS.getCurve();
  private static final BigInteger FIELD_PRIME = CURVE.getField().getCharacteristic();
  private static final BigInteger ORDER = DOMAIN.getN();
  private static final int ECPRIVATEKEY_VERSION = 1;

  private P256() {}

  /** The group order n of P-256. */
  public static BigInteger order() {
    return ORDER;
  }

  /**
   * A private scalar drawn uniformly from [1, n-1] by rejection sampling (FIPS 186-5 §A.4.2), as 32
   * big-endian bytes.
   */
  public static byte[] generatePrivateScalar(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] candidate = new byte[FIELD_LENGTH];
    while (true) {
      random.nextBytes(candidate);
      BigInteger d = new BigInteger(1, candidate);
      // n is just below 2^256, so a rejection happens with probability about 2^-32.
      if (d.signum() > 0 && d.compareTo(ORDER) < 0) {
        return candidate;
      }
    }
  }

  /** True if {@code scalar} is 32 bytes encoding a value in [1, n-1]. */
  public static boolean isValidPrivateScalar(byte[] scalar) {
    if (scalar.length != FIELD_LENGTH) {
      return false;
    }
    BigInteger d = new BigInteger(1, scalar);
    return d.signum() > 0 && d.compareTo(ORDER) < 0;
  }

  /** The uncompressed public point d·G for a valid private scalar. */
  public static byte[] publicPoint(byte[] scalar) {
    if (!isValidPrivateScalar(scalar)) {
      throw new IllegalArgumentException("P-256 private scalar must be 32 bytes in [1, n-1]");
    }
    return new FixedPointCombMultiplier()
        .multiply(DOMAIN.getG(), new BigInteger(1, scalar))
        .normalize()
        .getEncoded(false);
  }

  /**
   * Checks that {@code point} is an uncompressed P-256 point with both coordinates in [0, p-1], on
   * the curve and not the point at infinity (SEC 1 v2 §3.2.2.1; the cofactor is 1, so every such
   * point has order n).
   *
   * @throws InvalidKeyException naming the first failed check
   */
  public static void validatePublicPoint(byte[] point) throws InvalidKeyException {
    if (point.length != POINT_LENGTH) {
      throw new InvalidKeyException(
          "P-256 public point must be " + POINT_LENGTH + " bytes, not " + point.length);
    }
    if (point[0] != 0x04) {
      throw new InvalidKeyException("P-256 public point must be uncompressed (first byte 0x04)");
    }
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + FIELD_LENGTH));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(point, 1 + FIELD_LENGTH, POINT_LENGTH));
    if (x.compareTo(FIELD_PRIME) >= 0 || y.compareTo(FIELD_PRIME) >= 0) {
      throw new InvalidKeyException("P-256 public point has a coordinate not below p");
    }
    ECPoint decoded = CURVE.createPoint(x, y);
    if (decoded.isInfinity() || !decoded.isValid()) {
      throw new InvalidKeyException("P-256 public point is not on the curve");
    }
  }

  /**
   * Signs SHA-256({@code message}) with the nonce of RFC 6979 §3.2 (deterministic, so a weak random
   * source at signing time cannot leak the key).
   *
   * @return {r, s}, both in [1, n-1]
   */
  public static BigInteger[] sign(byte[] scalar, byte[] message) {
    if (!isValidPrivateScalar(scalar)) {
      throw new IllegalArgumentException("P-256 private scalar must be 32 bytes in [1, n-1]");
    }
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(new BigInteger(1, scalar), DOMAIN));
    return signer.generateSignature(sha256(message));
  }

  /**
   * Which code checks signatures. Both give the same answer for every signature: each runs every
   * case of the Wycheproof ECDSA P-256 files (EcdsaVectorTest), behind the same strict parsing of
   * the encodings, which happens before either is called.
   */
  public enum Verifier {
    /**
     * BoringSSL's P-256 through Conscrypt's JNI binding: several times faster than Bouncy Castle
     * (figures in BENCHMARKS.md, section "One round in memory").
     */
    CONSCRYPT("conscrypt-boringssl"),
    /** Bouncy Castle's low-level ECDSA engine on its constant-time P-256 field arithmetic. */
    BOUNCY_CASTLE("bouncy-castle");

    private final String label;

    Verifier(String label) {
      this.label = label;
    }

    /** A stable name for reports and benchmarks. */
    public String label() {
      return label;
    }
  }

  /** Conscrypt when its native library loads and provides ECDSA P-256, else Bouncy Castle. */
  public static Verifier preferredVerifier() {
    return ConscryptEcdsa.AVAILABLE ? Verifier.CONSCRYPT : Verifier.BOUNCY_CASTLE;
  }

  /** Whether {@link Verifier#CONSCRYPT} works on this machine. */
  public static boolean conscryptVerifierAvailable() {
    return ConscryptEcdsa.AVAILABLE;
  }

  /**
   * A public key made ready for one verifier: decoded once, then used for any number of signatures,
   * from any thread. Holds no secret.
   */
  public static final class PreparedKey {
    private final Verifier verifier;
    private final PublicKey conscryptKey;
    private final ECPublicKeyParameters bouncyCastleKey;

    private PreparedKey(
        Verifier verifier, PublicKey conscryptKey, ECPublicKeyParameters bouncyCastleKey) {
      this.verifier = verifier;
      this.conscryptKey = conscryptKey;
      this.bouncyCastleKey = bouncyCastleKey;
    }

    /** The verifier this key was prepared for. */
    public Verifier verifier() {
      return verifier;
    }

    @Override
    public String toString() {
      return "P256.PreparedKey[" + verifier.label() + "]";
    }
  }

  /**
   * Prepares a public key for {@code verifier}.
   *
   * @param subjectPublicKeyInfo the DER SubjectPublicKeyInfo of {@code point}
   * @param point a point already accepted by {@link #validatePublicPoint}
   * @throws IllegalStateException if Conscrypt is asked for but not available, or refuses a point
   *     that {@link #validatePublicPoint} accepted (a bug)
   */
  public static PreparedKey prepare(byte[] subjectPublicKeyInfo, byte[] point, Verifier verifier) {
    Objects.requireNonNull(subjectPublicKeyInfo, "subjectPublicKeyInfo");
    Objects.requireNonNull(point, "point");
    Objects.requireNonNull(verifier, "verifier");
    switch (verifier) {
      case CONSCRYPT:
        return new PreparedKey(verifier, ConscryptEcdsa.publicKey(subjectPublicKeyInfo), null);
      case BOUNCY_CASTLE:
        return new PreparedKey(
            verifier, null, new ECPublicKeyParameters(CURVE.decodePoint(point), DOMAIN));
    }
    throw new AssertionError(verifier);
  }

  /**
   * Verifies (r, s) over SHA-256({@code message}) (FIPS 186-5 §6.4.2) with the key's verifier.
   * Returns false for r or s outside [1, n-1].
   */
  public static boolean verify(PreparedKey key, BigInteger r, BigInteger s, byte[] message) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(message, "message");
    if (!inSignatureRange(r) || !inSignatureRange(s)) {
      return false;
    }
    switch (key.verifier) {
      case CONSCRYPT:
        return ConscryptEcdsa.verify(key.conscryptKey, r, s, message);
      case BOUNCY_CASTLE:
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, key.bouncyCastleKey);
        return verifier.verifySignature(sha256(message), r, s);
    }
    throw new AssertionError(key.verifier);
  }

  /** BoringSSL's ECDSA through Conscrypt's JCA classes, used with our private provider only. */
  private static final class ConscryptEcdsa {
    static final boolean AVAILABLE = probe();

    private ConscryptEcdsa() {}

    private static boolean probe() {
      Provider provider = ConscryptProvider.INSTANCE;
      if (provider == null) {
        return false;
      }
      try {
        KeyFactory.getInstance("EC", provider);
        Signature.getInstance("SHA256withECDSA", provider);
        return true;
      } catch (GeneralSecurityException e) {
        return false;
      }
    }

    static PublicKey publicKey(byte[] subjectPublicKeyInfo) {
      if (!AVAILABLE) {
        throw new IllegalStateException("Conscrypt's ECDSA is not available here");
      }
      try {
        return KeyFactory.getInstance("EC", ConscryptProvider.INSTANCE)
            .generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("bug: Conscrypt refused a validated P-256 public key", e);
      }
    }

    static boolean verify(PublicKey key, BigInteger r, BigInteger s, byte[] message) {
      try {
        Signature signature = Signature.getInstance("SHA256withECDSA", ConscryptProvider.INSTANCE);
        signature.initVerify(key);
        signature.update(message);
        // The caller parsed the received encoding strictly; BoringSSL gets the one DER encoding
        // of the same (r, s), so its own parser never decides what is accepted.
        return signature.verify(distinguishedEncoding(r, s));
      } catch (InvalidKeyException | NoSuchAlgorithmException e) {
        throw new IllegalStateException("bug: Conscrypt cannot verify with a prepared key", e);
      } catch (SignatureException e) {
        // Not expected for a canonical encoding with r and s in range; refusing is the safe side.
        return false;
      }
    }

    /** DER SEQUENCE { INTEGER r, INTEGER s } for r, s in [1, n-1]: always short-form lengths. */
    private static byte[] distinguishedEncoding(BigInteger r, BigInteger s) {
      byte[] rBytes = r.toByteArray();
      byte[] sBytes = s.toByteArray();
      int contentLength = 2 + rBytes.length + 2 + sBytes.length;
      byte[] der = new byte[2 + contentLength];
      der[0] = 0x30;
      der[1] = (byte) contentLength;
      der[2] = 0x02;
      der[3] = (byte) rBytes.length;
      System.arraycopy(rBytes, 0, der, 4, rBytes.length);
      int sAt = 4 + rBytes.length;
      der[sAt] = 0x02;
      der[sAt + 1] = (byte) sBytes.length;
      System.arraycopy(sBytes, 0, der, sAt + 2, sBytes.length);
      return der;
    }
  }

  private static boolean inSignatureRange(BigInteger value) {
    return value.signum() > 0 && value.compareTo(ORDER) < 0;
  }

  private static byte[] sha256(byte[] message) {
    SHA256Digest digest = new SHA256Digest();
    digest.update(message, 0, message.length);
    byte[] hash = new byte[digest.getDigestSize()];
    digest.doFinal(hash, 0);
    return hash;
  }

  /**
   * PKCS#8 PrivateKeyInfo (RFC 5208 §5) holding an RFC 5915 ECPrivateKey with the public key, the
   * curve named in the algorithm identifier only; the layout OpenSSL writes.
   */
  public static byte[] encodePkcs8(byte[] scalar, byte[] point) {
    if (!isValidPrivateScalar(scalar)) {
      throw new IllegalArgumentException("P-256 private scalar must be 32 bytes in [1, n-1]");
    }
    DERSequence ecPrivateKey =
        new DERSequence(
            new ASN1Encodable[] {
              new ASN1Integer(ECPRIVATEKEY_VERSION),
              new DEROctetString(scalar),
              new DERTaggedObject(true, 1, new DERBitString(point))
            });
    try {
      return new PrivateKeyInfo(p256Algorithm(), ecPrivateKey).getEncoded("DER");
    } catch (IOException e) {
      throw new IllegalStateException("bug: cannot encode a PKCS#8 structure", e);
    }
  }

  /**
   * Reads the private scalar from a PKCS#8 PrivateKeyInfo that must hold a named-curve P-256 key:
   * no trailing bytes, algorithm id-ecPublicKey with parameters prime256v1, an RFC 5915
   * ECPrivateKey version 1 with a 32-byte scalar in [1, n-1]; curve parameters and the public key,
   * where present, must agree with that. Exception messages never contain key material.
   *
   * @throws InvalidKeySpecException naming the failed check
   */
  public static byte[] decodePkcs8(byte[] der) throws GeneralSecurityException {
    PrivateKeyInfo info;
    ASN1Sequence ecPrivateKey;
    try {
      info = PrivateKeyInfo.getInstance(ASN1Primitive.fromByteArray(der));
      ecPrivateKey = ASN1Sequence.getInstance(info.parsePrivateKey());
    } catch (IOException | RuntimeException e) {
      // No cause: a parser's message could quote the bytes it choked on.
      throw new InvalidKeySpecException("PKCS#8 structure is malformed");
    }
    AlgorithmIdentifier algorithm = info.getPrivateKeyAlgorithm();
    if (!X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm.getAlgorithm())) {
      throw new InvalidKeySpecException(
          "PKCS#8 key is not an EC key (algorithm " + algorithm.getAlgorithm().getId() + ")");
    }
    if (!SECObjectIdentifiers.secp256r1.equals(algorithm.getParameters())) {
      throw new InvalidKeySpecException("PKCS#8 EC key is not on the named curve P-256");
    }
    byte[] scalar = parseEcPrivateKey(ecPrivateKey);
    try {
      // PKCS#8 v2 (RFC 5958 OneAsymmetricKey) may carry the public key outside too.
      ASN1BitString outerPublicKey = info.getPublicKeyData();
      if (outerPublicKey != null
          && !Arrays.equals(bitStringOctets(outerPublicKey), publicPoint(scalar))) {
        throw new InvalidKeySpecException("PKCS#8 public key does not match the private key");
      }
      return scalar;
    } catch (GeneralSecurityException | RuntimeException e) {
      Arrays.fill(scalar, (byte) 0);
      throw e;
    }
  }

  private static byte[] bitStringOctets(ASN1BitString bits) throws InvalidKeySpecException {
    if (bits.getPadBits() != 0) {
      throw new InvalidKeySpecException("public key BIT STRING has unused bits");
    }
    return bits.getOctets();
  }

  private static byte[] parseEcPrivateKey(ASN1Sequence sequence) throws GeneralSecurityException {
    byte[] scalar;
    try {
      if (sequence.size() < 2 || sequence.size() > 4) {
        throw new InvalidKeySpecException("ECPrivateKey must have 2 to 4 fields");
      }
      BigInteger version = ASN1Integer.getInstance(sequence.getObjectAt(0)).getValue();
      if (!version.equals(BigInteger.valueOf(ECPRIVATEKEY_VERSION))) {
        throw new InvalidKeySpecException("ECPrivateKey version must be 1");
      }
      scalar = ASN1OctetString.getInstance(sequence.getObjectAt(1)).getOctets();
      if (!isValidPrivateScalar(scalar)) {
        throw new InvalidKeySpecException("P-256 private scalar must be 32 bytes in [1, n-1]");
      }
      int previousTag = -1;
      for (int i = 2; i < sequence.size(); i++) {
        ASN1TaggedObject field = ASN1TaggedObject.getInstance(sequence.getObjectAt(i));
        int tag = field.getTagNo();
        if (field.getTagClass() != BERTags.CONTEXT_SPECIFIC
            || tag <= previousTag
            || tag > 1
            || !field.isExplicit()) {
          throw new InvalidKeySpecException("ECPrivateKey has an unexpected field");
        }
        previousTag = tag;
        if (tag == 0) {
          ASN1ObjectIdentifier curve =
              ASN1ObjectIdentifier.getInstance(field.getExplicitBaseObject());
          if (!SECObjectIdentifiers.secp256r1.equals(curve)) {
            throw new InvalidKeySpecException("ECPrivateKey names a curve other than P-256");
          }
        } else {
          byte[] point = bitStringOctets(ASN1BitString.getInstance(field.getExplicitBaseObject()));
          if (!Arrays.equals(point, publicPoint(scalar))) {
            throw new InvalidKeySpecException("ECPrivateKey public key does not match its scalar");
          }
        }
      }
    } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
      throw new InvalidKeySpecException("ECPrivateKey structure is malformed");
    }
    return scalar;
  }

  private static AlgorithmIdentifier p256Algorithm() {
    return new AlgorithmIdentifier(
        X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp256r1);
  }
}
