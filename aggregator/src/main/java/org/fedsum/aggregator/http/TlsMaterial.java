package org.fedsum.aggregator.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.fedsum.aggregator.store.JournalOwner;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.EcdsaP256VerifyingKey;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS files, read once at start and checked with the project's own PKI before Vert.x
 * sees them, so a wrong file stops the start with the key's name instead of failing handshakes
 * later. The TLS layer gets exactly the bytes that were checked (PEM values, not paths).
 */
final class TlsMaterial {
  private static final Logger LOG = LoggerFactory.getLogger(TlsMaterial.class);
  private static final long MAX_PEM_BYTES = 1 << 20;

  /** DESIGN.md §6: TLS 1.3 only. */
  static final Set<String> PROTOCOLS = Set.of("TLSv1.3");

  private final X509Certificate caCertificate;
  private final Buffer caPem;
  private final Buffer certificatePem;
  private final Buffer privateKeyPem;
  private final CrlSnapshot crl;
  private final JournalOwner journalOwner;

  private TlsMaterial(
      X509Certificate caCertificate,
      Buffer caPem,
      Buffer certificatePem,
      Buffer privateKeyPem,
      CrlSnapshot crl,
      JournalOwner journalOwner) {
    this.journalOwner = journalOwner;
    this.caCertificate = caCertificate;
    this.caPem = caPem;
    this.certificatePem = certificatePem;
    this.privateKeyPem = privateKeyPem;
    this.crl = crl;
  }

  /**
   * Reads and checks {@code tls.*}: the CA is a federation CA for {@code federationId}; the CRL is
   * signed by it and not past its nextUpdate; the certificate is an aggregator certificate the CA
   * issued, valid now and not revoked; the private key is the certificate's. Blocking file I/O.
   *
   * @throws AggregatorConfigException naming the key whose file is wrong
   */
  static TlsMaterial load(AggregatorConfig config, Instant now) throws AggregatorConfigException {
    AggregatorConfig.Tls tls = config.tls();

    byte[] caBytes = read("tls.ca", tls.ca());
    X509Certificate ca;
    try {
      ca = Pem.decodeCertificate(ascii(caBytes));
    } catch (GeneralSecurityException e) {
      throw new AggregatorConfigException("tls.ca", "not one PEM certificate: " + e.getMessage());
    }
    String expectedSubject = "CN=FedSum CA " + config.federationId();
    String subject = ca.getSubjectX500Principal().getName(X500Principal.RFC2253);
    if (!subject.equals(expectedSubject)) {
      throw new AggregatorConfigException(
          "federationId",
          "the CA certificate in tls.ca is "
              + subject
              + ", not the CA of federation "
              + config.federationId()
              + " ("
              + expectedSubject
              + ")");
    }

    CrlSnapshot crl;
    try {
      crl = CrlSnapshot.parse(ca, read("tls.crl", tls.crl()));
    } catch (GeneralSecurityException e) {
      throw new AggregatorConfigException(
          "tls.crl", "not a valid CRL of the federation CA: " + e.getMessage());
    }
    if (now.isAfter(crl.nextUpdate())) {
      throw new AggregatorConfigException(
          "tls.crl",
          "the CRL was due for renewal at "
              + crl.nextUpdate()
              + "; issue a fresh one (no certificate can be checked against a stale CRL)");
    }

    byte[] certificateBytes = read("tls.certificate", tls.certificate());
    X509Certificate certificate;
    SiteIdentity identity;
    try {
      certificate = Pem.decodeCertificate(ascii(certificateBytes));
      identity = crl.trust().verify(certificate, SiteRole.AGGREGATOR, now);
    } catch (GeneralSecurityException e) {
      throw new AggregatorConfigException(
          "tls.certificate", "not a usable aggregator certificate: " + e.getMessage());
    }

    byte[] privateKeyBytes = read("tls.privateKey", tls.privateKey());
    EcdsaP256SigningKey key;
    try {
      key = EcdsaP256SigningKey.fromPkcs8Pem(ascii(privateKeyBytes));
      if (!key.verifyingKey().equals(EcdsaP256VerifyingKey.fromCertificate(certificate))) {
        throw new AggregatorConfigException(
            "tls.privateKey", "is not the key of the certificate in tls.certificate");
      }
    } catch (GeneralSecurityException e) {
      // The crypto module's PEM messages never quote the key material.
      throw new AggregatorConfigException(
          "tls.privateKey", "not a PKCS#8 ECDSA P-256 PRIVATE KEY: " + e.getMessage());
    }
    warnIfReadableByOthers(tls.privateKey());

    return new TlsMaterial(
        ca,
        Buffer.buffer(caBytes),
        Buffer.buffer(certificateBytes),
        Buffer.buffer(privateKeyBytes),
        crl,
        new JournalOwner(config.federationId(), identity, certificate, key));
  }

  /** The aggregator's journal signer: its certificate and key. */
  JournalOwner journalOwner() {
    return journalOwner;
  }

  X509Certificate caCertificate() {
    return caCertificate;
  }

  /** The CRL read at start. */
  CrlSnapshot initialCrl() {
    return crl;
  }

  /**
   * The server's TLS settings with {@code crl}: the aggregator certificate and key, the federation
   * CA as the only trust anchor, the CRL, client certificates required, TLS 1.3 only, ALPN on.
   */
  ServerSSLOptions sslOptions(CrlSnapshot crl) {
    return new ServerSSLOptions()
        .setKeyCertOptions(
            new PemKeyCertOptions().setKeyValue(privateKeyPem).setCertValue(certificatePem))
        .setTrustOptions(new PemTrustOptions().addCertValue(caPem))
        .addCrlValue(crl.pem())
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setUseAlpn(true);
  }

  /** The CA's subject only; never key material. */
  @Override
  public String toString() {
    return "TlsMaterial[" + caCertificate.getSubjectX500Principal().getName() + "]";
  }

  private static byte[] read(String key, Path file) throws AggregatorConfigException {
    try {
      long size = Files.size(file);
      if (size > MAX_PEM_BYTES) {
        throw new AggregatorConfigException(
            key, "file " + file + " is " + size + " bytes, too large for a PEM file");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new AggregatorConfigException(key, "cannot read " + file + ": " + e, e);
    }
  }

  private static String ascii(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  private static void warnIfReadableByOthers(Path privateKey) {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(privateKey);
      if (permissions.contains(PosixFilePermission.GROUP_READ)
          || permissions.contains(PosixFilePermission.OTHERS_READ)) {
        LOG.warn(
            "tls.privateKey {} is readable by other users; make it readable by the service only"
                + " (chmod 600)",
            privateKey);
      }
    } catch (UnsupportedOperationException | IOException e) {
      // Not a POSIX file system: nothing to check.
    }
  }
}
