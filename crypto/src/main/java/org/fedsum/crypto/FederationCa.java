package org.fedsum.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.fedsum.crypto.internal.Pkix;

/**
 * The federation's own root CA (DESIGN.md §1, Transport): an ECDSA P-256 key and a self-signed
 * certificate that issues the certificates of aggregators, silos and operators, and the CRL that
 * revokes them (RFC 5280).
 *
 * <p>Every certificate and CRL it writes is signed ecdsa-with-SHA256 with the deterministic nonce
 * of RFC 6979. Certificates start five minutes before they are issued, so a peer whose clock is
 * slightly behind does not refuse a fresh certificate. Times are truncated to whole seconds, the
 * precision X.509 stores.
 */
public final class FederationCa {
  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final int SERIAL_BYTES = 16;

  private final X509Certificate certificate;
  private final EcdsaP256SigningKey signingKey;
  private final SecureRandom random;

  private FederationCa(
      X509Certificate certificate, EcdsaP256SigningKey signingKey, SecureRandom random) {
    this.certificate = certificate;
    this.signingKey = signingKey;
    this.random = random;
  }

  /**
   * A new CA with a fresh key, subject {@code CN=FedSum CA <federationId>}, valid from now (less
   * the back-dating) for {@code validity}. BasicConstraints CA with path length 0 and KeyUsage
   * keyCertSign + cRLSign, both critical (RFC 5280 §4.2.1.9, §4.2.1.3).
   *
   * @param federationId matches {@code [a-z0-9][a-z0-9._-]{0,62}}, like a site id
   * @param random source of the key and of every serial number this CA assigns
   */
  public static FederationCa create(String federationId, Duration validity, SecureRandom random) {
    Objects.requireNonNull(federationId, "federationId");
    Objects.requireNonNull(random, "random");
    if (!SiteIdentity.isValidSiteId(federationId)) {
      throw new IllegalArgumentException(
          "federation id must match [a-z0-9][a-z0-9._-]{0,62}, not \"" + federationId + "\"");
    }
    requirePositive(validity, "CA validity");
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(random);
    Instant now = now();
    X509Certificate certificate =
        Pkix.caCertificate(
            "FedSum CA " + federationId,
            serialNumber(random),
            now.minus(BACKDATE),
            now.plus(validity),
            key.verifyingKey().toSubjectPublicKeyInfo(),
            key::sign);
    return new FederationCa(certificate, key, random);
  }

  /**
   * Loads a CA from its certificate and its {@code PRIVATE KEY} PEM. Serial numbers of the
   * certificates it issues come from a new {@link SecureRandom}.
   *
   * @throws GeneralSecurityException if either PEM is malformed, the certificate is not a
   *     self-signed ECDSA P-256 CA certificate with keyCertSign and cRLSign, or the key does not
   *     match it
   */
  public static FederationCa load(String certificatePem, String privateKeyPem)
      throws GeneralSecurityException {
    Objects.requireNonNull(certificatePem, "certificatePem");
    Objects.requireNonNull(privateKeyPem, "privateKeyPem");
    X509Certificate certificate = Pem.decodeCertificate(certificatePem);
    EcdsaP256VerifyingKey certificateKey = FederationTrust.requireCaCertificate(certificate);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.fromPkcs8Pem(privateKeyPem);
    if (!key.verifyingKey().equals(certificateKey)) {
      throw new InvalidKeyException(
          "private key does not match the CA " + FederationTrust.describe(certificate));
    }
    return new FederationCa(certificate, key, new SecureRandom());
  }

  /** The CA's self-signed certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * The CA's private key as a {@code PRIVATE KEY} PEM block, for {@link #load}.
   *
   * @param access proof that the caller knowingly exports the federation's root key
   */
  public String privateKeyPem(SecretAccess access) {
    return signingKey.toPkcs8Pem(access);
  }

  /**
   * Issues a party's certificate (RFC 5280 §4.1, §4.2): subject {@code CN=<siteId>}; SAN with the
   * URI {@link SiteIdentity#uri()} and, for TLS server use, one dNSName or iPAddress per host name
   * (IP literals such as {@code 127.0.0.1} or {@code ::1} become iPAddress); KeyUsage
   * digitalSignature (critical); ExtendedKeyUsage serverAuth + clientAuth for the aggregator,
   * clientAuth for silos and operators; BasicConstraints CA=false (critical); a random positive
   * 128-bit serial; authority and subject key identifiers.
   *
   * @param validity from now; the certificate must expire no later than the CA certificate
   * @param hostNames DNS names (letters, digits and hyphens, no wildcards) or IP literals; may be
   *     empty
   * @throws IllegalArgumentException if the validity is not positive or outlasts the CA, or a host
   *     name is malformed or repeated
   */
  public X509Certificate issue(
      SiteIdentity identity,
      EcdsaP256VerifyingKey subjectKey,
      Duration validity,
      List<String> hostNames) {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(subjectKey, "subjectKey");
    requirePositive(validity, "certificate validity");
    List<String> names = List.copyOf(hostNames);
    Instant now = now();
    Instant caNotBefore = certificate.getNotBefore().toInstant();
    Instant caNotAfter = certificate.getNotAfter().toInstant();
    Instant notBefore =
        now.minus(BACKDATE).isBefore(caNotBefore) ? caNotBefore : now.minus(BACKDATE);
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(caNotAfter)) {
      throw new IllegalArgumentException(
          "a certificate valid until "
              + notAfter
              + " would outlast the CA certificate, which expires at "
              + caNotAfter);
    }
    return Pkix.siteCertificate(
        certificate,
        identity.siteId(),
        serialNumber(random),
        notBefore,
        notAfter,
        subjectKey.toSubjectPublicKeyInfo(),
        identity.uri(),
        names,
        identity.role() == SiteRole.AGGREGATOR,
        signingKey::sign);
  }

  /**
   * A CRL revoking nothing (RFC 5280 §5), CRL number 1, valid from {@code thisUpdate} until {@code
   * thisUpdate + validFor} (its nextUpdate).
   */
  public X509CRL emptyCrl(Instant thisUpdate, Duration validFor) {
    Objects.requireNonNull(thisUpdate, "thisUpdate");
    requirePositive(validFor, "CRL validity");
    Instant start = thisUpdate.truncatedTo(ChronoUnit.SECONDS);
    return Pkix.crl(
        certificate, start, start.plus(validFor), BigInteger.ONE, List.of(), signingKey::sign);
  }

  /**
   * A new CRL with every entry of {@code current} plus {@code serialNumber} revoked at {@code
   * revokedAt}, the CRL number one higher (RFC 5280 §5.2.3). {@code revokedAt} is also the new
   * CRL's thisUpdate; its nextUpdate is {@code revokedAt + validFor}.
   *
   * @throws GeneralSecurityException if {@code current} is not a CRL issued and signed by this CA,
   *     or has no valid CRL number
   * @throws IllegalArgumentException if the serial is not positive or is already revoked, or {@code
   *     revokedAt} is before {@code current}'s thisUpdate (CRLs only move forward)
   */
  public X509CRL revoke(
      X509CRL current, BigInteger serialNumber, Instant revokedAt, Duration validFor)
      throws GeneralSecurityException {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(serialNumber, "serialNumber");
    Objects.requireNonNull(revokedAt, "revokedAt");
    requirePositive(validFor, "CRL validity");
    if (serialNumber.signum() <= 0) {
      throw new IllegalArgumentException("serial number must be positive, not " + serialNumber);
    }
    FederationTrust.verifyCrlSignedBy(
        current, certificate, EcdsaP256VerifyingKey.fromCertificate(certificate));
    BigInteger nextNumber = Pkix.crlNumber(current).add(BigInteger.ONE);
    Instant thisUpdate = revokedAt.truncatedTo(ChronoUnit.SECONDS);
    Instant previousUpdate = current.getThisUpdate().toInstant();
    if (thisUpdate.isBefore(previousUpdate)) {
      throw new IllegalArgumentException(
          "revocation time "
              + thisUpdate
              + " is before the current CRL's thisUpdate "
              + previousUpdate);
    }
    List<Pkix.Revocation> revocations = new ArrayList<>();
    for (X509CRLEntry entry : FederationTrust.revokedEntries(current)) {
      if (entry.getSerialNumber().equals(serialNumber)) {
        throw new IllegalArgumentException(
            "serial " + serialNumber.toString(16) + " is already revoked");
      }
      revocations.add(
          new Pkix.Revocation(entry.getSerialNumber(), entry.getRevocationDate().toInstant()));
    }
    revocations.add(new Pkix.Revocation(serialNumber, thisUpdate));
    return Pkix.crl(
        certificate,
        thisUpdate,
        thisUpdate.plus(validFor),
        nextNumber,
        revocations,
        signingKey::sign);
  }

  /** The CA's subject and serial; never key material. */
  @Override
  public String toString() {
    return "FederationCa[" + FederationTrust.describe(certificate) + "]";
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  // RFC 5280 §4.1.2.2: positive, at most 20 bytes; 128 random bits make collisions negligible.
  private static BigInteger serialNumber(SecureRandom random) {
    byte[] bytes = new byte[SERIAL_BYTES];
    BigInteger serial;
    do {
      random.nextBytes(bytes);
      serial = new BigInteger(1, bytes);
    } while (serial.signum() == 0);
    return serial;
  }

  private static void requirePositive(Duration duration, String what) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, not " + duration);
    }
  }
}
