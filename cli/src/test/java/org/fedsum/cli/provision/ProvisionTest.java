package org.fedsum.cli.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Run;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.EcdsaP256VerifyingKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.silo.client.FrameUpload;
import org.fedsum.silo.node.SiloConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedsum provision}: kits, key modes, refusals, revocation and new sites. */
class ProvisionTest {
  private static final List<String> SITES =
      List.of("aggregator", "silo-1", "silo-2", "silo-3", "operator");

  @TempDir Path directory;
  private Path config;
  private Path kits;

  @BeforeEach
  void example() throws Exception {
    Run example = Run.fedsum("provision", "--example");
    assertThat(example.exitCode()).as(example.err()).isZero();
    config = directory.resolve("federation.yaml");
    Files.writeString(config, example.out());
    kits = directory.resolve("kits");
  }

  private Run provision() {
    return Run.fedsum("provision", "--config", config.toString(), "--out", kits.toString());
  }

  @Test
  void theExampleNamesTheFiveSitesOnLoopbackPort8443() throws Exception {
    FederationSpec spec = FederationSpec.load(config);
    assertThat(spec.aggregatorId()).isEqualTo("aggregator");
    assertThat(spec.silos()).containsExactly("silo-1", "silo-2", "silo-3");
    assertThat(spec.operators()).containsExactly("operator");
    assertThat(spec.port()).isEqualTo(8443);
    assertThat(spec.aggregatorUrl()).hasToString("https://127.0.0.1:8443");
    assertThat(Files.readString(config)).contains("# ");
  }

  @Test
  void everyKitHoldsItsFilesWithPrivateKeysOwnerOnly() throws Exception {
    Run run = provision();
    assertThat(run.exitCode()).as(run.err()).isZero();
    for (String site : SITES) {
      Path kit = kits.resolve(site);
      SiteRole role =
          site.equals("aggregator")
              ? SiteRole.AGGREGATOR
              : site.equals("operator") ? SiteRole.OPERATOR : SiteRole.SILO;
      for (String file :
          List.of(
              "ca.pem",
              "crl.pem",
              "site.pem",
              "site.key",
              "start.sh",
              role.uriSegment() + ".yaml")) {
        assertThat(kit.resolve(file)).as("%s/%s", site, file).isRegularFile();
      }
      assertThat(
              PosixFilePermissions.toString(Files.getPosixFilePermissions(kit.resolve("site.key"))))
          .isEqualTo("rw-------");
      assertThat(Files.isExecutable(kit.resolve("start.sh"))).isTrue();
      assertThat(kit.resolve("ca.key")).doesNotExist();
      try (Stream<Path> files = Files.walk(kit)) {
        // The CA's key never leaves the CA folder.
        String caKey = Files.readString(kits.resolve("ca/ca.key"));
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          assertThat(Files.readString(file)).doesNotContain(caKey.strip());
        }
      }
      assertThat(Files.readString(kit.resolve("start.sh")))
          .startsWith("#!/bin/sh")
          .contains(
              role == SiteRole.OPERATOR ? " operator --kit" : " " + role.uriSegment() + " --kit");
      // The key is the certificate's.
      EcdsaP256SigningKey key =
          EcdsaP256SigningKey.fromPkcs8Pem(Files.readString(kit.resolve("site.key")));
      assertThat(key.verifyingKey())
          .isEqualTo(EcdsaP256VerifyingKey.fromCertificate(certificate(kit.resolve("site.pem"))));
    }
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(kits.resolve("ca/ca.key"))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kits.resolve("ca"))))
        .isEqualTo("rwx------");
  }

  @Test
  void certificatesChainToTheCaWithTheirRolesAndTheAggregatorsHostNames() throws Exception {
    assertThat(provision().exitCode()).isZero();
    FederationTrust trust = trust(kits.resolve("ca"));
    assertThat(
            trust.verify(
                certificate(kits.resolve("aggregator/site.pem")),
                SiteRole.AGGREGATOR,
                Instant.now()))
        .isEqualTo(new SiteIdentity(SiteRole.AGGREGATOR, "aggregator"));
    for (String silo : List.of("silo-1", "silo-2", "silo-3")) {
      assertThat(
              trust.verify(
                  certificate(kits.resolve(silo + "/site.pem")), SiteRole.SILO, Instant.now()))
          .isEqualTo(new SiteIdentity(SiteRole.SILO, silo));
    }
    assertThat(
            trust.verify(
                certificate(kits.resolve("operator/site.pem")), SiteRole.OPERATOR, Instant.now()))
        .isEqualTo(new SiteIdentity(SiteRole.OPERATOR, "operator"));
    // A silo certificate is not an aggregator's.
    assertThatThrownBy(
            () ->
                trust.verify(
                    certificate(kits.resolve("silo-1/site.pem")),
                    SiteRole.AGGREGATOR,
                    Instant.now()))
        .isInstanceOf(GeneralSecurityException.class);
    List<String> names = new ArrayList<>();
    for (List<?> name :
        certificate(kits.resolve("aggregator/site.pem")).getSubjectAlternativeNames()) {
      names.add(name.get(0) + "=" + name.get(1));
    }
    // 7 = iPAddress, 2 = dNSName, 6 = URI (RFC 5280 GeneralName tags).
    assertThat(names).contains("7=127.0.0.1", "2=localhost", "6=urn:fedsum:aggregator:aggregator");
    assertThat(certificate(kits.resolve("silo-1/site.pem")).getSubjectAlternativeNames())
        .hasSize(1);
  }

  @Test
  void theKitConfigurationsAreValidWithPathsInsideTheKit() throws Exception {
    assertThat(provision().exitCode()).isZero();
    AggregatorConfig aggregator = AggregatorConfig.load(kits.resolve("aggregator/aggregator.yaml"));
    assertThat(aggregator.roster()).containsExactly("silo-1", "silo-2", "silo-3");
    assertThat(aggregator.listen().port()).isEqualTo(8443);
    assertThat(aggregator.tls().privateKey()).isEqualTo(kits.resolve("aggregator/site.key"));
    assertThat(aggregator.dataDirectory()).isEqualTo(kits.resolve("aggregator/data"));
    for (int i = 1; i <= 3; i++) {
      SiloConfig silo = SiloConfig.load(kits.resolve("silo-" + i + "/silo.yaml"));
      assertThat(silo.siloId()).isEqualTo("silo-" + i);
      assertThat(silo.aggregator().url()).hasToString("https://127.0.0.1:8443");
      assertThat(silo.data().format()).isEqualTo("synthetic");
      assertThat(silo.data().device()).isEqualTo(i - 1);
      assertThat(silo.tls().crl()).isEqualTo(kits.resolve("silo-" + i + "/crl.pem"));
      assertThat(silo.privacy().floor().requireDifferentialPrivacy()).isTrue();
      assertThat(silo.aggregator().uploadPartBytes()).isEqualTo(FrameUpload.DEFAULT_PART_BYTES);
      assertThat(silo.aggregator().requestTimeoutSeconds()).isEqualTo(300);
      // Spelled out in the kit, not left to the default, so that an operator can find them.
      assertThat(Files.readString(kits.resolve("silo-" + i + "/silo.yaml")))
          .containsPattern("(?m)^  uploadPartKibibytes: 16384 ")
          .containsPattern("(?m)^  requestTimeoutSeconds: 300 ");
    }
    for (String site : SITES) {
      String text =
          Files.readString(
              kits.resolve(site)
                  .resolve(
                      site.equals("aggregator")
                          ? "aggregator.yaml"
                          : site.equals("operator") ? "operator.yaml" : "silo.yaml"));
      assertThat(text).doesNotContain(directory.toString());
    }
  }

  @Test
  void reprovisioningRefusesAndLeavesEveryFileAsItWas() throws Exception {
    assertThat(provision().exitCode()).isZero();
    Map<String, String> before = hashes(kits);
    Run again = provision();
    assertThat(again.exitCode()).isEqualTo(CliException.USAGE);
    assertThat(again.err()).contains("already exists").contains("never overwrites");
    assertThat(hashes(kits)).isEqualTo(before);

    // Even a single existing kit folder stops the whole run before anything is written.
    Path other = directory.resolve("other");
    Files.createDirectories(other.resolve("silo-2"));
    Run partial = Run.fedsum("provision", "--config", config.toString(), "--out", other.toString());
    assertThat(partial.exitCode()).isEqualTo(CliException.USAGE);
    assertThat(other.resolve("ca")).doesNotExist();
    assertThat(other.resolve("silo-1")).doesNotExist();
  }

  @Test
  void aKeyIsNeverWrittenOverEvenByTheFileLayer() throws Exception {
    Path key = directory.resolve("site.key");
    Files.writeString(key, "precious");
    assertThatThrownBy(() -> KitFiles.createNew(key, "other", KitFiles.OWNER_READ_WRITE))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("already exists");
    assertThat(Files.readString(key)).isEqualTo("precious");
  }

  @Test
  void revokeUpdatesTheCrlOfEveryKitAndOnlyTheCrl() throws Exception {
    assertThat(provision().exitCode()).isZero();
    BigInteger serial = certificate(kits.resolve("silo-2/site.pem")).getSerialNumber();
    Map<String, String> before = hashes(kits);

    Run revoke = Run.fedsum("provision", "revoke", "--site", "silo-2", "--out", kits.toString());
    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    assertThat(revoke.out()).contains("revoked silo-2").contains("5 kits");

    Map<String, String> after = hashes(kits);
    for (String file : before.keySet()) {
      if (file.endsWith("crl.pem")) {
        assertThat(after.get(file)).as(file).isNotEqualTo(before.get(file));
        X509CRL crl = Pem.decodeCrl(Files.readString(kits.resolve(file)));
        assertThat(crl.getRevokedCertificate(serial)).as(file).isNotNull();
      } else if (!file.equals("ca/federation.yaml")) {
        assertThat(after.get(file)).as(file).isEqualTo(before.get(file));
      }
    }
    // The revoked silo is refused by the new trust; the others still pass.
    FederationTrust trust = trust(kits.resolve("silo-1"));
    assertThatThrownBy(
            () ->
                trust.verify(
                    certificate(kits.resolve("silo-2/site.pem")), SiteRole.SILO, Instant.now()))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("revoked");
    trust.verify(certificate(kits.resolve("silo-1/site.pem")), SiteRole.SILO, Instant.now());

    Run twice = Run.fedsum("provision", "revoke", "--site", "silo-2", "--out", kits.toString());
    assertThat(twice.exitCode()).isEqualTo(CliException.USAGE);
    assertThat(twice.err()).contains("already revoked");
    Run unknown = Run.fedsum("provision", "revoke", "--site", "silo-9", "--out", kits.toString());
    assertThat(unknown.err()).contains("no certificate was issued to site silo-9");
  }

  @Test
  void addSiteIssuesANewKitAndTouchesNoOther() throws Exception {
    assertThat(provision().exitCode()).isZero();
    Map<String, String> before = hashes(kits);

    Run add = Run.fedsum("provision", "add-site", "silo-4", "--out", kits.toString());
    assertThat(add.exitCode()).as(add.err()).isZero();
    assertThat(add.out()).contains("add silo-4 to 'roster'");

    Map<String, String> after = hashes(kits);
    for (Map.Entry<String, String> file : before.entrySet()) {
      if (!file.getKey().equals("ca/federation.yaml")) {
        assertThat(after.get(file.getKey())).as(file.getKey()).isEqualTo(file.getValue());
      }
    }
    assertThat(kits.resolve("silo-4/site.key")).isRegularFile();
    assertThat(
            trust(kits.resolve("ca"))
                .verify(certificate(kits.resolve("silo-4/site.pem")), SiteRole.SILO, Instant.now()))
        .isEqualTo(new SiteIdentity(SiteRole.SILO, "silo-4"));
    assertThat(SiloConfig.load(kits.resolve("silo-4/silo.yaml")).data().device()).isEqualTo(3);
    assertThat(FederationSpec.load(kits.resolve("ca/federation.yaml")).silos()).contains("silo-4");

    Run again = Run.fedsum("provision", "add-site", "silo-4", "--out", kits.toString());
    assertThat(again.exitCode()).isEqualTo(CliException.USAGE);
    assertThat(again.err()).contains("already exists");

    Run operator =
        Run.fedsum(
            "provision", "add-site", "monitoring", "--role", "operator", "--out", kits.toString());
    assertThat(operator.exitCode()).as(operator.err()).isZero();
    assertThat(kits.resolve("monitoring/operator.yaml")).isRegularFile();
  }

  @Test
  void aRevokedSiteMayGetANewKitOnceItsOldOneIsRemoved() throws Exception {
    assertThat(provision().exitCode()).isZero();
    assertThat(
            Run.fedsum("provision", "revoke", "--site", "silo-3", "--out", kits.toString())
                .exitCode())
        .isZero();
    Run stillThere = Run.fedsum("provision", "add-site", "silo-3", "--out", kits.toString());
    assertThat(stillThere.err()).contains("already exists");
    try (Stream<Path> files = Files.walk(kits.resolve("silo-3"))) {
      for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
    Run again = Run.fedsum("provision", "add-site", "silo-3", "--out", kits.toString());
    assertThat(again.exitCode()).as(again.err()).isZero();
    FederationTrust trust = trust(kits.resolve("ca"));
    trust.verify(certificate(kits.resolve("silo-3/site.pem")), SiteRole.SILO, Instant.now());
  }

  @Test
  void badFederationFilesAreRefusedWithTheKey() throws Exception {
    Files.writeString(config, "federationId: x\naggregator: {hosts: [127.0.0.1]}\nsilos: [a, b]\n");
    Run run = provision();
    assertThat(run.exitCode()).isEqualTo(CliException.USAGE);
    assertThat(run.err()).contains("silos: at least 3 silos");
    Files.writeString(
        config,
        "federationId: x\naggregator: {hosts: [127.0.0.1], colour: red}\nsilos: [a, b, c]\n");
    assertThat(provision().err()).contains("aggregator.colour: unknown key");
    Files.writeString(
        config, "federationId: x\naggregator: {hosts: [127.0.0.1]}\nsilos: [a, b, a]\n");
    assertThat(provision().err()).contains("site id a is used twice");
    assertThat(kits).doesNotExist();
  }

  private static X509Certificate certificate(Path file) throws Exception {
    return Pem.decodeCertificate(Files.readString(file));
  }

  private static FederationTrust trust(Path kit) throws Exception {
    return FederationTrust.create(
        certificate(kit.resolve("ca.pem")),
        Pem.decodeCrl(Files.readString(kit.resolve("crl.pem"))));
  }

  private static Map<String, String> hashes(Path root) throws Exception {
    Map<String, String> hashes = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        hashes.put(
            root.relativize(file).toString(),
            HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
      }
    }
    return hashes;
  }
}
