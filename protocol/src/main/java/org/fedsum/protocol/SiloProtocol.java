package org.fedsum.protocol;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedsum.crypto.AeadSuite;
import org.fedsum.crypto.EcdsaP256VerifyingKey;
import org.fedsum.crypto.SecretBytes;
import org.fedsum.crypto.ShamirSecretSharing;
import org.fedsum.crypto.ShamirShare;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.crypto.X25519KeyPair;
import org.fedsum.crypto.X25519PublicKey;
import org.fedsum.protocol.SiloState.Aborted;
import org.fedsum.protocol.SiloState.AdvertisedKeys;
import org.fedsum.protocol.SiloState.Finished;
import org.fedsum.protocol.SiloState.PeerShares;
import org.fedsum.protocol.SiloState.SentMaskedInput;
import org.fedsum.protocol.SiloState.SharedKeys;
import org.fedsum.protocol.SiloState.SignedSurvivors;

/**
 * A silo's side of a round as a pure transition function (Bonawitz et al., CCS 2017, §4, client
 * side, with the active-adversary checks of §6). No I/O and no clock: the time a message arrived is
 * handed in, and randomness comes from the {@link SiloContext}.
 *
 * <p>A message that does not fit the current stage or round is refused with a {@link
 * ProtocolException} and leaves the state unchanged. A message that fails a security check (a bad
 * signature or certificate, a substituted or repeated key, a survivor list that differs from the
 * one signed, too few participants) ends the silo's part in the round: the next state is {@link
 * Aborted} with the reason, and nothing more is revealed.
 */
public final class SiloProtocol {
  private SiloProtocol() {}

  /**
   * Round 0: draws two fresh X25519 key pairs and signs their public keys with the round context.
   *
   * @param input the silo's encoded update in {@code Z_{2^bits}}; ownership passes to the session
   */
  public static SiloStep start(SiloContext context, RoundConfig config, WordVector input)
      throws ProtocolException {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(input, "input");
    if (!config.inRoster(context.siloId())) {
      throw new ProtocolException(
          ErrorCode.UNKNOWN_SILO,
          config.round(),
          "this silo (" + context.siloId() + ") is not in the round's roster");
    }
    if (input.length() != config.vectorLength()) {
      throw new ProtocolException(
          ErrorCode.VECTOR_LENGTH_MISMATCH,
          config.round(),
          "input has " + input.length() + " coordinates, the round has " + config.vectorLength());
    }
    if (config.bits() < 32) {
      int[] words = input.words();
      for (int i = 0; i < words.length; i++) {
        if ((words[i] >>> config.bits()) != 0) {
          throw new ProtocolException(
              ErrorCode.MALFORMED_MESSAGE,
              config.round(),
              "input coordinate " + i + " is outside Z_2^" + config.bits());
        }
      }
    }
    X25519KeyPair maskingKeyPair = X25519KeyPair.generate(context.random());
    X25519KeyPair shareEncryptionKeyPair = X25519KeyPair.generate(context.random());
    byte[] signature =
        context
            .signingKey()
            .sign(
                RoundTranscript.advertisement(
                    config,
                    context.siloId(),
                    maskingKeyPair.publicKey(),
                    shareEncryptionKeyPair.publicKey()));
    AdvertiseKeys advertisement =
        new AdvertiseKeys(
            context.siloId(),
            config.round(),
            maskingKeyPair.publicKey(),
            shareEncryptionKeyPair.publicKey(),
            context.certificate(),
            signature);
    return new SiloStep(
        new AdvertisedKeys(config, input, maskingKeyPair, shareEncryptionKeyPair, advertisement),
        List.of(advertisement));
  }

  /** Applies one message from the aggregator, received at {@code receivedAt}. */
  public static SiloStep apply(
      SiloContext context, SiloState state, AggregatorMessage message, Instant receivedAt)
      throws ProtocolException {
    RoundConfig config = state.config();
    if (state.terminal()) {
      throw new ProtocolException(ErrorCode.ROUND_CLOSED, config.round(), "the round is over");
    }
    if (message.round() != config.round()) {
      throw new ProtocolException(
          ErrorCode.ROUND_MISMATCH,
          config.round(),
          message.stage() + " message for round " + message.round());
    }
    if (message.stage() != state.stage()) {
      throw new ProtocolException(
          ErrorCode.STAGE_OUT_OF_ORDER,
          config.round(),
          message.stage() + " message while waiting for " + state.stage());
    }
    try {
      if (state instanceof AdvertisedKeys advertised) {
        return onKeyList(context, advertised, (KeyList) message, receivedAt);
      }
      if (state instanceof SharedKeys shared) {
        return onForwardedShares(context, shared, (ForwardedShares) message);
      }
      if (state instanceof SentMaskedInput sent) {
        return onSurvivorList(context, sent, (SurvivorList) message);
      }
      return onConsistencyProof(context, (SignedSurvivors) state, (ConsistencyProof) message);
    } catch (Refusal refusal) {
      return new SiloStep(
          new Aborted(config, state.stage(), refusal.code, refusal.getMessage()), List.of());
    }
  }

  /** Round 1: verify U1, then share the self-mask seed and masking key with every peer. */
  private static SiloStep onKeyList(
      SiloContext context, AdvertisedKeys state, KeyList keyList, Instant receivedAt)
      throws Refusal {
    RoundConfig config = state.config();
    String me = context.siloId();
    List<AdvertiseKeys> advertisements = keyList.advertisements();
    if (advertisements.size() < config.required()) {
      throw new Refusal(
          ErrorCode.THRESHOLD_NOT_MET,
          "the key list has "
              + advertisements.size()
              + " silos; the round needs "
              + config.required());
    }
    Set<String> silos = new HashSet<>();
    Set<X25519PublicKey> keys = new HashSet<>();
    boolean mineIntact = false;
    for (AdvertiseKeys advertisement : advertisements) {
      String silo = advertisement.siloId();
      if (!config.inRoster(silo)) {
        throw new Refusal(ErrorCode.UNKNOWN_SILO, "the key list names '" + silo + "'");
      }
      if (!silos.add(silo)) {
        throw new Refusal(ErrorCode.INVALID_KEY, "the key list names " + silo + " twice");
      }
      if (advertisement.round() != config.round()) {
        throw new Refusal(
            ErrorCode.ROUND_MISMATCH,
            "the key list holds " + silo + "'s keys of round " + advertisement.round());
      }
      if (!RoundTranscript.isCanonical(advertisement.maskingPublicKey())
          || !RoundTranscript.isCanonical(advertisement.shareEncryptionPublicKey())) {
        throw new Refusal(
            ErrorCode.INVALID_KEY, silo + " advertised a non-canonical X25519 public key");
      }
      if (!keys.add(advertisement.maskingPublicKey())
          || !keys.add(advertisement.shareEncryptionPublicKey())) {
        throw new Refusal(
            ErrorCode.INVALID_KEY, "the key list repeats a public key (at " + silo + ")");
      }
      if (silo.equals(me)) {
        mineIntact =
            advertisement.maskingPublicKey().equals(state.advertisement().maskingPublicKey())
                && advertisement
                    .shareEncryptionPublicKey()
                    .equals(state.advertisement().shareEncryptionPublicKey());
      }
    }
    // Signature checks dominate this stage at scale (one certificate and one signature per peer):
    // run them on all cores, then report the first failure in roster order.
    List<Refusal> failures =
        advertisements.parallelStream()
            .filter(advertisement -> !advertisement.siloId().equals(me))
            .map(advertisement -> verifyAdvertisement(context, config, advertisement, receivedAt))
            .filter(Objects::nonNull)
            .toList();
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
    if (!mineIntact) {
      throw new Refusal(
          ErrorCode.INVALID_KEY, "the key list leaves out or alters this silo's own keys");
    }

    byte[] sessionId = RoundTranscript.sessionId(config, advertisements);
    // Two X25519 agreements per peer dominate this stage at scale; they are independent, so they
    // run on all cores, and any failure is reported for the first such peer in roster order.
    List<Object> agreed =
        advertisements.parallelStream()
            .filter(peer -> !peer.siloId().equals(me))
            .map(
                peer -> {
                  try {
                    return (Object)
                        new SecretBytes[] {
                          RoundTranscript.pairKey(
                              state.shareEncryptionKeyPair().agree(peer.shareEncryptionPublicKey()),
                              sessionId,
                              RoundTranscript.PURPOSE_SHARE_ENCRYPTION,
                              me,
                              peer.siloId()),
                          RoundTranscript.pairKey(
                              state.maskingKeyPair().agree(peer.maskingPublicKey()),
                              sessionId,
                              RoundTranscript.PURPOSE_MASK,
                              me,
                              peer.siloId())
                        };
                  } catch (GeneralSecurityException e) {
                    return new Refusal(
                        ErrorCode.INVALID_KEY,
                        peer.siloId() + " advertised an unusable key: " + e.getMessage());
                  }
                })
            .toList();
    Map<String, SecretBytes> shareEncryptionKeys = new TreeMap<>();
    Map<String, SecretBytes> pairwiseMaskSeeds = new TreeMap<>();
    List<AdvertiseKeys> peers =
        advertisements.stream().filter(peer -> !peer.siloId().equals(me)).toList();
    for (int i = 0; i < peers.size(); i++) {
      if (agreed.get(i) instanceof Refusal refusal) {
        throw refusal;
      }
      SecretBytes[] pairKeys = (SecretBytes[]) agreed.get(i);
      shareEncryptionKeys.put(peers.get(i).siloId(), pairKeys[0]);
      pairwiseMaskSeeds.put(peers.get(i).siloId(), pairKeys[1]);
    }

    SecretBytes selfMaskSeed = SecretBytes.random(32, context.random());
    int rosterSize = config.roster().size();
    List<ShamirShare> maskingKeyShares =
        ShamirSecretSharing.split(
            state.maskingKeyPair().privateKey(), config.threshold(), rosterSize, context.random());
    List<ShamirShare> selfMaskSeedShares =
        ShamirSecretSharing.split(selfMaskSeed, config.threshold(), rosterSize, context.random());
    // One AES-GCM encryption per peer, independent of each other: on all cores, like the
    // agreements above (each draws its own nonce from the thread-safe SecureRandom).
    List<String> receivers = new ArrayList<>(shareEncryptionKeys.keySet());
    List<byte[]> encrypted =
        receivers.parallelStream()
            .map(
                peer -> {
                  int index = config.shamirX(peer) - 1;
                  byte[] plaintext =
                      new SharePlaintext(
                              me, peer, maskingKeyShares.get(index), selfMaskSeedShares.get(index))
                          .encode();
                  try {
                    return AeadSuite.AES256_GCM
                        .create(shareEncryptionKeys.get(peer), context.random())
                        .encrypt(
                            plaintext,
                            RoundTranscript.shareAssociatedData(config, sessionId, me, peer));
                  } finally {
                    java.util.Arrays.fill(plaintext, (byte) 0);
                  }
                })
            .toList();
    Map<String, byte[]> ciphertexts = new HashMap<>();
    for (int i = 0; i < receivers.size(); i++) {
      ciphertexts.put(receivers.get(i), encrypted.get(i));
    }
    SharedKeys next =
        new SharedKeys(
            config,
            state.input(),
            keyList,
            sessionId,
            selfMaskSeed,
            selfMaskSeedShares.get(config.shamirX(me) - 1),
            shareEncryptionKeys,
            pairwiseMaskSeeds,
            Optional.empty());
    return new SiloStep(next, List.of(EncryptedShares.of(me, config.round(), ciphertexts)));
  }

  /**
   * Optional work between round 1 and round 2, for the silo's shell to call once its shares are
   * sent: masks the input for every peer of U1, {@code x + PRG(b_u) + Σ_{v ∈ U1} sign(u, v) ·
   * PRG(s_uv)}, and hashes the result, while the other silos are still sharing their keys. Round 2
   * then has only the masks of U1 peers missing from U2 to take out (none, in a round without
   * dropouts), so the masked input goes out as soon as U2 arrives (the precomputation Bonawitz et
   * al. 2017 allow, §4: the pairwise masks are fixed once U1 is). The masked vector sent is the
   * same, word for word, with or without this step, so it reveals nothing more.
   *
   * @return {@code state} with {@link SharedKeys#maskedForAdvertised()}; {@code state} itself if
   *     that is present already
   */
  public static SharedKeys premask(SiloContext context, SharedKeys state) {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(state, "state");
    if (state.maskedForAdvertised().isPresent()) {
      return state;
    }
    WordVector premasked = masked(state, context.siloId(), state.pairwiseMaskSeeds().keySet());
    // The hash goes in the frame's header, ahead of the words: computing it now takes it off the
    // upload's path too.
    premasked.sha256();
    return new SharedKeys(
        state.config(),
        state.input(),
        state.keyList(),
        state.sessionId(),
        state.selfMaskSeed(),
        state.ownSelfMaskSeedShare(),
        state.shareEncryptionKeys(),
        state.pairwiseMaskSeeds(),
        Optional.of(premasked));
  }

  /**
   * Checks a peer's certificate against the federation and its signature over its keys.
   *
   * @return the refusal, or {@code null} if the advertisement verifies
   */
  private static Refusal verifyAdvertisement(
      SiloContext context, RoundConfig config, AdvertiseKeys advertisement, Instant receivedAt) {
    String silo = advertisement.siloId();
    try {
      X509Certificate certificate = parseCertificate(advertisement.certificate());
      SiteIdentity identity = context.trust().verify(certificate, SiteRole.SILO, receivedAt);
      if (!identity.siteId().equals(silo)) {
        return new Refusal(
            ErrorCode.INVALID_SIGNATURE,
            "keys advertised for " + silo + " carry the certificate of " + identity.siteId());
      }
      EcdsaP256VerifyingKey.fromCertificate(certificate)
          .verify(
              advertisement.signature(),
              RoundTranscript.advertisement(
                  config,
                  silo,
                  advertisement.maskingPublicKey(),
                  advertisement.shareEncryptionPublicKey()));
      return null;
    } catch (GeneralSecurityException e) {
      return new Refusal(
          ErrorCode.INVALID_SIGNATURE,
          "the keys advertised for " + silo + " do not verify: " + e.getMessage());
    }
  }

  /** Round 2: decrypt the peers' shares, then send {@code x + PRG(b_u) + Σ ±PRG(s_uv)}. */
  private static SiloStep onForwardedShares(
      SiloContext context, SharedKeys state, ForwardedShares message) throws Refusal {
    RoundConfig config = state.config();
    String me = context.siloId();
    List<String> sharingSilos = message.sharingSilos();
    List<String> advertised = AggregatorProtocol.siloIds(state.keyList());
    if (!advertised.containsAll(sharingSilos) || !sharingSilos.contains(me)) {
      throw new Refusal(
          ErrorCode.INCONSISTENT_SURVIVORS,
          "U2 " + sharingSilos + " must contain this silo and lie within U1 " + advertised);
    }
    if (sharingSilos.size() < config.required()) {
      throw new Refusal(
          ErrorCode.THRESHOLD_NOT_MET,
          "only "
              + sharingSilos.size()
              + " silos shared keys; the round needs "
              + config.required());
    }
    Set<String> expectedSenders = new TreeSet<>(sharingSilos);
    expectedSenders.remove(me);
    if (!message.ciphertexts().keySet().equals(expectedSenders)) {
      throw new Refusal(
          ErrorCode.MALFORMED_MESSAGE,
          "shares arrived from "
              + message.ciphertexts().keySet()
              + ", expected "
              + expectedSenders);
    }
    // One AES-GCM decryption per sender, independent of each other: on all cores, and any failure
    // is reported for the first such sender in order.
    int myX = config.shamirX(me);
    List<String> senders = new ArrayList<>(expectedSenders);
    List<Object> opened =
        senders.parallelStream()
            .map(sender -> openShares(config, state, message, sender, me, myX))
            .toList();
    Map<String, PeerShares> peerShares = new TreeMap<>();
    for (int i = 0; i < senders.size(); i++) {
      if (opened.get(i) instanceof Refusal refusal) {
        throw refusal;
      }
      peerShares.put(senders.get(i), (PeerShares) opened.get(i));
    }

    // y = x + PRG(b_u) + Σ_{v ∈ U2} sign(u, v) · PRG(s_uv) mod 2^b (Bonawitz et al. 2017, Round
    // 2).
    WordVector maskedInput;
    if (state.maskedForAdvertised().isPresent()) {
      // Premasked for all of U1: take out the masks of the peers that did not share their keys.
      WordVector premasked = state.maskedForAdvertised().get();
      List<UnmaskPlan.Removal> absent = new ArrayList<>();
      for (String peer : state.pairwiseMaskSeeds().keySet()) {
        if (!expectedSenders.contains(peer)) {
          absent.add(
              new UnmaskPlan.Removal(
                  state.pairwiseMaskSeeds().get(peer), -RoundTranscript.pairwiseSign(me, peer)));
        }
      }
      if (absent.isEmpty()) {
        maskedInput = premasked;
      } else {
        // A copy: the premasked words belong to the previous state, which stays valid.
        int[] masked = premasked.words().clone();
        UnmaskPlan.applyMasksOnAllCores(absent, config.bits(), masked);
        maskedInput = WordVector.wrap(masked);
      }
    } else {
      maskedInput = masked(state, me, expectedSenders);
    }
    SentMaskedInput next =
        new SentMaskedInput(
            config,
            state.keyList(),
            state.sessionId(),
            sharingSilos,
            state.ownSelfMaskSeedShare(),
            peerShares);
    return new SiloStep(next, List.of(new MaskedInput(me, config.round(), maskedInput)));
  }

  /**
   * A copy of the input with this silo's self mask and its pairwise masks towards {@code peers}.
   */
  private static WordVector masked(SharedKeys state, String me, Set<String> peers) {
    List<UnmaskPlan.Removal> masks = new ArrayList<>();
    masks.add(
        new UnmaskPlan.Removal(
            RoundTranscript.selfMaskKey(state.selfMaskSeed(), state.sessionId(), me), 1));
    for (String peer : peers) {
      masks.add(
          new UnmaskPlan.Removal(
              state.pairwiseMaskSeeds().get(peer), RoundTranscript.pairwiseSign(me, peer)));
    }
    int[] masked = state.input().words().clone();
    UnmaskPlan.applyMasksOnAllCores(masks, state.config().bits(), masked);
    return WordVector.wrap(masked);
  }

  /**
   * Decrypts and checks the shares {@code sender} addressed to this silo.
   *
   * @return the {@link PeerShares}, or the {@link Refusal} that aborts the round
   */
  private static Object openShares(
      RoundConfig config,
      SharedKeys state,
      ForwardedShares message,
      String sender,
      String me,
      int myX) {
    try {
      byte[] plaintext =
          AeadSuite.AES256_GCM
              .create(state.shareEncryptionKeys().get(sender))
              .decrypt(
                  message.ciphertexts().get(sender),
                  RoundTranscript.shareAssociatedData(config, state.sessionId(), sender, me));
      SharePlaintext shares = SharePlaintext.decode(plaintext);
      java.util.Arrays.fill(plaintext, (byte) 0);
      if (!shares.sender().equals(sender)
          || !shares.receiver().equals(me)
          || shares.maskingKeyShare().x() != myX
          || shares.selfMaskSeedShare().x() != myX
          || shares.maskingKeyShare().threshold() != config.threshold()
          || shares.selfMaskSeedShare().threshold() != config.threshold()) {
        return new Refusal(
            ErrorCode.INVALID_SHARE, "the shares from " + sender + " are not addressed to us");
      }
      return new PeerShares(shares.maskingKeyShare(), shares.selfMaskSeedShare());
    } catch (GeneralSecurityException e) {
      return new Refusal(
          ErrorCode.INVALID_SHARE,
          "the shares from " + sender + " do not decrypt: " + e.getMessage());
    }
  }

  /** Round 3: sign U3 if it is a plausible survivor list that respects this silo's floor. */
  private static SiloStep onSurvivorList(
      SiloContext context, SentMaskedInput state, SurvivorList message) throws Refusal {
    RoundConfig config = state.config();
    List<String> survivors = message.survivors();
    if (!state.sharingSilos().containsAll(survivors) || !survivors.contains(context.siloId())) {
      throw new Refusal(
          ErrorCode.INCONSISTENT_SURVIVORS,
          "U3 " + survivors + " must contain this silo and lie within U2 " + state.sharingSilos());
    }
    checkSurvivorCount(context, config, survivors.size());
    byte[] signature =
        context
            .signingKey()
            .sign(RoundTranscript.consistency(config, state.sessionId(), survivors));
    SignedSurvivors next =
        new SignedSurvivors(
            config,
            state.keyList(),
            state.sessionId(),
            state.sharingSilos(),
            state.ownSelfMaskSeedShare(),
            state.peerShares(),
            survivors);
    return new SiloStep(
        next, List.of(new ConsistencySignature(context.siloId(), config.round(), signature)));
  }

  private static void checkSurvivorCount(SiloContext context, RoundConfig config, int survivors)
      throws Refusal {
    if (survivors < config.required()) {
      throw new Refusal(
          ErrorCode.THRESHOLD_NOT_MET,
          survivors + " survivors; the round needs " + config.required());
    }
    if (survivors < context.minSurvivors()) {
      throw new Refusal(
          ErrorCode.BELOW_PRIVACY_FLOOR,
          survivors
              + " survivors; this silo reveals nothing for a sum of fewer than "
              + context.minSurvivors());
    }
  }

  /**
   * Round 4: verify the others' signatures over the same U3, then reveal self-mask shares for the
   * survivors and masking-key shares for the dropouts — never both for one silo.
   */
  private static SiloStep onConsistencyProof(
      SiloContext context, SignedSurvivors state, ConsistencyProof proof) throws Refusal {
    RoundConfig config = state.config();
    String me = context.siloId();
    if (!proof.survivors().equals(state.survivors())) {
      throw new Refusal(
          ErrorCode.INCONSISTENT_SURVIVORS,
          "the proof is for U3 "
              + proof.survivors()
              + " but this silo signed "
              + state.survivors());
    }
    Set<String> signers = proof.signatures().keySet();
    if (!state.survivors().containsAll(signers)) {
      throw new Refusal(
          ErrorCode.INCONSISTENT_SURVIVORS,
          "signatures from " + signers + " outside U3 " + state.survivors());
    }
    if (signers.size() < config.required() || !signers.contains(me)) {
      throw new Refusal(
          ErrorCode.THRESHOLD_NOT_MET,
          signers.size()
              + " signatures (this silo's included: "
              + signers.contains(me)
              + "); the round needs "
              + config.required());
    }
    byte[] signed = RoundTranscript.consistency(config, state.sessionId(), state.survivors());
    Map<String, AdvertiseKeys> advertisements = new HashMap<>();
    for (AdvertiseKeys advertisement : state.keyList().advertisements()) {
      advertisements.put(advertisement.siloId(), advertisement);
    }
    // t valid signatures over this exact U3 are what rules out a split view (Bonawitz et al. 2017,
    // §6): verify this silo's own and then peers' in order until that many verify; any signature
    // that fails on the way still aborts, since only a misbehaving aggregator presents one.
    List<String> toVerify = new ArrayList<>();
    toVerify.add(me);
    signers.stream().filter(signer -> !signer.equals(me)).forEach(toVerify::add);
    List<Refusal> failures =
        toVerify.subList(0, config.required()).parallelStream()
            .map(
                signer -> {
                  try {
                    EcdsaP256VerifyingKey.fromCertificate(
                            parseCertificate(advertisements.get(signer).certificate()))
                        .verify(proof.signatures().get(signer), signed);
                    return null;
                  } catch (GeneralSecurityException e) {
                    return new Refusal(
                        ErrorCode.INVALID_SIGNATURE,
                        signer + "'s signature over U3 does not verify: " + e.getMessage());
                  }
                })
            .filter(Objects::nonNull)
            .toList();
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
    // Bonawitz et al. 2017, Round 4: for each v, reveal b_v's share if v survived, else s_v^SK's.
    Map<String, byte[]> selfMaskSeedShares = new TreeMap<>();
    Map<String, byte[]> maskingKeyShares = new TreeMap<>();
    for (String silo : state.sharingSilos()) {
      if (state.survivors().contains(silo)) {
        ShamirShare share =
            silo.equals(me)
                ? state.ownSelfMaskSeedShare()
                : state.peerShares().get(silo).selfMaskSeedShare();
        selfMaskSeedShares.put(silo, share.encode(org.fedsum.crypto.SecretAccess.GRANTED));
      } else {
        maskingKeyShares.put(
            silo,
            state
                .peerShares()
                .get(silo)
                .maskingKeyShare()
                .encode(org.fedsum.crypto.SecretAccess.GRANTED));
      }
    }
    Finished next =
        new Finished(
            config,
            state.survivors(),
            new ArrayList<>(selfMaskSeedShares.keySet()),
            new ArrayList<>(maskingKeyShares.keySet()));
    return new SiloStep(
        next, List.of(UnmaskShares.of(me, config.round(), selfMaskSeedShares, maskingKeyShares)));
  }

  private static X509Certificate parseCertificate(byte[] der) throws GeneralSecurityException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    return (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
  }

  /** A failed security check: the silo aborts its part in the round. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    Refusal(ErrorCode code, String message) {
      super(message);
      this.code = code;
    }
  }
}
