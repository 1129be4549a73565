package org.fedsum.aggregator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AggregatorConfigTest {
  static final String GOOD =
      """
      federationId: fed-1
      listen:
        host: 0.0.0.0
        port: 9443
      tls:
        certificate: tls/aggregator.pem
        privateKey: tls/aggregator.key
        ca: tls/ca.pem
        crl: tls/crl.pem
        crlCheckIntervalSeconds: 2
      dataDirectory: data
      roster: [silo-a, silo-b, silo-c]
      limits:
        maxControlMessageBytes: 65536
        maxModelParameters: 1000
        maxConnectionsPerSite: 4
      storageRecoveryIntervalSeconds: 3
      """;

  static final String MINIMAL =
      """
      federationId: fed-1
      tls:
        certificate: tls/aggregator.pem
        privateKey: tls/aggregator.key
        ca: tls/ca.pem
        crl: tls/crl.pem
      dataDirectory: data
      roster:
        - silo-a
        - silo-b
        - silo-c
      """;

  @TempDir Path directory;

  @BeforeEach
  void createFiles() throws Exception {
    Files.createDirectories(directory.resolve("tls"));
    Files.createDirectories(directory.resolve("data"));
    for (String name : List.of("aggregator.pem", "aggregator.key", "ca.pem", "crl.pem")) {
      Files.writeString(directory.resolve("tls").resolve(name), "placeholder");
    }
  }

  @Test
  void load_goodFile_everyValueReadAndPathsResolvedAgainstItsFolder() throws Exception {
    Path file = directory.resolve("aggregator.yaml");
    Files.writeString(file, GOOD, StandardCharsets.UTF_8);

    AggregatorConfig config = AggregatorConfig.load(file);

    assertThat(config.federationId()).isEqualTo("fed-1");
    assertThat(config.listen()).isEqualTo(new AggregatorConfig.Listen("0.0.0.0", 9443));
    Path tls = directory.toAbsolutePath().resolve("tls");
    assertThat(config.tls())
        .isEqualTo(
            new AggregatorConfig.Tls(
                tls.resolve("aggregator.pem"),
                tls.resolve("aggregator.key"),
                tls.resolve("ca.pem"),
                tls.resolve("crl.pem"),
                Duration.ofSeconds(2)));
    assertThat(config.dataDirectory()).isEqualTo(directory.toAbsolutePath().resolve("data"));
    assertThat(config.roster()).containsExactly("silo-a", "silo-b", "silo-c");
    assertThat(config.limits()).isEqualTo(new AggregatorConfig.Limits(65536, 1000, 4));
    assertThat(config.storageRecoveryInterval()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void parse_optionalKeysOmitted_documentedDefaults() throws Exception {
    AggregatorConfig config = AggregatorConfig.parse(MINIMAL, directory);

    assertThat(config.listen()).isEqualTo(new AggregatorConfig.Listen("127.0.0.1", 8443));
    assertThat(config.tls().crlCheckInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.limits())
        .isEqualTo(new AggregatorConfig.Limits(8L * 1024 * 1024, 100_000_000, 8));
    assertThat(config.storageRecoveryInterval()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void parse_absolutePath_keptAsItIs() throws Exception {
    Path elsewhere = Files.createDirectories(directory.resolve("elsewhere"));
    Path ca = Files.writeString(elsewhere.resolve("ca.pem"), "placeholder").toAbsolutePath();
    String yaml = MINIMAL.replace("ca: tls/ca.pem", "ca: " + ca);

    AggregatorConfig config = AggregatorConfig.parse(yaml, directory);

    assertThat(config.tls().ca()).isEqualTo(ca);
    assertThat(config.tls().crl()).isEqualTo(directory.toAbsolutePath().resolve("tls/crl.pem"));
  }

  @Test
  void parse_portZero_acceptedForAnEphemeralPort() throws Exception {
    AggregatorConfig config =
        AggregatorConfig.parse(GOOD.replace("port: 9443", "port: 0"), directory);

    assertThat(config.listen().port()).isZero();
  }

  /** (what, line of GOOD to replace, replacement, key named, reason fragment). */
  static Stream<Arguments> badValues() {
    return Stream.of(
        bad("missing federationId", "federationId: fed-1", "", "federationId", "missing"),
        bad(
            "bad federationId",
            "federationId: fed-1",
            "federationId: Fed 1",
            "federationId",
            "must match"),
        bad("negative port", "port: 9443", "port: -1", "listen.port", "between 0 and 65535"),
        bad("port too large", "port: 9443", "port: 65536", "listen.port", "not 65536"),
        bad("port as a string", "port: 9443", "port: \"9443\"", "listen.port", "whole number"),
        bad("port with a fraction", "port: 9443", "port: 9443.5", "listen.port", "whole number"),
        bad("port without a value", "port: 9443", "port:", "listen.port", "has no value"),
        bad(
            "host with a space",
            "host: 0.0.0.0",
            "host: my host",
            "listen.host",
            "not \"my host\""),
        bad(
            "unknown top-level key",
            "dataDirectory: data",
            "dataDirectory: data\ndataDir: x",
            "dataDir",
            "unknown key"),
        bad(
            "unknown nested key",
            "port: 9443",
            "port: 9443\n  hots: x",
            "listen.hots",
            "unknown key"),
        bad(
            "misspelt tls key",
            "crl: tls/crl.pem",
            "crlPath: tls/crl.pem",
            "tls.crlPath",
            "unknown key"),
        bad(
            "listen not a mapping",
            "listen:\n  host: 0.0.0.0\n  port: 9443",
            "listen: 9443",
            "listen",
            "must be a mapping"),
        bad(
            "missing tls.certificate",
            "  certificate: tls/aggregator.pem",
            "",
            "tls.certificate",
            "missing"),
        bad(
            "missing tls.privateKey",
            "  privateKey: tls/aggregator.key",
            "",
            "tls.privateKey",
            "missing"),
        bad("missing tls.ca", "  ca: tls/ca.pem", "", "tls.ca", "missing"),
        bad("missing tls.crl", "  crl: tls/crl.pem", "", "tls.crl", "missing"),
        bad(
            "non-existent CA file",
            "ca: tls/ca.pem",
            "ca: tls/nope.pem",
            "tls.ca",
            "does not exist"),
        bad(
            "non-existent key file",
            "privateKey: tls/aggregator.key",
            "privateKey: key.pem",
            "tls.privateKey",
            "does not exist"),
        bad("folder as CRL file", "crl: tls/crl.pem", "crl: tls", "tls.crl", "not a regular file"),
        bad(
            "CRL check interval zero",
            "crlCheckIntervalSeconds: 2",
            "crlCheckIntervalSeconds: 0",
            "tls.crlCheckIntervalSeconds",
            "between 1 and 3600"),
        bad(
            "storage recovery interval zero",
            "storageRecoveryIntervalSeconds: 3",
            "storageRecoveryIntervalSeconds: 0",
            "storageRecoveryIntervalSeconds",
            "between 1 and 3600"),
        bad(
            "storage recovery interval not a number",
            "storageRecoveryIntervalSeconds: 3",
            "storageRecoveryIntervalSeconds: soon",
            "storageRecoveryIntervalSeconds",
            ""),
        bad(
            "missing data folder",
            "dataDirectory: data",
            "dataDirectory: missing",
            "dataDirectory",
            "does not exist"),
        bad(
            "data folder is a file",
            "dataDirectory: data",
            "dataDirectory: tls/ca.pem",
            "dataDirectory",
            "not a folder"),
        bad("missing roster", "roster: [silo-a, silo-b, silo-c]", "", "roster", "missing"),
        bad(
            "roster not a list",
            "roster: [silo-a, silo-b, silo-c]",
            "roster: silo-a",
            "roster",
            "must be a list"),
        bad(
            "silo id with upper case and a space",
            "roster: [silo-a, silo-b, silo-c]",
            "roster: [silo-a, \"Silo B\", silo-c]",
            "roster[1]",
            "not \"Silo B\""),
        bad(
            "silo id with a colon",
            "roster: [silo-a, silo-b, silo-c]",
            "roster: [silo-a, \"silo:b\", silo-c]",
            "roster[1]",
            "must match"),
        bad(
            "silo id that YAML reads as a number",
            "roster: [silo-a, silo-b, silo-c]",
            "roster: [silo-a, 7, silo-c]",
            "roster[1]",
            "quote it"),
        bad(
            "duplicate roster entry",
            "roster: [silo-a, silo-b, silo-c]",
            "roster: [silo-a, silo-b, silo-a]",
            "roster[2]",
            "duplicate silo id \"silo-a\""),
        bad(
            "roster of two",
            "roster: [silo-a, silo-b, silo-c]",
            "roster: [silo-a, silo-b]",
            "roster",
            "at least 3"),
        bad(
            "body limit zero",
            "maxControlMessageBytes: 65536",
            "maxControlMessageBytes: 0",
            "limits.maxControlMessageBytes",
            "between 1024 and 1073741824"),
        bad(
            "body limit beyond 1 GiB",
            "maxControlMessageBytes: 65536",
            "maxControlMessageBytes: 1073741825",
            "limits.maxControlMessageBytes",
            "not 1073741825"),
        bad(
            "model too large for an int",
            "maxModelParameters: 1000",
            "maxModelParameters: 3000000000",
            "limits.maxModelParameters",
            "between 1 and"),
        bad(
            "no connections",
            "maxConnectionsPerSite: 4",
            "maxConnectionsPerSite: 0",
            "limits.maxConnectionsPerSite",
            "between 1 and 1024"),
        bad(
            "huge number",
            "maxConnectionsPerSite: 4",
            "maxConnectionsPerSite: 99999999999999999999999",
            "limits.maxConnectionsPerSite",
            "between 1 and 1024"));
  }

  private static Arguments bad(
      String what, String line, String replacement, String key, String reason) {
    return Arguments.of(what, line, replacement, key, reason);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void parse_badValue_refusedNamingTheKey(
      String what, String line, String replacement, String key, String reason) {
    assertThat(GOOD).as("test case must change the file").contains(line);
    String yaml = GOOD.replace(line + "\n", replacement.isEmpty() ? "" : replacement + "\n");

    AggregatorConfigException refusal =
        catchThrowableOfType(
            AggregatorConfigException.class, () -> AggregatorConfig.parse(yaml, directory));

    assertThat(refusal).as(what).isNotNull();
    assertThat(refusal.key()).as(what).isEqualTo(key);
    assertThat(refusal.reason()).as(what).contains(reason);
    assertThat(refusal.getMessage()).as(what).startsWith(key + ": ");
  }

  @Test
  void parse_duplicateKey_refused() {
    String yaml = GOOD.replace("federationId: fed-1\n", "federationId: fed-1\nfederationId: x\n");

    AggregatorConfigException refusal =
        catchThrowableOfType(
            AggregatorConfigException.class, () -> AggregatorConfig.parse(yaml, directory));

    assertThat(refusal.getMessage()).contains("not valid YAML").contains("federationId");
  }

  @Test
  void parse_emptyOrNotAMapping_refusedForTheWholeFile() {
    for (String yaml : List.of("", "# only a comment\n", "- a\n- b\n", "just text\n")) {
      AggregatorConfigException refusal =
          catchThrowableOfType(
              AggregatorConfigException.class, () -> AggregatorConfig.parse(yaml, directory));

      assertThat(refusal).as(yaml).isNotNull();
      assertThat(refusal.key()).as(yaml).isEmpty();
    }
  }

  @Test
  void load_missingFile_refusedNamingTheFile() {
    Path missing = directory.resolve("nope.yaml");

    AggregatorConfigException refusal =
        catchThrowableOfType(AggregatorConfigException.class, () -> AggregatorConfig.load(missing));

    assertThat(refusal.key()).isEmpty();
    assertThat(refusal.getMessage()).contains(missing.toString());
  }

  @Test
  void load_notUtf8_refused() throws Exception {
    Path file = directory.resolve("latin1.yaml");
    Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xe9, '\n'});

    AggregatorConfigException refusal =
        catchThrowableOfType(AggregatorConfigException.class, () -> AggregatorConfig.load(file));

    assertThat(refusal.getMessage()).contains("not UTF-8");
  }
}
