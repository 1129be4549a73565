package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;
import static org.fedsum.aggregator.http.Calls.awaitFailure;
import static org.fedsum.aggregator.http.Calls.get;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SiteRole;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting and stopping the service: unusable TLS files stop the start with the key's name, the
 * start is announced in the log, and a CRL file that becomes unusable never weakens the CRL in
 * force.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AggregatorServerIT {
  private static final List<String> ROSTER = List.of("silo-a", "silo-b", "silo-c");

  @TempDir static Path directory;

  private static Vertx vertx;
  private static FederationFixture federation;
  private static Party siloA;

  @BeforeAll
  static void createFederation(Vertx testVertx) throws Exception {
    vertx = testVertx;
    federation = FederationFixture.create(directory);
    siloA = federation.issue(SiteRole.SILO, "silo-a", Duration.ofDays(1));
    federation.writeParty("silo-a", siloA);
  }

  private static AggregatorConfigException startFailure(String name, UnaryOperator<String> edit)
      throws Exception {
    AggregatorConfig config = federation.config(name, "crl.pem", ROSTER, 4096, 8, edit);
    Throwable failure = awaitFailure(AggregatorServer.start(config));
    assertThat(failure).isInstanceOf(AggregatorConfigException.class);
    return (AggregatorConfigException) failure;
  }

  @Test
  void start_announcesListeningAddressOnce_andCloseStopsIt() throws Exception {
    AggregatorConfig config = federation.config("announce", "crl.pem", ROSTER, 4096, 8);
    AggregatorServer server;
    try (CapturedLog log = CapturedLog.of(AggregatorVerticle.class)) {
      server = await(AggregatorServer.start(config));

      assertThat(log.messages())
          .filteredOn(message -> message.contains("listening on"))
          .containsExactly(
              "INFO federation test-fed: listening on https://127.0.0.1:"
                  + server.port()
                  + " (TLS 1.3, client certificates required, roster of 3 silos)");
    }
    HttpClientAgent client = vertx.createHttpClient(federation.clientOptions(siloA));
    assertThat(await(get(client, server.port(), "/health")).status()).isEqualTo(200);

    await(server.close());

    assertThat(awaitFailure(get(client, server.port(), "/health"))).isNotNull();
    await(client.close());
  }

  @Test
  void start_privateKeyOfAnotherCertificate_refusedNamingTlsPrivateKey() throws Exception {
    AggregatorConfigException refusal =
        startFailure("wrong-key", yaml -> yaml.replace("aggregator.key", "silo-a.key"));

    assertThat(refusal.key()).isEqualTo("tls.privateKey");
    assertThat(refusal.reason()).contains("not the key of the certificate");
  }

  @Test
  void start_siloCertificateAsServerCertificate_refusedNamingTlsCertificate() throws Exception {
    AggregatorConfigException refusal =
        startFailure(
            "silo-as-server",
            yaml ->
                yaml.replace("aggregator.pem", "silo-a.pem")
                    .replace("aggregator.key", "silo-a.key"));

    assertThat(refusal.key()).isEqualTo("tls.certificate");
    assertThat(refusal.reason()).contains("expected aggregator");
  }

  @Test
  void start_caOfAnotherFederation_refusedNamingFederationId() throws Exception {
    AggregatorConfigException refusal =
        startFailure(
            "other-federation",
            yaml -> yaml.replace("federationId: test-fed", "federationId: fed-2"));

    assertThat(refusal.key()).isEqualTo("federationId");
    assertThat(refusal.reason()).contains("CN=FedSum CA test-fed");
  }

  @Test
  void start_crlOfAnotherCa_refusedNamingTlsCrl() throws Exception {
    FederationCa other =
        FederationCa.create("test-fed", Duration.ofDays(1), new java.security.SecureRandom());
    federation.writeCrl("foreign-crl.pem", other.emptyCrl(Instant.now(), Duration.ofDays(1)));

    AggregatorConfigException refusal =
        startFailure("foreign-crl", yaml -> yaml.replace("crl: crl.pem", "crl: foreign-crl.pem"));

    assertThat(refusal.key()).isEqualTo("tls.crl");
    assertThat(refusal.reason()).contains("not signed by the federation CA");
  }

  @Test
  void start_crlPastItsNextUpdate_refusedNamingTlsCrl() throws Exception {
    federation.writeCrl(
        "stale-crl.pem",
        federation.ca.emptyCrl(Instant.now().minus(Duration.ofHours(2)), Duration.ofHours(1)));

    AggregatorConfigException refusal =
        startFailure("stale-crl", yaml -> yaml.replace("crl: crl.pem", "crl: stale-crl.pem"));

    assertThat(refusal.key()).isEqualTo("tls.crl");
    assertThat(refusal.reason()).contains("due for renewal");
  }

  @Test
  void crlFile_garbledOrRolledBack_ignoredAndTheCrlInForceStays() throws Exception {
    // The CRL in force is 10 minutes younger than the rollback candidate.
    federation.writeCrl(
        "moving-crl.pem", federation.ca.emptyCrl(Instant.now(), Duration.ofDays(1)));
    AggregatorConfig config =
        federation.config("moving", "moving-crl.pem", ROSTER, 4096, 8, UnaryOperator.identity());
    AggregatorServer server = await(AggregatorServer.start(config));
    HttpClientAgent client = vertx.createHttpClient(federation.clientOptions(siloA));
    try (CapturedLog log = CapturedLog.of(CrlReloader.class)) {
      Files.writeString(
          directory.resolve("moving-crl.pem"), "-----BEGIN X509 CRL-----\nnot base64\n");
      String garbled = log.awaitMessage("ignored");
      federation.writeCrl(
          "moving-crl.pem",
          federation.ca.emptyCrl(Instant.now().minus(Duration.ofMinutes(10)), Duration.ofDays(1)));
      String rolledBack = log.awaitMessage("older than");

      assertThat(garbled).startsWith("WARN").contains("not a valid CRL of the federation CA");
      assertThat(rolledBack).startsWith("WARN").contains("the CRL in force stays");
      assertThat(await(get(client, server.port(), "/health")).status()).isEqualTo(200);
      assertThat(log.messages()).noneMatch(message -> message.contains("CRL reloaded"));
    } finally {
      await(client.close());
      await(server.close());
    }
  }

  @Test
  void pem_ofTheCaIsWhatTheFixtureWrote() throws Exception {
    // Guards the other tests: they assume the fixture's files are the CA's own.
    assertThat(Files.readString(directory.resolve("ca.pem")))
        .isEqualTo(Pem.encodeCertificate(federation.ca.certificate()));
  }
}
