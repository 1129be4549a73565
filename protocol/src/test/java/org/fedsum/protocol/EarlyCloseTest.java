package org.fedsum.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedsum.protocol.simulation.RoundSimulation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Closing a stage after its quorum and a grace period ({@link AggregatorEvent.GraceElapsed}): the
 * stage closes with exactly the silos that answered, a late answer is refused, and a stage below
 * its quorum still waits for its deadline and then aborts.
 */
class EarlyCloseTest {
  private static final int SILOS = 5;
  private static final int THRESHOLD = 3;
  private static TestFederation federation;

  @BeforeAll
  static void createFederation() {
    federation = TestFederation.create(SILOS);
  }

  @ParameterizedTest
  @EnumSource(
      value = Stage.class,
      names = {"SHARE_KEYS", "MASKED_INPUT", "CONSISTENCY_CHECK", "UNMASK"})
  void quorumThenGrace_closesWithExactlyThoseWhoAnswered_andRefusesTheLateAnswer(Stage stage)
      throws ProtocolException {
    String late = federation.roster(SILOS).get(SILOS - 1);
    Round round = new Round(Set.of(late), stage);
    round.runUntil(stage);

    List<AggregatorAction> actions = round.feed();
    AggregatorState open = round.aggregator;
    assertThat(open.stage()).isEqualTo(stage);
    assertThat(AggregatorProtocol.answered(open)).isEqualTo(SILOS - 1);
    // Exactly one announcement, made by the answer that reached the quorum.
    List<AggregatorAction.QuorumReached> quorums = quorums(actions);
    assertThat(quorums)
        .containsExactly(
            new AggregatorAction.QuorumReached(
                stage, AggregatorProtocol.quorum(open), AggregatorProtocol.expected(open)));
    assertThat(round.quorumAfterAnswer).isEqualTo(AggregatorProtocol.quorum(open));

    round.apply(new AggregatorEvent.GraceElapsed(stage));
    if (stage == Stage.UNMASK) {
      assertThat(round.aggregator).isInstanceOf(AggregatorState.Finished.class);
    } else {
      assertThat(round.aggregator.stage()).isEqualTo(next(stage));
      assertThat(round.aggregator.terminal()).isFalse();
    }

    // The late silo's answer now comes after its stage closed.
    SiloMessage lateAnswer = round.heldBack.get(late);
    assertThat(lateAnswer).isNotNull();
    AggregatorState closed = round.aggregator;
    String before = closed.toString();
    assertThatThrownBy(
            () -> AggregatorProtocol.apply(closed, new AggregatorEvent.Received(lateAnswer)))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e ->
                assertThat(e.code())
                    .isEqualTo(
                        closed.terminal() ? ErrorCode.ROUND_CLOSED : ErrorCode.STAGE_OUT_OF_ORDER));
    assertThat(closed.toString()).isEqualTo(before);

    round.finish();
    AggregatorState.Finished finished = (AggregatorState.Finished) round.aggregator;
    List<String> everyone = federation.roster(SILOS);
    List<String> others = everyone.stream().filter(silo -> !silo.equals(late)).toList();
    Participation participation = finished.participation();
    // Before MASKED_INPUT closes, a late silo's input is left out; after, it stays in the sum.
    List<String> expectedSurvivors = stage.compareTo(Stage.MASKED_INPUT) <= 0 ? others : everyone;
    assertThat(finished.survivors()).isEqualTo(expectedSurvivors);
    List<String> closedWith =
        switch (stage) {
          case SHARE_KEYS -> participation.shared();
          case MASKED_INPUT -> participation.maskedInput();
          case CONSISTENCY_CHECK -> participation.signed();
          default -> participation.unmasked();
        };
    assertThat(closedWith).isEqualTo(others);
    assertThat(round.sum)
        .isEqualTo(RoundSimulation.expectedSum(round.inputs, expectedSurvivors, 16));
  }

  @Test
  void graceBeforeTheQuorum_isRefused_andTheDeadlineThenAborts() throws ProtocolException {
    List<String> roster = federation.roster(SILOS);
    // Three silent silos leave two answers, below the threshold of three.
    Round round =
        new Round(Set.of(roster.get(2), roster.get(3), roster.get(4)), Stage.CONSISTENCY_CHECK);
    round.runUntil(Stage.CONSISTENCY_CHECK);
    List<AggregatorAction> actions = round.feed();
    assertThat(quorums(actions)).isEmpty();
    AggregatorState open = round.aggregator;
    assertThat(AggregatorProtocol.answered(open)).isEqualTo(2);
    String before = open.toString();
    assertThatThrownBy(
            () ->
                AggregatorProtocol.apply(
                    open, new AggregatorEvent.GraceElapsed(Stage.CONSISTENCY_CHECK)))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.THRESHOLD_NOT_MET));
    assertThat(open.toString()).isEqualTo(before);

    round.apply(new AggregatorEvent.DeadlinePassed(Stage.CONSISTENCY_CHECK));
    assertThat(round.aggregator)
        .isInstanceOfSatisfying(
            AggregatorState.Aborted.class,
            aborted -> {
              assertThat(aborted.reason()).isEqualTo(ErrorCode.THRESHOLD_NOT_MET);
              assertThat(aborted.stage()).isEqualTo(Stage.CONSISTENCY_CHECK);
            });
  }

  @Test
  void everyoneAnswering_closesAtOnce_withoutWaitingForTheGrace() throws ProtocolException {
    Round round = new Round(Set.of(), Stage.MASKED_INPUT);
    round.runUntil(Stage.MASKED_INPUT);
    List<AggregatorAction> actions = round.feed();
    // The quorum is announced at the third answer; the fifth closes the stage with no event.
    assertThat(quorums(actions)).hasSize(1);
    assertThat(round.quorumAfterAnswer).isEqualTo(THRESHOLD);
    assertThat(round.aggregator.stage()).isEqualTo(Stage.CONSISTENCY_CHECK);
  }

  @Test
  void advertiseKeys_neverClosesEarly() throws ProtocolException {
    String late = federation.roster(SILOS).get(0);
    Round round = new Round(Set.of(late), Stage.ADVERTISE_KEYS);
    List<AggregatorAction> actions = round.feed();
    assertThat(quorums(actions)).isEmpty();
    AggregatorState open = round.aggregator;
    assertThat(AggregatorProtocol.answered(open)).isEqualTo(SILOS - 1);
    assertThat(AggregatorProtocol.closesEarly(Stage.ADVERTISE_KEYS)).isFalse();
    assertThatThrownBy(
            () ->
                AggregatorProtocol.apply(
                    open, new AggregatorEvent.GraceElapsed(Stage.ADVERTISE_KEYS)))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.STAGE_OUT_OF_ORDER));
  }

  @Test
  void unmaskQuorum_isOneShareAboveTheThreshold_whenTheSignersAllowIt() throws ProtocolException {
    Round round = new Round(Set.of(), Stage.UNMASK);
    round.runUntil(Stage.UNMASK);
    AggregatorState unmask = round.aggregator;
    assertThat(AggregatorProtocol.expected(unmask)).isEqualTo(SILOS);
    assertThat(AggregatorProtocol.quorum(unmask)).isEqualTo(THRESHOLD + 1);
    Round earlier = new Round(Set.of(), Stage.UNMASK);
    earlier.runUntil(Stage.CONSISTENCY_CHECK);
    assertThat(AggregatorProtocol.quorum(earlier.aggregator)).isEqualTo(THRESHOLD);
  }

  @Test
  void graceOfAnotherStage_isRefusedAsOutOfOrder() throws ProtocolException {
    Round round = new Round(Set.of(), Stage.UNMASK);
    round.runUntil(Stage.MASKED_INPUT);
    AggregatorState state = round.aggregator;
    for (Stage other : Stage.values()) {
      if (other == Stage.MASKED_INPUT) {
        continue;
      }
      assertThatThrownBy(
              () -> AggregatorProtocol.apply(state, new AggregatorEvent.GraceElapsed(other)))
          .isInstanceOfSatisfying(
              ProtocolException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.STAGE_OUT_OF_ORDER));
    }
  }

  private static List<AggregatorAction.QuorumReached> quorums(List<AggregatorAction> actions) {
    List<AggregatorAction.QuorumReached> quorums = new ArrayList<>();
    for (AggregatorAction action : actions) {
      if (action instanceof AggregatorAction.QuorumReached quorum) {
        quorums.add(quorum);
      }
    }
    return quorums;
  }

  private static Stage next(Stage stage) {
    return Stage.values()[stage.ordinal() + 1];
  }

  /**
   * One round driven by hand: silos answer at once, except that {@code late} silos hold back their
   * answer of {@code lateStage} (and then answer nothing more).
   */
  private static final class Round {
    final RoundConfig config;
    final Map<String, SiloContext> contexts;
    final Map<String, int[]> inputs;
    final Map<String, SiloState> silos = new TreeMap<>();
    final Set<String> late;
    final Stage lateStage;
    final Map<String, SiloMessage> heldBack = new TreeMap<>();
    List<SiloMessage> pending = new ArrayList<>();
    final Map<String, List<AggregatorMessage>> toSilos = new LinkedHashMap<>();
    AggregatorState aggregator;
    final int[] sum;
    int quorumAfterAnswer = -1;

    Round(Set<String> late, Stage lateStage) throws ProtocolException {
      this.config = federation.config(1, SILOS, THRESHOLD, 16, 32);
      this.contexts = federation.contexts(config.roster(), new SecureRandom());
      this.inputs =
          TestFederation.randomInputs(
              config.roster(), config.bits(), config.vectorLength(), new Random(11));
      this.late = new TreeSet<>(late);
      this.lateStage = lateStage;
      this.sum = new int[config.vectorLength()];
      for (String siloId : config.roster()) {
        SiloStep step =
            SiloProtocol.start(contexts.get(siloId), config, WordVector.wrap(inputs.get(siloId)));
        silos.put(siloId, step.state());
        pending.addAll(step.outbound());
      }
      aggregator = AggregatorProtocol.start(config);
    }

    /** Feeds the pending answers to the aggregator; returns every action of those steps. */
    List<AggregatorAction> feed() throws ProtocolException {
      List<AggregatorAction> actions = new ArrayList<>();
      List<SiloMessage> messages = pending;
      pending = new ArrayList<>();
      for (SiloMessage message : messages) {
        if (late.contains(message.siloId()) && message.stage() == lateStage) {
          heldBack.put(message.siloId(), message);
          continue;
        }
        List<AggregatorAction> stepActions = apply(new AggregatorEvent.Received(message)).actions();
        if (stepActions.stream().anyMatch(AggregatorAction.QuorumReached.class::isInstance)) {
          quorumAfterAnswer = AggregatorProtocol.answered(aggregator);
        }
        actions.addAll(stepActions);
      }
      return actions;
    }

    AggregatorStep apply(AggregatorEvent event) throws ProtocolException {
      AggregatorStep step = AggregatorProtocol.apply(aggregator, event);
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
      return step;
    }

    /** Delivers what the aggregator sent; the silos' answers become pending. */
    void deliver() throws ProtocolException {
      for (Map.Entry<String, List<AggregatorMessage>> delivery : toSilos.entrySet()) {
        for (AggregatorMessage message : delivery.getValue()) {
          SiloStep step =
              SiloProtocol.apply(
                  contexts.get(delivery.getKey()),
                  silos.get(delivery.getKey()),
                  message,
                  federation.now());
          silos.put(delivery.getKey(), step.state());
          pending.addAll(step.outbound());
        }
      }
      toSilos.clear();
    }

    /** Runs every stage before {@code stage} with every answer; {@code stage} is then open. */
    void runUntil(Stage stage) throws ProtocolException {
      while (aggregator.stage() != stage) {
        feed();
        assertThat(aggregator.terminal()).isFalse();
        deliver();
      }
    }

    /** Runs the remaining stages, closing a stage that lacks answers by its grace period. */
    void finish() throws ProtocolException {
      while (!aggregator.terminal()) {
        deliver();
        Stage before = aggregator.stage();
        feed();
        if (!aggregator.terminal() && aggregator.stage() == before) {
          apply(new AggregatorEvent.GraceElapsed(before));
        }
      }
      if (aggregator instanceof AggregatorState.Finished finished) {
        finished.unmaskPlan().applyInParallel(sum);
      }
    }
  }
}
