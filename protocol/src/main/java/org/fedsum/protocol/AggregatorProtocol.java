package org.fedsum.protocol;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedsum.crypto.SecretBytes;
import org.fedsum.crypto.ShamirSecretSharing;
import org.fedsum.crypto.ShamirShare;
import org.fedsum.crypto.X25519KeyPair;
import org.fedsum.protocol.AggregatorAction.CountMaskedInput;
import org.fedsum.protocol.AggregatorAction.Send;
import org.fedsum.protocol.AggregatorEvent.DeadlinePassed;
import org.fedsum.protocol.AggregatorEvent.GraceElapsed;
import org.fedsum.protocol.AggregatorEvent.Received;
import org.fedsum.protocol.AggregatorState.Aborted;
import org.fedsum.protocol.AggregatorState.CollectingKeys;
import org.fedsum.protocol.AggregatorState.CollectingMaskedInputs;
import org.fedsum.protocol.AggregatorState.CollectingShares;
import org.fedsum.protocol.AggregatorState.CollectingSignatures;
import org.fedsum.protocol.AggregatorState.CollectingUnmaskShares;
import org.fedsum.protocol.AggregatorState.Finished;

/**
 * The aggregator's side of a round as a pure transition function (Bonawitz et al., CCS 2017, §4,
 * server side). No I/O, no clock, no randomness: the shell feeds it events and carries out the
 * actions it returns.
 *
 * <p>A refused event throws {@link ProtocolException} and leaves the state as it was. A stage
 * closes when every expected silo has answered or its deadline passes; with fewer than {@link
 * RoundConfig#required()} silos the round aborts, having disclosed nothing about any input.
 *
 * <p>Early close: every stage but {@code ADVERTISE_KEYS} ({@link #closesEarly}) announces with
 * {@link AggregatorAction.QuorumReached} the answer that brings it to its {@link #quorum}; the
 * shell then waits a grace period and applies {@link GraceElapsed}, which closes the stage with the
 * silos that answered, exactly as a deadline would. The protocol's guarantees hold for any set of
 * at least {@code t} answering silos, so closing then only turns late silos into dropouts; a late
 * answer is refused as {@link ErrorCode#STAGE_OUT_OF_ORDER}, as after a deadline.
 */
public final class AggregatorProtocol {
  private AggregatorProtocol() {}

  /** The state of a new round. */
  public static CollectingKeys start(RoundConfig config) {
    return new CollectingKeys(config, Map.of());
  }

  /** Applies one event. */
  public static AggregatorStep apply(AggregatorState state, AggregatorEvent event)
      throws ProtocolException {
    RoundConfig config = state.config();
    if (state.terminal()) {
      throw new ProtocolException(ErrorCode.ROUND_CLOSED, config.round(), "the round is over");
    }
    if (event instanceof DeadlinePassed deadline) {
      if (deadline.stage() != state.stage()) {
        throw new ProtocolException(
            ErrorCode.STAGE_OUT_OF_ORDER,
            config.round(),
            "deadline of " + deadline.stage() + " while the round is in " + state.stage());
      }
      return closeStage(state);
    }
    if (event instanceof GraceElapsed grace) {
      return onGraceElapsed(state, grace.stage());
    }
    SiloMessage message = ((Received) event).message();
    checkSender(state, message);
    if (state instanceof CollectingKeys keys) {
      return onAdvertiseKeys(keys, (AdvertiseKeys) message);
    }
    if (state instanceof CollectingShares shares) {
      return onEncryptedShares(shares, (EncryptedShares) message);
    }
    if (state instanceof CollectingMaskedInputs inputs) {
      return onMaskedInput(inputs, (MaskedInput) message);
    }
    if (state instanceof CollectingSignatures signatures) {
      return onConsistencySignature(signatures, (ConsistencySignature) message);
    }
    return onUnmaskShares((CollectingUnmaskShares) state, (UnmaskShares) message);
  }

  /**
   * Whether {@code stage} may close before its deadline once its quorum answered. Not {@code
   * ADVERTISE_KEYS}: a silo advertises its keys after its local training, so the time it takes
   * reflects its data and hardware, and closing early would systematically leave out the silos with
   * the most data or the slowest machines (a bias in the model, not a dropout). The later stages
   * are protocol work of the same size for every silo.
   */
  public static boolean closesEarly(Stage stage) {
    return stage != Stage.ADVERTISE_KEYS;
  }

  /**
   * How many answers the open stage of {@code state} needs before it may close early: {@link
   * RoundConfig#required()}, the number below which the round aborts anyway; in {@code UNMASK} also
   * one share more than the threshold when the signers allow it, because with exactly {@code t}
   * shares a corrupted share cannot be detected (ShamirSecretSharing#combine) while one more is
   * checked against the polynomial the others determine.
   */
  public static int quorum(AggregatorState state) {
    RoundConfig config = state.config();
    if (state instanceof CollectingUnmaskShares unmask) {
      return Math.max(config.required(), Math.min(config.threshold() + 1, unmask.signers().size()));
    }
    return config.required();
  }

  /** How many silos have answered the open stage of {@code state} (0 for a terminal state). */
  public static int answered(AggregatorState state) {
    if (state instanceof CollectingKeys keys) {
      return keys.advertisements().size();
    }
    if (state instanceof CollectingShares shares) {
      return shares.shares().size();
    }
    if (state instanceof CollectingMaskedInputs inputs) {
      return inputs.maskedInputDigests().size();
    }
    if (state instanceof CollectingSignatures signatures) {
      return signatures.signatures().size();
    }
    if (state instanceof CollectingUnmaskShares unmask) {
      return unmask.responses().size();
    }
    return 0;
  }

  /** How many silos the open stage of {@code state} waits for (0 for a terminal state). */
  public static int expected(AggregatorState state) {
    if (state instanceof CollectingKeys keys) {
      return keys.config().roster().size();
    }
    if (state instanceof CollectingShares shares) {
      return shares.keyList().advertisements().size();
    }
    if (state instanceof CollectingMaskedInputs inputs) {
      return inputs.sharingSilos().size();
    }
    if (state instanceof CollectingSignatures signatures) {
      return signatures.survivors().size();
    }
    if (state instanceof CollectingUnmaskShares unmask) {
      return unmask.signers().size();
    }
    return 0;
  }

  private static AggregatorStep onGraceElapsed(AggregatorState state, Stage stage)
      throws ProtocolException {
    RoundConfig config = state.config();
    if (stage != state.stage()) {
      throw new ProtocolException(
          ErrorCode.STAGE_OUT_OF_ORDER,
          config.round(),
          "grace period of " + stage + " while the round is in " + state.stage());
    }
    if (!closesEarly(stage)) {
      throw new ProtocolException(
          ErrorCode.STAGE_OUT_OF_ORDER,
          config.round(),
          stage + " does not close early: it waits for its deadline or for every silo");
    }
    if (answered(state) < quorum(state)) {
      throw new ProtocolException(
          ErrorCode.THRESHOLD_NOT_MET,
          config.round(),
          "grace period of "
              + stage
              + " with "
              + answered(state)
              + " answers, below its quorum of "
              + quorum(state));
    }
    return closeStage(state);
  }

  /**
   * The step of a message that left its stage open: {@code actions}, and {@link
   * AggregatorAction.QuorumReached} if this answer brought the stage to its quorum.
   */
  private static AggregatorStep stillOpen(AggregatorState next, List<AggregatorAction> actions) {
    if (!closesEarly(next.stage()) || answered(next) != quorum(next)) {
      return new AggregatorStep(next, actions);
    }
    List<AggregatorAction> withQuorum = new ArrayList<>(actions);
    withQuorum.add(
        new AggregatorAction.QuorumReached(next.stage(), answered(next), expected(next)));
    return new AggregatorStep(next, withQuorum);
  }

  /** Round, roster and stage checks common to every message. */
  private static void checkSender(AggregatorState state, SiloMessage message)
      throws ProtocolException {
    RoundConfig config = state.config();
    if (message.round() != config.round()) {
      throw new ProtocolException(
          ErrorCode.ROUND_MISMATCH,
          config.round(),
          "message for round " + message.round() + " from " + message.siloId());
    }
    if (!config.inRoster(message.siloId())) {
      throw new ProtocolException(
          ErrorCode.UNKNOWN_SILO,
          config.round(),
          "'" + message.siloId() + "' is not in the roster");
    }
    if (message.stage() != state.stage()) {
      throw new ProtocolException(
          ErrorCode.STAGE_OUT_OF_ORDER,
          config.round(),
          message.stage()
              + " message from "
              + message.siloId()
              + " while the round is in "
              + state.stage());
    }
  }

  private static void checkParticipant(
      RoundConfig config, List<String> participants, String siloId, Map<String, ?> received)
      throws ProtocolException {
    if (!participants.contains(siloId)) {
      throw new ProtocolException(
          ErrorCode.NOT_A_PARTICIPANT,
          config.round(),
          siloId + " is not among the participants of this stage");
    }
    if (received.containsKey(siloId)) {
      throw new ProtocolException(
          ErrorCode.DUPLICATE_SUBMISSION, config.round(), siloId + " already sent this message");
    }
  }

  private static AggregatorStep onAdvertiseKeys(CollectingKeys state, AdvertiseKeys message)
      throws ProtocolException {
    RoundConfig config = state.config();
    checkParticipant(config, config.roster(), message.siloId(), state.advertisements());
    if (!RoundTranscript.isCanonical(message.maskingPublicKey())
        || !RoundTranscript.isCanonical(message.shareEncryptionPublicKey())) {
      throw new ProtocolException(
          ErrorCode.INVALID_KEY,
          config.round(),
          message.siloId() + " advertised a non-canonical X25519 public key");
    }
    if (message.maskingPublicKey().equals(message.shareEncryptionPublicKey())) {
      throw new ProtocolException(
          ErrorCode.INVALID_KEY,
          config.round(),
          message.siloId() + " advertised the same key for masking and share encryption");
    }
    CollectingKeys next =
        new CollectingKeys(
            config, Immutables.with(state.advertisements(), message.siloId(), message));
    return next.advertisements().size() == config.roster().size()
        ? closeStage(next)
        : stillOpen(next, List.of());
  }

  private static AggregatorStep onEncryptedShares(CollectingShares state, EncryptedShares message)
      throws ProtocolException {
    RoundConfig config = state.config();
    List<String> advertised = siloIds(state.keyList());
    checkParticipant(config, advertised, message.siloId(), state.shares());
    Set<String> expected = new TreeSet<>(advertised);
    expected.remove(message.siloId());
    if (!message.ciphertexts().keySet().equals(expected)) {
      throw new ProtocolException(
          ErrorCode.MALFORMED_MESSAGE,
          config.round(),
          message.siloId()
              + " addressed shares to "
              + message.ciphertexts().keySet()
              + ", expected exactly "
              + expected);
    }
    CollectingShares next =
        new CollectingShares(
            config,
            state.keyList(),
            state.sessionId(),
            Immutables.with(state.shares(), message.siloId(), message));
    return next.shares().size() == advertised.size()
        ? closeStage(next)
        : stillOpen(next, List.of());
  }

  private static AggregatorStep onMaskedInput(CollectingMaskedInputs state, MaskedInput message)
      throws ProtocolException {
    RoundConfig config = state.config();
    checkParticipant(config, state.sharingSilos(), message.siloId(), state.maskedInputDigests());
    if (message.vector().length() != config.vectorLength()) {
      throw new ProtocolException(
          ErrorCode.VECTOR_LENGTH_MISMATCH,
          config.round(),
          message.siloId()
              + " sent "
              + message.vector().length()
              + " coordinates, the round has "
              + config.vectorLength());
    }
    CollectingMaskedInputs next =
        new CollectingMaskedInputs(
            config,
            state.keyList(),
            state.sessionId(),
            state.sharingSilos(),
            Immutables.with(
                state.maskedInputDigests(), message.siloId(), message.vector().sha256()));
    List<AggregatorAction> actions = new ArrayList<>();
    actions.add(new CountMaskedInput(message.siloId(), message.vector()));
    if (next.maskedInputDigests().size() == state.sharingSilos().size()) {
      AggregatorStep closed = closeStage(next);
      actions.addAll(closed.actions());
      return new AggregatorStep(closed.state(), actions);
    }
    return stillOpen(next, actions);
  }

  private static AggregatorStep onConsistencySignature(
      CollectingSignatures state, ConsistencySignature message) throws ProtocolException {
    RoundConfig config = state.config();
    checkParticipant(config, state.survivors(), message.siloId(), state.signatures());
    CollectingSignatures next =
        new CollectingSignatures(
            config,
            state.keyList(),
            state.sessionId(),
            state.sharingSilos(),
            state.survivors(),
            Immutables.with(state.signatures(), message.siloId(), message.signature()));
    return next.signatures().size() == state.survivors().size()
        ? closeStage(next)
        : stillOpen(next, List.of());
  }

  private static AggregatorStep onUnmaskShares(CollectingUnmaskShares state, UnmaskShares message)
      throws ProtocolException {
    RoundConfig config = state.config();
    checkParticipant(config, state.signers(), message.siloId(), state.responses());
    Set<String> survivors = new TreeSet<>(state.survivors());
    Set<String> dropouts = new TreeSet<>(state.sharingSilos());
    dropouts.removeAll(survivors);
    // Bonawitz et al. 2017, Round 4: a silo reveals, per peer, exactly one kind of share.
    if (!message.selfMaskSeedShares().keySet().equals(survivors)
        || !message.maskingKeyShares().keySet().equals(dropouts)) {
      throw new ProtocolException(
          ErrorCode.MALFORMED_MESSAGE,
          config.round(),
          message.siloId()
              + " revealed self-mask shares for "
              + message.selfMaskSeedShares().keySet()
              + " and masking-key shares for "
              + message.maskingKeyShares().keySet()
              + ", expected "
              + survivors
              + " and "
              + dropouts);
    }
    CollectingUnmaskShares next =
        new CollectingUnmaskShares(
            config,
            state.keyList(),
            state.sessionId(),
            state.sharingSilos(),
            state.survivors(),
            state.signers(),
            Immutables.with(state.responses(), message.siloId(), message));
    return next.responses().size() == state.signers().size()
        ? closeStage(next)
        : stillOpen(next, List.of());
  }

  /** Ends the current stage with whoever answered: advance with enough of them, else abort. */
  private static AggregatorStep closeStage(AggregatorState state) {
    RoundConfig config = state.config();
    if (state instanceof CollectingKeys keys) {
      if (keys.advertisements().size() < config.required()) {
        return aborted(state, keys.advertisements().size(), "advertised keys");
      }
      KeyList keyList = new KeyList(config.round(), List.copyOf(keys.advertisements().values()));
      byte[] sessionId = RoundTranscript.sessionId(config, keyList.advertisements());
      List<AggregatorAction> actions = new ArrayList<>();
      for (String silo : keys.advertisements().keySet()) {
        actions.add(new Send(silo, keyList));
      }
      return new AggregatorStep(
          new CollectingShares(config, keyList, sessionId, Map.of()), actions);
    }
    if (state instanceof CollectingShares shares) {
      if (shares.shares().size() < config.required()) {
        return aborted(state, shares.shares().size(), "shared keys");
      }
      List<String> sharingSilos = List.copyOf(shares.shares().keySet());
      List<AggregatorAction> actions = new ArrayList<>();
      for (String receiver : sharingSilos) {
        Map<String, byte[]> addressed = new HashMap<>();
        for (String sender : sharingSilos) {
          if (!sender.equals(receiver)) {
            addressed.put(sender, shares.shares().get(sender).ciphertexts().get(receiver));
          }
        }
        actions.add(
            new Send(
                receiver,
                new ForwardedShares(
                    config.round(), sharingSilos, Immutables.sortedMap(addressed))));
      }
      return new AggregatorStep(
          new CollectingMaskedInputs(
              config, shares.keyList(), shares.sessionId(), sharingSilos, Map.of()),
          actions);
    }
    if (state instanceof CollectingMaskedInputs inputs) {
      if (inputs.maskedInputDigests().size() < config.required()) {
        return aborted(state, inputs.maskedInputDigests().size(), "sent masked inputs");
      }
      List<String> survivors = List.copyOf(inputs.maskedInputDigests().keySet());
      SurvivorList survivorList = new SurvivorList(config.round(), survivors);
      List<AggregatorAction> actions = new ArrayList<>();
      for (String survivor : survivors) {
        actions.add(new Send(survivor, survivorList));
      }
      return new AggregatorStep(
          new CollectingSignatures(
              config,
              inputs.keyList(),
              inputs.sessionId(),
              inputs.sharingSilos(),
              survivors,
              Map.of()),
          actions);
    }
    if (state instanceof CollectingSignatures signatures) {
      if (signatures.signatures().size() < config.required()) {
        return aborted(state, signatures.signatures().size(), "signed the survivor list");
      }
      ConsistencyProof proof =
          new ConsistencyProof(
              config.round(),
              signatures.survivors(),
              Immutables.sortedMap(signatures.signatures()));
      List<AggregatorAction> actions = new ArrayList<>();
      for (String signer : signatures.signatures().keySet()) {
        actions.add(new Send(signer, proof));
      }
      return new AggregatorStep(
          new CollectingUnmaskShares(
              config,
              signatures.keyList(),
              signatures.sessionId(),
              signatures.sharingSilos(),
              signatures.survivors(),
              List.copyOf(signatures.signatures().keySet()),
              Map.of()),
          actions);
    }
    if (state instanceof CollectingUnmaskShares unmask) {
      if (unmask.responses().size() < config.required()) {
        return aborted(state, unmask.responses().size(), "sent unmasking shares");
      }
      return new AggregatorStep(finish(unmask), List.of());
    }
    throw new IllegalStateException("bug: no stage to close in " + state);
  }

  private static AggregatorStep aborted(AggregatorState state, int answered, String what) {
    RoundConfig config = state.config();
    return new AggregatorStep(
        new Aborted(
            config,
            state.stage(),
            ErrorCode.THRESHOLD_NOT_MET,
            "only "
                + answered
                + " of "
                + config.roster().size()
                + " silos "
                + what
                + "; the round needs "
                + config.required()),
        List.of());
  }

  /** Reconstructs the seeds to remove, or aborts if the revealed shares do not reconstruct. */
  private static AggregatorState finish(CollectingUnmaskShares state) {
    RoundConfig config = state.config();
    Map<String, AdvertiseKeys> advertisements = new HashMap<>();
    for (AdvertiseKeys advertisement : state.keyList().advertisements()) {
      advertisements.put(advertisement.siloId(), advertisement);
    }
    List<String> dropouts =
        state.sharingSilos().stream().filter(silo -> !state.survivors().contains(silo)).toList();
    // Every secret is rebuilt from the same responders' shares, so one batch shares the Lagrange
    // coefficients and one consistency check (ShamirSecretSharing.combineAll).
    List<String> owners = new ArrayList<>(state.survivors());
    owners.addAll(dropouts);
    List<List<ShamirShare>> sharesPerSecret = new ArrayList<>();
    List<SecretBytes> secrets;
    try {
      for (String survivor : state.survivors()) {
        sharesPerSecret.add(
            shares(config, state.responses(), survivor, UnmaskShares::selfMaskSeedShares));
      }
      for (String dropout : dropouts) {
        sharesPerSecret.add(
            shares(config, state.responses(), dropout, UnmaskShares::maskingKeyShares));
      }
      secrets = ShamirSecretSharing.combineAll(sharesPerSecret, config.threshold());
    } catch (GeneralSecurityException e) {
      return new Aborted(
          config,
          Stage.UNMASK,
          ErrorCode.INVALID_SHARE,
          "the revealed shares do not reconstruct (secrets in order "
              + owners
              + "): "
              + e.getMessage());
    }
    List<UnmaskPlan.Removal> removals = new ArrayList<>();
    for (int i = 0; i < state.survivors().size(); i++) {
      String survivor = state.survivors().get(i);
      removals.add(
          new UnmaskPlan.Removal(
              RoundTranscript.selfMaskKey(secrets.get(i), state.sessionId(), survivor), -1));
    }
    List<X25519KeyPair> dropoutKeys = new ArrayList<>();
    for (int d = 0; d < dropouts.size(); d++) {
      String dropout = dropouts.get(d);
      X25519KeyPair maskingKeyPair =
          X25519KeyPair.fromPrivateKey(secrets.get(state.survivors().size() + d));
      if (!maskingKeyPair.publicKey().equals(advertisements.get(dropout).maskingPublicKey())) {
        return new Aborted(
            config,
            Stage.UNMASK,
            ErrorCode.INVALID_SHARE,
            "the masking key reconstructed for " + dropout + " does not match its advertised key");
      }
      dropoutKeys.add(maskingKeyPair);
    }
    // One X25519 agreement per (dropout, survivor) pair: the bulk of unmasking's CPU time when
    // silos drop, and independent of each other, so they run on all cores (in a fixed order).
    int survivorCount = state.survivors().size();
    List<Object> pairMasks =
        java.util.stream.IntStream.range(0, dropouts.size() * survivorCount)
            .parallel()
            .mapToObj(
                pair -> {
                  String dropout = dropouts.get(pair / survivorCount);
                  String survivor = state.survivors().get(pair % survivorCount);
                  try {
                    SecretBytes sharedSecret =
                        dropoutKeys
                            .get(pair / survivorCount)
                            .agree(advertisements.get(survivor).maskingPublicKey());
                    SecretBytes pairSeed =
                        RoundTranscript.pairKey(
                            sharedSecret,
                            state.sessionId(),
                            RoundTranscript.PURPOSE_MASK,
                            survivor,
                            dropout);
                    // The survivor added pairwiseSign(survivor, dropout) * mask; remove it.
                    return (Object)
                        new UnmaskPlan.Removal(
                            pairSeed, -RoundTranscript.pairwiseSign(survivor, dropout));
                  } catch (GeneralSecurityException e) {
                    return survivor
                        + "'s masking key does not agree with "
                        + dropout
                        + "'s: "
                        + e.getMessage();
                  }
                })
            .toList();
    for (Object pairMask : pairMasks) {
      if (pairMask instanceof String failure) {
        return new Aborted(config, Stage.UNMASK, ErrorCode.INVALID_KEY, failure);
      }
      removals.add((UnmaskPlan.Removal) pairMask);
    }
    Participation participation =
        new Participation(
            siloIds(state.keyList()),
            state.sharingSilos(),
            state.survivors(),
            state.signers(),
            List.copyOf(state.responses().keySet()));
    return new Finished(
        config, participation, new UnmaskPlan(config.bits(), config.vectorLength(), removals));
  }

  /** The shares revealed for {@code owner}'s secret of one kind, checked against their senders. */
  private static List<ShamirShare> shares(
      RoundConfig config,
      Map<String, UnmaskShares> responses,
      String owner,
      java.util.function.Function<UnmaskShares, ? extends Map<String, byte[]>> kind)
      throws GeneralSecurityException {
    List<ShamirShare> shares = new ArrayList<>();
    for (Map.Entry<String, UnmaskShares> response : responses.entrySet()) {
      ShamirShare share = ShamirShare.decode(kind.apply(response.getValue()).get(owner));
      // A share must come from the silo it was addressed to: x is fixed by the roster position.
      if (share.x() != config.shamirX(response.getKey())) {
        throw new GeneralSecurityException(
            response.getKey()
                + " revealed a share for "
                + owner
                + " with x = "
                + share.x()
                + ", expected "
                + config.shamirX(response.getKey()));
      }
      shares.add(share);
    }
    return shares;
  }

  static List<String> siloIds(KeyList keyList) {
    return keyList.advertisements().stream().map(AdvertiseKeys::siloId).toList();
  }
}
