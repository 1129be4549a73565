package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The verification cache of {@link FederationTrust}: what it may skip and what it never may. */
class FederationTrustCacheTest {
  private static final Duration CRL_VALIDITY = Duration.ofDays(7);

  private static FederationCa ca;
  private static X509Certificate siloCertificate;
  private static X509Certificate otherSiloCertificate;
  private static X509CRL emptyCrl;

  @BeforeAll
  static void createFixtures() throws GeneralSecurityException {
    SecureRandom random = new SecureRandom();
    ca = FederationCa.create("cache-federation", Duration.ofDays(30), random);
    siloCertificate = issue("silo-1", random);
    otherSiloCertificate = issue("silo-2", random);
    emptyCrl = ca.emptyCrl(Instant.now().minusSeconds(60), CRL_VALIDITY);
  }

  @Test
  void verify_sameCertificateAgain_checksSignatureOnce() throws Exception {
    FederationTrust trust = FederationTrust.create(ca.certificate(), emptyCrl);
    // The same DER in a different object: the cache is keyed by content, not identity.
    X509Certificate reparsed = TestCertificates.parse(siloCertificate.getEncoded());

    SiteIdentity first = trust.verify(siloCertificate, Instant.now());
    assertThat(trust.signatureChecks()).isEqualTo(1);
    SiteIdentity second = trust.verify(siloCertificate, Instant.now());
    SiteIdentity third = trust.verify(reparsed, SiteRole.SILO, Instant.now());

    assertThat(trust.signatureChecks()).isEqualTo(1);
    assertThat(List.of(first, second, third))
        .containsOnly(new SiteIdentity(SiteRole.SILO, "silo-1"));
    assertThat(trust.verify(otherSiloCertificate, Instant.now()).siteId()).isEqualTo("silo-2");
    assertThat(trust.signatureChecks()).isEqualTo(2);
  }

  @Test
  void verify_cachedCertificateAfterNotAfter_refusedAsExpired() throws Exception {
    Instant notAfter = siloCertificate.getNotAfter().toInstant();
    // A CRL current at both times, so expiry is the only reason.
    X509CRL laterCrl = ca.emptyCrl(notAfter.minus(Duration.ofDays(1)), CRL_VALIDITY);
    FederationTrust trust = FederationTrust.create(ca.certificate(), laterCrl);
    trust.verify(siloCertificate, notAfter.minusSeconds(3600));

    assertThatThrownBy(() -> trust.verify(siloCertificate, notAfter.plusSeconds(1)))
        .isInstanceOf(CertificateExpiredException.class)
        .hasMessage(FederationTrust.describe(siloCertificate) + " expired at " + notAfter);
    assertThat(trust.signatureChecks()).as("answered from the cache").isEqualTo(1);
    // Inclusive, as without the cache (RFC 5280 §4.1.2.5).
    assertThat(trust.verify(siloCertificate, notAfter).siteId()).isEqualTo("silo-1");
  }

  @Test
  void verify_cachedCertificateBeforeNotBefore_refusedAsNotYetValid() throws Exception {
    FederationTrust trust = FederationTrust.create(ca.certificate(), emptyCrl);
    trust.verify(siloCertificate, Instant.now());
    Instant notBefore = siloCertificate.getNotBefore().toInstant();

    assertThatThrownBy(() -> trust.verify(siloCertificate, notBefore.minusSeconds(1)))
        .isInstanceOf(CertificateNotYetValidException.class)
        .hasMessageContaining("is not valid before " + notBefore);
    assertThat(trust.signatureChecks()).isEqualTo(1);
  }

  @Test
  void verify_cachedCertificateAfterCrlNextUpdate_refusedAsStale() throws Exception {
    FederationTrust trust = FederationTrust.create(ca.certificate(), emptyCrl);
    trust.verify(siloCertificate, Instant.now());

    assertThatThrownBy(
            () ->
                trust.verify(siloCertificate, emptyCrl.getNextUpdate().toInstant().plusSeconds(1)))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("CRL was due for renewal")
        .hasMessageContaining("CN=silo-1");
    assertThat(trust.signatureChecks()).isEqualTo(1);
  }

  @Test
  void verify_cachedCertificateForWrongRole_refused() throws Exception {
    FederationTrust trust = FederationTrust.create(ca.certificate(), emptyCrl);
    trust.verify(siloCertificate, SiteRole.SILO, Instant.now());

    assertThatThrownBy(() -> trust.verify(siloCertificate, SiteRole.AGGREGATOR, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("CN=silo-1")
        .hasMessageContaining("is for role silo, expected aggregator");
    assertThat(trust.signatureChecks()).isEqualTo(1);
  }

  @Test
  void verify_newTrustWithCrlRevokingCachedCertificate_refused() throws Exception {
    FederationTrust before = FederationTrust.create(ca.certificate(), emptyCrl);
    before.verify(siloCertificate, Instant.now());
    X509CRL revoking =
        ca.revoke(emptyCrl, siloCertificate.getSerialNumber(), Instant.now(), CRL_VALIDITY);

    FederationTrust after = FederationTrust.create(ca.certificate(), revoking);

    assertThatThrownBy(() -> after.verify(siloCertificate, Instant.now()))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("CN=silo-1) is revoked");
    // The old instance answers for its own, older CRL, which did not list the certificate.
    assertThat(before.verify(siloCertificate, Instant.now()).siteId()).isEqualTo("silo-1");
  }

  @Test
  void verify_refusedCertificate_notRemembered() throws Exception {
    X509Certificate noUri = TestCertificates.issuedBy(ca).subject("CN=silo-3").build();
    FederationTrust trust = FederationTrust.create(ca.certificate(), emptyCrl);

    for (int attempt = 0; attempt < 2; attempt++) {
      assertThatThrownBy(() -> trust.verify(noUri, Instant.now()))
          .isInstanceOf(CertificateException.class)
          .hasMessageContaining("has 0 SAN URIs");
    }
    assertThat(trust.signatureChecks()).isEqualTo(2);
  }

  @Test
  void verify_concurrentCallers_allGetTheIdentity() throws Exception {
    SecureRandom random = new SecureRandom();
    List<X509Certificate> certificates = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      certificates.add(issue("silo-c" + i, random));
    }
    FederationTrust trust = FederationTrust.create(ca.certificate(), emptyCrl);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (int thread = 0; thread < 4; thread++) {
        results.add(
            pool.submit(
                () -> {
                  List<String> ids = new ArrayList<>();
                  for (int round = 0; round < 20; round++) {
                    for (X509Certificate certificate : certificates) {
                      ids.add(trust.verify(certificate, Instant.now()).siteId());
                    }
                  }
                  return ids;
                }));
      }
      for (Future<List<String>> result : results) {
        List<String> ids = result.get();
        assertThat(ids).hasSize(160);
        for (int i = 0; i < ids.size(); i++) {
          assertThat(ids.get(i)).isEqualTo("silo-c" + (i % 8));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    // Each certificate at most once per thread that raced on it, never once per call.
    assertThat(trust.signatureChecks()).isBetween(8L, 32L);
  }

  private static X509Certificate issue(String siloId, SecureRandom random) {
    return ca.issue(
        new SiteIdentity(SiteRole.SILO, siloId),
        EcdsaP256SigningKey.generate(random).verifyingKey(),
        Duration.ofDays(20),
        List.of());
  }
}
