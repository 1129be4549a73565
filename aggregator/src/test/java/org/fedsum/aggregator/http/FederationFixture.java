package org.fedsum.aggregator.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;

/**
 * A test federation made with the project's own PKI: a CA, an aggregator certificate for 127.0.0.1
 * and localhost, parties on demand, CRL files, configuration files and Vert.x client options.
 * Everything is written as PEM into one temporary folder; no key is checked in.
 */
final class FederationFixture {
  static final String FEDERATION_ID = "test-fed";
  static final String HOST = "127.0.0.1";

  private static final SecureRandom RANDOM = new SecureRandom();

  final Path directory;
  final FederationCa ca;
  final Party aggregator;
  final X509CRL emptyCrl;

  /** One party's certificate and key, as the PEM text its client would load. */
  record Party(
      SiteIdentity identity,
      X509Certificate certificate,
      String certificatePem,
      String privateKeyPem) {
    @Override
    public String toString() {
      return "Party[" + identity.uri() + "]";
    }
  }

  private FederationFixture(Path directory, FederationCa ca, Party aggregator, X509CRL emptyCrl) {
    this.directory = directory;
    this.ca = ca;
    this.aggregator = aggregator;
    this.emptyCrl = emptyCrl;
  }

  static FederationFixture create(Path directory) throws IOException {
    FederationCa ca = FederationCa.create(FEDERATION_ID, Duration.ofDays(2), RANDOM);
    Party aggregator =
        issue(
            ca, SiteRole.AGGREGATOR, "aggregator", Duration.ofDays(1), List.of(HOST, "localhost"));
    X509CRL crl = ca.emptyCrl(Instant.now(), Duration.ofDays(1));
    Files.writeString(directory.resolve("ca.pem"), Pem.encodeCertificate(ca.certificate()));
    Files.createDirectories(directory.resolve("data"));
    FederationFixture fixture = new FederationFixture(directory, ca, aggregator, crl);
    fixture.writeParty("aggregator", aggregator);
    fixture.writeCrl("crl.pem", crl);
    return fixture;
  }

  /** A party of this federation, with a certificate valid for {@code validity} from now. */
  Party issue(SiteRole role, String siteId, Duration validity) {
    return issue(ca, role, siteId, validity, List.of());
  }

  static Party issue(
      FederationCa ca, SiteRole role, String siteId, Duration validity, List<String> hostNames) {
    SiteIdentity identity = new SiteIdentity(role, siteId);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    X509Certificate certificate = ca.issue(identity, key.verifyingKey(), validity, hostNames);
    return new Party(
        identity,
        certificate,
        Pem.encodeCertificate(certificate),
        key.toPkcs8Pem(SecretAccess.GRANTED));
  }

  /** A party with a certificate from another federation's CA. */
  static Party foreign(SiteRole role, String siteId) {
    FederationCa other = FederationCa.create("other-fed", Duration.ofDays(2), RANDOM);
    return issue(other, role, siteId, Duration.ofDays(1), List.of());
  }

  /** Writes {@code crl} to {@code fileName} in the fixture folder, atomically. */
  Path writeCrl(String fileName, X509CRL crl) throws IOException {
    Path file = directory.resolve(fileName);
    Path temporary = directory.resolve(fileName + ".tmp");
    Files.writeString(temporary, Pem.encodeCrl(crl));
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }

  /**
   * Writes a configuration file using {@code crlFile} and the given limits, and loads it the way
   * the service does.
   */
  AggregatorConfig config(
      String name, String crlFile, List<String> roster, long maxBodyBytes, int maxConnections)
      throws Exception {
    return config(name, crlFile, roster, maxBodyBytes, maxConnections, UnaryOperator.identity());
  }

  /** As above, with {@code edit} applied to the YAML text before it is written. */
  AggregatorConfig config(
      String name,
      String crlFile,
      List<String> roster,
      long maxBodyBytes,
      int maxConnections,
      UnaryOperator<String> edit)
      throws Exception {
    String yaml =
        String.join(
            "\n",
            "federationId: " + FEDERATION_ID,
            "listen:",
            "  host: " + HOST,
            "  port: 0",
            "tls:",
            "  certificate: aggregator.pem",
            "  privateKey: aggregator.key",
            "  ca: ca.pem",
            "  crl: " + crlFile,
            "  crlCheckIntervalSeconds: 1",
            "dataDirectory: data",
            "roster: [" + String.join(", ", roster) + "]",
            "limits:",
            "  maxControlMessageBytes: " + maxBodyBytes,
            "  maxConnectionsPerSite: " + maxConnections,
            "");
    Path file = directory.resolve(name + ".yaml");
    Files.writeString(file, edit.apply(yaml), StandardCharsets.UTF_8);
    return AggregatorConfig.load(file);
  }

  /** Writes {@code party}'s certificate and key as {@code <name>.pem} and {@code <name>.key}. */
  void writeParty(String name, Party party) throws IOException {
    Files.writeString(directory.resolve(name + ".pem"), party.certificatePem());
    Path key = directory.resolve(name + ".key");
    Files.writeString(key, party.privateKeyPem());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
  }

  /**
   * TLS 1.3 client options that trust the federation CA and present {@code party}'s certificate.
   */
  HttpClientOptions clientOptions(Party party) {
    HttpClientOptions options = trustingClientOptions();
    options.setKeyCertOptions(
        new PemKeyCertOptions()
            .setCertValue(Buffer.buffer(party.certificatePem()))
            .setKeyValue(Buffer.buffer(party.privateKeyPem())));
    return options;
  }

  /** TLS 1.3 client options that trust the federation CA and present no certificate. */
  HttpClientOptions trustingClientOptions() {
    HttpClientOptions options =
        new HttpClientOptions()
            .setSsl(true)
            .setUseAlpn(true)
            .setVerifyHost(true)
            .setDefaultHost(HOST)
            .setConnectTimeout(5_000)
            .setSslHandshakeTimeout(5)
            .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"));
    options.setTrustOptions(
        new PemTrustOptions().addCertValue(Buffer.buffer(Pem.encodeCertificate(ca.certificate()))));
    return options;
  }
}
