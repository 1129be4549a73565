package org.fedsum.protocol;

import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * Round 4: the shares a silo reveals so the aggregator can remove the masks. For each survivor v in
 * U3 its share of v's self-mask seed; for each dropout v in U2 \ U3 its share of v's masking
 * private key; never both for one v (Bonawitz et al. 2017, Round 4). Values are encoded Shamir
 * shares: secret material that must never be logged or journaled.
 */
public record UnmaskShares(
    String siloId,
    long round,
    SortedMap<String, byte[]> selfMaskSeedShares,
    SortedMap<String, byte[]> maskingKeyShares)
    implements SiloMessage {

  public UnmaskShares {
    Objects.requireNonNull(siloId, "siloId");
    selfMaskSeedShares = Immutables.sortedMap(selfMaskSeedShares);
    maskingKeyShares = Immutables.sortedMap(maskingKeyShares);
  }

  public static UnmaskShares of(
      String siloId,
      long round,
      Map<String, byte[]> selfMaskSeedShares,
      Map<String, byte[]> maskingKeyShares) {
    return new UnmaskShares(
        siloId,
        round,
        Immutables.sortedMap(selfMaskSeedShares),
        Immutables.sortedMap(maskingKeyShares));
  }

  @Override
  public Stage stage() {
    return Stage.UNMASK;
  }

  @Override
  public String toString() {
    return "UnmaskShares[siloId="
        + siloId
        + ", round="
        + round
        + ", selfMaskSeedSharesFor="
        + selfMaskSeedShares.keySet()
        + ", maskingKeySharesFor="
        + maskingKeyShares.keySet()
        + "]";
  }
}
