package org.fedsum.crypto;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS 1.3 client contexts for the federation's mutual TLS (DESIGN.md §6, RFC 8446): the client
 * presents its site certificate, and accepts a server only if its chain ends at the federation CA
 * (the only trust anchor), its host name matches the certificate (when the caller asks for endpoint
 * identification, as {@code java.net.http.HttpClient} does by default), and {@link FederationTrust}
 * accepts it for the expected role: issued by the CA, valid now, not revoked by the CRL in force,
 * with a {@code urn:fedsum:<role>:<id>} identity of that role.
 *
 * <p>There is no switch to trust all certificates or to skip host names.
 */
public final class MutualTls {
  /** DESIGN.md §6: TLS 1.3 only. */
  public static final String PROTOCOL = "TLSv1.3";

  private MutualTls() {}

  /**
   * A client context presenting {@code certificate} with {@code key}, trusting only servers of
   * {@code serverRole} that {@code trust} accepts at {@code clock}'s time.
   *
   * @throws GeneralSecurityException if the key is not the certificate's or the JDK refuses them
   */
  public static SSLContext clientContext(
      X509Certificate certificate,
      EcdsaP256SigningKey key,
      FederationTrust trust,
      SiteRole serverRole,
      Clock clock)
      throws GeneralSecurityException {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(trust, "trust");
    Objects.requireNonNull(serverRole, "serverRole");
    Objects.requireNonNull(clock, "clock");
    if (!key.verifyingKey().equals(EcdsaP256VerifyingKey.fromCertificate(certificate))) {
      throw new GeneralSecurityException("the private key is not the key of the certificate");
    }
    char[] password = new char[0];
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try {
      keys.load(null, password);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot create an in-memory key store", e);
    }
    keys.setKeyEntry(
        "site",
        privateKey(key),
        password,
        new X509Certificate[] {certificate, trust.caCertificate()});
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, password);

    KeyStore anchors = KeyStore.getInstance("PKCS12");
    try {
      anchors.load(null, password);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot create an in-memory trust store", e);
    }
    anchors.setCertificateEntry("federation-ca", trust.caCertificate());
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance("PKIX");
    trustManagers.init(anchors);
    X509ExtendedTrustManager chainChecker = null;
    for (TrustManager manager : trustManagers.getTrustManagers()) {
      if (manager instanceof X509ExtendedTrustManager extended) {
        chainChecker = extended;
      }
    }
    if (chainChecker == null) {
      throw new GeneralSecurityException("the JDK offers no X509ExtendedTrustManager");
    }
    SSLContext context = SSLContext.getInstance(PROTOCOL);
    context.init(
        keyManagers.getKeyManagers(),
        new TrustManager[] {new FederationServerCheck(chainChecker, trust, serverRole, clock)},
        new SecureRandom());
    return context;
  }

  private static PrivateKey privateKey(EcdsaP256SigningKey key) throws GeneralSecurityException {
    String pem = key.toPkcs8Pem(SecretAccess.GRANTED);
    String base64 =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(base64);
    try {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } finally {
      java.util.Arrays.fill(der, (byte) 0);
    }
  }

  /**
   * The JDK's chain and host-name checks with the federation CA as the only anchor, then the
   * federation's own rules (CRL, role, identity). Client certificates are never checked here: this
   * is a client's trust manager.
   */
  private static final class FederationServerCheck extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager chain;
    private final FederationTrust trust;
    private final SiteRole role;
    private final Clock clock;

    FederationServerCheck(
        X509ExtendedTrustManager chain, FederationTrust trust, SiteRole role, Clock clock) {
      this.chain = chain;
      this.trust = trust;
      this.role = role;
      this.clock = clock;
    }

    private void federationCheck(X509Certificate[] certificates) throws CertificateException {
      try {
        trust.verify(certificates[0], role, clock.instant());
      } catch (GeneralSecurityException e) {
        throw new CertificateException(
            "the server is not a " + role + " of the federation: " + e.getMessage(), e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType, Socket socket)
        throws CertificateException {
      chain.checkServerTrusted(certificates, authType, socket);
      federationCheck(certificates);
    }

    @Override
    public void checkServerTrusted(
        X509Certificate[] certificates, String authType, SSLEngine engine)
        throws CertificateException {
      chain.checkServerTrusted(certificates, authType, engine);
      federationCheck(certificates);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType)
        throws CertificateException {
      chain.checkServerTrusted(certificates, authType);
      federationCheck(certificates);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a client context does not accept client certificates");
    }

    @Override
    public void checkClientTrusted(
        X509Certificate[] certificates, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a client context does not accept client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType)
        throws CertificateException {
      throw new CertificateException("a client context does not accept client certificates");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[] {trust.caCertificate()};
    }
  }
}
