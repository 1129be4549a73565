package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator's TLS seen from outside: OpenSSL's {@code s_client}, not the project's own client,
 * connects to a running aggregator (DESIGN.md §6, issue "Reliability and security", TLS). Only TLS
 * 1.3 is accepted (so client-initiated renegotiation, a TLS 1.2 feature, cannot happen); every kind
 * of bad client certificate is refused: none, another CA's, expired, not yet valid, revoked,
 * without the digitalSignature key usage, without the clientAuth extended key usage. A certificate
 * of the wrong role passes TLS but gets 403 on the routes of the other role.
 *
 * <p>Each case sends one HTTP/1.1 request through {@code s_client} and looks at what comes back: an
 * HTTP status line means the connection was accepted, a TLS alert and no status line means it was
 * refused. Under TLS 1.3 a refused client certificate shows as an alert after the client's
 * handshake has finished, so the reply, not the handshake's exit status, is what is checked.
 */
class OpensslClientIT {
  private static final List<String> ROSTER =
      List.of(
          "silo-good",
          "silo-expired",
          "silo-early",
          "silo-revoked",
          "silo-no-signature",
          "silo-server-only",
          "silo-good-custom");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long OPENSSL_TIMEOUT_SECONDS = 30;

  @TempDir static Path directory;

  private static FederationFixture federation;
  private static AggregatorServer server;
  private static PrivateKey caKey;

  @BeforeAll
  static void startServer() throws Exception {
    federation = FederationFixture.create(directory);
    caKey = privateKey(federation.ca.privateKeyPem(SecretAccess.GRANTED));
    Party revoked = federation.issue(SiteRole.SILO, "silo-revoked", Duration.ofDays(1));
    federation.writeParty("silo-revoked", revoked);
    X509CRL crl =
        federation.ca.revoke(
            federation.emptyCrl,
            revoked.certificate().getSerialNumber(),
            Instant.now(),
            Duration.ofDays(1));
    federation.writeCrl("openssl-crl.pem", crl);
    server =
        await(
            AggregatorServer.start(
                federation.config("openssl", "openssl-crl.pem", ROSTER, 16 << 10, 16)));
    federation.writeParty(
        "silo-good", federation.issue(SiteRole.SILO, "silo-good", Duration.ofDays(1)));
    federation.writeParty(
        "operator", federation.issue(SiteRole.OPERATOR, "ops-1", Duration.ofDays(1)));
    federation.writeParty("foreign", FederationFixture.foreign(SiteRole.SILO, "silo-good"));
    Instant now = Instant.now();
    writeCustom(
        "silo-expired",
        now.minus(Duration.ofHours(2)),
        now.minus(Duration.ofHours(1)),
        KeyUsage.digitalSignature,
        KeyPurposeId.id_kp_clientAuth);
    writeCustom(
        "silo-early",
        now.plus(Duration.ofHours(1)),
        now.plus(Duration.ofHours(2)),
        KeyUsage.digitalSignature,
        KeyPurposeId.id_kp_clientAuth);
    writeCustom(
        "silo-no-signature",
        now.minus(Duration.ofMinutes(5)),
        now.plus(Duration.ofHours(2)),
        KeyUsage.keyAgreement,
        KeyPurposeId.id_kp_clientAuth);
    writeCustom(
        "silo-server-only",
        now.minus(Duration.ofMinutes(5)),
        now.plus(Duration.ofHours(2)),
        KeyUsage.digitalSignature,
        KeyPurposeId.id_kp_serverAuth);
    // The control case built by the same code as the odd ones, so that a refusal of those is
    // about what differs, not about how this test makes certificates.
    writeCustom(
        "silo-good-custom",
        now.minus(Duration.ofMinutes(5)),
        now.plus(Duration.ofHours(2)),
        KeyUsage.digitalSignature,
        KeyPurposeId.id_kp_clientAuth);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      await(server.close());
    }
  }

  @Test
  void rosterSilo_tls13_served() throws Exception {
    Outcome outcome = call("silo-good", "/v1/whoami", "-tls1_3");

    assertThat(outcome.statusLine()).as("%s", outcome).isEqualTo("HTTP/1.1 200 OK");
    assertThat(outcome.stdout()).contains("\"siteId\":\"silo-good\"");
    assertThat(outcome.stderr()).contains("Protocol version: TLSv1.3");
    // Every TLS 1.3 suite is an AEAD; name the one negotiated so a change is visible.
    assertThat(outcome.stderr())
        .containsPattern("Ciphersuite: TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305)");
  }

  @Test
  void certificateMadeByThisTest_served_soTheRefusalsBelowAreAboutTheirOneDifference()
      throws Exception {
    Outcome outcome = call("silo-good-custom", "/health", "-tls1_3");

    assertThat(outcome.statusLine()).as("%s", outcome).isEqualTo("HTTP/1.1 200 OK");
  }

  @Test
  void tls12_refused() throws Exception {
    Outcome outcome = call("silo-good", "/health", "-tls1_2");

    assertThat(outcome.statusLine()).isNull();
    assertThat(outcome.stderr()).doesNotContain("CONNECTION ESTABLISHED");
    assertThat(outcome.stderr()).containsPattern("alert protocol version|no protocols available");
  }

  @Test
  void tls11AndBelow_refused() throws Exception {
    // OpenSSL 3 refuses to offer TLS 1.1 at its default security level; lowering it makes the
    // client try, so the refusal seen is the server's.
    Outcome outcome = call("silo-good", "/health", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");

    assertThat(outcome.statusLine()).isNull();
    assertThat(outcome.stderr()).containsPattern("alert|no protocols available");
  }

  @Test
  void noCertificate_refused() throws Exception {
    assertRefused(call(null, "/health", "-tls1_3"));
  }

  @Test
  void anotherFederationsCertificate_refused() throws Exception {
    assertRefused(call("foreign", "/health", "-tls1_3"));
  }

  @Test
  void expiredCertificate_refused() throws Exception {
    assertRefused(call("silo-expired", "/health", "-tls1_3"));
  }

  @Test
  void notYetValidCertificate_refused() throws Exception {
    assertRefused(call("silo-early", "/health", "-tls1_3"));
  }

  @Test
  void revokedCertificate_refused() throws Exception {
    assertRefused(call("silo-revoked", "/health", "-tls1_3"));
  }

  @Test
  void certificateWithoutDigitalSignatureKeyUsage_refused() throws Exception {
    assertRefused(call("silo-no-signature", "/health", "-tls1_3"));
  }

  @Test
  void certificateWithoutClientAuthExtendedKeyUsage_refused() throws Exception {
    assertRefused(call("silo-server-only", "/health", "-tls1_3"));
  }

  @Test
  void operatorCertificate_onSiloRoute_forbidden() throws Exception {
    Outcome outcome = call("operator", "/v1/silo/task", "-tls1_3");

    assertThat(outcome.statusLine()).as("%s", outcome).isEqualTo("HTTP/1.1 403 Forbidden");
    assertThat(outcome.stdout()).contains("WRONG_ROLE");
  }

  @Test
  void siloCertificate_onOperatorRoute_forbidden() throws Exception {
    Outcome outcome = call("silo-good", "/v1/runs", "-tls1_3");

    assertThat(outcome.statusLine()).as("%s", outcome).isEqualTo("HTTP/1.1 403 Forbidden");
    assertThat(outcome.stdout()).contains("WRONG_ROLE");
  }

  private static void assertRefused(Outcome outcome) {
    assertThat(outcome.statusLine()).as("an HTTP reply means the connection was accepted").isNull();
    assertThat(outcome.stderr()).containsPattern("alert (certificate|bad certificate|unknown ca)");
  }

  /** What {@code s_client} printed for one request. */
  record Outcome(String stdout, String stderr) {
    /** The first line of the HTTP reply, or null if none came back. */
    String statusLine() {
      for (String line : stdout.split("\r?\n", -1)) {
        if (line.startsWith("HTTP/1.1 ")) {
          return line.strip();
        }
      }
      return null;
    }
  }

  /**
   * Runs {@code openssl s_client} against the aggregator as {@code party} (the files written for
   * it; null for no certificate), verifying the aggregator's certificate and IP address, and sends
   * one GET of {@code path}.
   */
  private static Outcome call(String party, String path, String... options) throws Exception {
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            "openssl",
            "s_client",
            "-connect",
            FederationFixture.HOST + ":" + server.port(),
            "-CAfile",
            directory.resolve("ca.pem").toString(),
            "-verify_ip",
            FederationFixture.HOST,
            "-verify_return_error",
            // The connection's parameters go to standard error, so standard output is the reply.
            "-brief",
            "-alpn",
            "http/1.1"));
    command.addAll(List.of(options));
    if (party != null) {
      command.addAll(
          List.of(
              "-cert",
              directory.resolve(party + ".pem").toString(),
              "-key",
              directory.resolve(party + ".key").toString()));
    }
    Process process = new ProcessBuilder(command).start();
    CompletableFuture<String> stdout = drain(process.getInputStream());
    CompletableFuture<String> stderr = drain(process.getErrorStream());
    String request =
        "GET "
            + path
            + " HTTP/1.1\r\nHost: "
            + FederationFixture.HOST
            + "\r\nConnection: close\r\n\r\n";
    // Input stays open: s_client would end the session at its end. The aggregator closes the
    // connection after its reply (Connection: close) or when it refuses the client, and s_client
    // then exits by itself.
    OutputStream in = process.getOutputStream();
    try {
      in.write(request.getBytes(StandardCharsets.US_ASCII));
      in.flush();
    } catch (IOException closedByRefusal) {
      // s_client has already exited: the server refused it before the request could be written.
    }
    boolean exited = process.waitFor(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    try {
      in.close();
    } catch (IOException alreadyGone) {
      // Nothing left to tell a process that has exited.
    }
    if (!exited) {
      process.destroyForcibly();
      throw new AssertionError(
          "openssl s_client did not exit within " + OPENSSL_TIMEOUT_SECONDS + " s");
    }
    return new Outcome(
        stdout.get(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS),
        stderr.get(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            stream.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /**
   * Writes a silo certificate signed by the federation CA like {@link
   * org.fedsum.crypto.FederationCa#issue}'s but with the given validity, key usage and extended key
   * usage, which that factory never gets wrong, so this test builds them itself.
   */
  private static void writeCustom(
      String siloId, Instant notBefore, Instant notAfter, int keyUsage, KeyPurposeId purpose)
      throws Exception {
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    SiteIdentity identity = new SiteIdentity(SiteRole.SILO, siloId);
    X509Certificate ca = federation.ca.certificate();
    X509v3CertificateBuilder builder =
        new X509v3CertificateBuilder(
            X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
            new BigInteger(128, RANDOM).setBit(127),
            Date.from(notBefore),
            Date.from(notAfter),
            new X500Name("CN=" + siloId),
            SubjectPublicKeyInfo.getInstance(key.verifyingKey().toSubjectPublicKeyInfo()));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri())));
    X509Certificate certificate =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
    Files.writeString(directory.resolve(siloId + ".pem"), Pem.encodeCertificate(certificate));
    Path keyFile = directory.resolve(siloId + ".key");
    Files.writeString(keyFile, key.toPkcs8Pem(SecretAccess.GRANTED));
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
  }

  private static PrivateKey privateKey(String pem) throws IOException {
    try (PEMParser parser = new PEMParser(new java.io.StringReader(pem))) {
      return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parser.readObject());
    }
  }
}
