package org.fedsum.protocol;

import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * Round 1: a silo's Shamir shares of its self-mask seed and masking private key, one AES-GCM
 * ciphertext per peer in U1, keyed by the peer's silo id. Only the addressee can decrypt its entry.
 */
public record EncryptedShares(String siloId, long round, SortedMap<String, byte[]> ciphertexts)
    implements SiloMessage {

  public EncryptedShares {
    Objects.requireNonNull(siloId, "siloId");
    ciphertexts = Immutables.sortedMap(Objects.requireNonNull(ciphertexts, "ciphertexts"));
  }

  /** Builds the message from any map (copied and sorted). */
  public static EncryptedShares of(String siloId, long round, Map<String, byte[]> ciphertexts) {
    return new EncryptedShares(siloId, round, Immutables.sortedMap(ciphertexts));
  }

  @Override
  public Stage stage() {
    return Stage.SHARE_KEYS;
  }
}
