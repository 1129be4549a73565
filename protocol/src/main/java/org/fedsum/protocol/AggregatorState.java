package org.fedsum.protocol;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The aggregator's state in one round: one immutable record per stage, holding only what is valid
 * in that stage, then {@link Finished} or {@link Aborted}.
 */
public sealed interface AggregatorState {
  RoundConfig config();

  /** The stage being collected, or for a terminal state the stage it ended in. */
  Stage stage();

  /** Whether the round is over. */
  default boolean terminal() {
    return this instanceof Finished || this instanceof Aborted;
  }

  /** Round 0: advertisements received so far, by silo id. */
  record CollectingKeys(RoundConfig config, Map<String, AdvertiseKeys> advertisements)
      implements AggregatorState {
    public CollectingKeys {
      Objects.requireNonNull(config, "config");
      advertisements = Immutables.sortedMap(advertisements);
    }

    @Override
    public Stage stage() {
      return Stage.ADVERTISE_KEYS;
    }
  }

  /** Round 1: U1 is fixed; encrypted shares received so far, by sender. */
  record CollectingShares(
      RoundConfig config, KeyList keyList, byte[] sessionId, Map<String, EncryptedShares> shares)
      implements AggregatorState {
    public CollectingShares {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(keyList, "keyList");
      sessionId = sessionId.clone();
      shares = Immutables.sortedMap(shares);
    }

    @Override
    public Stage stage() {
      return Stage.SHARE_KEYS;
    }
  }

  /** Round 2: U2 is fixed; digests of the masked vectors counted so far, by sender. */
  record CollectingMaskedInputs(
      RoundConfig config,
      KeyList keyList,
      byte[] sessionId,
      List<String> sharingSilos,
      Map<String, byte[]> maskedInputDigests)
      implements AggregatorState {
    public CollectingMaskedInputs {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(keyList, "keyList");
      sessionId = sessionId.clone();
      sharingSilos = Immutables.sortedList(sharingSilos);
      maskedInputDigests = Immutables.sortedMap(maskedInputDigests);
    }

    @Override
    public Stage stage() {
      return Stage.MASKED_INPUT;
    }
  }

  /** Round 3: U3 is fixed; consistency signatures received so far, by signer. */
  record CollectingSignatures(
      RoundConfig config,
      KeyList keyList,
      byte[] sessionId,
      List<String> sharingSilos,
      List<String> survivors,
      Map<String, byte[]> signatures)
      implements AggregatorState {
    public CollectingSignatures {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(keyList, "keyList");
      sessionId = sessionId.clone();
      sharingSilos = Immutables.sortedList(sharingSilos);
      survivors = Immutables.sortedList(survivors);
      signatures = Immutables.sortedMap(signatures);
    }

    @Override
    public Stage stage() {
      return Stage.CONSISTENCY_CHECK;
    }
  }

  /** Round 4: U4 is fixed; unmasking shares received so far, by sender. */
  record CollectingUnmaskShares(
      RoundConfig config,
      KeyList keyList,
      byte[] sessionId,
      List<String> sharingSilos,
      List<String> survivors,
      List<String> signers,
      Map<String, UnmaskShares> responses)
      implements AggregatorState {
    public CollectingUnmaskShares {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(keyList, "keyList");
      sessionId = sessionId.clone();
      sharingSilos = Immutables.sortedList(sharingSilos);
      survivors = Immutables.sortedList(survivors);
      signers = Immutables.sortedList(signers);
      responses = Immutables.sortedMap(responses);
    }

    @Override
    public Stage stage() {
      return Stage.UNMASK;
    }
  }

  /**
   * The round completed: the running sum of the survivors' masked vectors becomes the sum of their
   * inputs once {@link #unmaskPlan()} is applied to it.
   */
  record Finished(RoundConfig config, Participation participation, UnmaskPlan unmaskPlan)
      implements AggregatorState {
    public Finished {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(participation, "participation");
      Objects.requireNonNull(unmaskPlan, "unmaskPlan");
    }

    /** U3: the silos whose inputs are in the sum. */
    public List<String> survivors() {
      return participation.maskedInput();
    }

    @Override
    public Stage stage() {
      return Stage.UNMASK;
    }
  }

  /** The round stopped without disclosing anything about any input. */
  record Aborted(RoundConfig config, Stage stage, ErrorCode reason, String detail)
      implements AggregatorState {
    public Aborted {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }
}
