package org.fedsum.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.fedsum.protocol.simulation.RoundSimulation;

/**
 * Random rounds: 3 to 30 silos, any threshold the rules allow, both security models, random widths
 * and vectors, random dropouts at every stage, and each silo masking either early ({@link
 * SiloProtocol#premask}, for all of U1) or once U2 is known. Whenever the round finishes, the
 * unmasked sum is exactly the sum mod 2^b of the survivors' inputs; whenever it aborts, it aborts
 * at the first stage that had too few silos, for that reason.
 */
class RoundPropertyTest {
  private static final int MAX_SILOS = 30;
  private static final TestFederation FEDERATION = TestFederation.create(MAX_SILOS);

  /** One random round: its parameters and, per silo, the stage it drops at (or none). */
  record Scenario(
      int silos,
      int threshold,
      SecurityModel model,
      int bits,
      int vectorLength,
      List<Stage> dropouts,
      List<Boolean> premasks,
      long seed) {
    RoundConfig config() {
      return new RoundConfig(
          TestFederation.FEDERATION_ID,
          seed & 0xffff,
          RoundConfig.PROTOCOL_VERSION,
          FEDERATION.roster(silos),
          threshold,
          RoundConfig.MINIMUM_SURVIVORS_FLOOR,
          bits,
          vectorLength,
          model,
          1);
    }
  }

  @Provide
  Arbitrary<Scenario> scenarios() {
    // Small federations are cheap and hit every abort path; larger ones check the arithmetic at
    // scale.
    Arbitrary<Integer> silos =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(3, 8)),
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(9, 16)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(17, MAX_SILOS)));
    return silos.flatMap(
        n ->
            Combinators.combine(
                    Arbitraries.of(SecurityModel.values()),
                    Arbitraries.integers().between(0, 1000),
                    Arbitraries.integers().between(1, 32),
                    Arbitraries.integers().between(1, 40),
                    Arbitraries.of(dropoutChoices()).list().ofSize(n),
                    Arbitraries.of(true, false).list().ofSize(n),
                    Arbitraries.longs())
                .as(
                    (model, thresholdPick, bits, length, dropouts, premasks, seed) -> {
                      // c = 1 assumed colluder: HbC needs t > 1, active needs 2t > n + 1.
                      int lowest = model == SecurityModel.HONEST_BUT_CURIOUS ? 2 : (n + 1) / 2 + 1;
                      int threshold = lowest + thresholdPick % (n - lowest + 1);
                      return new Scenario(
                          n, threshold, model, bits, length, dropouts, premasks, seed);
                    }));
  }

  /** Mostly no dropout, otherwise a uniformly chosen stage. */
  private static List<Stage> dropoutChoices() {
    List<Stage> choices = new ArrayList<>();
    for (int i = 0; i < 3 * Stage.values().length; i++) {
      choices.add(null);
    }
    choices.addAll(List.of(Stage.values()));
    return choices;
  }

  @Property(tries = 1000)
  void finishedRoundsYieldTheExactSum_abortedRoundsNameTheFirstShortStage(
      @ForAll("scenarios") Scenario scenario) throws ProtocolException {
    RoundConfig config = scenario.config();
    Map<String, Stage> dropoutStages = new TreeMap<>();
    Set<String> premasking = new TreeSet<>();
    for (int i = 0; i < scenario.silos(); i++) {
      if (scenario.dropouts().get(i) != null) {
        dropoutStages.put(config.roster().get(i), scenario.dropouts().get(i));
      }
      if (scenario.premasks().get(i)) {
        premasking.add(config.roster().get(i));
      }
    }
    Map<String, int[]> inputs =
        TestFederation.randomInputs(
            config.roster(), config.bits(), config.vectorLength(), new Random(scenario.seed()));
    RoundSimulation simulation =
        new RoundSimulation(
            config,
            FEDERATION.contexts(config.roster(), new SecureRandom()),
            dropoutStages,
            FEDERATION.now(),
            premasking);

    RoundSimulation.Outcome outcome = simulation.run(inputs);

    // The oracle: the participants of each stage are those that have not dropped by then.
    Stage shortStage = null;
    List<String> survivors = null;
    for (Stage stage : Stage.values()) {
      List<String> answering =
          config.roster().stream()
              .filter(
                  silo ->
                      dropoutStages.get(silo) == null
                          || dropoutStages.get(silo).compareTo(stage) > 0)
              .toList();
      if (stage == Stage.MASKED_INPUT) {
        survivors = answering;
      }
      if (answering.size() < config.required()) {
        shortStage = stage;
        break;
      }
    }
    if (shortStage == null) {
      assertThat(outcome.aggregatorState()).isInstanceOf(AggregatorState.Finished.class);
      AggregatorState.Finished finished = (AggregatorState.Finished) outcome.aggregatorState();
      assertThat(finished.survivors()).isEqualTo(survivors);
      assertThat(outcome.sum())
          .isEqualTo(RoundSimulation.expectedSum(inputs, survivors, config.bits()));
      for (String silo : config.roster()) {
        if (!dropoutStages.containsKey(silo)) {
          assertThat(outcome.siloStates().get(silo))
              .isInstanceOfSatisfying(
                  SiloState.Finished.class,
                  done ->
                      assertThat(
                              java.util.Collections.disjoint(
                                  done.selfMaskSharesRevealedFor(),
                                  done.maskingKeySharesRevealedFor()))
                          .as("never both shares for one silo")
                          .isTrue());
        }
      }
    } else {
      Stage expected = shortStage;
      assertThat(outcome.aggregatorState())
          .isInstanceOfSatisfying(
              AggregatorState.Aborted.class,
              aborted -> {
                assertThat(aborted.stage()).isEqualTo(expected);
                assertThat(aborted.reason()).isEqualTo(ErrorCode.THRESHOLD_NOT_MET);
              });
    }
  }
}
