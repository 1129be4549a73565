package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PemTest {
  private static FederationCa ca;
  private static X509Certificate siloCertificate;
  private static X509CRL crl;

  @BeforeAll
  static void createFixtures() {
    SecureRandom random = new SecureRandom();
    ca = FederationCa.create("pem-test", Duration.ofDays(2), random);
    siloCertificate =
        ca.issue(
            new SiteIdentity(SiteRole.SILO, "silo-1"),
            EcdsaP256SigningKey.generate(random).verifyingKey(),
            Duration.ofDays(1),
            List.of());
    crl = ca.emptyCrl(Instant.now(), Duration.ofDays(1));
  }

  @Test
  void certificate_roundTrip_givesEqualCertificate() throws GeneralSecurityException {
    String pem = Pem.encodeCertificate(siloCertificate);

    assertThat(Pem.decodeCertificate(pem)).isEqualTo(siloCertificate);
    assertThat(pem)
        .startsWith("-----BEGIN CERTIFICATE-----\n")
        .endsWith("-----END CERTIFICATE-----\n");
    assertThat(pem.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(64));
  }

  @Test
  void decodeCertificates_bundleWithCrlfAndBlankLines_keepsOrder() throws GeneralSecurityException {
    String bundle =
        "\n"
            + Pem.encodeCertificate(siloCertificate)
            + "\n  \n"
            + Pem.encodeCertificate(ca.certificate()).replace("\n", "\r\n");

    assertThat(Pem.decodeCertificates(bundle)).containsExactly(siloCertificate, ca.certificate());
  }

  @Test
  void decodeCertificate_twoBlocks_refused() {
    String bundle =
        Pem.encodeCertificate(siloCertificate) + Pem.encodeCertificate(ca.certificate());

    assertThatThrownBy(() -> Pem.decodeCertificate(bundle))
        .isInstanceOf(CertificateException.class)
        .hasMessage("expected exactly one CERTIFICATE block, found 2");
  }

  @Test
  void crl_roundTrip_givesEqualCrl() throws GeneralSecurityException {
    String pem = Pem.encodeCrl(crl);

    assertThat(pem).startsWith("-----BEGIN X509 CRL-----\n");
    assertThat(Pem.decodeCrl(pem)).isEqualTo(crl);
  }

  @Test
  void decodeCrl_certificateBlock_refused() {
    assertThatThrownBy(() -> Pem.decodeCrl(Pem.encodeCertificate(siloCertificate)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("PEM block 1 is labelled CERTIFICATE, expected X509 CRL");
  }

  @Test
  void decode_noBlock_refused() {
    assertThatThrownBy(() -> Pem.decodeCertificate(" \n"))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("no PEM block found");
  }

  @Test
  void decode_missingEndLine_refused() {
    String pem = Pem.encodeCertificate(siloCertificate).replace("-----END CERTIFICATE-----\n", "");

    assertThatThrownBy(() -> Pem.decodeCertificate(pem))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("PEM block CERTIFICATE has no -----END line");
  }

  @Test
  void decode_mismatchedEndLabel_refused() {
    String pem = Pem.encodeCertificate(siloCertificate).replace("END CERTIFICATE", "END X509 CRL");

    assertThatThrownBy(() -> Pem.decodeCertificate(pem))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("should be -----END CERTIFICATE-----");
  }

  @Test
  void decode_textOutsideBlocks_refused() {
    String pem = "subject=CN=silo-1\n" + Pem.encodeCertificate(siloCertificate);

    assertThatThrownBy(() -> Pem.decodeCertificate(pem))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("PEM line 1 is neither blank nor a -----BEGIN line");
  }

  @Test
  void decode_invalidBase64_refusedWithoutQuotingContent() {
    String pem = Pem.encodeCertificate(siloCertificate);
    String secondLine = pem.lines().skip(1).findFirst().orElseThrow();
    String corrupt = pem.replace(secondLine, secondLine.substring(0, 60) + "$$$$");

    assertThatThrownBy(() -> Pem.decodeCertificate(corrupt))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("PEM block 1 (CERTIFICATE) is not valid base64");
  }

  @Test
  void decode_unpaddedBase64_refused() {
    String pem = "-----BEGIN CERTIFICATE-----\nMIIB\nMA\n-----END CERTIFICATE-----\n";

    assertThatThrownBy(() -> Pem.decodeCertificate(pem))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("PEM block 1 (CERTIFICATE) is not padded base64");
  }

  @Test
  void decode_emptyBlock_refused() {
    assertThatThrownBy(
            () -> Pem.decodeCertificate("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("PEM block 1 (CERTIFICATE) is empty");
  }

  @Test
  void decodeCertificate_bytesAfterCertificate_refused() {
    byte[] der = TestCertificates.encoded(siloCertificate);
    byte[] extended = Arrays.copyOf(der, der.length + 2);

    assertThatThrownBy(() -> Pem.decodeCertificate(Pem.encode(Pem.CERTIFICATE, extended)))
        .isInstanceOf(CertificateException.class)
        .hasMessage("PEM block 1 has bytes after the certificate");
  }

  @Test
  void decodeCertificate_notACertificate_refused() {
    assertThatThrownBy(
            () ->
                Pem.decodeCertificate(
                    Pem.encode(Pem.CERTIFICATE, new byte[] {0x30, 0x03, 1, 2, 3})))
        .isInstanceOf(CertificateException.class)
        .hasMessageStartingWith("PEM block 1 is not a valid X.509 certificate");
  }

  @Test
  void decodeCrl_bytesAfterCrl_refused() throws CRLException {
    byte[] der = crl.getEncoded();
    byte[] extended = Arrays.copyOf(der, der.length + 1);

    assertThatThrownBy(() -> Pem.decodeCrl(Pem.encode(Pem.CRL, extended)))
        .isInstanceOf(CRLException.class)
        .hasMessage("PEM block 1 has bytes after the CRL");
  }

  @Test
  void decodeCertificate_privateKeyPasted_refusedWithoutQuotingKey() {
    String keyPem =
        EcdsaP256SigningKey.generate(new SecureRandom()).toPkcs8Pem(SecretAccess.GRANTED);
    String keyLine = keyPem.lines().skip(1).findFirst().orElseThrow();

    assertThatThrownBy(() -> Pem.decodeCertificate(keyPem))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("PEM block 1 is labelled PRIVATE KEY, expected CERTIFICATE")
        .hasMessageNotContaining(keyLine);
  }
}
