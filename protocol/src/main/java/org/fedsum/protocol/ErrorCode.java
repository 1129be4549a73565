package org.fedsum.protocol;

/**
 * Stable error codes of the protocol. They appear on the wire and in journals; never rename one.
 * The transport maps each to an HTTP status in one place; {@link #retryable()} says whether sending
 * the same request again later can succeed.
 */
public enum ErrorCode {
  /** The message belongs to another stage than the one the round is in. */
  STAGE_OUT_OF_ORDER(false),
  /** The sender is not in the federation's roster. */
  UNKNOWN_SILO(false),
  /** The sender is in the roster but not among the participants of the current stage. */
  NOT_A_PARTICIPANT(false),
  /** The sender already sent this message in this round. */
  DUPLICATE_SUBMISSION(false),
  /** The message names another round (a replay, or a silo that fell behind). */
  ROUND_MISMATCH(false),
  /** A masked vector has the wrong number of coordinates. */
  VECTOR_LENGTH_MISMATCH(false),
  /** The message is structurally wrong (missing or extra recipients, bad encoding). */
  MALFORMED_MESSAGE(false),
  /** A signature or certificate did not verify. */
  INVALID_SIGNATURE(false),
  /** A public key is malformed, repeated or of low order. */
  INVALID_KEY(false),
  /** An encrypted share did not decrypt, or shares did not reconstruct. */
  INVALID_SHARE(false),
  /** Fewer participants than the round needs (threshold or minimum survivors). */
  THRESHOLD_NOT_MET(false),
  /** Survivor lists disagree: the aggregator told silos different stories. */
  INCONSISTENT_SURVIVORS(false),
  /** The round has already finished or aborted. */
  ROUND_CLOSED(false),
  /** The silo's own privacy floor forbids taking part. */
  BELOW_PRIVACY_FLOOR(false),
  /** The round has not reached this stage yet; asking again later can succeed. */
  NOT_READY(true);

  private final boolean retryable;

  ErrorCode(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether the same request, sent again later, can succeed. */
  public boolean retryable() {
    return retryable;
  }
}
