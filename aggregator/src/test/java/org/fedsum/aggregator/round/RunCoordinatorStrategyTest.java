package org.fedsum.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedsum.aggregator.store.Checkpoint;
import org.fedsum.aggregator.strategy.ServerStrategy;
import org.fedsum.aggregator.strategy.StrategyConfig;
import org.fedsum.aggregator.strategy.StrategyState;
import org.fedsum.protocol.encoding.DecodedUpdate;
import org.fedsum.protocol.encoding.UpdateDecoder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The coordinator keeps its model and moments in float32 and decodes and steps a round range by
 * range; its models and checkpointed moments must be, bit for bit, what a whole decode and a whole
 * {@link ServerStrategy#apply} on doubles give once rounded to float32 (the way the coordinator
 * worked before), across a crash and a resume too.
 */
class RunCoordinatorStrategyTest {
  @TempDir Path root;

  @ParameterizedTest(name = "{0}, rotation {1}, ranges of {2}")
  @CsvSource({
    "fedavg, false, 3",
    "fedavgm, false, 3",
    "fedadam, false, 7",
    "fedyogi, true, 3",
    "fedadagrad, true, 64"
  })
  void rounds_steppedInRanges_matchAWholeStepBitForBit(
      String strategyName, boolean rotation, int rangeLength) throws Exception {
    byte[] seed = rotation ? "coordinator rotation seed".getBytes(StandardCharsets.UTF_8) : null;
    StrategyConfig config = StrategyConfig.defaults(strategyName);
    ServerStrategy strategy = config.strategy();
    int rounds = 3;
    try (RoundFixture fixture = new RoundFixture(root, rounds, 3, config, seed)) {
      Map<Long, int[]> sums = new TreeMap<>();
      RunCoordinator coordinator = open(fixture, rangeLength, sums);
      coordinator.startRound();
      double[] expectedModel = coordinator.globalModel();
      StrategyState expectedState = strategy.initialState(RoundFixture.DIMENSION);
      List<double[]> models = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        if (round == 3) {
          // Round 3 starts from the checkpoint of round 2, as after a kill -9 between rounds.
          fixture.crash();
          coordinator = open(fixture, rangeLength, sums);
          coordinator.startRound();
        }
        fixture.playRound(fixture.randomUpdates(), Map.of());
        long finishedRound = coordinator.status().roundsFinished() == round ? lastRound(sums) : -1;
        assertThat(finishedRound).as("round %d finished", round).isPositive();
        DecodedUpdate decoded =
            UpdateDecoder.create(fixture.encoding)
                .decode(sums.get(finishedRound), RoundFixture.SILOS);
        var step = strategy.apply(expectedModel, decoded.average(), expectedState);
        expectedModel = step.nextModel();
        ModelCheckpoints.roundToFloat(expectedModel);
        expectedState =
            ModelCheckpoints.restoreState(
                strategy,
                step.nextState().steps(),
                ModelCheckpoints.moments(step.nextState()),
                RoundFixture.DIMENSION);

        double[] model = coordinator.globalModel();
        assertThat(bits(model))
            .as("%s model after round %d", strategyName, round)
            .isEqualTo(bits(expectedModel));
        Checkpoint checkpoint = fixture.stores.checkpoints().load(finishedRound);
        assertThat(checkpoint.optimizerState()).hasSize(strategy.momentCount());
        for (int k = 0; k < strategy.momentCount(); k++) {
          assertThat(bits(ModelCheckpoints.widen(checkpoint.optimizerState().get(k))))
              .as("%s moment %d after round %d", strategyName, k, round)
              .isEqualTo(bits(expectedState.moment(k)));
        }
        // The model moved: a step that did nothing would pass the comparisons above vacuously.
        if (!models.isEmpty()) {
          assertThat(model).isNotEqualTo(models.get(models.size() - 1));
        }
        models.add(model);
        GlobalModel served = coordinator.globalModelSnapshot();
        assertThat(ModelCheckpoints.widen(served.values())).isEqualTo(model);
        assertThat(served.sha256()).isEqualTo(ModelCheckpoints.sha256(checkpoint.model()));
      }
    }
  }

  private static RunCoordinator open(RoundFixture fixture, int rangeLength, Map<Long, int[]> sums)
      throws Exception {
    RunCoordinator coordinator = fixture.open();
    coordinator.stepRangeLength = rangeLength;
    coordinator.observeUnmaskedSums((round, sum) -> sums.put(round, sum));
    return coordinator;
  }

  private static long lastRound(Map<Long, int[]> sums) {
    return sums.isEmpty() ? -1 : ((TreeMap<Long, int[]>) sums).lastKey();
  }

  private static long[] bits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }
}
