package org.fedsum.aggregator.http;

import static org.fedsum.aggregator.http.Calls.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.fedsum.protocol.codec.RoundConfigCodec;
import org.fedsum.protocol.codec.VectorFrame;

/**
 * A hostile aggregator for the tests: a real Vert.x HTTPS server with mutual TLS (TLS 1.3, client
 * certificates of the federation CA required) presenting a real aggregator certificate, speaking
 * the silo API as {@link SiloRoutes} does, but with no protocol logic of its own: the test scripts
 * what each silo is told ({@link #deliver}) from what the silos sent ({@link #awaitMessages}), so
 * that it can substitute keys, tell silos different survivor lists or replay old messages.
 */
final class HostileAggregator implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern MASKED_INPUT =
      Pattern.compile("/v1/silo/rounds/(\\d+)/masked-input");
  private static final Duration POLL_CHECK = Duration.ofMillis(100);

  private final Vertx vertx;
  private final HttpServer server;
  private final FederationTrust trust;
  private final Set<String> roster;
  private final String runId;

  // Guarded by this.
  private RoundConfig round;
  private ObjectNode plan;
  private byte[] model = new byte[0];
  private String modelSha256 = "";
  private boolean runOver;
  private final Map<String, List<AggregatorMessage>> outboxes = new TreeMap<>();
  private final Map<Stage, Map<String, SiloMessage>> inbox = new EnumMap<>(Stage.class);
  private final List<String> declines = new ArrayList<>();

  /** How many of its messages each silo has been sent in poll replies. */
  private final Map<String, Integer> delivered = new TreeMap<>();

  /** Silos that polled again after taking every message queued for them. */
  private final Set<String> caughtUp = new java.util.HashSet<>();

  private HostileAggregator(
      Vertx vertx, HttpServer server, FederationTrust trust, Set<String> roster, String runId) {
    this.vertx = vertx;
    this.server = server;
    this.trust = trust;
    this.roster = roster;
    this.runId = runId;
  }

  /** Starts the server on an ephemeral port of {@link FederationFixture#HOST}. */
  static HostileAggregator start(FederationFixture fixture, Set<String> roster, String runId)
      throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(FederationFixture.HOST)
            .setPort(0)
            .setSsl(true)
            .setUseAlpn(true)
            .setClientAuth(ClientAuth.REQUIRED)
            .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
            .setKeyCertOptions(
                new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(fixture.aggregator.certificatePem()))
                    .setKeyValue(Buffer.buffer(fixture.aggregator.privateKeyPem())))
            .setTrustOptions(
                new PemTrustOptions()
                    .addCertValue(Buffer.buffer(Pem.encodeCertificate(fixture.ca.certificate()))));
    HttpServer server = vertx.createHttpServer(options);
    HostileAggregator aggregator =
        new HostileAggregator(
            vertx,
            server,
            FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl),
            Set.copyOf(roster),
            runId);
    server.requestHandler(aggregator::handle);
    await(server.listen());
    return aggregator;
  }

  int port() {
    return server.actualPort();
  }

  /** Opens {@code config}'s round with {@code plan} and a model of {@code parameters} zeros. */
  synchronized void openRound(RoundConfig config, ObjectNode plan, int parameters) {
    this.round = config;
    this.plan = plan;
    this.model = new byte[4 * parameters];
    this.modelSha256 = sha256Hex(model);
    outboxes.clear();
    inbox.clear();
    delivered.clear();
    caughtUp.clear();
    notifyAll();
  }

  /**
   * Ends the run once every silo has taken all its messages and polled again (so it has acted on
   * them: a silo's session handles a whole reply before its next poll), or after {@code timeout}:
   * from then on every poll is answered with {@code runOver}.
   */
  synchronized void endRun(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!caughtUp.containsAll(roster) && System.nanoTime() < deadline) {
      wait(100);
    }
    runOver = true;
    notifyAll();
  }

  /** Queues {@code messages} for {@code siloId}, in order, in the open round. */
  synchronized void deliver(String siloId, AggregatorMessage... messages) {
    outboxes.computeIfAbsent(siloId, silo -> new ArrayList<>()).addAll(List.of(messages));
    caughtUp.remove(siloId);
  }

  /** Queues {@code messages} for every silo of the roster. */
  synchronized void deliverToAll(AggregatorMessage... messages) {
    for (String siloId : roster) {
      deliver(siloId, messages);
    }
  }

  /**
   * Waits until {@code count} silos sent their message of {@code stage} in the open round, or
   * {@code timeout} passed; returns what arrived, by silo.
   */
  synchronized Map<String, SiloMessage> awaitMessages(Stage stage, int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (inbox.getOrDefault(stage, Map.of()).size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return new TreeMap<>(inbox.getOrDefault(stage, Map.of()));
  }

  /** What silos sent for {@code stage} in the open round so far. */
  synchronized Map<String, SiloMessage> received(Stage stage) {
    return new TreeMap<>(inbox.getOrDefault(stage, Map.of()));
  }

  /** The declines the silos sent, as {@code siloId: reason}. */
  synchronized List<String> declines() {
    return List.copyOf(declines);
  }

  @Override
  public void close() throws Exception {
    await(server.close());
    await(vertx.close());
  }

  // --- the silo API ----------------------------------------------------------------------------

  private void handle(HttpServerRequest request) {
    String siloId;
    try {
      List<Certificate> chain = request.connection().peerCertificates();
      siloId = trust.verify((X509Certificate) chain.get(0), SiteRole.SILO, Instant.now()).siteId();
    } catch (Exception e) {
      reply(request, 403, error("CERTIFICATE_REJECTED", e.getMessage()));
      return;
    }
    if (!roster.contains(siloId)) {
      reply(request, 403, error("UNKNOWN_SILO", siloId));
      return;
    }
    String path = request.path();
    request
        .body()
        .onSuccess(body -> route(request, siloId, path, body.getBytes()))
        .onFailure(e -> reply(request, 400, error("MALFORMED_MESSAGE", e.getMessage())));
  }

  private void route(HttpServerRequest request, String siloId, String path, byte[] body) {
    Matcher masked = MASKED_INPUT.matcher(path);
    try {
      if (path.equals("/v1/silo/task")) {
        long deadline =
            System.nanoTime()
                + Duration.ofMillis(Long.parseLong(request.getParam("waitMillis", "0"))).toNanos();
        answerPoll(request, siloId, Integer.parseInt(request.getParam("after", "0")), deadline);
      } else if (path.equals("/v1/silo/model")) {
        byte[] bytes;
        String sha;
        synchronized (this) {
          bytes = model;
          sha = modelSha256;
        }
        request
            .response()
            .putHeader("Content-Type", "application/octet-stream")
            .putHeader("X-FedSum-Model-Sha256", sha)
            .putHeader("X-FedSum-Rounds-Finished", "0")
            .end(Buffer.buffer(bytes));
      } else if (path.equals("/v1/silo/messages")) {
        accept(JsonMessageCodec.decodeSiloMessage(body, siloId));
        reply(request, 200, JSON.createObjectNode().put("accepted", true));
      } else if (masked.matches()) {
        RoundConfig config;
        synchronized (this) {
          config = round;
        }
        WordVector words =
            VectorFrame.decode(body, config.round(), config.bits(), config.vectorLength());
        accept(new MaskedInput(siloId, config.round(), words));
        reply(request, 200, JSON.createObjectNode().put("accepted", true));
      } else if (path.equals("/v1/silo/declines")) {
        synchronized (this) {
          declines.add(siloId + ": " + JSON.readTree(body).path("reason").asText());
        }
        reply(request, 200, JSON.createObjectNode().put("accepted", true));
      } else if (path.equals("/v1/silo/metrics")) {
        reply(request, 200, JSON.createObjectNode().put("accepted", true));
      } else {
        reply(request, 404, error("NOT_FOUND", path));
      }
    } catch (ProtocolException e) {
      reply(request, 400, error(e.code().name(), e.getMessage()));
    } catch (Exception e) {
      reply(request, 400, error("MALFORMED_MESSAGE", String.valueOf(e.getMessage())));
    }
  }

  private synchronized void accept(SiloMessage message) {
    inbox.computeIfAbsent(message.stage(), stage -> new TreeMap<>()).put(message.siloId(), message);
    notifyAll();
  }

  /** Answers a long poll at once if the silo has news past {@code after}, else at its deadline. */
  private void answerPoll(HttpServerRequest request, String siloId, int after, long deadline) {
    ObjectNode body = JSON.createObjectNode();
    synchronized (this) {
      List<AggregatorMessage> outbox = outboxes.getOrDefault(siloId, List.of());
      if (delivered.getOrDefault(siloId, 0) == outbox.size() && !caughtUp.contains(siloId)) {
        caughtUp.add(siloId);
        notifyAll();
      }
      boolean news = runOver || round == null || outbox.size() > after;
      if (!news && System.nanoTime() < deadline) {
        vertx.setTimer(POLL_CHECK.toMillis(), id -> answerPoll(request, siloId, after, deadline));
        return;
      }
      body.put("runId", runId);
      if (runOver || round == null) {
        body.put("runOver", runOver);
        body.putNull("round");
        body.putNull("plan");
        body.putArray("messages");
        body.put("next", 0);
      } else {
        body.put("runOver", false);
        body.set("round", RoundConfigCodec.toJson(round));
        body.set("plan", plan);
        body.put("modelSha256", modelSha256);
        ArrayNode messages = body.putArray("messages");
        for (AggregatorMessage message :
            outbox.subList(Math.min(after, outbox.size()), outbox.size())) {
          try {
            messages.add(JSON.readTree(JsonMessageCodec.encode(message)));
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        }
        body.put("next", outbox.size());
        delivered.put(siloId, outbox.size());
      }
    }
    reply(request, 200, body);
  }

  private static ObjectNode error(String code, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("error").put("code", code).put("message", message).put("retryable", false);
    return body;
  }

  private static void reply(HttpServerRequest request, int status, ObjectNode body) {
    request
        .response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.toString());
  }

  private static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
