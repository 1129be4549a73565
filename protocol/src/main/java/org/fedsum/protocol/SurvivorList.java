package org.fedsum.protocol;

import java.util.List;
import java.util.Objects;

/** After round 2: U3, the silos whose masked vectors count; each survivor is asked to sign it. */
public record SurvivorList(long round, List<String> survivors) implements AggregatorMessage {

  public SurvivorList {
    survivors = Immutables.sortedList(Objects.requireNonNull(survivors, "survivors"));
  }

  @Override
  public Stage stage() {
    return Stage.CONSISTENCY_CHECK;
  }
}
