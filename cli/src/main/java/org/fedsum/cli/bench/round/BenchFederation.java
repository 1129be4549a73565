package org.fedsum.cli.bench.round;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.Stage;

/**
 * A throw-away federation for one benchmark run: a CA made for it, certificates for the aggregator
 * (naming 127.0.0.1), the silos and an operator, and the aggregator's files (its key mode 0600) in
 * a folder the benchmark deletes at the end. Keys stay in memory and in that folder; nothing here
 * prints them.
 */
final class BenchFederation {
  static final String FEDERATION_ID = "bench-fed";
  static final String HOST = "127.0.0.1";

  private final Path directory;
  private final FederationCa ca;
  private final X509CRL crl;
  private final SecureRandom random;
  private final List<Party> silos = new ArrayList<>();
  private final Party operator;

  /** One site: its identity, certificate and PKCS#8 key. */
  record Party(SiteIdentity identity, X509Certificate certificate, String keyPem) {
    String siteId() {
      return identity.siteId();
    }

    @Override
    public String toString() {
      return "Party[" + identity + "]";
    }
  }

  BenchFederation(Path directory, int silos, SecureRandom random) throws IOException {
    this.directory = directory;
    this.random = random;
    this.ca = FederationCa.create(FEDERATION_ID, Duration.ofDays(2), random);
    this.crl = ca.emptyCrl(Instant.now(), Duration.ofDays(1));
    Party aggregator = issue(SiteRole.AGGREGATOR, "aggregator", List.of(HOST, "localhost"));
    Files.writeString(directory.resolve("ca.pem"), Pem.encodeCertificate(ca.certificate()));
    Files.writeString(directory.resolve("crl.pem"), Pem.encodeCrl(crl));
    Files.writeString(
        directory.resolve("aggregator.pem"), Pem.encodeCertificate(aggregator.certificate()));
    Path key = directory.resolve("aggregator.key");
    Files.createFile(
        key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(key, aggregator.keyPem());
    for (int i = 1; i <= silos; i++) {
      this.silos.add(issue(SiteRole.SILO, String.format(Locale.ROOT, "silo-%03d", i), List.of()));
    }
    this.operator = issue(SiteRole.OPERATOR, "ops", List.of());
  }

  private Party issue(SiteRole role, String siteId, List<String> hostNames) {
    SiteIdentity identity = new SiteIdentity(role, siteId);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(random);
    X509Certificate certificate =
        ca.issue(identity, key.verifyingKey(), Duration.ofDays(1), hostNames);
    return new Party(identity, certificate, key.toPkcs8Pem(SecretAccess.GRANTED));
  }

  List<Party> silos(int count) {
    return silos.subList(0, count);
  }

  FederationTrust trust() throws GeneralSecurityException {
    return FederationTrust.create(ca.certificate(), crl);
  }

  /** A site's client TLS context: its certificate, the federation's CA, the aggregator's role. */
  SSLContext clientTls(Party party) throws GeneralSecurityException {
    return MutualTls.clientContext(
        party.certificate(),
        EcdsaP256SigningKey.fromPkcs8Pem(party.keyPem()),
        trust(),
        SiteRole.AGGREGATOR,
        Clock.systemUTC());
  }

  /** The operator's HTTP client for the operator API (TLS 1.3, host-name check on). */
  HttpClient operatorClient() throws GeneralSecurityException {
    SSLParameters parameters = new SSLParameters();
    parameters.setProtocols(new String[] {"TLSv1.3"});
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    return HttpClient.newBuilder()
        .sslContext(clientTls(operator))
        .sslParameters(parameters)
        .build();
  }

  /**
   * Writes an aggregator home under {@code home} (its TLS files and {@code aggregator.yaml} for
   * {@code roster}, data directory {@code home/data}) and returns the configuration file.
   */
  Path writeAggregatorHome(Path home, List<Party> roster) throws IOException {
    Files.createDirectories(home);
    for (String file : List.of("ca.pem", "crl.pem", "aggregator.pem")) {
      Files.copy(directory.resolve(file), home.resolve(file));
    }
    Path key = home.resolve("aggregator.key");
    Files.createFile(
        key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(key, Files.readAllBytes(directory.resolve("aggregator.key")));
    Files.createDirectories(home.resolve("data"));
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
            "  crl: crl.pem",
            "dataDirectory: data",
            "roster: [" + String.join(", ", roster.stream().map(Party::siteId).toList()) + "]",
            "");
    Path file = home.resolve("aggregator.yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    return file;
  }

  /**
   * A run of {@code rounds} rounds of a test vector of {@code m} parameters, FedAvg, no noise, b =
   * {@code bits}, threshold {@link #threshold}, with the rotation or without (then the vector is
   * exactly {@code m} words; the rotation pads it by at most m/64). Every stage gets {@code
   * deadline} except those in {@code shortDeadlines} (the stage a benchmark's dropouts go silent
   * at, which then waits its whole deadline).
   */
  static String runYaml(
      String runId,
      List<Party> roster,
      int rounds,
      int m,
      int bits,
      boolean rotation,
      Duration deadline,
      Map<Stage, Duration> shortDeadlines,
      Duration graceMinimum,
      double graceFactor) {
    List<String> lines = new ArrayList<>();
    lines.add("runId: " + runId);
    lines.add("roster: [" + String.join(", ", roster.stream().map(Party::siteId).toList()) + "]");
    lines.add("rounds: " + rounds);
    lines.add("threshold: " + threshold(roster.size()));
    lines.add("deadlines:");
    for (Stage stage : Stage.values()) {
      Duration value = shortDeadlines.getOrDefault(stage, deadline);
      lines.add("  " + yamlKey(stage) + ": " + value.toMillis() + "ms");
    }
    lines.add("earlyClose:");
    lines.add("  minimumGrace: " + graceMinimum.toMillis() + "ms");
    lines.add("  graceFactor: " + graceFactor);
    lines.add("model:");
    lines.add("  kind: test-vector");
    lines.add("  parameters: " + m);
    lines.add("privacy:");
    lines.add("  clipNorm: 10");
    lines.add("  noiseMultiplier: 0");
    lines.add("  bits: " + bits);
    lines.add("  rotation: " + rotation);
    lines.add("");
    return String.join("\n", lines);
  }

  /** The benchmark's Shamir threshold for {@code n} silos: about two thirds, at least 3. */
  static int threshold(int n) {
    return Math.max(3, (2 * n + 2) / 3);
  }

  /** {@code MASKED_INPUT} as the run file's deadline key, {@code maskedInput}. */
  private static String yamlKey(Stage stage) {
    StringBuilder key = new StringBuilder();
    boolean upper = false;
    for (char c : stage.name().toLowerCase(Locale.ROOT).toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        key.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return key.toString();
  }
}
