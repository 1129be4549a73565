package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.fedsum.crypto.internal.Pkix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FederationCaTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;
  private static final int SAN_IP = 7;

  private static FederationCa ca;
  private static FederationCa otherCa;
  private static EcdsaP256VerifyingKey subjectKey;
  private static Instant createdAt;

  @BeforeAll
  static void createFixtures() {
    SecureRandom random = new SecureRandom();
    createdAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    ca = FederationCa.create("acme-health", Duration.ofDays(365), random);
    otherCa = FederationCa.create("other", Duration.ofDays(365), random);
    subjectKey = EcdsaP256SigningKey.generate(random).verifyingKey();
  }

  @Test
  void create_certificate_isSelfSignedP256Ca() throws GeneralSecurityException {
    X509Certificate certificate = ca.certificate();

    assertThat(certificate.getSubjectX500Principal().getName())
        .isEqualTo("CN=FedSum CA acme-health");
    assertThat(certificate.getIssuerX500Principal())
        .isEqualTo(certificate.getSubjectX500Principal());
    assertThat(certificate.getBasicConstraints()).isZero();
    assertThat(certificate.getKeyUsage()).startsWith(false, false, false, false, false, true, true);
    assertThat(certificate.getCriticalExtensionOIDs())
        .containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
    assertThat(certificate.getExtensionValue("2.5.29.14")).isNotNull();
    assertThat(certificate.getNotBefore().toInstant()).isBefore(createdAt.minusSeconds(4 * 60));
    assertThat(certificate.getNotAfter().toInstant())
        .isBetween(
            createdAt.plus(Duration.ofDays(365)),
            createdAt.plus(Duration.ofDays(365)).plusSeconds(60));
    assertThatCode(() -> FederationTrust.requireCaCertificate(certificate))
        .doesNotThrowAnyException();
    // The JDK provider agrees the self-signature is valid.
    certificate.verify(certificate.getPublicKey());
  }

  @Test
  void create_invalidArguments_throw() {
    SecureRandom random = new SecureRandom();
    assertThatThrownBy(() -> FederationCa.create("Acme", Duration.ofDays(1), random))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("federation id");
    assertThatThrownBy(() -> FederationCa.create("acme", Duration.ZERO, random))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CA validity must be positive");
  }

  @Test
  void issue_silo_hasIdentityAndClientExtensions() throws Exception {
    X509Certificate certificate =
        ca.issue(
            new SiteIdentity(SiteRole.SILO, "hospital-a"),
            subjectKey,
            Duration.ofDays(30),
            List.of());

    assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=hospital-a");
    assertThat(certificate.getIssuerX500Principal())
        .isEqualTo(ca.certificate().getSubjectX500Principal());
    assertThat(sans(certificate)).containsExactly(List.of(SAN_URI, "urn:fedsum:silo:hospital-a"));
    assertThat(certificate.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    assertThat(certificate.getKeyUsage())
        .startsWith(true, false, false, false, false, false, false);
    assertThat(certificate.getCriticalExtensionOIDs())
        .containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
    assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
    assertThat(certificate.getSerialNumber().signum()).isPositive();
    assertThat(certificate.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
    assertThat(EcdsaP256VerifyingKey.fromCertificate(certificate)).isEqualTo(subjectKey);
    assertThat(authorityKeyIdentifier(certificate))
        .isEqualTo(subjectKeyIdentifier(ca.certificate()));
    assertThat(subjectKeyIdentifier(certificate)).hasSize(20);
    assertThat(certificate.getSigAlgOID()).isEqualTo("1.2.840.10045.4.3.2");
    assertThat(Pkix.isSignedWithEcdsaSha256(certificate)).isTrue();
    certificate.verify(ca.certificate().getPublicKey());
    FederationTrust.verifySignedBy(
        certificate, EcdsaP256VerifyingKey.fromCertificate(ca.certificate()), "the CA");
  }

  @Test
  void issue_aggregatorWithHostNames_hasServerAuthAndAllNames() throws Exception {
    X509Certificate certificate =
        ca.issue(
            new SiteIdentity(SiteRole.AGGREGATOR, "central"),
            subjectKey,
            Duration.ofDays(30),
            List.of("aggregator.Example.org", "localhost", "127.0.0.1", "::1"));

    assertThat(certificate.getExtendedKeyUsage()).containsExactly(SERVER_AUTH, CLIENT_AUTH);
    assertThat(sans(certificate))
        .containsExactly(
            List.of(SAN_URI, "urn:fedsum:aggregator:central"),
            List.of(SAN_DNS, "aggregator.example.org"),
            List.of(SAN_DNS, "localhost"),
            List.of(SAN_IP, "127.0.0.1"),
            List.of(SAN_IP, "0:0:0:0:0:0:0:1"));
  }

  @Test
  void issue_operator_hasClientAuthOnly() throws Exception {
    X509Certificate certificate =
        ca.issue(
            new SiteIdentity(SiteRole.OPERATOR, "ops"), subjectKey, Duration.ofDays(1), List.of());

    assertThat(certificate.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
  }

  @Test
  void issue_validity_startsBackdatedAndEndsAfterValidity() {
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    X509Certificate certificate =
        ca.issue(new SiteIdentity(SiteRole.SILO, "s"), subjectKey, Duration.ofHours(2), List.of());
    Instant after = Instant.now();

    Instant notBefore = certificate.getNotBefore().toInstant();
    Instant notAfter = certificate.getNotAfter().toInstant();
    assertThat(notBefore)
        .isBetween(before.minus(Duration.ofMinutes(5)), after.minus(Duration.ofMinutes(5)));
    assertThat(notAfter)
        .isBetween(before.plus(Duration.ofHours(2)), after.plus(Duration.ofHours(2)));
  }

  @Test
  void issue_twice_givesDistinctSerials() {
    SiteIdentity identity = new SiteIdentity(SiteRole.SILO, "s");
    BigInteger first =
        ca.issue(identity, subjectKey, Duration.ofHours(1), List.of()).getSerialNumber();
    BigInteger second =
        ca.issue(identity, subjectKey, Duration.ofHours(1), List.of()).getSerialNumber();

    assertThat(first).isNotEqualTo(second);
  }

  @Test
  void issue_invalidArguments_throw() {
    SiteIdentity identity = new SiteIdentity(SiteRole.AGGREGATOR, "central");
    Duration day = Duration.ofDays(1);

    assertThatThrownBy(() -> ca.issue(identity, subjectKey, Duration.ofDays(400), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("would outlast the CA certificate");
    assertThatThrownBy(() -> ca.issue(identity, subjectKey, Duration.ofSeconds(-1), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("certificate validity must be positive");
    for (String bad :
        List.of("*.example.org", "bad host", "1.2.3", "256.1.1.1", "-a.org", "a..org", "")) {
      assertThatThrownBy(() -> ca.issue(identity, subjectKey, day, List.of(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is neither a DNS name nor an IPv4 or IPv6 literal");
    }
    assertThatThrownBy(() -> ca.issue(identity, subjectKey, day, List.of("a.org", "A.org")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listed twice");
  }

  @Test
  void load_exportedCa_issuesCertificatesTheOriginalTrusts() throws GeneralSecurityException {
    FederationCa loaded =
        FederationCa.load(
            Pem.encodeCertificate(ca.certificate()), ca.privateKeyPem(SecretAccess.GRANTED));
    X509Certificate certificate =
        loaded.issue(
            new SiteIdentity(SiteRole.SILO, "s"), subjectKey, Duration.ofDays(1), List.of());
    FederationTrust trust =
        FederationTrust.create(ca.certificate(), ca.emptyCrl(Instant.now(), Duration.ofDays(1)));

    assertThat(loaded.certificate()).isEqualTo(ca.certificate());
    assertThat(trust.verify(certificate, Instant.now()))
        .isEqualTo(new SiteIdentity(SiteRole.SILO, "s"));
  }

  @Test
  void load_keyOfAnotherCa_refused() {
    assertThatThrownBy(
            () ->
                FederationCa.load(
                    Pem.encodeCertificate(ca.certificate()),
                    otherCa.privateKeyPem(SecretAccess.GRANTED)))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("private key does not match the CA");
  }

  @Test
  void load_siteCertificate_refused() {
    X509Certificate site =
        ca.issue(new SiteIdentity(SiteRole.SILO, "s"), subjectKey, Duration.ofDays(1), List.of());

    assertThatThrownBy(
            () ->
                FederationCa.load(
                    Pem.encodeCertificate(site), ca.privateKeyPem(SecretAccess.GRANTED)))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("is not a CA certificate");
  }

  @Test
  void emptyCrl_hasNumberOneAndNoEntries() throws GeneralSecurityException {
    Instant thisUpdate = Instant.parse("2030-01-02T03:04:05.678Z");
    X509CRL crl = ca.emptyCrl(thisUpdate, Duration.ofDays(7));

    assertThat(crl.getRevokedCertificates()).isNull();
    assertThat(Pkix.crlNumber(crl)).isEqualTo(BigInteger.ONE);
    assertThat(crl.getThisUpdate().toInstant()).isEqualTo(Instant.parse("2030-01-02T03:04:05Z"));
    assertThat(crl.getNextUpdate().toInstant()).isEqualTo(Instant.parse("2030-01-09T03:04:05Z"));
    assertThat(crl.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
    crl.verify(ca.certificate().getPublicKey());
  }

  @Test
  void revoke_twice_accumulatesEntriesAndIncrementsNumber() throws GeneralSecurityException {
    Instant start = Instant.parse("2030-01-01T00:00:00Z");
    X509CRL empty = ca.emptyCrl(start, Duration.ofDays(7));
    Instant firstAt = start.plus(Duration.ofHours(1));
    Instant secondAt = start.plus(Duration.ofHours(2));

    X509CRL once = ca.revoke(empty, BigInteger.valueOf(11), firstAt, Duration.ofDays(7));
    X509CRL twice = ca.revoke(once, BigInteger.valueOf(22), secondAt, Duration.ofDays(3));

    assertThat(Pkix.crlNumber(once)).isEqualTo(2);
    assertThat(Pkix.crlNumber(twice)).isEqualTo(3);
    assertThat(twice.getThisUpdate().toInstant()).isEqualTo(secondAt);
    assertThat(twice.getNextUpdate().toInstant()).isEqualTo(secondAt.plus(Duration.ofDays(3)));
    Set<BigInteger> serials =
        twice.getRevokedCertificates().stream()
            .map(X509CRLEntry::getSerialNumber)
            .collect(Collectors.toSet());
    assertThat(serials).containsExactlyInAnyOrder(BigInteger.valueOf(11), BigInteger.valueOf(22));
    assertThat(twice.getRevokedCertificate(BigInteger.valueOf(11)).getRevocationDate().toInstant())
        .isEqualTo(firstAt);
    assertThat(FederationTrust.create(ca.certificate(), twice).crl()).isEqualTo(twice);
  }

  @Test
  void revoke_crlOfAnotherCa_refused() {
    X509CRL foreign = otherCa.emptyCrl(Instant.now(), Duration.ofDays(1));

    assertThatThrownBy(() -> ca.revoke(foreign, BigInteger.TEN, Instant.now(), Duration.ofDays(1)))
        .isInstanceOf(CRLException.class)
        .hasMessageContaining("CRL is issued by CN=FedSum CA other");
  }

  @Test
  void revoke_invalidArguments_throw() throws GeneralSecurityException {
    Instant start = Instant.parse("2030-01-01T00:00:00Z");
    X509CRL once =
        ca.revoke(
            ca.emptyCrl(start, Duration.ofDays(1)), BigInteger.TEN, start, Duration.ofDays(1));

    assertThatThrownBy(() -> ca.revoke(once, BigInteger.TEN, start, Duration.ofDays(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serial a is already revoked");
    assertThatThrownBy(
            () -> ca.revoke(once, BigInteger.TWO, start.minusSeconds(1), Duration.ofDays(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("before the current CRL's thisUpdate");
    assertThatThrownBy(() -> ca.revoke(once, BigInteger.ZERO, start, Duration.ofDays(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serial number must be positive");
  }

  @Test
  void toString_namesCertificateOnly() {
    String pemBody =
        ca.privateKeyPem(SecretAccess.GRANTED).lines().skip(1).findFirst().orElseThrow();

    assertThat(ca.toString())
        .contains("CN=FedSum CA acme-health")
        .doesNotContain(pemBody.substring(0, 12));
  }

  private static List<List<?>> sans(X509Certificate certificate) throws CertificateException {
    return List.copyOf(certificate.getSubjectAlternativeNames());
  }

  private static byte[] subjectKeyIdentifier(X509Certificate certificate) throws Exception {
    return SubjectKeyIdentifier.getInstance(extension(certificate, "2.5.29.14")).getKeyIdentifier();
  }

  private static byte[] authorityKeyIdentifier(X509Certificate certificate) throws Exception {
    return AuthorityKeyIdentifier.getInstance(extension(certificate, "2.5.29.35"))
        .getKeyIdentifierObject()
        .getOctets();
  }

  private static ASN1Primitive extension(X509Certificate certificate, String oid) throws Exception {
    return ASN1Primitive.fromByteArray(
        ASN1OctetString.getInstance(certificate.getExtensionValue(oid)).getOctets());
  }
}
