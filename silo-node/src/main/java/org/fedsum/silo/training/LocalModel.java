package org.fedsum.silo.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.nio.FloatBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import org.fedsum.silo.data.LabeledDataset;

/**
 * A silo's model: a DJL block built from a {@link ModelSpec}, its parameters as one flat float
 * vector, local training and evaluation.
 *
 * <p><b>Parameter order.</b> {@link #parameters()} concatenates the parameter tensors in the order
 * of the block's parameter list, that is layer by layer from input to output and, within a layer,
 * weight then bias; each tensor contributes its elements in row-major order. {@link
 * #parameterLayout()} lists the tensors with their names, shapes and offsets. A fully connected
 * weight has shape {@code [outputs, inputs]}, a convolution weight {@code [outputChannels,
 * inputChannels, 5, 5]} (PyTorch's layouts). {@code setParameters(parameters())} restores every
 * value bit for bit.
 *
 * <p><b>Training.</b> {@link #train} runs mini-batch epochs with an explicit batch loop on DJL's
 * {@link Trainer}: every batch lives on its own {@link NDManager}, closed after the step. With μ >
 * 0 it adds FedProx's proximal term {@code μ/2 · ‖w − w_global‖²} to each batch's loss, where
 * {@code w_global} is the parameter vector at the start of the call (the global model the silo was
 * given). Given the same parameters, data, config and seed, training is repeatable: shuffles come
 * from the config's seed, the engine's random generator is reseeded, and the models use no dropout.
 * PyTorch's CPU kernels are deterministic for a fixed number of threads.
 *
 * <p><b>DP-SGD.</b> When the config carries {@link RecordLevelDp} settings, {@link #train} runs
 * DP-SGD instead of mini-batches: Poisson-sampled steps, each sampled record's gradient clipped to
 * norm C, Gaussian noise, division by the expected batch size (docs/TRAINING.md). The sampling is
 * repeatable from the seed; the noise deliberately is not, so neither are the trained parameters.
 *
 * <p><b>Concurrency.</b> Not thread-safe. Training and model creation hold a JVM-wide lock, because
 * PyTorch's gradient collector and the engine's random seed are process-wide: two silos in one JVM
 * train one after the other. Close the model to free its native memory.
 */
public final class LocalModel implements AutoCloseable {
  /** Batch size of {@link #evaluate(LabeledDataset)}; it does not change the result. */
  public static final int DEFAULT_EVALUATION_BATCH_SIZE = 256;

  /** Sampled records per pass of the per-example gradient computation (memory, not results). */
  private static final int DP_CHUNK_SIZE = 256;

  private final ModelSpec spec;
  private final Model model;
  private final List<Parameter> parameterList;
  private final List<ParameterSlice> layout;
  private final int parameterCount;
  private boolean closed;

  private LocalModel(
      ModelSpec spec,
      Model model,
      List<Parameter> parameterList,
      List<ParameterSlice> layout,
      int parameterCount) {
    this.spec = spec;
    this.model = model;
    this.parameterList = parameterList;
    this.layout = layout;
    this.parameterCount = parameterCount;
  }

  /**
   * Builds the model of {@code spec} with freshly initialized parameters, drawn as PyTorch draws
   * those of a fresh {@code nn.Linear} or {@code nn.Conv2d}: every weight and bias of a layer
   * uniform in {@code ±1/√fanIn}, where {@code fanIn} is the number of inputs of one output unit
   * (inputs × kernel area for a convolution). That is what published PyTorch baselines such as
   * NIID-Bench start from; DJL's own default (Xavier weights, zero biases) starts about three times
   * wider in the fully connected layers of the small CNN (BENCHMARKS.md has the NIID-Bench run from
   * each). The values come from a {@link SplittableRandom} seeded with {@code initializationSeed},
   * so equal seeds give equal parameters on every engine and thread count.
   */
  public static LocalModel create(ModelSpec spec, long initializationSeed) {
    Objects.requireNonNull(spec, "spec");
    DjlRuntime.engine();
    Model model = Model.newInstance("fedsum-" + spec.kind(), Device.cpu(), DjlRuntime.ENGINE_NAME);
    try {
      Block block = ModelBlocks.build(spec);
      model.setBlock(block);
      // DJL's initializers only allocate here (the values are overwritten below), but they draw
      // from the engine's process-wide generator, which training reseeds under this lock.
      DjlRuntime.ENGINE_LOCK.lock();
      try {
        block.initialize(model.getNDManager(), DataType.FLOAT32, batchShape(spec, 1));
      } finally {
        DjlRuntime.ENGINE_LOCK.unlock();
      }
      List<Parameter> parameterList = new ArrayList<>();
      List<ParameterSlice> layout = new ArrayList<>();
      long offset = 0;
      for (Pair<String, Parameter> pair : block.getParameters()) {
        Parameter parameter = pair.getValue();
        long[] shape = parameter.getArray().getShape().getShape();
        int size = Math.toIntExact(parameter.getArray().size());
        parameterList.add(parameter);
        layout.add(new ParameterSlice(pair.getKey(), shape, Math.toIntExact(offset), size));
        offset += size;
      }
      if (offset != spec.parameterCount()) {
        throw new IllegalStateException(
            "bug: "
                + spec
                + " should have "
                + spec.parameterCount()
                + " parameters, not "
                + offset);
      }
      LocalModel created =
          new LocalModel(
              spec, model, List.copyOf(parameterList), List.copyOf(layout), (int) offset);
      created.setParameters(
          pyTorchDefaultInitialization(created.layout, created.parameterCount, initializationSeed));
      return created;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * Uniform values in {@code ±1/√fanIn} for every weight and for the bias that follows it in the
   * layout (each layer's parameters are its weight, then its bias).
   */
  private static float[] pyTorchDefaultInitialization(
      List<ParameterSlice> layout, int parameterCount, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[parameterCount];
    double bound = Double.NaN;
    for (ParameterSlice slice : layout) {
      long[] shape = slice.shape();
      if (shape.length >= 2) {
        long fanIn = 1;
        for (int d = 1; d < shape.length; d++) {
          fanIn *= shape[d];
        }
        bound = 1 / Math.sqrt((double) fanIn);
      } else if (Double.isNaN(bound)) {
        throw new IllegalStateException("bug: " + slice.name() + " precedes every weight");
      }
      for (int i = slice.offset(); i < slice.offset() + slice.size(); i++) {
        values[i] = (float) random.nextDouble(-bound, bound);
      }
    }
    return values;
  }

  /** The spec this model was built from. */
  public ModelSpec spec() {
    return spec;
  }

  /** The length of the flat parameter vector. */
  public int parameterCount() {
    return parameterCount;
  }

  /** The parameter tensors in flat-vector order, with names, shapes and offsets. */
  public List<ParameterSlice> parameterLayout() {
    return layout;
  }

  /** All parameters as one flat vector, in the order of {@link #parameterLayout()}. */
  public float[] parameters() {
    checkOpen();
    float[] flat = new float[parameterCount];
    for (int i = 0; i < parameterList.size(); i++) {
      float[] values = parameterList.get(i).getArray().toFloatArray();
      System.arraycopy(values, 0, flat, layout.get(i).offset(), values.length);
    }
    return flat;
  }

  /**
   * Overwrites every parameter from a flat vector in the order of {@link #parameterLayout()}, for
   * example the global model of a round.
   *
   * @throws IllegalArgumentException if the length differs from {@link #parameterCount()} or a
   *     value is NaN or infinite (the model is left unchanged)
   */
  public void setParameters(float[] values) {
    checkOpen();
    Objects.requireNonNull(values, "values");
    if (values.length != parameterCount) {
      throw new IllegalArgumentException(
          spec + " has " + parameterCount + " parameters, not " + values.length);
    }
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IllegalArgumentException(
            "parameter " + i + " (in " + sliceOf(i).name() + ") is " + values[i]);
      }
    }
    DjlRuntime.withoutGradients(
        () -> {
          for (int i = 0; i < parameterList.size(); i++) {
            ParameterSlice slice = layout.get(i);
            parameterList
                .get(i)
                .getArray()
                .set(FloatBuffer.wrap(values, slice.offset(), slice.size()));
          }
        });
  }

  /**
   * Trains on {@code data} for {@code config.epochs()} epochs from the current parameters: with
   * mini-batches of {@code config.batchSize()}, or with DP-SGD when {@link
   * LocalTrainingConfig#recordLevelDp()} is set ({@link RecordLevelDp#steps(int)} steps; the batch
   * size then only sets the evaluation batches).
   *
   * @param data examples whose shape matches the spec's input shape and whose class count equals
   *     the spec's; at least one
   * @param listener told about every epoch and batch, {@link TrainingProgressListener#NONE} for
   *     silence
   * @throws IllegalArgumentException if the data does not fit the model
   * @throws RuntimeException whatever the listener throws, which stops training after the last
   *     completed step; the parameters are then part-trained, so reset them with {@link
   *     #setParameters} before reusing the model
   */
  public TrainingReport train(
      LabeledDataset data, LocalTrainingConfig config, TrainingProgressListener listener) {
    checkOpen();
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(listener, "listener");
    checkFits(data);
    if (config.recordLevelDp().isPresent()) {
      return trainWithDpSgd(data, config, config.recordLevelDp().get(), listener);
    }
    long start = System.nanoTime();
    DjlRuntime.ENGINE_LOCK.lock();
    try (NDManager roundManager = model.getNDManager().newSubManager()) {
      DjlRuntime.engine().setRandomSeed(engineSeed(config.seed()));
      OptionalDouble lossBefore =
          config.evaluateBeforeAndAfter()
              ? OptionalDouble.of(evaluate(data, config.batchSize()).loss())
              : OptionalDouble.empty();
      List<NDArray> globalParameters = config.fedProxMu() > 0 ? snapshot(roundManager) : List.of();
      DefaultTrainingConfig trainingConfig =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(ScopedOptimizer.create(config, roundManager))
              .optDevices(new Device[] {Device.cpu()});
      List<EpochReport> epochs = new ArrayList<>();
      long steps = 0;
      try (Trainer trainer = model.newTrainer(trainingConfig)) {
        trainer.initialize(batchShape(spec, Math.min(config.batchSize(), data.size())));
        SplittableRandom shuffles = new SplittableRandom(config.seed());
        for (int epoch = 1; epoch <= config.epochs(); epoch++) {
          epochs.add(
              trainEpoch(
                  trainer,
                  roundManager,
                  data,
                  config,
                  globalParameters,
                  shuffles,
                  epoch,
                  listener));
          int batchSize = Math.min(config.batchSize(), data.size());
          steps += (data.size() + batchSize - 1) / batchSize;
        }
      }
      OptionalDouble lossAfter =
          config.evaluateBeforeAndAfter()
              ? OptionalDouble.of(evaluate(data, config.batchSize()).loss())
              : OptionalDouble.empty();
      return new TrainingReport(
          lossBefore, lossAfter, epochs, data.size(), secondsSince(start), Optional.empty(), steps);
    } finally {
      DjlRuntime.ENGINE_LOCK.unlock();
    }
  }

  /**
   * DP-SGD (Abadi et al., CCS 2016), as Opacus does it: {@link RecordLevelDp#stepsPerEpoch()} steps
   * per epoch, each on a Poisson sample of the records, each sampled record's gradient clipped to
   * L2 norm C over all parameters together, N(0, (zC)²) noise added to every coordinate of the sum,
   * the result divided by the expected batch size q·n and handed to the configured optimizer. An
   * empty sample still takes a step, with noise only. The sampling is reproducible from the
   * config's seed; the noise is not ({@link GaussianNoise}).
   */
  private TrainingReport trainWithDpSgd(
      LabeledDataset data,
      LocalTrainingConfig config,
      RecordLevelDp dp,
      TrainingProgressListener listener) {
    long start = System.nanoTime();
    DjlRuntime.ENGINE_LOCK.lock();
    try (NDManager roundManager = model.getNDManager().newSubManager();
        GaussianNoise noise = GaussianNoise.keyedFrom(new SecureRandom())) {
      DjlRuntime.engine().setRandomSeed(engineSeed(config.seed()));
      OptionalDouble lossBefore =
          config.evaluateBeforeAndAfter()
              ? OptionalDouble.of(evaluate(data, config.batchSize()).loss())
              : OptionalDouble.empty();
      List<NDArray> globalParameters = config.fedProxMu() > 0 ? snapshot(roundManager) : List.of();
      ScopedOptimizer optimizer = ScopedOptimizer.create(config, roundManager);
      PerExampleGradients gradients = perExampleGradients(true);
      SplittableRandom sampling = new SplittableRandom(config.seed());
      int records = data.size();
      int chunk = Math.min(records, DP_CHUNK_SIZE);
      BatchStaging staging = new BatchStaging(data, spec.inputShape(), chunk);
      int stepsPerEpoch = dp.stepsPerEpoch();
      List<EpochReport> epochs = new ArrayList<>();
      long steps = 0;
      for (int epoch = 1; epoch <= config.epochs(); epoch++) {
        long epochStart = System.nanoTime();
        double lossSum = 0;
        int sampled = 0;
        listener.onEpochStart(epoch, config.epochs(), stepsPerEpoch);
        for (int step = 1; step <= stepsPerEpoch; step++) {
          stopIfInterrupted();
          int[] batch = PoissonSampling.sample(sampling, records, dp.sampleRate());
          double batchLossSum =
              dpSgdStep(
                  roundManager,
                  staging,
                  chunk,
                  batch,
                  records,
                  dp,
                  config.fedProxMu(),
                  globalParameters,
                  gradients,
                  noise,
                  optimizer);
          steps++;
          lossSum += batchLossSum;
          sampled += batch.length;
          listener.onBatchEnd(
              epoch,
              config.epochs(),
              step,
              stepsPerEpoch,
              batch.length == 0 ? Double.NaN : batchLossSum / batch.length);
        }
        EpochReport report =
            new EpochReport(
                epoch,
                config.epochs(),
                sampled == 0 ? Double.NaN : lossSum / sampled,
                sampled,
                secondsSince(epochStart));
        listener.onEpochEnd(report);
        epochs.add(report);
      }
      OptionalDouble lossAfter =
          config.evaluateBeforeAndAfter()
              ? OptionalDouble.of(evaluate(data, config.batchSize()).loss())
              : OptionalDouble.empty();
      return new TrainingReport(
          lossBefore, lossAfter, epochs, records, secondsSince(start), Optional.of(dp), steps);
    } finally {
      DjlRuntime.ENGINE_LOCK.unlock();
    }
  }

  /** One DP-SGD step on the sampled records; returns their summed cross-entropy. */
  private double dpSgdStep(
      NDManager roundManager,
      BatchStaging staging,
      int chunk,
      int[] batch,
      int records,
      RecordLevelDp dp,
      double mu,
      List<NDArray> globalParameters,
      PerExampleGradients gradients,
      GaussianNoise noise,
      ScopedOptimizer optimizer) {
    double lossSum = 0;
    try (NDManager stepManager = roundManager.newSubManager()) {
      List<NDArray> proximal = proximalGradients(globalParameters, stepManager, mu);
      List<NDArray> sums = new ArrayList<>(parameterList.size());
      for (Parameter parameter : parameterList) {
        sums.add(stepManager.zeros(parameter.getArray().getShape()));
      }
      // Clipped per-example gradients add up, so a large sample is processed in chunks that
      // bound the memory of the per-example work.
      for (int first = 0; first < batch.length; first += chunk) {
        int size = Math.min(chunk, batch.length - first);
        try (NDManager chunkManager = stepManager.newSubManager()) {
          NDArray[] staged = staging.stage(chunkManager, batch, first, size);
          PerExampleGradients.ClippedSum clipped =
              gradients.clippedSum(
                  chunkManager, staged[0], staged[1], proximal, (float) dp.clipNorm());
          DjlRuntime.withoutGradients(
              () -> {
                for (int i = 0; i < sums.size(); i++) {
                  sums.get(i).addi(clipped.sums().get(i));
                }
              });
          lossSum += clipped.lossSum();
        }
      }
      float expectedBatchSize = (float) (dp.sampleRate() * records);
      DjlRuntime.withoutGradients(
          () -> {
            NDArray noiseVector =
                noise
                    .standardNormal(stepManager, parameterCount)
                    .muli((float) (dp.noiseMultiplier() * dp.clipNorm()));
            for (int i = 0; i < parameterList.size(); i++) {
              ParameterSlice slice = layout.get(i);
              Parameter parameter = parameterList.get(i);
              NDArray coordinateNoise =
                  noiseVector
                      .get(new NDIndex("{}:{}", slice.offset(), slice.offset() + slice.size()))
                      .reshape(parameter.getArray().getShape());
              NDArray gradient = sums.get(i).add(coordinateNoise).divi(expectedBatchSize);
              optimizer.update(parameter.getId(), parameter.getArray(), gradient);
            }
          });
    }
    return lossSum;
  }

  /** {@code μ (w − w_global)} per parameter on {@code manager}; empty without FedProx. */
  private List<NDArray> proximalGradients(
      List<NDArray> globalParameters, NDManager manager, double mu) {
    if (globalParameters.isEmpty()) {
      return List.of();
    }
    List<NDArray> gradients = new ArrayList<>(parameterList.size());
    DjlRuntime.withoutGradients(
        () -> {
          for (int i = 0; i < parameterList.size(); i++) {
            NDArray difference = parameterList.get(i).getArray().sub(globalParameters.get(i));
            difference.attach(manager);
            gradients.add(difference.muli((float) mu));
          }
        });
    return List.copyOf(gradients);
  }

  /**
   * The per-example gradient machinery of this model: the layer-wise batch computation, or one
   * backward pass per example (the general path, which tests compare the fast one against).
   */
  PerExampleGradients perExampleGradients(boolean layerwise) {
    checkOpen();
    return layerwise
        ? LayerwisePerExampleGradients.forSpec(spec, parameterList)
        : new OneExampleAtATime(model.getBlock(), parameterList, layout);
  }

  /** The DJL block, for tests that compare against DJL's own gradients. */
  Block block() {
    checkOpen();
    return model.getBlock();
  }

  /** For tests: {@code μ (w − w_global)} per parameter from a flat {@code w_global}. */
  List<NDArray> proximalGradients(float[] globalParameters, NDManager manager, double mu) {
    List<NDArray> global = new ArrayList<>();
    for (int i = 0; i < parameterList.size(); i++) {
      ParameterSlice slice = layout.get(i);
      global.add(
          manager.create(
              FloatBuffer.wrap(globalParameters, slice.offset(), slice.size()),
              parameterList.get(i).getArray().getShape()));
    }
    return proximalGradients(global, manager, mu);
  }

  /**
   * Ends training between two batches if the thread was interrupted (a silo node being stopped):
   * training can take minutes, and a stop must not wait for it. The interrupt stays pending.
   *
   * @throws CancellationException if the thread was interrupted
   */
  private static void stopIfInterrupted() {
    if (Thread.currentThread().isInterrupted()) {
      throw new CancellationException("local training interrupted");
    }
  }

  private EpochReport trainEpoch(
      Trainer trainer,
      NDManager roundManager,
      LabeledDataset data,
      LocalTrainingConfig config,
      List<NDArray> globalParameters,
      SplittableRandom shuffles,
      int epoch,
      TrainingProgressListener listener) {
    long start = System.nanoTime();
    int examples = data.size();
    int batchSize = Math.min(config.batchSize(), examples);
    int batches = (examples + batchSize - 1) / batchSize;
    int[] order = permutation(examples, shuffles);
    BatchStaging staging = new BatchStaging(data, spec.inputShape(), batchSize);
    double lossSum = 0;
    listener.onEpochStart(epoch, config.epochs(), batches);
    for (int batch = 0; batch < batches; batch++) {
      stopIfInterrupted();
      int first = batch * batchSize;
      int size = Math.min(batchSize, examples - first);
      double batchLoss;
      try (NDManager batchManager = roundManager.newSubManager()) {
        NDArray[] staged = staging.stage(batchManager, order, first, size);
        NDArray features = staged[0];
        NDArray labels = staged[1];
        try (GradientCollector collector = trainer.newGradientCollector()) {
          NDList predictions = trainer.forward(new NDList(features));
          NDArray loss = trainer.getLoss().evaluate(new NDList(labels), predictions);
          NDArray objective =
              globalParameters.isEmpty()
                  ? loss
                  : loss.add(proximalTerm(globalParameters, batchManager, config.fedProxMu()));
          collector.backward(objective);
          batchLoss = loss.getFloat();
        }
        trainer.step();
      }
      lossSum += batchLoss * size;
      listener.onBatchEnd(epoch, config.epochs(), batch + 1, batches, batchLoss);
    }
    EpochReport report =
        new EpochReport(epoch, config.epochs(), lossSum / examples, examples, secondsSince(start));
    listener.onEpochEnd(report);
    return report;
  }

  /**
   * {@code μ/2 · Σ ‖w − w_global‖²} over all parameter tensors, recorded by the active gradient
   * collector. Each operation's result lands on the manager of its first operand, here the model's,
   * which lives as long as the model: every intermediate is moved to the batch's manager so that it
   * is freed with the batch (DESIGN.md §8).
   */
  private NDArray proximalTerm(List<NDArray> globalParameters, NDManager batchManager, double mu) {
    NDArray total = null;
    for (int i = 0; i < parameterList.size(); i++) {
      NDArray difference = parameterList.get(i).getArray().sub(globalParameters.get(i));
      difference.attach(batchManager);
      NDArray squaredNorm = difference.square().sum();
      total = total == null ? squaredNorm : total.add(squaredNorm);
    }
    return Objects.requireNonNull(total, "bug: a model without parameters").mul((float) (mu / 2));
  }

  private List<NDArray> snapshot(NDManager manager) {
    List<NDArray> copies = new ArrayList<>();
    DjlRuntime.withoutGradients(
        () -> {
          for (Parameter parameter : parameterList) {
            NDArray copy = parameter.getArray().duplicate();
            copy.attach(manager);
            copies.add(copy);
          }
        });
    return List.copyOf(copies);
  }

  /** Evaluates on {@code data} in batches of {@value #DEFAULT_EVALUATION_BATCH_SIZE}. */
  public EvaluationReport evaluate(LabeledDataset data) {
    return evaluate(data, DEFAULT_EVALUATION_BATCH_SIZE);
  }

  /**
   * The mean cross-entropy and the accuracy of the current parameters on {@code data}, without
   * changing them.
   *
   * @param data at least one example, shaped like the spec's input
   * @param batchSize examples per forward pass (memory, not results, depends on it)
   */
  public EvaluationReport evaluate(LabeledDataset data, int batchSize) {
    checkOpen();
    checkFits(data);
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, not " + batchSize);
    }
    int examples = data.size();
    int effectiveBatchSize = Math.min(batchSize, examples);
    int[] order = new int[examples];
    Arrays.setAll(order, i -> i);
    BatchStaging staging = new BatchStaging(data, spec.inputShape(), effectiveBatchSize);
    Loss loss = Loss.softmaxCrossEntropyLoss();
    double[] lossSum = {0};
    long[] correct = {0};
    DjlRuntime.withoutGradients(
        () -> {
          try (NDManager evaluationManager = model.getNDManager().newSubManager()) {
            ParameterStore parameterStore = new ParameterStore(evaluationManager, false);
            for (int first = 0; first < examples; first += effectiveBatchSize) {
              int size = Math.min(effectiveBatchSize, examples - first);
              try (NDManager batchManager = evaluationManager.newSubManager()) {
                NDArray[] staged = staging.stage(batchManager, order, first, size);
                NDArray features = staged[0];
                NDArray labels = staged[1];
                NDArray logits =
                    model
                        .getBlock()
                        .forward(parameterStore, new NDList(features), false)
                        .singletonOrThrow();
                lossSum[0] +=
                    (double) loss.evaluate(new NDList(labels), new NDList(logits)).getFloat()
                        * size;
                correct[0] += logits.argMax(1).eq(labels).countNonzero().getLong();
              }
            }
          }
        });
    return new EvaluationReport(lossSum[0] / examples, (double) correct[0] / examples, examples);
  }

  /** Frees the model's native memory; later calls fail. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      model.close();
    }
  }

  @Override
  public String toString() {
    return "LocalModel[" + spec + ", " + parameterCount + " parameters]";
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this LocalModel is closed");
    }
  }

  private void checkFits(LabeledDataset data) {
    Objects.requireNonNull(data, "data");
    if (!Arrays.equals(data.featureShape(), spec.inputShape())) {
      throw new IllegalArgumentException(
          "the data's examples have shape "
              + Arrays.toString(data.featureShape())
              + ", the model expects "
              + Arrays.toString(spec.inputShape()));
    }
    if (data.classCount() != spec.classes()) {
      throw new IllegalArgumentException(
          "the data has " + data.classCount() + " classes, the model " + spec.classes());
    }
    if (data.size() == 0) {
      throw new IllegalArgumentException("the data has no examples");
    }
  }

  private ParameterSlice sliceOf(int index) {
    for (ParameterSlice slice : layout) {
      if (index < slice.offset() + slice.size()) {
        return slice;
      }
    }
    throw new IllegalStateException("bug: index " + index + " beyond the layout");
  }

  private static Shape batchShape(ModelSpec spec, int batchSize) {
    int[] input = spec.inputShape();
    long[] shape = new long[input.length + 1];
    shape[0] = batchSize;
    for (int i = 0; i < input.length; i++) {
      shape[i + 1] = input[i];
    }
    return new Shape(shape);
  }

  private static int[] permutation(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  /** DJL's engine seed is an int; fold the long so that every bit of it counts. */
  private static int engineSeed(long seed) {
    return Long.hashCode(seed);
  }

  private static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
