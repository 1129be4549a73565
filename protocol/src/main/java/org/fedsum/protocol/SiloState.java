package org.fedsum.protocol;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.crypto.SecretBytes;
import org.fedsum.crypto.ShamirShare;
import org.fedsum.crypto.X25519KeyPair;

/**
 * A silo's state in one round: one immutable record per stage, holding only what is valid in that
 * stage. Secret material (key pairs, seeds, shares) lives only here, in memory, and is never
 * printed: every record overrides {@code toString}.
 */
public sealed interface SiloState {
  RoundConfig config();

  /** The stage whose aggregator message the silo waits for, or where a terminal state ended. */
  Stage stage();

  default boolean terminal() {
    return this instanceof Finished || this instanceof Aborted;
  }

  /** Round 0 sent; waiting for the key list U1. */
  record AdvertisedKeys(
      RoundConfig config,
      WordVector input,
      X25519KeyPair maskingKeyPair,
      X25519KeyPair shareEncryptionKeyPair,
      AdvertiseKeys advertisement)
      implements SiloState {
    public AdvertisedKeys {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(maskingKeyPair, "maskingKeyPair");
      Objects.requireNonNull(shareEncryptionKeyPair, "shareEncryptionKeyPair");
      Objects.requireNonNull(advertisement, "advertisement");
    }

    @Override
    public Stage stage() {
      return Stage.SHARE_KEYS;
    }

    @Override
    public String toString() {
      return "SiloState.AdvertisedKeys[round=" + config.round() + "]";
    }
  }

  /**
   * Round 1 sent; waiting for U2 and the shares addressed to this silo.
   *
   * @param shareEncryptionKeys AES-GCM keys agreed with each peer in U1
   * @param pairwiseMaskSeeds PRG seeds agreed with each peer in U1
   * @param ownSelfMaskSeedShare this silo's own share of its self-mask seed, revealed in round 4
   * @param maskedForAdvertised once {@link SiloProtocol#premask} ran: the input with this silo's
   *     self mask and its pairwise masks towards every peer of U1 added, computed while the silo
   *     waits for the others' shares; round 2 then only takes out the masks of peers missing from
   *     U2
   */
  record SharedKeys(
      RoundConfig config,
      WordVector input,
      KeyList keyList,
      byte[] sessionId,
      SecretBytes selfMaskSeed,
      ShamirShare ownSelfMaskSeedShare,
      Map<String, SecretBytes> shareEncryptionKeys,
      Map<String, SecretBytes> pairwiseMaskSeeds,
      Optional<WordVector> maskedForAdvertised)
      implements SiloState {
    public SharedKeys {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(keyList, "keyList");
      sessionId = sessionId.clone();
      Objects.requireNonNull(selfMaskSeed, "selfMaskSeed");
      Objects.requireNonNull(ownSelfMaskSeedShare, "ownSelfMaskSeedShare");
      shareEncryptionKeys = Immutables.sortedMap(shareEncryptionKeys);
      pairwiseMaskSeeds = Immutables.sortedMap(pairwiseMaskSeeds);
      Objects.requireNonNull(maskedForAdvertised, "maskedForAdvertised");
    }

    @Override
    public Stage stage() {
      return Stage.MASKED_INPUT;
    }

    @Override
    public String toString() {
      return "SiloState.SharedKeys[round="
          + config.round()
          + ", U1="
          + keyList.advertisements().size()
          + (maskedForAdvertised.isPresent() ? ", premasked" : "")
          + "]";
    }
  }

  /**
   * Round 2 sent; waiting for the survivor list U3.
   *
   * @param peerShares the decrypted shares each peer in U2 addressed to this silo
   */
  record SentMaskedInput(
      RoundConfig config,
      KeyList keyList,
      byte[] sessionId,
      List<String> sharingSilos,
      ShamirShare ownSelfMaskSeedShare,
      Map<String, PeerShares> peerShares)
      implements SiloState {
    public SentMaskedInput {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(keyList, "keyList");
      sessionId = sessionId.clone();
      sharingSilos = Immutables.sortedList(sharingSilos);
      Objects.requireNonNull(ownSelfMaskSeedShare, "ownSelfMaskSeedShare");
      peerShares = Immutables.sortedMap(peerShares);
    }

    @Override
    public Stage stage() {
      return Stage.CONSISTENCY_CHECK;
    }

    @Override
    public String toString() {
      return "SiloState.SentMaskedInput[round=" + config.round() + ", U2=" + sharingSilos + "]";
    }
  }

  /** Round 3 sent: this silo signed {@code survivors}; waiting for the others' signatures. */
  record SignedSurvivors(
      RoundConfig config,
      KeyList keyList,
      byte[] sessionId,
      List<String> sharingSilos,
      ShamirShare ownSelfMaskSeedShare,
      Map<String, PeerShares> peerShares,
      List<String> survivors)
      implements SiloState {
    public SignedSurvivors {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(keyList, "keyList");
      sessionId = sessionId.clone();
      sharingSilos = Immutables.sortedList(sharingSilos);
      Objects.requireNonNull(ownSelfMaskSeedShare, "ownSelfMaskSeedShare");
      peerShares = Immutables.sortedMap(peerShares);
      survivors = Immutables.sortedList(survivors);
    }

    @Override
    public Stage stage() {
      return Stage.UNMASK;
    }

    @Override
    public String toString() {
      return "SiloState.SignedSurvivors[round=" + config.round() + ", U3=" + survivors + "]";
    }
  }

  /** Round 4 sent. Records for whom each kind of share was revealed; the two lists are disjoint. */
  record Finished(
      RoundConfig config,
      List<String> survivors,
      List<String> selfMaskSharesRevealedFor,
      List<String> maskingKeySharesRevealedFor)
      implements SiloState {
    public Finished {
      Objects.requireNonNull(config, "config");
      survivors = Immutables.sortedList(survivors);
      selfMaskSharesRevealedFor = Immutables.sortedList(selfMaskSharesRevealedFor);
      maskingKeySharesRevealedFor = Immutables.sortedList(maskingKeySharesRevealedFor);
    }

    @Override
    public Stage stage() {
      return Stage.UNMASK;
    }
  }

  /** The silo stopped taking part, for {@code reason}; it revealed nothing more. */
  record Aborted(RoundConfig config, Stage stage, ErrorCode reason, String detail)
      implements SiloState {
    public Aborted {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /** The two shares a peer addressed to this silo. Secret. */
  record PeerShares(ShamirShare maskingKeyShare, ShamirShare selfMaskSeedShare) {
    public PeerShares {
      Objects.requireNonNull(maskingKeyShare, "maskingKeyShare");
      Objects.requireNonNull(selfMaskSeedShare, "selfMaskSeedShare");
    }

    @Override
    public String toString() {
      return "PeerShares[secret]";
    }
  }
}
