package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.SiteRole;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.GlobalModelDownload;
import org.fedsum.silo.client.TransportRetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model download that stalls after its headers: the silo reaches a real aggregator (mutual TLS on
 * 127.0.0.1) through {@link StallingTcpProxy}, which relays the server's first 128 KiB of its first
 * two connections (the TLS handshake, the reply's headers and the start of the 4 MB model) and then
 * forwards nothing more, keeping the connections open. The JDK client's request timeout ends with
 * the headers, so only the silo's own bound on the body can end the wait: each stalled download
 * must fail within about the silo's request timeout, naming the stall, and the retry ({@link
 * TransportRetry}) must get the whole model, with the right SHA-256, on a new connection.
 */
// A separate thread: a read stuck in the JDK's body stream ignores the interrupt a same-thread
// timeout sends, so without the silo's bound on the body the test would hang instead of failing.
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ModelDownloadStallIT {
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3", "silo-4");
  private static final String RUN = "download-stalls";
  private static final int PARAMETERS = 1_000_000;
  private static final long RELAYED_SERVER_BYTES = 128 << 10;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

  @TempDir Path directory;

  private Vertx vertx;
  private AggregatorServer server;
  private StallingTcpProxy proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      await(server.close());
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @Test
  void modelBodyStallsAfterItsHeaders_downloadFailsInTime_retryOnANewConnectionGetsTheModel()
      throws Exception {
    FederationFixture fixture = FederationFixture.create(directory);
    server =
        await(AggregatorServer.start(fixture.config("aggregator", "crl.pem", ROSTER, 1 << 20, 16)));
    proxy = new StallingTcpProxy(server.port());
    vertx = Vertx.vertx();
    OperatorCalls operator =
        new OperatorCalls(
            vertx.createHttpClient(
                fixture.clientOptions(fixture.issue(SiteRole.OPERATOR, "ops", Duration.ofDays(1)))),
            server::port);
    operator.create(OperatorCalls.runYaml(RUN, ROSTER, 1, PARAMETERS, "60s", "60s", Map.of()));
    float[] model = new float[PARAMETERS];
    SplittableRandom random = new SplittableRandom(9);
    for (int i = 0; i < PARAMETERS; i++) {
      model[i] = (float) random.nextDouble(-1, 1);
    }
    operator.initialModel(RUN, model);
    operator.change(RUN, "start");
    String expectedSha256 = sha256(model);

    Party silo = fixture.issue(SiteRole.SILO, "silo-1", Duration.ofDays(1));
    AggregatorClient client =
        AggregatorClient.create(
            URI.create("https://" + FederationFixture.HOST + ":" + proxy.port()),
            MutualTls.clientContext(
                silo.certificate(),
                EcdsaP256SigningKey.fromPkcs8Pem(silo.privateKeyPem()),
                FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl),
                SiteRole.AGGREGATOR,
                Clock.systemUTC()),
            REQUEST_TIMEOUT);
    proxy.stallServerAfter(RELAYED_SERVER_BYTES, 2);

    // The first download: headers and a little body, then silence on an open connection.
    long started = System.nanoTime();
    assertThatThrownBy(() -> client.downloadModel(Optional.of(expectedSha256)))
        .isInstanceOf(HttpTimeoutException.class)
        .hasMessageContaining("the model download stalled")
        .hasMessageContaining("of " + PARAMETERS * 4L + " bytes")
        .hasMessageNotContaining("after 0 of");
    long stalledMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.printf(
        "ModelDownloadStallIT: the stalled download failed after %d ms%n", stalledMillis);
    assertThat(stalledMillis)
        .as("the stalled download fails after about the request timeout")
        .isBetween(REQUEST_TIMEOUT.toMillis(), REQUEST_TIMEOUT.toMillis() + 5_000);
    assertThat(proxy.stalls()).isEqualTo(1);

    // As the silo downloads: the retry stalls once more on its new connection, then succeeds.
    started = System.nanoTime();
    GlobalModelDownload download =
        TransportRetry.call(
            "download the model", retry -> client.downloadModel(Optional.of(expectedSha256)));
    System.out.printf(
        "ModelDownloadStallIT: the retried download took %d ms over %d connections%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), proxy.connections());
    assertThat(proxy.stalls()).as("connections stalled").isEqualTo(2);
    assertThat(proxy.connections()).as("a new connection for each attempt").isEqualTo(3);
    assertThat(download.sha256()).isEqualTo(expectedSha256);
    assertThat(download.values()).isEqualTo(model);
  }

  private static String sha256(float[] values) throws Exception {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
  }
}
