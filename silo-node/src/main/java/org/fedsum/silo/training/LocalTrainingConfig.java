package org.fedsum.silo.training;

import java.util.Objects;
import java.util.Optional;

/**
 * How a silo trains locally in one round: epochs over its data, mini-batch size, optimizer and its
 * learning rate, the FedProx proximal coefficient μ, and the seed of the per-epoch shuffles.
 *
 * <p>Immutable and validated by {@link Builder#build()}; settings that would be silently ignored (a
 * momentum for Adam) are refused rather than dropped.
 */
public final class LocalTrainingConfig {
  private final int epochs;
  private final int batchSize;
  private final double learningRate;
  private final double momentum;
  private final OptimizerKind optimizer;
  private final double fedProxMu;
  private final double weightDecay;
  private final long seed;
  private final boolean evaluateBeforeAndAfter;
  private final RecordLevelDp recordLevelDp;

  private LocalTrainingConfig(Builder builder) {
    this.epochs = builder.epochs;
    this.batchSize = builder.batchSize;
    this.learningRate = builder.learningRate;
    this.momentum = builder.momentum;
    this.optimizer = builder.optimizer;
    this.fedProxMu = builder.fedProxMu;
    this.weightDecay = builder.weightDecay;
    this.seed = builder.seed;
    this.evaluateBeforeAndAfter = builder.evaluateBeforeAndAfter;
    this.recordLevelDp = builder.recordLevelDp;
  }

  /**
   * A builder with the defaults: 1 epoch, batches of 64, SGD at learning rate 0.01 without
   * momentum, μ = 0 (plain FedAvg), no weight decay, seed 0, loss measured before and after.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this config's values. */
  public Builder toBuilder() {
    return new Builder()
        .epochs(epochs)
        .batchSize(batchSize)
        .learningRate(learningRate)
        .momentum(momentum)
        .optimizer(optimizer)
        .fedProxMu(fedProxMu)
        .weightDecay(weightDecay)
        .seed(seed)
        .evaluateBeforeAndAfter(evaluateBeforeAndAfter)
        .recordLevelDp(recordLevelDp);
  }

  /** Passes over the local data per round, at least 1. */
  public int epochs() {
    return epochs;
  }

  /** Examples per mini-batch, at least 1; the last batch of an epoch may be smaller. */
  public int batchSize() {
    return batchSize;
  }

  /** The optimizer's step size, finite and positive. */
  public double learningRate() {
    return learningRate;
  }

  /** SGD's momentum in {@code [0, 1)}; always 0 for Adam. */
  public double momentum() {
    return momentum;
  }

  /** The local optimizer. */
  public OptimizerKind optimizer() {
    return optimizer;
  }

  /**
   * FedProx's proximal coefficient μ ≥ 0 (Li et al., MLSys 2020, §3): the local objective is the
   * loss plus {@code μ/2 · ‖w − w_global‖²}, where {@code w_global} is the model at the start of
   * the round. μ = 0 is FedAvg.
   */
  public double fedProxMu() {
    return fedProxMu;
  }

  /**
   * The L2 penalty λ ≥ 0 added to every gradient as {@code λ·w} before the optimizer step, as
   * PyTorch's {@code SGD} and {@code Adam} apply their {@code weight_decay} (coupled, not AdamW's
   * decoupled decay). NIID-Bench trains with λ = 10⁻⁵. With DP-SGD it is added after the noise: it
   * depends only on the parameters, so it costs no privacy.
   */
  public double weightDecay() {
    return weightDecay;
  }

  /** The seed of the per-epoch shuffles and of the engine's random generator while training. */
  public long seed() {
    return seed;
  }

  /**
   * Whether {@link LocalModel#train} measures the loss on the whole training set before the first
   * and after the last epoch: two extra forward passes, reported in {@link TrainingReport}.
   */
  public boolean evaluateBeforeAndAfter() {
    return evaluateBeforeAndAfter;
  }

  /**
   * DP-SGD's settings when the silo trains with record-level differential privacy; empty for
   * ordinary mini-batch training.
   */
  public Optional<RecordLevelDp> recordLevelDp() {
    return Optional.ofNullable(recordLevelDp);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof LocalTrainingConfig that
        && epochs == that.epochs
        && batchSize == that.batchSize
        && Double.compare(learningRate, that.learningRate) == 0
        && Double.compare(momentum, that.momentum) == 0
        && optimizer == that.optimizer
        && Double.compare(fedProxMu, that.fedProxMu) == 0
        && Double.compare(weightDecay, that.weightDecay) == 0
        && seed == that.seed
        && evaluateBeforeAndAfter == that.evaluateBeforeAndAfter
        && Objects.equals(recordLevelDp, that.recordLevelDp);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        epochs,
        batchSize,
        learningRate,
        momentum,
        optimizer,
        fedProxMu,
        weightDecay,
        seed,
        evaluateBeforeAndAfter,
        recordLevelDp);
  }

  @Override
  public String toString() {
    return "LocalTrainingConfig[epochs="
        + epochs
        + ", batchSize="
        + batchSize
        + ", optimizer="
        + optimizer
        + ", learningRate="
        + learningRate
        + (optimizer == OptimizerKind.SGD ? ", momentum=" + momentum : "")
        + ", fedProxMu="
        + fedProxMu
        + (weightDecay == 0 ? "" : ", weightDecay=" + weightDecay)
        + ", seed="
        + seed
        + (recordLevelDp == null ? "" : ", recordLevelDp=" + recordLevelDp)
        + "]";
  }

  /** Collects settings; {@link #build()} validates them together. */
  public static final class Builder {
    private int epochs = 1;
    private int batchSize = 64;
    private double learningRate = 0.01;
    private double momentum = 0;
    private OptimizerKind optimizer = OptimizerKind.SGD;
    private double fedProxMu = 0;
    private double weightDecay = 0;
    private long seed = 0;
    private boolean evaluateBeforeAndAfter = true;
    private RecordLevelDp recordLevelDp;

    private Builder() {}

    public Builder epochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    public Builder batchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    public Builder learningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    public Builder momentum(double momentum) {
      this.momentum = momentum;
      return this;
    }

    public Builder optimizer(OptimizerKind optimizer) {
      this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
      return this;
    }

    public Builder fedProxMu(double fedProxMu) {
      this.fedProxMu = fedProxMu;
      return this;
    }

    public Builder weightDecay(double weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder evaluateBeforeAndAfter(boolean evaluateBeforeAndAfter) {
      this.evaluateBeforeAndAfter = evaluateBeforeAndAfter;
      return this;
    }

    /** DP-SGD's settings, or {@code null} (the default) for ordinary mini-batch training. */
    public Builder recordLevelDp(RecordLevelDp recordLevelDp) {
      this.recordLevelDp = recordLevelDp;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first bad setting and its value
     */
    public LocalTrainingConfig build() {
      if (epochs < 1) {
        throw new IllegalArgumentException("epochs must be at least 1, not " + epochs);
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, not " + batchSize);
      }
      if (!(Double.isFinite(learningRate) && learningRate > 0)) {
        throw new IllegalArgumentException(
            "learningRate must be finite and positive, not " + learningRate);
      }
      requireSinglePrecision("learningRate", learningRate);
      if (!(momentum >= 0 && momentum < 1)) {
        throw new IllegalArgumentException("momentum must be in [0, 1), not " + momentum);
      }
      if (optimizer == OptimizerKind.ADAM && momentum != 0) {
        throw new IllegalArgumentException(
            "momentum applies to SGD only; Adam has its own moments, so momentum must be 0, not "
                + momentum);
      }
      if (!(Double.isFinite(fedProxMu) && fedProxMu >= 0)) {
        throw new IllegalArgumentException("fedProxMu must be finite and >= 0, not " + fedProxMu);
      }
      requireSinglePrecision("fedProxMu", fedProxMu);
      if (!(Double.isFinite(weightDecay) && weightDecay >= 0)) {
        throw new IllegalArgumentException(
            "weightDecay must be finite and >= 0, not " + weightDecay);
      }
      requireSinglePrecision("weightDecay", weightDecay);
      return new LocalTrainingConfig(this);
    }

    /**
     * DJL's update kernels and the proximal term take these rates as {@code float}: a value past
     * single precision's range would train on infinity, and a positive value that rounds to zero
     * would silently switch the setting off.
     */
    private static void requireSinglePrecision(String name, double value) {
      if (Float.isInfinite((float) value)) {
        throw new IllegalArgumentException(
            name
                + " = "
                + value
                + " is beyond single precision, which training computes in; at most "
                + Float.MAX_VALUE);
      }
      if (value > 0 && (float) value == 0) {
        throw new IllegalArgumentException(
            name
                + " = "
                + value
                + " rounds to 0 in single precision, which training computes in, so it would have"
                + " no effect; use 0 or at least "
                + Float.MIN_VALUE);
      }
    }
  }
}
