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
 *       aggregator keeps the global model in double precision so that many small server steps do
 *       not lose their low bits to float32 rounding each round; silos convert to float when they
 *       load it into their training engine.
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
