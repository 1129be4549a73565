package org.fedsum.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.fedsum.crypto.internal.Pkix;

/**
 * What every party uses to check another party's certificate: the federation CA certificate and its
 * current CRL.
 *
 * <p>{@link #verify(X509Certificate, Instant)} follows RFC 5280 §6.1 for the one-link chain FedSum
 * uses (site certificate, then the federation CA) and adds FedSum's identity rule. Signatures are
 * checked with {@link EcdsaP256VerifyingKey} (strict DER), not with the JDK provider, which accepts
 * non-canonical ECDSA encodings. Extended key usage is left to the TLS layer, which knows whether
 * it is acting as client or server.
 *
 * <p>Each instance remembers, for up to {@value #VERIFIED_CACHE_LIMIT} certificates (keyed by the
 * SHA-256 hash of the DER encoding), the identity and validity period a certificate was verified
 * to, so that a silo checking its ~{@code n} peers every round pays for the ECDSA signature once.
 * Only what cannot change for a given certificate under a given instance is remembered: the
 * signature, the issuer, the extensions, the identity, and the revocation status (the CRL is fixed
 * per instance: a new CRL means a new instance with an empty cache). The checks that depend on
 * {@code now} (the certificate's and the CA's validity periods, the CRL's nextUpdate) run on every
 * call, and so does the role check.
 */
public final class FederationTrust {
  private static final String KEY_USAGE = "2.5.29.15";
  private static final String SUBJECT_ALTERNATIVE_NAME = "2.5.29.17";
  private static final String BASIC_CONSTRAINTS = "2.5.29.19";
  private static final String EXTENDED_KEY_USAGE = "2.5.29.37";
  // The critical extensions a site certificate may carry; RFC 5280 §4.2 requires refusing a
  // certificate with any other critical extension.
  private static final Set<String> UNDERSTOOD_CRITICAL_EXTENSIONS =
      Set.of(KEY_USAGE, SUBJECT_ALTERNATIVE_NAME, BASIC_CONSTRAINTS, EXTENDED_KEY_USAGE);
  private static final int SAN_URI = 6;
  private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
  private static final int KEY_USAGE_KEY_CERT_SIGN = 5;
  private static final int KEY_USAGE_CRL_SIGN = 6;
  // Bounds memory whatever certificates are presented; at n = 500 silos a round needs ~500.
  private static final int VERIFIED_CACHE_LIMIT = 10_000;

  private final X509Certificate caCertificate;
  private final EcdsaP256VerifyingKey caKey;
  private final X509CRL crl;
  // SHA-256 of a certificate's DER encoding (hex) -> what it was verified to.
  private final ConcurrentHashMap<String, Verified> verified = new ConcurrentHashMap<>();
  private final AtomicLong signatureChecks = new AtomicLong();

  /** A certificate that passed every time-independent check, with its validity period. */
  private record Verified(SiteIdentity identity, Instant notBefore, Instant notAfter) {}

  private FederationTrust(X509Certificate caCertificate, EcdsaP256VerifyingKey caKey, X509CRL crl) {
    this.caCertificate = caCertificate;
    this.caKey = caKey;
    this.crl = crl;
  }

  /**
   * Trusts {@code caCertificate} as the federation's root, with {@code crl} as its revocation list.
   *
   * @throws GeneralSecurityException if the CA certificate is not a self-signed ECDSA P-256 CA
   *     certificate with keyCertSign and cRLSign, or the CRL is not issued and signed by it, has no
   *     nextUpdate, or carries a critical extension
   */
  public static FederationTrust create(X509Certificate caCertificate, X509CRL crl)
      throws GeneralSecurityException {
    Objects.requireNonNull(caCertificate, "caCertificate");
    Objects.requireNonNull(crl, "crl");
    EcdsaP256VerifyingKey caKey = requireCaCertificate(caCertificate);
    verifyCrlSignedBy(crl, caCertificate, caKey);
    if (crl.getNextUpdate() == null) {
      throw new CRLException("CRL has no nextUpdate, so its freshness cannot be judged");
    }
    if (!isEmpty(crl.getCriticalExtensionOIDs())) {
      throw new CRLException("CRL has critical extensions " + crl.getCriticalExtensionOIDs());
    }
    for (X509CRLEntry entry : revokedEntries(crl)) {
      if (!isEmpty(entry.getCriticalExtensionOIDs())) {
        throw new CRLException(
            "CRL entry for serial "
                + entry.getSerialNumber().toString(16)
                + " has critical extensions "
                + entry.getCriticalExtensionOIDs());
      }
    }
    return new FederationTrust(caCertificate, caKey, crl);
  }

  /**
   * Checks a party's certificate and returns its identity. Refused, each with a message naming the
   * certificate's serial (hex) and subject and the reason: not issued and signed
   * (ecdsa-with-SHA256) by the federation CA; the CA or the certificate not valid at {@code now};
   * the CRL past its nextUpdate at {@code now}; listed in the CRL; a CA certificate; no KeyUsage
   * digitalSignature; an unknown critical extension; a public key that is not P-256; not exactly
   * one SAN URI, or one that is not {@code urn:fedsum:<role>:<id>}.
   *
   * <p>A certificate this instance has already accepted (same DER encoding) is answered from its
   * cache, with the same result: only the checks that depend on {@code now} run again.
   *
   * @throws GeneralSecurityException (a {@link CertificateException}) on any of those
   */
  public SiteIdentity verify(X509Certificate certificate, Instant now)
      throws GeneralSecurityException {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(now, "now");
    String fingerprint = fingerprint(certificate);
    Verified remembered = verified.get(fingerprint);
    if (remembered != null) {
      requireCurrent(certificate, remembered, now);
      return remembered.identity();
    }
    String described = describe(certificate);
    if (!certificate.getIssuerX500Principal().equals(caCertificate.getSubjectX500Principal())) {
      throw new CertificateException(
          described
              + " was not issued by the federation CA ("
              + caCertificate.getSubjectX500Principal().getName(X500Principal.RFC2253)
              + ") but by "
              + certificate.getIssuerX500Principal().getName(X500Principal.RFC2253));
    }
    signatureChecks.incrementAndGet();
    verifySignedBy(certificate, caKey, "the federation CA");
    requireValidAt(caCertificate, now, "federation CA certificate");
    requireValidAt(certificate, now, described);
    requireCrlCurrent(now, certificate);
    X509CRLEntry revoked = crl.getRevokedCertificate(certificate.getSerialNumber());
    if (revoked != null) {
      throw new CertificateException(
          described + " is revoked (since " + revoked.getRevocationDate().toInstant() + ")");
    }
    if (certificate.getBasicConstraints() != -1) {
      throw new CertificateException(described + " is a CA certificate, not a party's");
    }
    boolean[] keyUsage = certificate.getKeyUsage();
    if (keyUsage == null || !keyUsage[KEY_USAGE_DIGITAL_SIGNATURE]) {
      throw new CertificateException(described + " lacks KeyUsage digitalSignature");
    }
    requireUnderstoodCriticalExtensions(certificate, described);
    try {
      EcdsaP256VerifyingKey.fromCertificate(certificate);
    } catch (GeneralSecurityException e) {
      throw new CertificateException(described + " does not hold an ECDSA P-256 key", e);
    }
    SiteIdentity identity = identityOf(certificate, described);
    remember(
        fingerprint,
        new Verified(
            identity,
            certificate.getNotBefore().toInstant(),
            certificate.getNotAfter().toInstant()));
    return identity;
  }

  /**
   * As {@link #verify(X509Certificate, Instant)}, and also refuses a certificate whose role is not
   * {@code expectedRole}.
   */
  public SiteIdentity verify(X509Certificate certificate, SiteRole expectedRole, Instant now)
      throws GeneralSecurityException {
    Objects.requireNonNull(expectedRole, "expectedRole");
    SiteIdentity identity = verify(certificate, now);
    if (identity.role() != expectedRole) {
      throw new CertificateException(
          describe(certificate)
              + " is for role "
              + identity.role().uriSegment()
              + ", expected "
              + expectedRole.uriSegment());
    }
    return identity;
  }

  /** The trusted federation CA certificate. */
  public X509Certificate caCertificate() {
    return caCertificate;
  }

  /** The CRL in force. */
  public X509CRL crl() {
    return crl;
  }

  /**
   * How many certificate signatures {@link #verify(X509Certificate, Instant)} has checked: tests
   * use it to see the cache at work.
   */
  long signatureChecks() {
    return signatureChecks.get();
  }

  /**
   * The checks of {@link #verify(X509Certificate, Instant)} that depend on {@code now}, in the same
   * order and with the same messages, for a certificate already verified. The validity period is
   * the remembered one, read from the certificate when it was verified.
   */
  private void requireCurrent(X509Certificate certificate, Verified remembered, Instant now)
      throws CertificateException {
    requireValidAt(caCertificate, now, "federation CA certificate");
    if (now.isBefore(remembered.notBefore()) || now.isAfter(remembered.notAfter())) {
      // Describing a certificate costs more than the rest of a cached check: only on failure.
      requireWithin(remembered.notBefore(), remembered.notAfter(), now, describe(certificate));
    }
    requireCrlCurrent(now, certificate);
  }

  private void requireCrlCurrent(Instant now, X509Certificate certificate)
      throws CertificateException {
    if (now.isAfter(crl.getNextUpdate().toInstant())) {
      throw new CertificateException(
          "the federation CRL was due for renewal at "
              + crl.getNextUpdate().toInstant()
              + ", so revocation of "
              + describe(certificate)
              + " cannot be checked");
    }
  }

  private void remember(String fingerprint, Verified verification) {
    if (verified.size() >= VERIFIED_CACHE_LIMIT) {
      // Simpler than eviction and just as bounded; a legitimate federation never gets here.
      verified.clear();
    }
    verified.put(fingerprint, verification);
  }

  /** Hex SHA-256 of the DER encoding: the same certificate, whichever object holds it. */
  private static String fingerprint(X509Certificate certificate) throws CertificateException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
  }

  /** {@code certificate serial <hex> (<subject>)}: how messages name a certificate. */
  static String describe(X509Certificate certificate) {
    return "certificate serial "
        + certificate.getSerialNumber().toString(16)
        + " ("
        + certificate.getSubjectX500Principal().getName(X500Principal.RFC2253)
        + ")";
  }

  /**
   * Checks that {@code certificate} is a self-signed ECDSA P-256 CA certificate allowed to sign
   * certificates and CRLs, and returns its key.
   */
  static EcdsaP256VerifyingKey requireCaCertificate(X509Certificate certificate)
      throws GeneralSecurityException {
    String described = "CA " + describe(certificate);
    EcdsaP256VerifyingKey key;
    try {
      key = EcdsaP256VerifyingKey.fromCertificate(certificate);
    } catch (GeneralSecurityException e) {
      throw new CertificateException(described + " does not hold an ECDSA P-256 key", e);
    }
    if (certificate.getBasicConstraints() < 0) {
      throw new CertificateException(described + " is not a CA certificate (BasicConstraints)");
    }
    boolean[] keyUsage = certificate.getKeyUsage();
    if (keyUsage == null || !keyUsage[KEY_USAGE_KEY_CERT_SIGN] || !keyUsage[KEY_USAGE_CRL_SIGN]) {
      throw new CertificateException(described + " lacks KeyUsage keyCertSign and cRLSign");
    }
    if (!certificate.getIssuerX500Principal().equals(certificate.getSubjectX500Principal())) {
      throw new CertificateException(described + " is not self-issued");
    }
    verifySignedBy(certificate, key, "its own key");
    return key;
  }

  /** Strict ecdsa-with-SHA256 signature check of a certificate (RFC 5758 §3.2: no parameters). */
  static void verifySignedBy(X509Certificate certificate, EcdsaP256VerifyingKey key, String signer)
      throws GeneralSecurityException {
    String described = describe(certificate);
    if (!Pkix.isSignedWithEcdsaSha256(certificate)) {
      throw new CertificateException(
          described
              + " signature algorithm is not ecdsa-with-SHA256 without parameters (found "
              + certificate.getSigAlgOID()
              + ")");
    }
    try {
      key.verify(certificate.getSignature(), certificate.getTBSCertificate());
    } catch (GeneralSecurityException e) {
      throw new CertificateException(described + " is not signed by " + signer, e);
    }
  }

  /** Checks that {@code crl} names {@code issuer} and carries its strict ECDSA signature. */
  static void verifyCrlSignedBy(X509CRL crl, X509Certificate issuer, EcdsaP256VerifyingKey key)
      throws GeneralSecurityException {
    X500Principal issuerName = issuer.getSubjectX500Principal();
    if (!crl.getIssuerX500Principal().equals(issuerName)) {
      throw new CRLException(
          "CRL is issued by "
              + crl.getIssuerX500Principal().getName(X500Principal.RFC2253)
              + ", not by the federation CA "
              + issuerName.getName(X500Principal.RFC2253));
    }
    if (!Pkix.isSignedWithEcdsaSha256(crl)) {
      throw new CRLException(
          "CRL signature algorithm is not ecdsa-with-SHA256 without parameters (found "
              + crl.getSigAlgOID()
              + ")");
    }
    try {
      key.verify(crl.getSignature(), crl.getTBSCertList());
    } catch (GeneralSecurityException e) {
      throw new CRLException("CRL is not signed by the federation CA", e);
    }
  }

  /** The CRL's entries, never null. */
  static Collection<? extends X509CRLEntry> revokedEntries(X509CRL crl) {
    Set<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
    return entries == null ? List.of() : entries;
  }

  private static void requireValidAt(X509Certificate certificate, Instant now, String described)
      throws CertificateException {
    requireWithin(
        certificate.getNotBefore().toInstant(),
        certificate.getNotAfter().toInstant(),
        now,
        described);
  }

  private static void requireWithin(
      Instant notBefore, Instant notAfter, Instant now, String described)
      throws CertificateException {
    if (now.isBefore(notBefore)) {
      throw new CertificateNotYetValidException(described + " is not valid before " + notBefore);
    }
    // RFC 5280 §4.1.2.5: valid through notAfter inclusive.
    if (now.isAfter(notAfter)) {
      throw new CertificateExpiredException(described + " expired at " + notAfter);
    }
  }

  private static void requireUnderstoodCriticalExtensions(
      X509Certificate certificate, String described) throws CertificateException {
    Set<String> critical = certificate.getCriticalExtensionOIDs();
    if (critical == null) {
      return;
    }
    for (String oid : critical) {
      if (!UNDERSTOOD_CRITICAL_EXTENSIONS.contains(oid)) {
        throw new CertificateException(described + " has an unknown critical extension " + oid);
      }
    }
  }

  private static SiteIdentity identityOf(X509Certificate certificate, String described)
      throws CertificateException {
    Collection<List<?>> alternativeNames = certificate.getSubjectAlternativeNames();
    List<String> uris = new ArrayList<>();
    if (alternativeNames != null) {
      for (List<?> name : alternativeNames) {
        if (name.size() == 2
            && Integer.valueOf(SAN_URI).equals(name.get(0))
            && name.get(1) instanceof String) {
          uris.add((String) name.get(1));
        }
      }
    }
    if (uris.size() != 1) {
      throw new CertificateException(
          described
              + " has "
              + uris.size()
              + " SAN URIs, expected exactly one urn:fedsum:<role>:<id>");
    }
    try {
      return SiteIdentity.fromUri(uris.get(0));
    } catch (GeneralSecurityException e) {
      throw new CertificateException(described + ": " + e.getMessage(), e);
    }
  }

  private static boolean isEmpty(Set<String> set) {
    return set == null || set.isEmpty();
  }
}
