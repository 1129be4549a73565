package org.fedsum.protocol;

import java.util.List;
import java.util.Objects;

/** After round 0: every advertisement the aggregator accepted (U1), sorted by silo id. */
public record KeyList(long round, List<AdvertiseKeys> advertisements) implements AggregatorMessage {

  public KeyList {
    advertisements =
        Objects.requireNonNull(advertisements, "advertisements").stream()
            .sorted(java.util.Comparator.comparing(AdvertiseKeys::siloId))
            .toList();
  }

  @Override
  public Stage stage() {
    return Stage.SHARE_KEYS;
  }
}
