package org.fedsum.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every (stage × message kind) pair for both roles: the pair that belongs advances as specified;
 * every other pair is refused with a typed error and leaves the state exactly as it was; terminal
 * states refuse everything with {@link ErrorCode#ROUND_CLOSED}.
 */
class TransitionTableTest {
  private static TestFederation federation;
  private static HonestRun run;

  @BeforeAll
  static void recordHonestRound() throws ProtocolException {
    federation = TestFederation.create(4);
    run = new HonestRun(federation, federation.config(5, 4, 3, 16, 64));
  }

  @Test
  void honestRound_recordsEveryStageAndFinishesWithTheExactSum() {
    assertThat(run.aggregatorStates).hasSize(Stage.values().length + 1);
    assertThat(run.siloMessages).containsOnlyKeys(Stage.values());
    assertThat(run.aggregatorMessages)
        .containsOnlyKeys(
            Stage.SHARE_KEYS, Stage.MASKED_INPUT, Stage.CONSISTENCY_CHECK, Stage.UNMASK);
    AggregatorState last = run.aggregatorStates.get(run.aggregatorStates.size() - 1);
    assertThat(last).isInstanceOf(AggregatorState.Finished.class);
    assertThat(run.sum)
        .isEqualTo(
            org.fedsum.protocol.simulation.RoundSimulation.expectedSum(
                run.inputs, run.config.roster(), run.config.bits()));
  }

  @Test
  void aggregator_everyStageTimesEveryMessage_advancesOnlyOnItsOwnStage() {
    List<String> failures = new ArrayList<>();
    for (int s = 0; s < Stage.values().length; s++) {
      AggregatorState state = run.aggregatorStates.get(s);
      Stage stage = Stage.values()[s];
      assertThat(state.stage()).isEqualTo(stage);
      for (Stage kind : Stage.values()) {
        SiloMessage message = run.siloMessages.get(kind);
        String before = state.toString();
        if (kind == stage) {
          try {
            AggregatorStep step =
                AggregatorProtocol.apply(state, new AggregatorEvent.Received(message));
            if (step.state().toString().equals(before)) {
              failures.add(stage + " x " + kind + ": accepted but the state did not change");
            }
          } catch (ProtocolException e) {
            failures.add(stage + " x " + kind + ": refused its own message: " + e.getMessage());
          }
        } else {
          ProtocolException refusal =
              catchThrowableOfType(
                  ProtocolException.class,
                  () -> AggregatorProtocol.apply(state, new AggregatorEvent.Received(message)));
          if (refusal == null || refusal.code() != ErrorCode.STAGE_OUT_OF_ORDER) {
            failures.add(stage + " x " + kind + ": expected STAGE_OUT_OF_ORDER, got " + refusal);
          }
        }
        if (!state.toString().equals(before)) {
          failures.add(stage + " x " + kind + ": the state changed");
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void aggregator_deadlines_closeOnlyTheirOwnStage() throws ProtocolException {
    List<String> failures = new ArrayList<>();
    for (int s = 0; s < Stage.values().length; s++) {
      AggregatorState state = run.aggregatorStates.get(s);
      for (Stage deadline : Stage.values()) {
        if (deadline == state.stage()) {
          // Nobody has answered the freshly opened stage, so its deadline aborts the round.
          AggregatorState next =
              AggregatorProtocol.apply(state, new AggregatorEvent.DeadlinePassed(deadline)).state();
          if (!(next instanceof AggregatorState.Aborted aborted)
              || aborted.reason() != ErrorCode.THRESHOLD_NOT_MET
              || aborted.stage() != deadline) {
            failures.add(
                deadline + " deadline in " + state.stage() + ": expected abort, got " + next);
          }
        } else {
          ProtocolException refusal =
              catchThrowableOfType(
                  ProtocolException.class,
                  () ->
                      AggregatorProtocol.apply(
                          state, new AggregatorEvent.DeadlinePassed(deadline)));
          if (refusal == null || refusal.code() != ErrorCode.STAGE_OUT_OF_ORDER) {
            failures.add(deadline + " deadline in " + state.stage() + ": got " + refusal);
          }
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void aggregator_graceEvents_closeNothingBelowTheQuorumNorOutOfTheirStage() {
    List<String> failures = new ArrayList<>();
    for (int s = 0; s < Stage.values().length; s++) {
      AggregatorState state = run.aggregatorStates.get(s);
      for (Stage grace : Stage.values()) {
        String before = state.toString();
        // A freshly opened stage has no answers: below any quorum, so its grace closes nothing.
        ErrorCode expected =
            grace == state.stage() && AggregatorProtocol.closesEarly(grace)
                ? ErrorCode.THRESHOLD_NOT_MET
                : ErrorCode.STAGE_OUT_OF_ORDER;
        ProtocolException refusal =
            catchThrowableOfType(
                ProtocolException.class,
                () -> AggregatorProtocol.apply(state, new AggregatorEvent.GraceElapsed(grace)));
        if (refusal == null || refusal.code() != expected) {
          failures.add(
              grace + " grace in " + state.stage() + ": expected " + expected + ", got " + refusal);
        }
        if (!state.toString().equals(before)) {
          failures.add(grace + " grace in " + state.stage() + ": the state changed");
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void aggregator_terminalStates_refuseEverythingAsRoundClosed() throws ProtocolException {
    AggregatorState finished = run.aggregatorStates.get(Stage.values().length);
    AggregatorState aborted =
        AggregatorProtocol.apply(
                AggregatorProtocol.start(run.config),
                new AggregatorEvent.DeadlinePassed(Stage.ADVERTISE_KEYS))
            .state();
    assertThat(aborted).isInstanceOf(AggregatorState.Aborted.class);
    for (AggregatorState terminal : List.of(finished, aborted)) {
      for (Stage kind : Stage.values()) {
        assertThatThrownBy(
                () ->
                    AggregatorProtocol.apply(
                        terminal, new AggregatorEvent.Received(run.siloMessages.get(kind))))
            .isInstanceOfSatisfying(
                ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_CLOSED));
        assertThatThrownBy(
                () -> AggregatorProtocol.apply(terminal, new AggregatorEvent.DeadlinePassed(kind)))
            .isInstanceOfSatisfying(
                ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_CLOSED));
        assertThatThrownBy(
                () -> AggregatorProtocol.apply(terminal, new AggregatorEvent.GraceElapsed(kind)))
            .isInstanceOfSatisfying(
                ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_CLOSED));
      }
    }
  }

  @Test
  void silo_everyStateTimesEveryMessage_advancesOnlyOnItsOwnStage() {
    SiloContext context = run.contexts.get(run.observed);
    List<String> failures = new ArrayList<>();
    // The states that wait for an aggregator message: AdvertisedKeys .. SignedSurvivors.
    for (int s = 0; s < 4; s++) {
      SiloState state = run.siloStates.get(s);
      for (AggregatorMessage message : run.aggregatorMessages.values()) {
        String before = state.toString();
        if (message.stage() == state.stage()) {
          try {
            SiloState next = SiloProtocol.apply(context, state, message, federation.now()).state();
            if (next instanceof SiloState.Aborted
                || next.stage() == state.stage() && !next.terminal()) {
              failures.add(state.stage() + " x " + message.stage() + ": did not advance: " + next);
            }
          } catch (ProtocolException e) {
            failures.add(state.stage() + " x " + message.stage() + ": refused: " + e.getMessage());
          }
        } else {
          ProtocolException refusal =
              catchThrowableOfType(
                  ProtocolException.class,
                  () -> SiloProtocol.apply(context, state, message, federation.now()));
          if (refusal == null || refusal.code() != ErrorCode.STAGE_OUT_OF_ORDER) {
            failures.add(
                state.stage()
                    + " x "
                    + message.stage()
                    + ": expected STAGE_OUT_OF_ORDER, got "
                    + refusal);
          }
        }
        if (!state.toString().equals(before)) {
          failures.add(state.stage() + " x " + message.stage() + ": the state changed");
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void silo_finishedState_refusesEverythingAsRoundClosed() {
    SiloContext context = run.contexts.get(run.observed);
    SiloState finished = run.siloStates.get(run.siloStates.size() - 1);
    assertThat(finished).isInstanceOf(SiloState.Finished.class);
    for (AggregatorMessage message : run.aggregatorMessages.values()) {
      assertThatThrownBy(() -> SiloProtocol.apply(context, finished, message, federation.now()))
          .isInstanceOfSatisfying(
              ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_CLOSED));
    }
  }

  @Test
  void messagesOfAnotherRound_areRefusedByBothRoles() {
    RoundConfig otherRound = run.config.withRound(run.config.round() + 1);
    HonestRun other;
    try {
      other = new HonestRun(federation, otherRound);
    } catch (ProtocolException e) {
      throw new AssertionError(e);
    }
    for (Stage stage : Stage.values()) {
      AggregatorState state = run.aggregatorStates.get(stage.ordinal());
      assertThatThrownBy(
              () ->
                  AggregatorProtocol.apply(
                      state, new AggregatorEvent.Received(other.siloMessages.get(stage))))
          .isInstanceOfSatisfying(
              ProtocolException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_MISMATCH));
    }
    SiloContext context = run.contexts.get(run.observed);
    for (int s = 0; s < 4; s++) {
      SiloState state = run.siloStates.get(s);
      AggregatorMessage replay = other.aggregatorMessages.get(state.stage());
      assertThatThrownBy(() -> SiloProtocol.apply(context, state, replay, federation.now()))
          .isInstanceOfSatisfying(
              ProtocolException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUND_MISMATCH));
    }
  }

  @Test
  void silo_premaskedBeforeU2_sendsTheSameMaskedInputWordForWord() throws ProtocolException {
    SiloContext context = run.contexts.get(run.observed);
    SiloState.SharedKeys waiting =
        (SiloState.SharedKeys)
            run.siloStates.stream()
                .filter(state -> state.stage() == Stage.MASKED_INPUT)
                .findFirst()
                .orElseThrow();
    SiloState.SharedKeys premasked = SiloProtocol.premask(context, waiting);
    assertThat(premasked.maskedForAdvertised()).isPresent();
    assertThat(waiting.maskedForAdvertised()).isEmpty();
    assertThat(SiloProtocol.premask(context, premasked)).isSameAs(premasked);

    SiloStep step =
        SiloProtocol.apply(
            context, premasked, run.aggregatorMessages.get(Stage.MASKED_INPUT), federation.now());

    assertThat(step.state()).isInstanceOf(SiloState.SentMaskedInput.class);
    MaskedInput sent = (MaskedInput) step.outbound().get(0);
    MaskedInput expected = (MaskedInput) run.siloMessages.get(Stage.MASKED_INPUT);
    assertThat(((WordVector) sent.vector()).words())
        .isEqualTo(((WordVector) expected.vector()).words());
    assertThat(sent.vector().sha256()).isEqualTo(expected.vector().sha256());
    // The input itself is left as it was: the premask works on a copy.
    assertThat(premasked.input().words()).isEqualTo(run.inputs.get(run.observed));
  }
}
