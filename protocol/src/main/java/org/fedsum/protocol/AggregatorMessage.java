package org.fedsum.protocol;

/**
 * A message the aggregator relays to a silo. Its {@link #stage()} is the stage whose input it asks
 * the silo to produce.
 */
public sealed interface AggregatorMessage
    permits KeyList, ForwardedShares, SurvivorList, ConsistencyProof {
  long round();

  Stage stage();
}
