package org.fedsum.protocol;

/**
 * The stages of one round of secure aggregation, shared by both roles (Bonawitz et al., CCS 2017,
 * Rounds 0–4; DESIGN.md §3).
 */
public enum Stage {
  /** Round 0: silos advertise signed masking and share-encryption public keys; U1 = advertisers. */
  ADVERTISE_KEYS,
  /** Round 1: silos send encrypted Shamir shares addressed to each peer; U2 = senders. */
  SHARE_KEYS,
  /** Round 2: silos send their masked vectors; U3 = senders. */
  MASKED_INPUT,
  /** Round 3: silos sign the survivor list U3, so that no two silos see different lists. */
  CONSISTENCY_CHECK,
  /** Round 4: silos reveal, per peer, either its self-mask seed share or its masking-key share. */
  UNMASK
}
