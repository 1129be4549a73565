package org.fedsum.aggregator.http;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;

/**
 * One version of the federation CRL file: its PEM bytes (handed to the TLS layer), their SHA-256
 * (to notice a change), and the {@link FederationTrust} built from it (used on every request).
 */
final class CrlSnapshot {
  private final FederationTrust trust;
  private final byte[] sha256;
  private final Buffer pem;

  private CrlSnapshot(FederationTrust trust, byte[] sha256, Buffer pem) {
    this.trust = trust;
    this.sha256 = sha256;
    this.pem = pem;
  }

  /**
   * Parses a CRL file's content and checks it against the CA.
   *
   * @throws GeneralSecurityException if it is not one PEM CRL issued and signed by {@code ca}, or
   *     FederationTrust refuses it (no nextUpdate, critical extensions)
   */
  static CrlSnapshot parse(X509Certificate ca, byte[] pemBytes) throws GeneralSecurityException {
    // PEM is ASCII; any other byte becomes '?' and fails the strict decoder.
    X509CRL crl = Pem.decodeCrl(new String(pemBytes, StandardCharsets.US_ASCII));
    FederationTrust trust = FederationTrust.create(ca, crl);
    return new CrlSnapshot(trust, digest(pemBytes), Buffer.buffer(pemBytes));
  }

  /** Whether {@code content} is byte for byte the file this snapshot was made from. */
  boolean hasContent(byte[] content) {
    return MessageDigest.isEqual(sha256, digest(content));
  }

  FederationTrust trust() {
    return trust;
  }

  Buffer pem() {
    return pem.copy();
  }

  Instant thisUpdate() {
    return trust.crl().getThisUpdate().toInstant();
  }

  Instant nextUpdate() {
    return trust.crl().getNextUpdate().toInstant();
  }

  int revokedCount() {
    var entries = trust.crl().getRevokedCertificates();
    return entries == null ? 0 : entries.size();
  }

  private static byte[] digest(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
  }
}
