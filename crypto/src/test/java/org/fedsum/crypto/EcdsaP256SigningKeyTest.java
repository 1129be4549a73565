package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EcdsaP256SigningKeyTest {
  // RFC 6979 §A.2.5: the P-256 key and its SHA-256 signatures of "sample" and "test".
  private static final String RFC6979_PRIVATE =
      "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
  private static final String RFC6979_PUBLIC_X =
      "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
  private static final String RFC6979_PUBLIC_Y =
      "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
  private static final String SAMPLE_R =
      "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
  private static final String SAMPLE_S =
      "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
  private static final String TEST_R =
      "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367";
  private static final String TEST_S =
      "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083";
  // PrivateKeyInfo { 0, { id-ecPublicKey, prime256v1 }, OCTET STRING ECPrivateKey { 1, d } }
  private static final String PKCS8_PREFIX_WITHOUT_PUBLIC_KEY =
      "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420";
  private static final BigInteger ORDER =
      new BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
  private static final byte[] MESSAGE = "round 7 advertise keys".getBytes(StandardCharsets.UTF_8);

  private static EcdsaP256SigningKey key;
  private static EcdsaP256SigningKey otherKey;

  @BeforeAll
  static void createKeys() {
    SecureRandom random = new SecureRandom();
    key = EcdsaP256SigningKey.generate(random);
    otherKey = EcdsaP256SigningKey.generate(random);
  }

  @Test
  void sign_thenVerify_succeeds() {
    byte[] signature = key.sign(MESSAGE);

    assertThatCode(() -> key.verifyingKey().verify(signature, MESSAGE)).doesNotThrowAnyException();
    assertThat(signature.length).isBetween(8, 72);
  }

  @Test
  void verify_tamperedMessage_throws() {
    byte[] signature = key.sign(MESSAGE);
    byte[] tampered = MESSAGE.clone();
    tampered[0] ^= 1;

    assertThatThrownBy(() -> key.verifyingKey().verify(signature, tampered))
        .isInstanceOf(SignatureException.class)
        .hasMessage("ECDSA P-256 signature does not verify");
  }

  @Test
  void verify_tamperedSignature_throws() {
    byte[] signature = key.sign(MESSAGE);
    byte[] tampered = signature.clone();
    tampered[tampered.length - 1] ^= 1;

    assertThatThrownBy(() -> key.verifyingKey().verify(tampered, MESSAGE))
        .isInstanceOf(SignatureException.class);
  }

  @Test
  void verify_otherKeysSignature_throws() {
    byte[] signature = otherKey.sign(MESSAGE);

    assertThatThrownBy(() -> key.verifyingKey().verify(signature, MESSAGE))
        .isInstanceOf(SignatureException.class);
  }

  @Test
  void sign_sameMessageTwice_isDeterministic() {
    assertThat(key.sign(MESSAGE)).isEqualTo(key.sign(MESSAGE));
    assertThat(key.sign(MESSAGE))
        .isNotEqualTo(key.sign("another".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void sign_rfc6979KeyAndMessages_matchesKnownAnswers() throws GeneralSecurityException {
    EcdsaP256SigningKey rfcKey = EcdsaP256SigningKey.fromPkcs8Pem(pkcs8Pem(RFC6979_PRIVATE));

    assertThat(rfcKey.verifyingKey().toSubjectPublicKeyInfo())
        .endsWith(HexFormat.of().parseHex("04" + RFC6979_PUBLIC_X + RFC6979_PUBLIC_Y));
    assertThat(rfcKey.sign("sample".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(EcdsaSignatureEncoding.encodeDer(hexInt(SAMPLE_R), hexInt(SAMPLE_S)));
    assertThat(rfcKey.sign("test".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(EcdsaSignatureEncoding.encodeDer(hexInt(TEST_R), hexInt(TEST_S)));
  }

  @Test
  void verifyP1363_sameSignatureAsRS_succeeds() throws GeneralSecurityException {
    BigInteger[] rs = EcdsaSignatureEncoding.decodeDer(key.sign(MESSAGE));
    byte[] p1363 = new byte[64];
    copyRight(rs[0], p1363, 0);
    copyRight(rs[1], p1363, 32);

    assertThatCode(() -> key.verifyingKey().verifyP1363(p1363, MESSAGE)).doesNotThrowAnyException();
  }

  @Test
  void verify_negatedS_stillVerifies() throws GeneralSecurityException {
    // ECDSA signatures are malleable: (r, n - s) verifies too. Documented, not a bug; FedSum never
    // uses a signature's bytes as an identifier.
    BigInteger[] rs = EcdsaSignatureEncoding.decodeDer(key.sign(MESSAGE));
    byte[] negated = EcdsaSignatureEncoding.encodeDer(rs[0], ORDER.subtract(rs[1]));

    assertThatCode(() -> key.verifyingKey().verify(negated, MESSAGE)).doesNotThrowAnyException();
  }

  @Test
  void pkcs8Pem_roundTrip_keepsKey() throws GeneralSecurityException {
    String pem = key.toPkcs8Pem(SecretAccess.GRANTED);
    EcdsaP256SigningKey restored = EcdsaP256SigningKey.fromPkcs8Pem(pem);

    assertThat(pem)
        .startsWith("-----BEGIN PRIVATE KEY-----\n")
        .endsWith("-----END PRIVATE KEY-----\n");
    assertThat(restored.verifyingKey()).isEqualTo(key.verifyingKey());
    assertThat(restored.sign(MESSAGE)).isEqualTo(key.sign(MESSAGE));
  }

  @Test
  void fromPkcs8Pem_withMismatchedPublicKey_refused() throws GeneralSecurityException {
    byte[] der = Pem.decodeSingle(key.toPkcs8Pem(SecretAccess.GRANTED), Pem.PRIVATE_KEY).der();
    byte[] otherPoint = otherKey.verifyingKey().uncompressedPoint();
    System.arraycopy(otherPoint, 0, der, der.length - otherPoint.length, otherPoint.length);

    assertThatThrownBy(() -> EcdsaP256SigningKey.fromPkcs8Pem(Pem.encode(Pem.PRIVATE_KEY, der)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("does not match");
  }

  @Test
  void fromPkcs8Pem_scalarOutOfRange_refused() {
    String zero = "00".repeat(32);
    String order = ORDER.toString(16);

    assertThatThrownBy(() -> EcdsaP256SigningKey.fromPkcs8Pem(pkcs8Pem(zero)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("[1, n-1]");
    assertThatThrownBy(() -> EcdsaP256SigningKey.fromPkcs8Pem(pkcs8Pem(order)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("[1, n-1]");
  }

  @Test
  void fromPkcs8Pem_otherCurve_refused() {
    // secp256k1 (1.3.132.0.10) in place of prime256v1.
    String der =
        "303e020100301006072a8648ce3d020106052b8104000a042730250201010420" + RFC6979_PRIVATE;

    assertThatThrownBy(
            () -> EcdsaP256SigningKey.fromPkcs8Pem(Pem.encode(Pem.PRIVATE_KEY, Vectors.hex(der))))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("not on the named curve P-256");
  }

  @Test
  void fromPkcs8Pem_trailingBytes_refused() {
    byte[] der = Vectors.hex(PKCS8_PREFIX_WITHOUT_PUBLIC_KEY + RFC6979_PRIVATE + "00");

    assertThatThrownBy(() -> EcdsaP256SigningKey.fromPkcs8Pem(Pem.encode(Pem.PRIVATE_KEY, der)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("malformed");
  }

  @Test
  void fromPkcs8Pem_sec1Label_refusedWithoutQuotingKey() {
    String pem = key.toPkcs8Pem(SecretAccess.GRANTED).replace("PRIVATE KEY", "EC PRIVATE KEY");
    String body = pem.lines().skip(1).findFirst().orElseThrow();

    assertThatThrownBy(() -> EcdsaP256SigningKey.fromPkcs8Pem(pem))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("EC PRIVATE KEY")
        .hasMessageNotContaining(body);
  }

  @Test
  void fromPkcs8Pem_corruptBase64_refusedWithoutQuotingKey() {
    String pem = key.toPkcs8Pem(SecretAccess.GRANTED);
    String body = pem.lines().skip(1).findFirst().orElseThrow();
    String corrupt = pem.replace(body, "!" + body.substring(1));

    assertThatThrownBy(() -> EcdsaP256SigningKey.fromPkcs8Pem(corrupt))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("not valid base64")
        .hasMessageNotContaining(body.substring(1, 20));
  }

  @Test
  void toString_showsTypeOnly() throws GeneralSecurityException {
    EcdsaP256SigningKey rfcKey = EcdsaP256SigningKey.fromPkcs8Pem(pkcs8Pem(RFC6979_PRIVATE));
    String pemBody = rfcKey.toPkcs8Pem(SecretAccess.GRANTED).lines().skip(1).findFirst().get();

    assertThat(rfcKey.toString())
        .isEqualTo("EcdsaP256SigningKey")
        .doesNotContainIgnoringCase(RFC6979_PRIVATE.substring(0, 8))
        .doesNotContain(pemBody.substring(0, 8));
  }

  @Test
  void generate_twice_givesDifferentKeys() {
    assertThat(key.verifyingKey()).isNotEqualTo(otherKey.verifyingKey());
  }

  private static String pkcs8Pem(String scalarHex) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'})
            .encodeToString(Vectors.hex(PKCS8_PREFIX_WITHOUT_PUBLIC_KEY + scalarHex))
        + "\n-----END PRIVATE KEY-----\n";
  }

  private static BigInteger hexInt(String hex) {
    return new BigInteger(hex, 16);
  }

  private static void copyRight(BigInteger value, byte[] target, int offset) {
    byte[] bytes = value.toByteArray();
    int length = Math.min(bytes.length, 32);
    System.arraycopy(bytes, bytes.length - length, target, offset + 32 - length, length);
    assertThat(Arrays.copyOfRange(target, offset, offset + 32)).isNotEmpty();
  }
}
