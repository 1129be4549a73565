package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EcdsaP256VerifyingKeyTest {
  // The first key of Wycheproof's ecdsa_secp256r1_sha256_test.json, and SHA-256 of its encoding
  // computed independently (Python hashlib).
  private static final String WYCHEPROOF_SPKI =
      "3059301306072a8648ce3d020106082a8648ce3d0301070342000404aaec73635726f213fb8a9e64da3b8632e4"
          + "1495a944d0045b522eba7240fad587d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e83"
          + "65d525d";
  private static final String WYCHEPROOF_FINGERPRINT =
      "0959b8a32ced68a78e40886d18b701098c146497c51790ce549456ddfef3ece9";
  // The same key with its point compressed (y is odd).
  private static final String WYCHEPROOF_COMPRESSED_SPKI =
      "3039301306072a8648ce3d020106082a8648ce3d0301070322000304aaec73635726f213fb8a9e64da3b8632e4"
          + "1495a944d0045b522eba7240fad5";

  private static EcdsaP256SigningKey key;

  @BeforeAll
  static void createKey() {
    key = EcdsaP256SigningKey.generate(new SecureRandom());
  }

  @Test
  void fromSubjectPublicKeyInfo_roundTrip_keepsEncodingAndFingerprint()
      throws GeneralSecurityException {
    EcdsaP256VerifyingKey parsed =
        EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(Vectors.hex(WYCHEPROOF_SPKI));

    assertThat(parsed.toSubjectPublicKeyInfo()).isEqualTo(Vectors.hex(WYCHEPROOF_SPKI));
    assertThat(parsed.fingerprint()).isEqualTo(WYCHEPROOF_FINGERPRINT);
    assertThat(parsed.toString()).contains(WYCHEPROOF_FINGERPRINT);
  }

  @Test
  void fromSubjectPublicKeyInfo_sameKeyTwice_returnsTheValidatedKey()
      throws GeneralSecurityException {
    byte[] der = key.verifyingKey().toSubjectPublicKeyInfo();
    EcdsaP256VerifyingKey first = EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(der);

    assertThat(EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(der.clone())).isSameAs(first);
  }

  @Test
  void fromSubjectPublicKeyInfo_pointOffCurveAfterValidKeyParsed_stillRefused()
      throws GeneralSecurityException {
    byte[] der = key.verifyingKey().toSubjectPublicKeyInfo();
    EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(der);
    byte[] offCurve = der.clone();
    offCurve[offCurve.length - 1] ^= 1;

    assertThatThrownBy(() -> EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(offCurve))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("not on the curve");
  }

  @Test
  void equals_sameEncoding_equalAndSameHash() throws GeneralSecurityException {
    EcdsaP256VerifyingKey first =
        EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(key.verifyingKey().toSubjectPublicKeyInfo());

    assertThat(first).isEqualTo(key.verifyingKey()).hasSameHashCodeAs(key.verifyingKey());
    assertThat(first)
        .isNotEqualTo(EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(Vectors.hex(WYCHEPROOF_SPKI)));
  }

  @Test
  void toSubjectPublicKeyInfo_returnsCopy() {
    byte[] encoding = key.verifyingKey().toSubjectPublicKeyInfo();
    encoding[encoding.length - 1] ^= 1;

    assertThat(key.verifyingKey().toSubjectPublicKeyInfo()).isNotEqualTo(encoding);
  }

  @Test
  void fromSubjectPublicKeyInfo_compressedPoint_refused() {
    assertThatThrownBy(
            () ->
                EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(
                    Vectors.hex(WYCHEPROOF_COMPRESSED_SPKI)))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("must be 91 bytes");
  }

  @Test
  void fromSubjectPublicKeyInfo_pointOffCurve_refused() {
    byte[] der = Vectors.hex(WYCHEPROOF_SPKI);
    der[der.length - 1] ^= 1;

    assertThatThrownBy(() -> EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(der))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("not on the curve");
  }

  @Test
  void fromSubjectPublicKeyInfo_coordinateNotBelowPrime_refused() {
    byte[] der = Vectors.hex(WYCHEPROOF_SPKI);
    Arrays.fill(der, der.length - 64, der.length - 32, (byte) 0xff);

    assertThatThrownBy(() -> EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(der))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("not below p");
  }

  @Test
  void fromSubjectPublicKeyInfo_otherAlgorithmHeader_refused() {
    byte[] der = Vectors.hex(WYCHEPROOF_SPKI);
    der[der.length - 66] = 1; // BIT STRING claims one unused bit

    assertThatThrownBy(() -> EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(der))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("not a DER SubjectPublicKeyInfo of a named-curve P-256 key");
  }

  @Test
  void fromCertificate_issuedCertificate_returnsSubjectKey() throws GeneralSecurityException {
    FederationCa ca = FederationCa.create("key-test", Duration.ofDays(1), new SecureRandom());
    X509Certificate certificate =
        ca.issue(
            new SiteIdentity(SiteRole.SILO, "silo-1"),
            key.verifyingKey(),
            Duration.ofHours(1),
            List.of());

    assertThat(EcdsaP256VerifyingKey.fromCertificate(certificate)).isEqualTo(key.verifyingKey());
  }

  @Test
  void verify_redundantLeadingZero_refusedThoughValueVerifies() throws GeneralSecurityException {
    // Find a signature whose r is 32 bytes with the top bit clear; prefixing 0x00 keeps the value
    // (so a lax decoder would accept it) but is not DER.
    for (int i = 0; ; i++) {
      byte[] message = ("message " + i).getBytes(StandardCharsets.UTF_8);
      byte[] der = key.sign(message);
      BigInteger[] rs = EcdsaSignatureEncoding.decodeDer(der);
      if (rs[0].toByteArray().length != 32) {
        continue;
      }
      byte[] padded = new byte[der.length + 1];
      padded[0] = 0x30;
      padded[1] = (byte) (der[1] + 1);
      padded[2] = 0x02;
      padded[3] = 33;
      padded[4] = 0;
      System.arraycopy(der, 4, padded, 5, der.length - 4);
      assertThat(EcdsaSignatureEncoding.encodeDer(rs[0], rs[1])).isEqualTo(der);

      assertThatThrownBy(() -> key.verifyingKey().verify(padded, message))
          .isInstanceOf(SignatureException.class)
          .hasMessageContaining("redundant leading zero");
      return;
    }
  }

  @Test
  void verify_bytesAfterSInsideSequence_refused() {
    // A signature short enough that two more bytes keep the SEQUENCE within the largest valid
    // length, so only the check for bytes after s can refuse it.
    byte[] message = new byte[1];
    byte[] der = key.sign(message);
    while (der.length > 70) {
      message[0]++;
      der = key.sign(message);
    }
    byte[] extended = Arrays.copyOf(der, der.length + 2);
    extended[1] = (byte) (der[1] + 2);

    assertThatThrownBy(() -> key.verifyingKey().verify(extended, message))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("bytes after s");
  }

  @Test
  void verify_bytesAfterSequence_refused() {
    byte[] der = key.sign(new byte[0]);
    byte[] extended = Arrays.copyOf(der, der.length + 1);

    assertThatThrownBy(() -> key.verifyingKey().verify(extended, new byte[0]))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("follow the header");
  }

  @Test
  void verify_longFormLength_refused() {
    byte[] der = key.sign(new byte[0]);
    byte[] longForm = new byte[der.length + 1];
    longForm[0] = 0x30;
    longForm[1] = (byte) 0x81;
    System.arraycopy(der, 1, longForm, 2, der.length - 1);

    assertThatThrownBy(() -> key.verifyingKey().verify(longForm, new byte[0]))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("is not a valid length");
  }

  @Test
  void verifyP1363_wrongLength_refused() {
    assertThatThrownBy(() -> key.verifyingKey().verifyP1363(new byte[63], new byte[0]))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("must be 64 bytes, not 63");
  }

  @Test
  void verifyP1363_zeroValues_refused() {
    assertThatThrownBy(() -> key.verifyingKey().verifyP1363(new byte[64], new byte[0]))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("[1, n-1]");
  }

  @Test
  void verify_emptyMessage_roundTrips() {
    byte[] signature = key.sign(new byte[0]);

    assertThatCode(() -> key.verifyingKey().verify(signature, new byte[0]))
        .doesNotThrowAnyException();
  }
}
