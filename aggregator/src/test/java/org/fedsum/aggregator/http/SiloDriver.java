package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.SiloProtocol;
import org.fedsum.protocol.SiloState;
import org.fedsum.protocol.SiloStep;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.encoding.UpdateEncoder;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.AggregatorRefusal;
import org.fedsum.silo.client.FrameUpload;
import org.fedsum.silo.client.GlobalModelDownload;
import org.fedsum.silo.client.SiloTask;

/**
 * A test silo that plays rounds through the real silo client ({@link AggregatorClient}, mutual TLS)
 * and the real silo protocol, like {@link org.fedsum.silo.client.SecureRound}, but hands every
 * message it is about to send to a {@link SendHook}: the fault tests use it to hold a stage open,
 * send a message late, send garbage first, or send twice.
 */
final class SiloDriver {
  static final Duration POLL = Duration.ofSeconds(1);
  private static final Duration ROUND_WAIT = Duration.ofSeconds(90);

  /** Sends one of the silo's messages as the silo client does (JSON, or the vector as a frame). */
  @FunctionalInterface
  interface Sender {
    void send(SiloMessage message) throws Exception;
  }

  /** Sends a masked vector's frame, as the silo client does. */
  @FunctionalInterface
  interface VectorSender {
    void send(AggregatorClient client, long round, int bits, WordVector words) throws Exception;
  }

  /** A silo client's one attempt, whole, with nothing to resume. */
  static final VectorSender ONE_ATTEMPT =
      (client, round, bits, words) -> client.sendMaskedVector(round, bits, words, false);

  /** What the silo does with each message its session produces. */
  @FunctionalInterface
  interface SendHook {
    /**
     * Sends {@code message} through {@code sender}, or not.
     *
     * @return whether the silo goes on with the round (false: it goes silent, a dropout)
     */
    boolean onSend(SiloMessage message, Sender sender) throws Exception;
  }

  /** The well-behaved silo. */
  static final SendHook SEND = (message, sender) -> send(message, sender);

  /** A silo that goes silent instead of sending its message of {@code stage}. */
  static SendHook silentAt(Stage stage) {
    return (message, sender) -> message.stage() != stage && send(message, sender);
  }

  private static boolean send(SiloMessage message, Sender sender) throws Exception {
    sender.send(message);
    return true;
  }

  /** How the silo's part of a round ended. */
  enum Ending {
    /** The silo's session finished the round. */
    FINISHED,
    /** The hook made the silo go silent. */
    SILENT,
    /** The aggregator refused a message and the silo gave up. */
    REFUSED,
    /** The aggregator closed the round (or opened another) before the silo's session ended. */
    CLOSED_WITHOUT_SILO,
    /** The silo's session refused to go on. */
    ABORTED
  }

  /**
   * One round as the silo played it.
   *
   * @param update the update the silo encoded, before encoding
   */
  record Played(
      String siloId,
      long round,
      double[] update,
      Ending ending,
      SiloState lastState,
      Optional<AggregatorRefusal> refusal) {
    @Override
    public String toString() {
      return siloId + " round " + round + ": " + ending + refusal.map(r -> " " + r).orElse("");
    }
  }

  private final FederationFixture fixture;
  private final Party party;
  private final int parameters;
  private final SecureRandom random = new SecureRandom();

  SiloDriver(FederationFixture fixture, Party party, int parameters) {
    this.fixture = fixture;
    this.party = party;
    this.parameters = parameters;
  }

  String siloId() {
    return party.identity().siteId();
  }

  Party party() {
    return party;
  }

  /** A silo client for the aggregator on {@code port}, as a silo configures it. */
  AggregatorClient client(int port) throws Exception {
    return client(port, FrameUpload.DEFAULT_PART_BYTES);
  }

  /** As {@link #client(int)}, uploading masked vectors in parts of {@code uploadPartBytes}. */
  AggregatorClient client(int port, int uploadPartBytes) throws Exception {
    return AggregatorClient.create(
        URI.create("https://" + FederationFixture.HOST + ":" + port),
        MutualTls.clientContext(
            party.certificate(),
            EcdsaP256SigningKey.fromPkcs8Pem(party.privateKeyPem()),
            trust(),
            SiteRole.AGGREGATOR,
            Clock.systemUTC()),
        Duration.ofSeconds(30),
        uploadPartBytes);
  }

  FederationTrust trust() throws Exception {
    return FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl);
  }

  /**
   * Plays the first round numbered above {@code afterRound} that the aggregator on {@code port}
   * opens: downloads the model, encodes a random update of ±0.05 per coordinate, and runs the silo
   * protocol, every outgoing message going through {@code hook}.
   */
  Played play(int port, long afterRound, SendHook hook) throws Exception {
    return play(client(port), afterRound, hook);
  }

  /** As {@link #play(int, long, SendHook)}, through {@code client}, as a long-lived silo does. */
  Played play(AggregatorClient client, long afterRound, SendHook hook) throws Exception {
    return play(client, afterRound, hook, ONE_ATTEMPT);
  }

  /**
   * As {@link #play(AggregatorClient, long, SendHook)}, the masked vector sent by {@code vectors}.
   */
  Played play(AggregatorClient client, long afterRound, SendHook hook, VectorSender vectors)
      throws Exception {
    SiloTask task = awaitRound(client, afterRound);
    RoundConfig config = task.round().orElseThrow();
    EncodingParameters encoding =
        EncodingParametersCodec.fromJson(task.plan().orElseThrow().get("encoding"));
    GlobalModelDownload model = client.downloadModel(task.modelSha256());
    assertThat(model.values()).hasSize(parameters);
    double[] update = new double[parameters];
    for (int i = 0; i < parameters; i++) {
      update[i] = (random.nextDouble() - 0.5) * 0.1;
    }
    WordVector words =
        WordVector.wrap(UpdateEncoder.create(encoding).encode(update, random).words());
    SiloContext context =
        new SiloContext(
            siloId(),
            EcdsaP256SigningKey.fromPkcs8Pem(party.privateKeyPem()),
            party.certificate().getEncoded(),
            trust(),
            random,
            3);
    Sender sender =
        message -> {
          if (message instanceof MaskedInput masked) {
            vectors.send(client, config.round(), config.bits(), (WordVector) masked.vector());
          } else {
            client.send(message);
          }
        };
    SiloStep step = SiloProtocol.start(context, config, words);
    SiloState state = step.state();
    try {
      if (!sendAll(step.outbound(), hook, sender)) {
        return played(config, update, Ending.SILENT, state, null);
      }
      int cursor = 0;
      while (!state.terminal()) {
        SiloTask next = client.pollTask(config.round(), cursor, POLL);
        if (next.round().isEmpty() || next.round().get().round() != config.round()) {
          return played(config, update, Ending.CLOSED_WITHOUT_SILO, state, null);
        }
        cursor = next.next();
        for (AggregatorMessage message : next.messages()) {
          step = SiloProtocol.apply(context, state, message, Instant.now());
          state = step.state();
          if (state instanceof SiloState.Aborted) {
            return played(config, update, Ending.ABORTED, state, null);
          }
          if (!sendAll(step.outbound(), hook, sender)) {
            return played(config, update, Ending.SILENT, state, null);
          }
        }
      }
    } catch (AggregatorRefusal refusal) {
      return played(config, update, Ending.REFUSED, state, refusal);
    }
    return played(config, update, Ending.FINISHED, state, null);
  }

  private Played played(
      RoundConfig config,
      double[] update,
      Ending ending,
      SiloState state,
      AggregatorRefusal refusal) {
    return new Played(
        siloId(), config.round(), update, ending, state, Optional.ofNullable(refusal));
  }

  private static boolean sendAll(List<SiloMessage> messages, SendHook hook, Sender sender)
      throws Exception {
    for (SiloMessage message : messages) {
      if (!hook.onSend(message, sender)) {
        return false;
      }
    }
    return true;
  }

  /** Long-polls until a round numbered above {@code afterRound} is open. */
  private static SiloTask awaitRound(AggregatorClient client, long afterRound) throws Exception {
    long deadline = System.nanoTime() + ROUND_WAIT.toNanos();
    SiloTask task = client.pollTask(-1, 0, POLL);
    while (task.round().isEmpty() || task.round().get().round() <= afterRound) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no round after " + afterRound + " opened; last task " + task);
      }
      long seen = task.round().map(RoundConfig::round).orElse(-1L);
      task = client.pollTask(seen, seen < 0 ? 0 : task.next(), POLL);
    }
    return task;
  }

  // --- expected models -------------------------------------------------------------------------

  /** The coordinate-wise average of {@code updates}. */
  static double[] average(List<double[]> updates) {
    assertThat(updates).isNotEmpty();
    double[] mean = new double[updates.get(0).length];
    for (double[] update : updates) {
      for (int i = 0; i < mean.length; i++) {
        mean[i] += update[i] / updates.size();
      }
    }
    return mean;
  }

  /** {@code base + delta}, coordinate-wise. */
  static double[] plus(double[] base, double[] delta) {
    assertThat(delta).hasSameSizeAs(base);
    double[] sum = base.clone();
    for (int i = 0; i < sum.length; i++) {
      sum[i] += delta[i];
    }
    return sum;
  }

  /**
   * Asserts that {@code model} is {@code expected} within the encoding's rounding, per finished
   * round: updates are ±0.05 per coordinate, so a missing or extra summand moves some coordinate by
   * ~0.01, while 32-bit words without noise round by a few 1e-9 (and float32 by ~1e-7).
   */
  static void assertModelClose(float[] model, double[] expected, int rounds) {
    assertThat(model).hasSize(expected.length);
    double worst = 0;
    int worstIndex = -1;
    for (int i = 0; i < expected.length; i++) {
      double error = Math.abs(model[i] - expected[i]);
      if (error > worst) {
        worst = error;
        worstIndex = i;
      }
    }
    assertThat(worst)
        .as("largest coordinate error (at %d) after %d finished rounds", worstIndex, rounds)
        .isLessThan(1e-4 * Math.max(1, rounds));
  }

  /** Waits for a silo's round, failing the test if it threw or took more than two minutes. */
  static Played join(Future<Played> future) throws Exception {
    return future.get(2, TimeUnit.MINUTES);
  }
}
