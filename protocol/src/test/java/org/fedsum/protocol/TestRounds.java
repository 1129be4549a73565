package org.fedsum.protocol;

import java.util.ArrayList;
import java.util.List;

/** Recorded honest rounds for tests outside this package (codecs, encoding). */
public final class TestRounds {
  private TestRounds() {}

  /** Runs and records one honest round over {@code silos} fresh silos. */
  public static Recorded honest(int silos, int threshold, int bits, int vectorLength)
      throws ProtocolException {
    TestFederation federation = TestFederation.create(silos);
    return new Recorded(
        new HonestRun(federation, federation.config(1, silos, threshold, bits, vectorLength)));
  }

  /** The messages of one recorded round, as seen by its first silo. */
  public static final class Recorded {
    private final HonestRun run;

    Recorded(HonestRun run) {
      this.run = run;
    }

    public SiloMessage siloMessage(Stage stage) {
      return run.siloMessages.get(stage);
    }

    public AggregatorMessage aggregatorMessage(Stage stage) {
      return run.aggregatorMessages.get(stage);
    }

    public List<AggregatorMessage> aggregatorMessages() {
      return new ArrayList<>(run.aggregatorMessages.values());
    }

    public RoundConfig config() {
      return run.config;
    }
  }
}
