package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.Calls.await;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SiteRole;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP-level abuse (issue "Reliability and security"): oversized headers, slow-loris connections
 * that never finish a request, and TCP connections that never start TLS. Resources stay bounded:
 * the server closes what it will not serve, and an honest silo is served all along.
 */
class HttpAbuseIT {
  private static final List<String> ROSTER = List.of("silo-abuser", "silo-honest", "silo-3");
  private static final int MAX_CONNECTIONS_PER_SITE = 4;

  @TempDir static Path directory;

  private static Vertx vertx;
  private static FederationFixture federation;
  private static AggregatorServer server;
  private static Party abuser;
  private static Party honest;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    federation = FederationFixture.create(directory);
    abuser = federation.issue(SiteRole.SILO, "silo-abuser", Duration.ofDays(1));
    honest = federation.issue(SiteRole.SILO, "silo-honest", Duration.ofDays(1));
    server =
        await(
            AggregatorServer.start(
                federation.config("abuse", "crl.pem", ROSTER, 16 << 10, MAX_CONNECTIONS_PER_SITE)));
    assertHonestSiloServed();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      await(server.close());
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @Test
  void oversizedHeader_refusedWith431_honestSiloServed() throws Exception {
    NetSocket socket = await(tlsClient(abuser).connect(server.port(), FederationFixture.HOST));
    Promise<String> reply = Promise.promise();
    Buffer received = Buffer.buffer();
    socket.handler(
        bytes -> {
          received.appendBuffer(bytes);
          if (received.toString(StandardCharsets.US_ASCII).contains("\r\n")) {
            reply.tryComplete(received.toString(StandardCharsets.US_ASCII));
          }
        });
    socket.closeHandler(closed -> reply.tryComplete(received.toString(StandardCharsets.US_ASCII)));
    socket.exceptionHandler(
        reset -> reply.tryComplete(received.toString(StandardCharsets.US_ASCII)));
    String hugeHeader = "X-Padding: " + "a".repeat(64 << 10) + "\r\n";
    // Not awaited: the server may answer and close before the client has written it all, and the
    // write then fails with a broken pipe, which is the refusal too.
    socket
        .write(
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + hugeHeader
                + "Connection: close\r\n\r\n")
        .onFailure(brokenPipe -> reply.tryComplete(received.toString(StandardCharsets.US_ASCII)));

    String answer = await(reply.future());
    socket.close();

    // 431, or the connection closed before the 431 could be read (a reset can discard it); never
    // an answer to the request.
    assertThat(answer).as("what came back").doesNotContain("200 OK");
    if (!answer.isEmpty()) {
      assertThat(answer.lines().findFirst().orElse("")).startsWith("HTTP/1.1 431");
    }
    assertHonestSiloServed();
  }

  @Test
  void slowLoris_connectionsBeyondTheSiteLimitClosed_honestSiloServed() throws Exception {
    NetClient client = tlsClient(abuser);
    int attempts = 3 * MAX_CONNECTIONS_PER_SITE;
    List<NetSocket> sockets = new ArrayList<>();
    List<Future<Void>> closed = new ArrayList<>();
    for (int i = 0; i < attempts; i++) {
      NetSocket socket = await(client.connect(server.port(), FederationFixture.HOST));
      Promise<Void> closing = Promise.promise();
      socket.closeHandler(ignored -> closing.tryComplete());
      // The start of a request that never ends: no blank line, ever.
      await(socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
      sockets.add(socket);
      closed.add(closing.future());
    }

    assertHonestSiloServed();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (System.nanoTime() < deadline && openCount(closed) > MAX_CONNECTIONS_PER_SITE) {
      Thread.sleep(200);
    }
    int stillOpen = openCount(closed);
    sockets.forEach(NetSocket::close);

    assertThat(stillOpen)
        .as("connections of one site the server keeps, of %d it was offered", attempts)
        .isLessThanOrEqualTo(MAX_CONNECTIONS_PER_SITE);
    assertHonestSiloServed();
  }

  @Test
  void tcpConnectionsThatNeverStartTls_closedByTheServer() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(FederationFixture.HOST, server.port()), 5_000);
        socket.setSoTimeout(30_000);
        sockets.add(socket);
      }
      assertHonestSiloServed();
      long started = System.nanoTime();
      for (Socket socket : sockets) {
        assertThat(readUntilClosed(socket)).as("the server closes a silent connection").isTrue();
      }
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      assertThat(seconds).as("time until the last silent connection was closed").isLessThan(30);
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  private static boolean readUntilClosed(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    try {
      while (in.read() != -1) {
        // Whatever the server sends before closing (an alert) is not of interest.
      }
      return true;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  private static int openCount(List<Future<Void>> closed) {
    return (int) closed.stream().filter(future -> !future.isComplete()).count();
  }

  private static void assertHonestSiloServed() throws Exception {
    HttpClientAgent client = vertx.createHttpClient(federation.clientOptions(honest));
    try {
      assertThat(await(Calls.get(client, server.port(), "/v1/whoami")).status()).isEqualTo(200);
    } finally {
      await(client.close());
    }
  }

  private static NetClient tlsClient(Party party) {
    NetClientOptions options =
        new NetClientOptions()
            .setSsl(true)
            .setHostnameVerificationAlgorithm("HTTPS")
            .setConnectTimeout(5_000)
            .setSslHandshakeTimeout(5)
            .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
            .setKeyCertOptions(
                new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(party.certificatePem()))
                    .setKeyValue(Buffer.buffer(party.privateKeyPem())))
            .setTrustOptions(
                new PemTrustOptions()
                    .addCertValue(
                        Buffer.buffer(Pem.encodeCertificate(federation.ca.certificate()))));
    return vertx.createNetClient(options);
  }
}
