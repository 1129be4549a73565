package org.fedsum.protocol;

import java.util.List;
import java.util.Objects;
import java.util.SortedMap;

/** After round 3: U3 and the signatures over it collected from U4, keyed by signer. */
public record ConsistencyProof(
    long round, List<String> survivors, SortedMap<String, byte[]> signatures)
    implements AggregatorMessage {

  public ConsistencyProof {
    survivors = Immutables.sortedList(Objects.requireNonNull(survivors, "survivors"));
    signatures = Immutables.sortedMap(Objects.requireNonNull(signatures, "signatures"));
  }

  @Override
  public Stage stage() {
    return Stage.UNMASK;
  }
}
