package org.fedsum.protocol;

import java.util.List;
import java.util.Objects;
import java.util.SortedMap;

/**
 * After round 1: U2, and the ciphertexts addressed to this silo by each other member of U2, keyed
 * by sender.
 */
public record ForwardedShares(
    long round, List<String> sharingSilos, SortedMap<String, byte[]> ciphertexts)
    implements AggregatorMessage {

  public ForwardedShares {
    sharingSilos = Immutables.sortedList(Objects.requireNonNull(sharingSilos, "sharingSilos"));
    ciphertexts = Immutables.sortedMap(Objects.requireNonNull(ciphertexts, "ciphertexts"));
  }

  @Override
  public Stage stage() {
    return Stage.MASKED_INPUT;
  }
}
