package org.fedsum.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedsum.crypto.X25519KeyPair;
import org.fedsum.crypto.X25519PublicKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A scripted malicious aggregator (and, where needed, a silo colluding with it) against one honest
 * silo. Each attack must be refused, and the honest silo must send nothing the honest protocol
 * would not have sent (Bonawitz et al. 2017, §6, active adversary).
 */
class MaliciousAggregatorTest {
  private static TestFederation federation;
  private static HonestRun run;
  private static SiloContext honest;

  @BeforeAll
  static void recordHonestRound() throws ProtocolException {
    federation = TestFederation.create(4);
    run = new HonestRun(federation, federation.config(9, 4, 3, 20, 32));
    honest = run.contexts.get(run.observed);
  }

  private static SiloState.AdvertisedKeys waitingForKeys() {
    return (SiloState.AdvertisedKeys) run.siloStates.get(0);
  }

  private static KeyList honestKeyList() {
    return (KeyList) run.aggregatorMessages.get(Stage.SHARE_KEYS);
  }

  private static KeyList replace(KeyList keyList, AdvertiseKeys replacement) {
    List<AdvertiseKeys> advertisements = new ArrayList<>();
    for (AdvertiseKeys advertisement : keyList.advertisements()) {
      advertisements.add(
          advertisement.siloId().equals(replacement.siloId()) ? replacement : advertisement);
    }
    return new KeyList(keyList.round(), advertisements);
  }

  private static void assertAbortsSilently(SiloStep step, ErrorCode reason) {
    assertThat(step.state())
        .isInstanceOfSatisfying(
            SiloState.Aborted.class, aborted -> assertThat(aborted.reason()).isEqualTo(reason));
    assertThat(step.outbound()).as("messages sent after the attack").isEmpty();
  }

  /** A peer's advertisement with other keys, signed validly by that (colluding) peer. */
  private static AdvertiseKeys colludingAdvertisement(
      String siloId, X25519PublicKey masking, X25519PublicKey shareEncryption) {
    byte[] signature =
        federation
            .signingKey(siloId)
            .sign(RoundTranscript.advertisement(run.config, siloId, masking, shareEncryption));
    return new AdvertiseKeys(
        siloId,
        run.config.round(),
        masking,
        shareEncryption,
        federation.certificate(siloId),
        signature);
  }

  @Test
  void keySubstitution_byTheAggregator_isRefusedAsInvalidSignature() throws Exception {
    AdvertiseKeys victim = honestKeyList().advertisements().get(1);
    X25519KeyPair aggregatorKey = X25519KeyPair.generate(new SecureRandom());
    AdvertiseKeys substituted =
        new AdvertiseKeys(
            victim.siloId(),
            victim.round(),
            aggregatorKey.publicKey(),
            victim.shareEncryptionPublicKey(),
            victim.certificate(),
            victim.signature());

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), replace(honestKeyList(), substituted), federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_SIGNATURE);
  }

  @Test
  void keysSignedWithAnotherSilosCertificate_areRefused() throws Exception {
    AdvertiseKeys victim = honestKeyList().advertisements().get(1);
    AdvertiseKeys other = honestKeyList().advertisements().get(2);
    AdvertiseKeys wrongCertificate =
        new AdvertiseKeys(
            victim.siloId(),
            victim.round(),
            victim.maskingPublicKey(),
            victim.shareEncryptionPublicKey(),
            other.certificate(),
            victim.signature());

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), replace(honestKeyList(), wrongCertificate), federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_SIGNATURE);
  }

  @Test
  void ownKeysAltered_isRefused() throws Exception {
    AdvertiseKeys mine = waitingForKeys().advertisement();
    X25519KeyPair other = X25519KeyPair.generate(new SecureRandom());
    AdvertiseKeys altered =
        new AdvertiseKeys(
            mine.siloId(),
            mine.round(),
            other.publicKey(),
            mine.shareEncryptionPublicKey(),
            mine.certificate(),
            mine.signature());

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), replace(honestKeyList(), altered), federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_KEY);
  }

  @Test
  void ownKeysLeftOut_isRefused() throws Exception {
    List<AdvertiseKeys> others =
        honestKeyList().advertisements().stream()
            .filter(advertisement -> !advertisement.siloId().equals(run.observed))
            .toList();

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), new KeyList(run.config.round(), others), federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_KEY);
  }

  @Test
  void duplicatedPublicKey_fromAColludingSilo_isRefused() throws Exception {
    AdvertiseKeys copied = honestKeyList().advertisements().get(1);
    String colluder = run.config.roster().get(2);
    AdvertiseKeys duplicate =
        colludingAdvertisement(
            colluder, copied.maskingPublicKey(), copied.shareEncryptionPublicKey());

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), replace(honestKeyList(), duplicate), federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_KEY);
  }

  @Test
  void lowOrderPublicKey_fromAColludingSilo_isRefused() throws Exception {
    String colluder = run.config.roster().get(2);
    X25519PublicKey lowOrder = X25519PublicKey.fromBytes(new byte[32]);
    AdvertiseKeys weak =
        colludingAdvertisement(
            colluder, lowOrder, honestKeyList().advertisements().get(2).shareEncryptionPublicKey());

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), replace(honestKeyList(), weak), federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_KEY);
  }

  @Test
  void advertisementReplayedFromAnotherRound_isRefused() throws Exception {
    HonestRun previous = new HonestRun(federation, run.config.withRound(run.config.round() - 1));
    AdvertiseKeys stale =
        ((KeyList) previous.aggregatorMessages.get(Stage.SHARE_KEYS)).advertisements().get(1);

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), replace(honestKeyList(), stale), federation.now());

    assertThat(step.state()).isInstanceOf(SiloState.Aborted.class);
    assertThat(step.outbound()).isEmpty();
  }

  @Test
  void keyListBelowThreshold_isRefused() throws Exception {
    List<AdvertiseKeys> two = honestKeyList().advertisements().subList(0, 2);

    SiloStep step =
        SiloProtocol.apply(
            honest, waitingForKeys(), new KeyList(run.config.round(), two), federation.now());

    assertAbortsSilently(step, ErrorCode.THRESHOLD_NOT_MET);
  }

  @Test
  void splitViewOfSurvivors_isRefusedAtTheConsistencyCheck() throws Exception {
    SiloState sentMaskedInput = run.siloStates.get(2);
    List<String> allFour = run.config.roster();
    List<String> withoutLast = allFour.subList(0, 3);
    // The aggregator tells the honest silo that the last silo dropped...
    SiloStep signed =
        SiloProtocol.apply(
            honest,
            sentMaskedInput,
            new SurvivorList(run.config.round(), withoutLast),
            federation.now());
    assertThat(signed.state()).isInstanceOf(SiloState.SignedSurvivors.class);
    // ...while the others signed the full list; it now presents their genuine signatures.
    ConsistencyProof othersProof = (ConsistencyProof) run.aggregatorMessages.get(Stage.UNMASK);
    assertThat(othersProof.survivors()).isEqualTo(allFour);

    SiloStep proofForOtherList =
        SiloProtocol.apply(honest, signed.state(), othersProof, federation.now());
    assertAbortsSilently(proofForOtherList, ErrorCode.INCONSISTENT_SURVIVORS);

    ConsistencyProof relabelled =
        new ConsistencyProof(run.config.round(), withoutLast, othersProof.signatures());
    Map<String, byte[]> onlyThree = new TreeMap<>(relabelled.signatures());
    onlyThree.remove(allFour.get(3));
    SiloStep signaturesOverOtherList =
        SiloProtocol.apply(
            honest,
            signed.state(),
            new ConsistencyProof(run.config.round(), withoutLast, Immutables.sortedMap(onlyThree)),
            federation.now());
    assertAbortsSilently(signaturesOverOtherList, ErrorCode.INVALID_SIGNATURE);
  }

  @Test
  void secondRevealRequest_isRefusedSoNoPeerEverGetsBothShares() throws Exception {
    SiloState finished = run.siloStates.get(run.siloStates.size() - 1);
    assertThat(finished)
        .isInstanceOfSatisfying(
            SiloState.Finished.class,
            done ->
                assertThat(
                        java.util.Collections.disjoint(
                            done.selfMaskSharesRevealedFor(), done.maskingKeySharesRevealedFor()))
                    .as("never both shares for one silo")
                    .isTrue());
    // A second proof claiming the last silo dropped would ask for its masking-key share too.
    List<String> withoutLast = run.config.roster().subList(0, 3);
    ConsistencyProof second =
        new ConsistencyProof(
            run.config.round(),
            withoutLast,
            ((ConsistencyProof) run.aggregatorMessages.get(Stage.UNMASK)).signatures());

    assertThatThrownBy(() -> SiloProtocol.apply(honest, finished, second, federation.now()))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_CLOSED));
  }

  @Test
  void survivorListBelowTheSilosOwnFloor_isRefused() throws Exception {
    SiloContext strict = federation.context(run.observed, 4, new SecureRandom());
    SiloState sentMaskedInput = run.siloStates.get(2);

    SiloStep step =
        SiloProtocol.apply(
            strict,
            sentMaskedInput,
            new SurvivorList(run.config.round(), run.config.roster().subList(0, 3)),
            federation.now());

    assertAbortsSilently(step, ErrorCode.BELOW_PRIVACY_FLOOR);
  }

  @Test
  void tamperedShareCiphertext_isRefused() throws Exception {
    SiloState sharedKeys = run.siloStates.get(1);
    ForwardedShares forwarded = (ForwardedShares) run.aggregatorMessages.get(Stage.MASKED_INPUT);
    Map<String, byte[]> tampered = new TreeMap<>(forwarded.ciphertexts());
    String sender = tampered.keySet().iterator().next();
    byte[] ciphertext = tampered.get(sender).clone();
    ciphertext[ciphertext.length - 1] ^= 1;
    tampered.put(sender, ciphertext);

    SiloStep step =
        SiloProtocol.apply(
            honest,
            sharedKeys,
            new ForwardedShares(
                forwarded.round(), forwarded.sharingSilos(), Immutables.sortedMap(tampered)),
            federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_SHARE);
  }

  @Test
  void sharesRelabelledToAnotherSender_areRefused() throws Exception {
    SiloState sharedKeys = run.siloStates.get(1);
    ForwardedShares forwarded = (ForwardedShares) run.aggregatorMessages.get(Stage.MASKED_INPUT);
    List<String> senders = new ArrayList<>(forwarded.ciphertexts().keySet());
    Map<String, byte[]> swapped = new TreeMap<>();
    swapped.put(senders.get(0), forwarded.ciphertexts().get(senders.get(1)));
    swapped.put(senders.get(1), forwarded.ciphertexts().get(senders.get(0)));
    for (int i = 2; i < senders.size(); i++) {
      swapped.put(senders.get(i), forwarded.ciphertexts().get(senders.get(i)));
    }

    SiloStep step =
        SiloProtocol.apply(
            honest,
            sharedKeys,
            new ForwardedShares(
                forwarded.round(), forwarded.sharingSilos(), Immutables.sortedMap(swapped)),
            federation.now());

    assertAbortsSilently(step, ErrorCode.INVALID_SHARE);
  }
}
