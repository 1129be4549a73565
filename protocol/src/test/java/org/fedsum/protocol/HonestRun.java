package org.fedsum.protocol;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One honest round, driven stage by stage and recorded: the aggregator's state as each stage opens,
 * one silo's state as it waits for each stage, and a genuine message of every kind. Tests replay
 * these against states where they do or do not belong.
 */
final class HonestRun {
  final RoundConfig config;
  final Map<String, SiloContext> contexts;
  final Map<String, int[]> inputs;

  /** The aggregator's state as each stage opens, then the finished state. */
  final List<AggregatorState> aggregatorStates = new ArrayList<>();

  /** Silo {@link #observed}'s state as it waits for each aggregator message, then finished. */
  final List<SiloState> siloStates = new ArrayList<>();

  /** A genuine message of each stage sent by {@link #observed}. */
  final Map<Stage, SiloMessage> siloMessages = new EnumMap<>(Stage.class);

  /** A genuine message of each stage sent to {@link #observed}. */
  final Map<Stage, AggregatorMessage> aggregatorMessages = new EnumMap<>(Stage.class);

  /** Every silo's final state. */
  final Map<String, SiloState> finalSiloStates = new TreeMap<>();

  final String observed;
  int[] sum;

  HonestRun(TestFederation federation, RoundConfig config) throws ProtocolException {
    this.config = config;
    this.contexts = federation.contexts(config.roster(), new SecureRandom());
    this.inputs =
        TestFederation.randomInputs(
            config.roster(), config.bits(), config.vectorLength(), new java.util.Random(7));
    this.observed = config.roster().get(0);
    this.sum = new int[config.vectorLength()];

    Map<String, SiloState> silos = new TreeMap<>();
    List<SiloMessage> toAggregator = new ArrayList<>();
    for (String siloId : config.roster()) {
      SiloStep step =
          SiloProtocol.start(contexts.get(siloId), config, WordVector.wrap(inputs.get(siloId)));
      silos.put(siloId, step.state());
      toAggregator.addAll(step.outbound());
    }
    siloStates.add(silos.get(observed));
    AggregatorState aggregator = AggregatorProtocol.start(config);
    aggregatorStates.add(aggregator);
    while (!aggregator.terminal()) {
      Map<String, List<AggregatorMessage>> toSilos = new LinkedHashMap<>();
      for (SiloMessage message : toAggregator) {
        if (message.siloId().equals(observed)) {
          siloMessages.put(message.stage(), message);
        }
        AggregatorStep step =
            AggregatorProtocol.apply(aggregator, new AggregatorEvent.Received(message));
        aggregator = step.state();
        for (AggregatorAction action : step.actions()) {
          if (action instanceof AggregatorAction.Send send) {
            toSilos.computeIfAbsent(send.siloId(), id -> new ArrayList<>()).add(send.message());
          } else if (action instanceof AggregatorAction.CountMaskedInput count) {
            int[] words = ((WordVector) count.vector()).words();
            for (int i = 0; i < words.length; i++) {
              sum[i] += words[i];
            }
          }
        }
      }
      aggregatorStates.add(aggregator);
      toAggregator.clear();
      for (Map.Entry<String, List<AggregatorMessage>> delivery : toSilos.entrySet()) {
        for (AggregatorMessage message : delivery.getValue()) {
          String siloId = delivery.getKey();
          if (siloId.equals(observed)) {
            aggregatorMessages.put(message.stage(), message);
          }
          SiloStep step =
              SiloProtocol.apply(
                  contexts.get(siloId), silos.get(siloId), message, federationNow(federation));
          silos.put(siloId, step.state());
          toAggregator.addAll(step.outbound());
          if (siloId.equals(observed)) {
            siloStates.add(step.state());
          }
        }
      }
    }
    if (aggregator instanceof AggregatorState.Finished finished) {
      finished.unmaskPlan().applyInParallel(sum);
    }
    finalSiloStates.putAll(silos);
  }

  private static java.time.Instant federationNow(TestFederation federation) {
    return federation.now();
  }
}
