package org.fedsum.protocol;

/**
 * A masked vector as the protocol core sees it: its length and digest. The aggregator's core never
 * reads the words; the transport streams them into the running sum once the core has accepted the
 * submission, so the core stays cheap and the aggregator's memory stays O(m).
 */
public interface MaskedVector {
  /** Number of coordinates. */
  int length();

  /** SHA-256 of the coordinates as little-endian 32-bit words. */
  byte[] sha256();
}
