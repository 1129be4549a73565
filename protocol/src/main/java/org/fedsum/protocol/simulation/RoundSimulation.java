package org.fedsum.protocol.simulation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.fedsum.protocol.AggregatorAction;
import org.fedsum.protocol.AggregatorEvent;
import org.fedsum.protocol.AggregatorProtocol;
import org.fedsum.protocol.AggregatorState;
import org.fedsum.protocol.AggregatorStep;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.SiloProtocol;
import org.fedsum.protocol.SiloState;
import org.fedsum.protocol.SiloStep;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.WordVector;

/**
 * One round of secure aggregation with every party in this process. Silos that "drop out" at a
 * stage simply stop answering from that stage on; the simulation then lets the stage's deadline
 * pass.
 *
 * <p>The aggregator keeps only a running sum, as the real service does, so the result shows what
 * the protocol alone produces. Time spent in each party's transitions is measured for benchmarks.
 */
public final class RoundSimulation {
  private final RoundConfig config;
  private final Map<String, SiloContext> contexts;
  private final Map<String, Stage> dropoutStages;
  private final Instant now;
  private final Set<String> premasking;

  /**
   * @param contexts every silo that starts the round, by id
   * @param dropoutStages for silos that drop out, the first stage whose message they do not send
   * @param now the time handed to silos for certificate checks
   */
  public RoundSimulation(
      RoundConfig config,
      Map<String, SiloContext> contexts,
      Map<String, Stage> dropoutStages,
      Instant now) {
    this(config, contexts, dropoutStages, now, Set.of());
  }

  /**
   * As {@link #RoundSimulation(RoundConfig, Map, Map, Instant)}, with the silos of {@code
   * premasking} masking their input as soon as their shares are out ({@link SiloProtocol#premask}),
   * as the silo node does, and the others once U2 arrives.
   */
  public RoundSimulation(
      RoundConfig config,
      Map<String, SiloContext> contexts,
      Map<String, Stage> dropoutStages,
      Instant now,
      Set<String> premasking) {
    this.config = Objects.requireNonNull(config, "config");
    this.contexts = new TreeMap<>(contexts);
    this.dropoutStages = new HashMap<>(dropoutStages);
    this.now = Objects.requireNonNull(now, "now");
    this.premasking = Set.copyOf(premasking);
  }

  /** What came out of a round. */
  /**
   * @param siloNanos time each silo spent in its transitions, in total
   * @param siloStageNanos per silo, time spent producing each stage's message
   * @param siloStageCpuNanos per silo, CPU time of the calling thread producing each stage's
   *     message (work a transition hands to other threads is not included)
   * @param siloProcessCpuNanos per silo, CPU time of every Java thread of the process during its
   *     transitions, in total: the work the silo's transitions hand to the fork-join pool too, and
   *     less sensitive than wall-clock time to other processes on the machine (garbage collection
   *     and JIT compilation are not Java threads and are not included)
   * @param aggregatorNanos time the aggregator spent in transitions and summing
   * @param unmaskNanos time to reconstruct seeds and remove the masks from the sum (included in
   *     aggregatorNanos)
   */
  public record Outcome(
      AggregatorState aggregatorState,
      Map<String, SiloState> siloStates,
      int[] sum,
      Map<String, Long> siloNanos,
      Map<String, Map<Stage, Long>> siloStageNanos,
      Map<String, Map<Stage, Long>> siloStageCpuNanos,
      Map<String, Long> siloProcessCpuNanos,
      long aggregatorNanos,
      long unmaskNanos,
      long unmaskProcessCpuNanos) {}

  /**
   * Runs the round with these inputs (words in {@code Z_{2^bits}}, one array per starting silo).
   */
  public Outcome run(Map<String, int[]> inputs) throws ProtocolException {
    Map<String, SiloState> siloStates = new TreeMap<>();
    Map<String, Long> siloNanos = new TreeMap<>();
    Map<String, Map<Stage, Long>> siloStageNanos = new TreeMap<>();
    Map<String, Map<Stage, Long>> siloStageCpuNanos = new TreeMap<>();
    Map<String, Long> siloProcessCpuNanos = new TreeMap<>();
    long[] aggregatorNanos = {0};
    int[] sum = new int[config.vectorLength()];
    AggregatorState aggregator = AggregatorProtocol.start(config);
    long reconstructNanos = 0;
    long reconstructCpuNanos = 0;

    List<SiloMessage> toAggregator = new ArrayList<>();
    for (Map.Entry<String, SiloContext> silo : contexts.entrySet()) {
      String siloId = silo.getKey();
      long started = System.nanoTime();
      long startedCpu = THREADS.getCurrentThreadCpuTime();
      long startedProcessCpu = javaThreadsCpuNanos();
      SiloStep step =
          SiloProtocol.start(silo.getValue(), config, WordVector.wrap(inputs.get(siloId).clone()));
      long elapsed = System.nanoTime() - started;
      siloProcessCpuNanos.merge(siloId, javaThreadsCpuNanos() - startedProcessCpu, Long::sum);
      siloStageCpuNanos
          .computeIfAbsent(siloId, id -> new java.util.EnumMap<>(Stage.class))
          .merge(Stage.ADVERTISE_KEYS, THREADS.getCurrentThreadCpuTime() - startedCpu, Long::sum);
      siloNanos.merge(siloId, elapsed, Long::sum);
      siloStageNanos
          .computeIfAbsent(siloId, id -> new java.util.EnumMap<>(Stage.class))
          .merge(Stage.ADVERTISE_KEYS, elapsed, Long::sum);
      siloStates.put(siloId, step.state());
      if (answers(siloId, Stage.ADVERTISE_KEYS)) {
        toAggregator.addAll(step.outbound());
      }
    }

    while (!aggregator.terminal()) {
      Stage stage = aggregator.stage();
      Map<String, List<org.fedsum.protocol.AggregatorMessage>> toSilos = new LinkedHashMap<>();
      List<AggregatorEvent> events = new ArrayList<>();
      toAggregator.forEach(message -> events.add(new AggregatorEvent.Received(message)));
      toAggregator.clear();
      for (int i = 0;
          i < events.size() || !aggregator.terminal() && aggregator.stage() == stage;
          i++) {
        // Once every message is in, a stage still open waits for its deadline.
        AggregatorEvent event =
            i < events.size() ? events.get(i) : new AggregatorEvent.DeadlinePassed(stage);
        long started = System.nanoTime();
        long startedCpu = processCpuNanos();
        AggregatorStep step = AggregatorProtocol.apply(aggregator, event);
        long elapsed = System.nanoTime() - started;
        aggregatorNanos[0] += elapsed;
        if (step.state() instanceof AggregatorState.Finished) {
          // The transition that closes UNMASK reconstructs every seed: part of unmasking.
          reconstructNanos = elapsed;
          reconstructCpuNanos = processCpuNanos() - startedCpu;
        }
        aggregator = step.state();
        collect(step, toSilos, sum, aggregatorNanos);
      }
      for (Map.Entry<String, List<org.fedsum.protocol.AggregatorMessage>> delivery :
          toSilos.entrySet()) {
        String siloId = delivery.getKey();
        for (org.fedsum.protocol.AggregatorMessage message : delivery.getValue()) {
          if (!answers(siloId, message.stage())) {
            continue;
          }
          long started = System.nanoTime();
          long startedCpu = THREADS.getCurrentThreadCpuTime();
          long startedProcessCpu = javaThreadsCpuNanos();
          SiloStep step =
              SiloProtocol.apply(contexts.get(siloId), siloStates.get(siloId), message, now);
          SiloState next = step.state();
          if (next instanceof SiloState.SharedKeys shared && premasking.contains(siloId)) {
            next = SiloProtocol.premask(contexts.get(siloId), shared);
          }
          long elapsed = System.nanoTime() - started;
          siloProcessCpuNanos.merge(siloId, javaThreadsCpuNanos() - startedProcessCpu, Long::sum);
          siloStageCpuNanos
              .computeIfAbsent(siloId, id -> new java.util.EnumMap<>(Stage.class))
              .merge(message.stage(), THREADS.getCurrentThreadCpuTime() - startedCpu, Long::sum);
          siloNanos.merge(siloId, elapsed, Long::sum);
          siloStageNanos
              .computeIfAbsent(siloId, id -> new java.util.EnumMap<>(Stage.class))
              .merge(message.stage(), elapsed, Long::sum);
          siloStates.put(siloId, next);
          toAggregator.addAll(step.outbound());
        }
      }
    }

    long unmaskNanos = reconstructNanos;
    long unmaskCpuNanos = reconstructCpuNanos;
    if (aggregator instanceof AggregatorState.Finished finished) {
      long started = System.nanoTime();
      long startedCpu = processCpuNanos();
      finished.unmaskPlan().applyInParallel(sum);
      unmaskNanos += System.nanoTime() - started;
      unmaskCpuNanos += processCpuNanos() - startedCpu;
      aggregatorNanos[0] += System.nanoTime() - started;
    }
    return new Outcome(
        aggregator,
        siloStates,
        sum,
        siloNanos,
        siloStageNanos,
        siloStageCpuNanos,
        siloProcessCpuNanos,
        aggregatorNanos[0],
        unmaskNanos,
        unmaskCpuNanos);
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /**
   * CPU time of every live Java thread, in nanoseconds: unlike the process CPU time, which this JVM
   * reports in 10 ms steps, precise enough for one transition. Threads that end in between are
   * lost; the fork-join pool's workers live on.
   */
  private static long javaThreadsCpuNanos() {
    long total = 0;
    for (long id : THREADS.getAllThreadIds()) {
      long nanos = THREADS.getThreadCpuTime(id);
      if (nanos > 0) {
        total += nanos;
      }
    }
    return total;
  }

  /** CPU time of the whole process (all threads, GC included); 0 where the JVM cannot tell. */
  private static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0;
  }

  private boolean answers(String siloId, Stage stage) {
    Stage dropout = dropoutStages.get(siloId);
    return dropout == null || stage.compareTo(dropout) < 0;
  }

  private static void collect(
      AggregatorStep step,
      Map<String, List<org.fedsum.protocol.AggregatorMessage>> toSilos,
      int[] sum,
      long[] aggregatorNanos) {
    for (AggregatorAction action : step.actions()) {
      if (action instanceof AggregatorAction.Send send) {
        toSilos.computeIfAbsent(send.siloId(), id -> new ArrayList<>()).add(send.message());
      } else if (action instanceof AggregatorAction.CountMaskedInput count) {
        long started = System.nanoTime();
        int[] words = ((WordVector) count.vector()).words();
        for (int i = 0; i < words.length; i++) {
          sum[i] += words[i];
        }
        aggregatorNanos[0] += System.nanoTime() - started;
      }
    }
  }

  /**
   * The exact sum mod {@code 2^bits} of the given silos' inputs: what a finished round must yield.
   */
  public static int[] expectedSum(Map<String, int[]> inputs, List<String> survivors, int bits) {
    int length = inputs.values().iterator().next().length;
    int[] sum = new int[length];
    for (String survivor : survivors) {
      int[] input = inputs.get(survivor);
      for (int i = 0; i < length; i++) {
        sum[i] += input[i];
      }
    }
    if (bits < 32) {
      int mask = (1 << bits) - 1;
      for (int i = 0; i < length; i++) {
        sum[i] &= mask;
      }
    }
    return sum;
  }
}
