package org.fedsum.silo.client;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.SiloProtocol;
import org.fedsum.protocol.SiloState;
import org.fedsum.protocol.SiloStep;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes part in one round of secure aggregation over an {@link AggregatorClient}: starts the silo's
 * session of {@link SiloProtocol}, long-polls for the aggregator's messages, feeds them to the
 * session and sends what it answers (control messages as JSON, the masked vector as a binary
 * stream). The session decides everything; this class only carries messages.
 */
public final class SecureRound {
  private static final Logger LOG = LoggerFactory.getLogger(SecureRound.class);
  private static final Duration RETRYABLE_POLL_PAUSE = Duration.ofSeconds(1);

  /**
   * How the silo's part ended.
   *
   * @param state the session's last state ({@link SiloState.Finished} when the silo saw the round
   *     through; {@link SiloState.Aborted} when it refused to go on)
   * @param closedWithoutSilo the aggregator moved on (finished or aborted the round) before the
   *     silo's session ended: the silo counts as a dropout
   * @param refusal the aggregator's refusal that ended the silo's part, if one did
   * @param submissions per stage, the lower-case hex SHA-256 of what the silo sent and the
   *     aggregator took (a control message's JSON wire encoding, the masked vector's words): the
   *     same digests the aggregator journals in {@code message-accepted}, so that an auditor can
   *     match each participation the aggregator records to the silo's own signed record of it
   * @param refusedMessages the aggregator's messages the session refused while keeping its state
   *     (another round's, another stage's, one after the round was over), oldest first: a hostile
   *     or broken aggregator leaves a trace in the silo's journal, not only in its log
   * @param lostAggregator why the silo gave up on the aggregator mid-round, when every retry of a
   *     call failed in transport ({@link TransportRetry}): the session ends where it stood, so that
   *     the node still journals what the silo sent, and spent, in this round
   */
  public record Outcome(
      SiloState state,
      boolean closedWithoutSilo,
      Optional<AggregatorRefusal> refusal,
      Map<Stage, String> submissions,
      List<RefusedMessage> refusedMessages,
      Optional<String> lostAggregator) {
    /** Copies {@code submissions} and {@code refusedMessages}. */
    public Outcome {
      EnumMap<Stage, String> copy = new EnumMap<>(Stage.class);
      copy.putAll(submissions);
      submissions = Collections.unmodifiableMap(copy);
      refusedMessages = List.copyOf(refusedMessages);
      Objects.requireNonNull(lostAggregator, "lostAggregator");
    }

    /** An outcome reached while the aggregator was still reachable. */
    public Outcome(
        SiloState state,
        boolean closedWithoutSilo,
        Optional<AggregatorRefusal> refusal,
        Map<Stage, String> submissions,
        List<RefusedMessage> refusedMessages) {
      this(state, closedWithoutSilo, refusal, submissions, refusedMessages, Optional.empty());
    }

    /** An outcome without refused messages. */
    public Outcome(
        SiloState state,
        boolean closedWithoutSilo,
        Optional<AggregatorRefusal> refusal,
        Map<Stage, String> submissions) {
      this(state, closedWithoutSilo, refusal, submissions, List.of());
    }

    /** An outcome without submissions. */
    public Outcome(
        SiloState state, boolean closedWithoutSilo, Optional<AggregatorRefusal> refusal) {
      this(state, closedWithoutSilo, refusal, new EnumMap<>(Stage.class));
    }

    /** Whether the silo's session finished the round. */
    public boolean finished() {
      return state instanceof SiloState.Finished;
    }
  }

  /**
   * One message from the aggregator that the silo's session refused without leaving the round.
   *
   * @param stage the stage the message claimed
   * @param round the round the message claimed
   * @param message the message's kind (e.g. {@code KeyList})
   * @param code the refusal's error code
   * @param detail the refusal's reason, naming silos and numbers, never a key or a share
   */
  public record RefusedMessage(
      Stage stage, long round, String message, ErrorCode code, String detail) {
    public RefusedMessage {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(detail, "detail");
    }
  }

  private final AggregatorClient client;
  private final SiloContext context;
  private final Clock clock;
  private final Duration pollWait;
  private final Optional<Stage> stopBefore;
  private final BooleanSupplier stopping;

  /**
   * @param pollWait how long one long poll waits
   * @param stopBefore test and drill hook: the silo goes silent instead of sending its message of
   *     this stage, as a silo that crashed there would (empty in production)
   */
  public SecureRound(
      AggregatorClient client,
      SiloContext context,
      Clock clock,
      Duration pollWait,
      Optional<Stage> stopBefore) {
    this(client, context, clock, pollWait, stopBefore, () -> false);
  }

  /**
   * As {@link #SecureRound(AggregatorClient, SiloContext, Clock, Duration, Optional)}, for a silo
   * node that can be stopped: an interrupt while {@code stopping} says true ends the session with
   * an {@link Outcome} of the state reached (the interrupt left pending), so that the node records
   * what the silo sent, and spent, before it stops. Otherwise an interrupt throws {@link
   * InterruptedException} as usual.
   */
  public SecureRound(
      AggregatorClient client,
      SiloContext context,
      Clock clock,
      Duration pollWait,
      Optional<Stage> stopBefore,
      BooleanSupplier stopping) {
    this.stopping = Objects.requireNonNull(stopping, "stopping");
    this.client = Objects.requireNonNull(client, "client");
    this.context = Objects.requireNonNull(context, "context");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.pollWait = Objects.requireNonNull(pollWait, "pollWait");
    this.stopBefore = Objects.requireNonNull(stopBefore, "stopBefore");
  }

  /**
   * Plays the silo's part of round {@code config} with {@code input}, the encoded update. Losing
   * the aggregator for good (every retry of a call failed in transport) ends the session where it
   * stood, with {@link Outcome#lostAggregator} saying why, rather than with an exception: once the
   * masked input may have left the silo, its privacy spend must be journaled whatever happens next.
   *
   * @throws ProtocolException if the session cannot start (the silo is not in the roster)
   */
  public Outcome run(RoundConfig config, WordVector input)
      throws ProtocolException, InterruptedException {
    Map<Stage, String> submissions = new EnumMap<>(Stage.class);
    List<RefusedMessage> refused = new ArrayList<>();
    SiloStep step = SiloProtocol.start(context, config, input);
    SiloState state = step.state();
    try {
      try {
        if (!sendAll(config, step, submissions)) {
          return new Outcome(state, false, Optional.empty(), submissions, refused);
        }
      } catch (AggregatorRefusal refusal) {
        LOG.info(
            "round {}: the aggregator refused this silo's keys: {}",
            config.round(),
            refusal.getMessage());
        return new Outcome(state, true, Optional.of(refusal), submissions, refused);
      }
      int cursor = 0;
      while (!state.terminal()) {
        SiloTask task;
        try {
          int from = cursor;
          task =
              TransportRetry.call(
                  "round " + config.round() + ": polling",
                  retry -> client.pollTask(config.round(), from, pollWait));
        } catch (AggregatorRefusal refusal) {
          if (refusal.retryable()) {
            // E.g. STORAGE_FAILED until the aggregator is restarted: ask again, not in a tight
            // loop.
            Thread.sleep(RETRYABLE_POLL_PAUSE.toMillis());
            continue;
          }
          return new Outcome(state, true, Optional.of(refusal), submissions, refused);
        }
        if (task.round().isEmpty() || task.round().get().round() != config.round()) {
          return new Outcome(state, true, Optional.empty(), submissions, refused);
        }
        cursor = task.next();
        for (AggregatorMessage message : task.messages()) {
          try {
            step = SiloProtocol.apply(context, state, message, clock.instant());
          } catch (ProtocolException refusal) {
            // The session refused the message and kept its state: log it and go on polling.
            LOG.warn(
                "round {}: refused a {} from the aggregator: {}",
                config.round(),
                message.getClass().getSimpleName(),
                refusal.getMessage());
            refused.add(
                new RefusedMessage(
                    message.stage(),
                    message.round(),
                    message.getClass().getSimpleName(),
                    refusal.code(),
                    refusal.getMessage()));
            continue;
          }
          state = step.state();
          if (state instanceof SiloState.Aborted aborted) {
            LOG.warn(
                "round {}: this silo stopped at {}: {} {}",
                config.round(),
                aborted.stage(),
                aborted.reason(),
                aborted.detail());
            return new Outcome(state, false, Optional.empty(), submissions, refused);
          }
          try {
            if (!sendAll(config, step, submissions)) {
              return new Outcome(state, false, Optional.empty(), submissions, refused);
            }
          } catch (AggregatorRefusal refusal) {
            LOG.info("round {}: the aggregator refused: {}", config.round(), refusal.getMessage());
            return new Outcome(state, true, Optional.of(refusal), submissions, refused);
          }
          if (state instanceof SiloState.SharedKeys shared) {
            // The shares are out: mask now, while the others share theirs, rather than after U2
            // arrives, when the masking would hold up the whole stage.
            state = SiloProtocol.premask(context, shared);
          }
        }
      }
      return new Outcome(state, false, Optional.empty(), submissions, refused);
    } catch (IOException e) {
      // As for a stop below: the state counts a message as sent once the session produced it, so
      // a masked vector whose every upload failed still counts as sent (its spend is recorded).
      LOG.warn(
          "round {}: lost the aggregator at {} after {} attempts: {}",
          config.round(),
          state.stage(),
          TransportRetry.ATTEMPTS,
          e.getMessage());
      return new Outcome(
          state, false, Optional.empty(), submissions, refused, Optional.of(lostReason(e)));
    } catch (InterruptedException e) {
      if (!stopping.getAsBoolean()) {
        throw e;
      }
      // The state counts a message as sent once the session produced it, so a masked vector cut
      // off mid-upload counts as sent: the node records the spend rather than risk missing it.
      Thread.currentThread().interrupt();
      LOG.info(
          "round {}: leaving the round, the silo is stopping (reached {})",
          config.round(),
          state.stage());
      return new Outcome(state, false, Optional.empty(), submissions, refused);
    }
  }

  /** The failure's class and message: transport errors name hosts and causes, never a secret. */
  private static String lostReason(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
  }

  /** A send to the aggregator, which either delivers or throws; {@code retry} after the first. */
  @FunctionalInterface
  private interface Send {
    void run(boolean retry) throws IOException, InterruptedException, AggregatorRefusal;
  }

  /**
   * Sends, again after a transport failure. If the aggregator then says it already has this stage's
   * message from this silo, the earlier attempt got through before its reply was lost: only this
   * silo's certificate can submit as this silo, and the silo sends one message per stage.
   */
  private static void deliver(String what, Send send)
      throws IOException, InterruptedException, AggregatorRefusal {
    TransportRetry.call(
        what,
        retry -> {
          try {
            send.run(retry);
          } catch (AggregatorRefusal refusal) {
            if (!(retry && refusal.code().equals(ErrorCode.DUPLICATE_SUBMISSION.name()))) {
              throw refusal;
            }
            LOG.info(
                "{}: the aggregator already had it from the attempt that lost its reply", what);
          }
          return null;
        });
  }

  /** Sends the step's messages; false if the silo is to go silent (the drill hook). */
  private boolean sendAll(RoundConfig config, SiloStep step, Map<Stage, String> submissions)
      throws IOException, InterruptedException, AggregatorRefusal {
    for (SiloMessage message : step.outbound()) {
      if (stopBefore.isPresent() && stopBefore.get() == message.stage()) {
        LOG.info("round {}: going silent before {} (drill)", config.round(), message.stage());
        return false;
      }
      if (message instanceof MaskedInput masked) {
        if (!(masked.vector() instanceof WordVector words)) {
          throw new IllegalStateException(
              "bug: the session produced a " + masked.vector().getClass());
        }
        deliver(
            "round " + config.round() + ": sending the masked vector",
            retry -> client.sendMaskedVector(config.round(), config.bits(), words, retry));
        submissions.put(message.stage(), HexFormat.of().formatHex(words.sha256()));
      } else {
        deliver(
            "round " + config.round() + ": sending " + message.stage(),
            retry -> client.send(message));
        submissions.put(message.stage(), sha256Hex(JsonMessageCodec.encode(message)));
      }
    }
    return true;
  }
}
