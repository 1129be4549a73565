package org.fedsum.aggregator.strategy;

/**
 * A server optimizer: turns the current global model and the survivors' average update of a round
 * into the next global model (DESIGN.md §8; the FedOpt framework of Reddi et al., "Adaptive
 * Federated Optimization", ICLR 2021, Algorithm 1, where the server treats the negated average
 * update as a pseudo-gradient).
 *
 * <p>Conventions shared by every strategy:
 *
 * <ul>
 *   <li>{@code averageUpdate} is {@code Δ = Σ_k w_k·δ_k / Σ_k w_k} with {@code δ_k = w_local −
 *       w_global} of survivor {@code k}: the weighted FedAvg average without DP, the plain mean
 *       with DP (what {@code org.fedsum.protocol.encoding.DecodedUpdate#average()} returns). It
 *       points in the direction the silos moved, so every strategy <em>adds</em> a multiple of it
 *       (Reddi et al. write {@code Δ_t = x_{i,K} − x_t} the same way).
 *   <li>Models and updates are {@code double[]} in the fixed parameter order of the encoding. The
 *       arithmetic is in double precision; the aggregator rounds the next model and moments to
 *       float32 after each step, as its checkpoints and the silos' training engines hold them.
 *   <li>{@link #apply} never modifies its arguments and has no side effects; all it returns is new.
 *       A failed call (wrong length, wrong state, a NaN or infinity anywhere, an overflowing step)
 *       throws and leaves the caller's model and state usable for the next round.
 * </ul>
 *
 * <p>Implementations are immutable and thread-safe. Obtain one from {@link
 * StrategyConfig#strategy()}.
 */
public sealed interface ServerStrategy permits AbstractServerStrategy {

  /** The validated hyper-parameters of this strategy. */
  StrategyConfig config();

  /** The strategy's name, as in the run configuration: {@code fedavg}, {@code fedadam}, … */
  default String name() {
    return config().name();
  }

  /**
   * The state before the first round for a model of {@code dimension} parameters: zero moments,
   * except that the adaptive strategies start their second moment at {@code τ²} (Reddi et al.,
   * Algorithm 2: {@code v_{-1} ≥ τ²}).
   *
   * @throws IllegalArgumentException if {@code dimension} is below 1 or too large for the state to
   *     be encoded in one byte array
   */
  StrategyState initialState(int dimension);

  /**
   * One server step.
   *
   * @param globalModel the current global model, not modified
   * @param averageUpdate the survivors' average update {@code Δ} of this round, same length, not
   *     modified
   * @param state this strategy's state after the previous round ({@link #initialState} before the
   *     first)
   * @return the next global model and the next state (whose {@link StrategyState#steps()} is one
   *     more)
   * @throws IllegalArgumentException if the lengths differ from each other or from the state's
   *     dimension, or if the state belongs to another strategy
   * @throws NonFiniteValueException if the model or the update holds a NaN or an infinity (the
   *     aggregate of a corrupted round must not poison the model; the exception names the first
   *     such coordinate), or if the step itself overflowed
   */
  Step apply(double[] globalModel, double[] averageUpdate, StrategyState state);

  /**
   * How many moment vectors this strategy's state holds, in the order of {@link
   * StrategyState#moment(int)}: 0 for FedAvg, 1 for FedAvgM, 2 for FedAdagrad, FedAdam and FedYogi.
   */
  int momentCount();

  /**
   * One server step over the model's coordinates {@code [offset, offset + length)}, for a caller
   * that keeps the model and the moments in its own (float32) arrays and steps them range by range
   * so that it never holds a whole vector of doubles. Every strategy's step is coordinate-wise, so
   * stepping every range once gives {@link #apply}'s next model and moments bit for bit. The caller
   * counts the steps.
   *
   * <p>Every array is indexed from 0 for the range's first coordinate and holds at least {@code
   * length} values; only the first {@code length} are read or written. The same checks as {@link
   * #apply} run over the range: finite inputs, moments valid for the strategy, finite results.
   *
   * @param globalModel the current model over the range, not modified
   * @param averageUpdate the average update over the range, not modified
   * @param moments the state's {@link #momentCount()} moment vectors over the range, not modified
   * @param nextModel receives the next model over the range
   * @param nextMoments receives the next moments over the range, {@link #momentCount()} arrays
   * @throws IllegalArgumentException if an array is too short, the number of moment vectors is
   *     wrong, or a moment is invalid for the strategy (a negative second moment)
   * @throws NonFiniteValueException if an input or a result holds a NaN or an infinity, naming the
   *     model coordinate ({@code offset + i}); the output arrays may then be partly written
   */
  void applyRange(
      int offset,
      int length,
      double[] globalModel,
      double[] averageUpdate,
      double[][] moments,
      double[] nextModel,
      double[][] nextMoments);

  /**
   * Decodes a checkpointed state ({@link StrategyState#encode()}) and checks that it belongs to
   * this strategy and to a model of {@code dimension} parameters. Hyper-parameters are not part of
   * the state: an operator may change, say, the learning rate across a restart and keep the
   * moments.
   *
   * @throws IllegalArgumentException naming the mismatch (another strategy's state, another
   *     dimension, a malformed or damaged encoding, a negative second moment)
   */
  StrategyState restoreState(byte[] encoded, int dimension);
}
