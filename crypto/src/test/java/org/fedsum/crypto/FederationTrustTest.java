package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FederationTrustTest {
  private static final Duration CRL_VALIDITY = Duration.ofDays(7);

  private static FederationCa ca;
  private static FederationCa otherCa;
  private static FederationCa impostorCa;
  private static EcdsaP256SigningKey siloKey;
  private static X509Certificate siloCertificate;
  private static X509Certificate aggregatorCertificate;
  private static X509CRL emptyCrl;
  private static FederationTrust trust;

  @BeforeAll
  static void createFixtures() throws GeneralSecurityException {
    SecureRandom random = new SecureRandom();
    ca = FederationCa.create("test-federation", Duration.ofDays(30), random);
    otherCa = FederationCa.create("other-federation", Duration.ofDays(30), random);
    // Same name as the real CA, different key: only the signature check tells them apart.
    impostorCa = FederationCa.create("test-federation", Duration.ofDays(30), random);
    siloKey = EcdsaP256SigningKey.generate(random);
    siloCertificate =
        ca.issue(
            new SiteIdentity(SiteRole.SILO, "silo-1"),
            siloKey.verifyingKey(),
            Duration.ofDays(20),
            List.of());
    aggregatorCertificate =
        ca.issue(
            new SiteIdentity(SiteRole.AGGREGATOR, "central"),
            EcdsaP256SigningKey.generate(random).verifyingKey(),
            Duration.ofDays(20),
            List.of("aggregator.example.org", "127.0.0.1"));
    emptyCrl = ca.emptyCrl(Instant.now().minusSeconds(60), CRL_VALIDITY);
    trust = FederationTrust.create(ca.certificate(), emptyCrl);
  }

  @Test
  void verify_freshSiloCertificate_returnsIdentity() throws GeneralSecurityException {
    assertThat(trust.verify(siloCertificate, Instant.now()))
        .isEqualTo(new SiteIdentity(SiteRole.SILO, "silo-1"));
  }

  @Test
  void verify_expectedRole_returnsIdentity() throws GeneralSecurityException {
    assertThat(trust.verify(aggregatorCertificate, SiteRole.AGGREGATOR, Instant.now()))
        .isEqualTo(new SiteIdentity(SiteRole.AGGREGATOR, "central"));
  }

  @Test
  void verify_wrongRole_refused() {
    assertThatThrownBy(() -> trust.verify(siloCertificate, SiteRole.AGGREGATOR, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("CN=silo-1")
        .hasMessageContaining("is for role silo, expected aggregator");
  }

  @Test
  void verify_certificateFromAnotherCa_refused() {
    X509Certificate foreign =
        otherCa.issue(
            new SiteIdentity(SiteRole.SILO, "silo-1"),
            siloKey.verifyingKey(),
            Duration.ofDays(1),
            List.of());

    assertThatThrownBy(() -> trust.verify(foreign, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("serial " + foreign.getSerialNumber().toString(16))
        .hasMessageContaining("was not issued by the federation CA");
  }

  @Test
  void verify_certificateFromCaWithSameNameButOtherKey_refused() {
    X509Certificate forged =
        impostorCa.issue(
            new SiteIdentity(SiteRole.SILO, "silo-1"),
            siloKey.verifyingKey(),
            Duration.ofDays(1),
            List.of());

    assertThatThrownBy(() -> trust.verify(forged, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("is not signed by the federation CA");
  }

  @Test
  void verify_afterNotAfter_refusedAsExpired() {
    Instant afterExpiry = siloCertificate.getNotAfter().toInstant().plusSeconds(1);
    // A CRL still current at that time, so expiry is the only reason.
    X509CRL laterCrl = ca.emptyCrl(afterExpiry.minusSeconds(60), CRL_VALIDITY);

    assertThatThrownBy(
            () ->
                FederationTrust.create(ca.certificate(), laterCrl)
                    .verify(siloCertificate, afterExpiry))
        .isInstanceOf(CertificateExpiredException.class)
        .hasMessageContaining("CN=silo-1")
        .hasMessageContaining("expired at");
  }

  @Test
  void verify_atNotAfter_accepted() throws GeneralSecurityException {
    Instant lastSecond = siloCertificate.getNotAfter().toInstant();
    X509CRL laterCrl = ca.emptyCrl(lastSecond.minusSeconds(60), CRL_VALIDITY);

    assertThat(
            FederationTrust.create(ca.certificate(), laterCrl).verify(siloCertificate, lastSecond))
        .isEqualTo(new SiteIdentity(SiteRole.SILO, "silo-1"));
  }

  @Test
  void verify_beforeNotBefore_refusedAsNotYetValid() {
    Instant beforeStart = siloCertificate.getNotBefore().toInstant().minusSeconds(1);

    assertThatThrownBy(() -> trust.verify(siloCertificate, beforeStart))
        .isInstanceOf(CertificateNotYetValidException.class)
        .hasMessageContaining("is not valid before");
  }

  @Test
  void verify_revokedCertificate_refusedAndOthersStillAccepted() throws GeneralSecurityException {
    X509Certificate doomed =
        ca.issue(
            new SiteIdentity(SiteRole.SILO, "silo-2"),
            siloKey.verifyingKey(),
            Duration.ofDays(1),
            List.of());
    X509CRL revoked = ca.revoke(emptyCrl, doomed.getSerialNumber(), Instant.now(), CRL_VALIDITY);
    FederationTrust updated = FederationTrust.create(ca.certificate(), revoked);
    assertThat(trust.verify(doomed, Instant.now()).siteId()).isEqualTo("silo-2");

    assertThatThrownBy(() -> updated.verify(doomed, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining(
            "certificate serial "
                + doomed.getSerialNumber().toString(16)
                + " (CN=silo-2) is revoked");
    assertThat(updated.verify(siloCertificate, Instant.now()).siteId()).isEqualTo("silo-1");
  }

  @Test
  void verify_afterCrlNextUpdate_refusedAsStale() {
    Instant afterCrl = emptyCrl.getNextUpdate().toInstant().plusSeconds(1);

    assertThatThrownBy(() -> trust.verify(siloCertificate, afterCrl))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("CRL was due for renewal");
  }

  @Test
  void verify_certificateWithoutSanUri_refused() throws Exception {
    X509Certificate noUri =
        TestCertificates.issuedBy(ca).subject("CN=silo-3").dnsName("silo-3.example.org").build();

    assertThatThrownBy(() -> trust.verify(noUri, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("has 0 SAN URIs");
  }

  @Test
  void verify_certificateWithoutAnySan_refused() throws Exception {
    X509Certificate noSan = TestCertificates.issuedBy(ca).subject("CN=silo-3").build();

    assertThatThrownBy(() -> trust.verify(noSan, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("has 0 SAN URIs");
  }

  @Test
  void verify_certificateWithTwoSanUris_refused() throws Exception {
    X509Certificate twoUris =
        TestCertificates.issuedBy(ca)
            .uri("urn:fedsum:silo:silo-3")
            .uri("urn:fedsum:aggregator:silo-3")
            .build();

    assertThatThrownBy(() -> trust.verify(twoUris, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("has 2 SAN URIs");
  }

  @Test
  void verify_certificateWithForeignUri_refused() throws Exception {
    X509Certificate foreignUri =
        TestCertificates.issuedBy(ca).uri("https://silo-3.example.org/").build();

    assertThatThrownBy(() -> trust.verify(foreignUri, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("identity URI must start with urn:fedsum:");
  }

  @Test
  void verify_certificateWithFedsumUriAndDnsName_accepted() throws Exception {
    X509Certificate certificate =
        TestCertificates.issuedBy(ca)
            .subjectKey(siloKey.verifyingKey())
            .uri("urn:fedsum:operator:ops")
            .dnsName("ops.example.org")
            .build();

    assertThat(trust.verify(certificate, Instant.now()))
        .isEqualTo(new SiteIdentity(SiteRole.OPERATOR, "ops"));
  }

  @Test
  void verify_certificateWithoutDigitalSignature_refused() throws Exception {
    X509Certificate keyEnciphermentOnly =
        TestCertificates.issuedBy(ca)
            .uri("urn:fedsum:silo:silo-3")
            .keyUsage(KeyUsage.keyEncipherment)
            .build();
    X509Certificate noKeyUsage =
        TestCertificates.issuedBy(ca).uri("urn:fedsum:silo:silo-3").keyUsage(null).build();

    assertThatThrownBy(() -> trust.verify(keyEnciphermentOnly, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("lacks KeyUsage digitalSignature");
    assertThatThrownBy(() -> trust.verify(noKeyUsage, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("lacks KeyUsage digitalSignature");
  }

  @Test
  void verify_unknownCriticalExtension_refused() throws Exception {
    X509Certificate certificate =
        TestCertificates.issuedBy(ca)
            .uri("urn:fedsum:silo:silo-3")
            .unknownCriticalExtension()
            .build();

    assertThatThrownBy(() -> trust.verify(certificate, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("unknown critical extension 1.3.6.1.4.1.99999.1");
  }

  @Test
  void verify_signatureAlgorithmWithNullParameters_refused() throws Exception {
    X509Certificate certificate =
        TestCertificates.issuedBy(ca)
            .uri("urn:fedsum:silo:silo-3")
            .signatureParametersNull()
            .build();

    assertThatThrownBy(() -> trust.verify(certificate, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("is not ecdsa-with-SHA256 without parameters");
  }

  @Test
  void verify_caCertificateItself_refused() {
    assertThatThrownBy(() -> trust.verify(ca.certificate(), Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("is a CA certificate");
  }

  @Test
  void verify_afterCaExpiry_refused() throws Exception {
    Instant afterCa = ca.certificate().getNotAfter().toInstant().plusSeconds(1);
    X509CRL laterCrl = ca.emptyCrl(afterCa.minusSeconds(60), CRL_VALIDITY);

    assertThatThrownBy(
            () ->
                FederationTrust.create(ca.certificate(), laterCrl).verify(siloCertificate, afterCa))
        .isInstanceOf(CertificateExpiredException.class)
        .hasMessageContaining("federation CA certificate expired");
  }

  @Test
  void create_crlOfAnotherCa_refused() {
    X509CRL foreignCrl = otherCa.emptyCrl(Instant.now(), CRL_VALIDITY);

    assertThatThrownBy(() -> FederationTrust.create(ca.certificate(), foreignCrl))
        .isInstanceOf(CRLException.class)
        .hasMessageContaining("CRL is issued by CN=FedSum CA other-federation");
  }

  @Test
  void create_crlSignedByCaWithSameNameButOtherKey_refused() {
    X509CRL forgedCrl = impostorCa.emptyCrl(Instant.now(), CRL_VALIDITY);

    assertThatThrownBy(() -> FederationTrust.create(ca.certificate(), forgedCrl))
        .isInstanceOf(CRLException.class)
        .hasMessageContaining("CRL is not signed by the federation CA");
  }

  @Test
  void create_siteCertificateAsCa_refused() {
    assertThatThrownBy(() -> FederationTrust.create(siloCertificate, emptyCrl))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("is not a CA certificate");
  }

  @Test
  void accessors_returnWhatWasTrusted() {
    assertThat(trust.caCertificate()).isEqualTo(ca.certificate());
    assertThat(trust.crl()).isEqualTo(emptyCrl);
  }
}
