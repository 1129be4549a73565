package org.fedsum.silo.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.fedsum.silo.data.LabeledDataset;
import org.junit.jupiter.api.Test;

/** DP-SGD: per-example gradients, clipping, noise, sampling and the training loop. */
class DpSgdTest {
  private static final ModelSpec LOGISTIC = ModelSpec.logisticRegression(new int[] {5}, 3);
  private static final ModelSpec PERCEPTRON =
      ModelSpec.multilayerPerceptron(new int[] {5}, 3, 16, 8);
  private static final ModelSpec CNN = ModelSpec.smallCnn(new int[] {1, 28, 28}, 10);

  private static final LabeledDataset BLOBS = TrainingData.blobs(120, 5, 3, 1);
  private static final LabeledDataset IMAGES = TrainingData.images(12, 10, 3);

  /** The specs with data for them: the two dense kinds on blobs, the CNN on images. */
  private static List<Pair<ModelSpec, LabeledDataset>> kinds() {
    return List.of(
        new Pair<>(LOGISTIC, BLOBS.subset(range(10))),
        new Pair<>(PERCEPTRON, BLOBS.subset(range(10))),
        new Pair<>(CNN, IMAGES));
  }

  private static int[] range(int n) {
    int[] indices = new int[n];
    Arrays.setAll(indices, i -> i);
    return indices;
  }

  /** A model whose parameters are moved away from its initialization, the global model. */
  private static LocalModel perturbed(ModelSpec spec, float[] global, long seed) {
    LocalModel model = LocalModel.create(spec, 7);
    float[] initial = model.parameters();
    System.arraycopy(initial, 0, global, 0, initial.length);
    SplittableRandom random = new SplittableRandom(seed);
    float[] moved = initial.clone();
    for (int i = 0; i < moved.length; i++) {
      moved[i] += (float) (0.05 * random.nextGaussian());
    }
    model.setParameters(moved);
    return model;
  }

  private static NDArray[] arrays(NDManager manager, LabeledDataset data) {
    long[] shape = new long[data.featureShape().length + 1];
    shape[0] = data.size();
    for (int i = 0; i < data.featureShape().length; i++) {
      shape[i + 1] = data.featureShape()[i];
    }
    NDArray features = manager.create(data.features(), new Shape(shape));
    NDArray labels = manager.create(Arrays.stream(data.labels()).asLongStream().toArray());
    return new NDArray[] {features, labels};
  }

  private static NDManager manager() {
    DjlRuntime.engine();
    return NDManager.newBaseManager(DjlRuntime.ENGINE_NAME);
  }

  private static double norm(float[] vector) {
    double sum = 0;
    for (float value : vector) {
      sum += (double) value * value;
    }
    return Math.sqrt(sum);
  }

  private static float[] flat(List<NDArray> perParameter) {
    List<float[]> parts = new ArrayList<>();
    int length = 0;
    for (NDArray array : perParameter) {
      float[] values = array.toFloatArray();
      parts.add(values);
      length += values.length;
    }
    float[] all = new float[length];
    int offset = 0;
    for (float[] part : parts) {
      System.arraycopy(part, 0, all, offset, part.length);
      offset += part.length;
    }
    return all;
  }

  /** |a − b| ≤ absolute + relative · max|b| element-wise, with a message naming the index. */
  private static void assertClose(float[] actual, float[] expected, double relative, String what) {
    assertThat(actual).as(what + " length").hasSize(expected.length);
    double scale = 0;
    for (float value : expected) {
      scale = Math.max(scale, Math.abs(value));
    }
    double tolerance = 1e-6 + relative * scale;
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i])
          .as("%s[%d]", what, i)
          .isCloseTo(expected[i], within(tolerance));
    }
  }

  @Test
  void perExample_layerwise_equalsOneExampleAtATime_eachKind_withAndWithoutFedProx() {
    DjlRuntime.ENGINE_LOCK.lock();
    try (NDManager manager = manager()) {
      for (Pair<ModelSpec, LabeledDataset> kind : kinds()) {
        float[] global = new float[Math.toIntExact(kind.getKey().parameterCount())];
        try (LocalModel model = perturbed(kind.getKey(), global, 5)) {
          NDArray[] batch = arrays(manager, kind.getValue());
          for (double mu : new double[] {0, 0.3}) {
            List<NDArray> proximal =
                mu == 0 ? List.of() : model.proximalGradients(global, manager, mu);
            float[][] slow =
                model.perExampleGradients(false).perExample(manager, batch[0], batch[1], proximal);
            float[][] fast =
                model.perExampleGradients(true).perExample(manager, batch[0], batch[1], proximal);
            assertThat(fast).hasNumberOfRows(kind.getValue().size());
            for (int b = 0; b < slow.length; b++) {
              assertThat(norm(slow[b])).as("%s example %d", kind.getKey(), b).isPositive();
              assertClose(fast[b], slow[b], 1e-4, kind.getKey() + " mu " + mu + " example " + b);
            }
          }
        }
      }
    } finally {
      DjlRuntime.ENGINE_LOCK.unlock();
    }
  }

  @Test
  void clippedSum_bothPaths_equalTheSumOfEachExampleClippedToC_eachKind() {
    DjlRuntime.ENGINE_LOCK.lock();
    try (NDManager manager = manager()) {
      for (Pair<ModelSpec, LabeledDataset> kind : kinds()) {
        float[] global = new float[Math.toIntExact(kind.getKey().parameterCount())];
        try (LocalModel model = perturbed(kind.getKey(), global, 6)) {
          NDArray[] batch = arrays(manager, kind.getValue());
          for (double mu : new double[] {0, 0.3}) {
            List<NDArray> proximal =
                mu == 0 ? List.of() : model.proximalGradients(global, manager, mu);
            float[][] examples =
                model.perExampleGradients(false).perExample(manager, batch[0], batch[1], proximal);
            double[] norms = Arrays.stream(examples).mapToDouble(DpSgdTest::norm).toArray();
            double[] sorted = norms.clone();
            Arrays.sort(sorted);
            // The median norm: about half of the examples are clipped, half left alone.
            float clipNorm = (float) sorted[sorted.length / 2];
            float[] expected = new float[global.length];
            for (int b = 0; b < examples.length; b++) {
              double factor = Math.min(1, clipNorm / norms[b]);
              for (int i = 0; i < expected.length; i++) {
                expected[i] += (float) (examples[b][i] * factor);
              }
            }
            for (boolean layerwise : new boolean[] {false, true}) {
              PerExampleGradients.ClippedSum sum =
                  model
                      .perExampleGradients(layerwise)
                      .clippedSum(manager, batch[0], batch[1], proximal, clipNorm);
              String what =
                  kind.getKey() + " mu " + mu + (layerwise ? " layerwise" : " one by one");
              assertClose(flat(sum.sums()), expected, 1e-4, what);
              for (int b = 0; b < norms.length; b++) {
                assertThat((double) sum.norms()[b])
                    .as("%s norm %d", what, b)
                    .isCloseTo(norms[b], within(1e-4 * norms[b] + 1e-6));
              }
              assertThat(sum.lossSum()).as(what).isPositive();
            }
          }
        }
      }
    } finally {
      DjlRuntime.ENGINE_LOCK.unlock();
    }
  }

  @Test
  void clippedSum_oneExample_hasNormMinOfItsNormAndC_andSmallerOnesAreUnchanged() {
    DjlRuntime.ENGINE_LOCK.lock();
    try (NDManager manager = manager()) {
      for (Pair<ModelSpec, LabeledDataset> kind : kinds()) {
        float[] global = new float[Math.toIntExact(kind.getKey().parameterCount())];
        try (LocalModel model = perturbed(kind.getKey(), global, 8)) {
          LabeledDataset data = kind.getValue();
          for (int b = 0; b < 4; b++) {
            NDArray[] one = arrays(manager, data.subset(new int[] {b}));
            float[] gradient =
                model.perExampleGradients(false).perExample(manager, one[0], one[1], List.of())[0];
            double gradientNorm = norm(gradient);
            for (boolean layerwise : new boolean[] {false, true}) {
              String what = kind.getKey() + " example " + b + (layerwise ? " layerwise" : "");
              PerExampleGradients gradients = model.perExampleGradients(layerwise);
              float small = (float) (gradientNorm / 4);
              float[] clipped =
                  flat(gradients.clippedSum(manager, one[0], one[1], List.of(), small).sums());
              assertThat(norm(clipped)).as(what).isCloseTo(small, within(1e-4 * small));
              float[] direction = gradient.clone();
              for (int i = 0; i < direction.length; i++) {
                direction[i] /= 4;
              }
              assertClose(clipped, direction, 1e-4, what + " clipped keeps the direction");
              float large = (float) (gradientNorm * 1.5);
              float[] kept =
                  flat(gradients.clippedSum(manager, one[0], one[1], List.of(), large).sums());
              assertClose(kept, gradient, 1e-4, what + " below C is unchanged");
            }
          }
        }
      }
    } finally {
      DjlRuntime.ENGINE_LOCK.unlock();
    }
  }

  @Test
  void perExample_cnn_sumEqualsDjlBatchGradientOfTheSummedLoss() {
    DjlRuntime.ENGINE_LOCK.lock();
    try (NDManager manager = manager();
        LocalModel model = LocalModel.create(CNN, 9)) {
      NDArray[] batch = arrays(manager, IMAGES);
      float[][] examples =
          model.perExampleGradients(false).perExample(manager, batch[0], batch[1], List.of());
      float[] summed = new float[model.parameterCount()];
      for (float[] example : examples) {
        for (int i = 0; i < summed.length; i++) {
          summed[i] += example[i];
        }
      }
      float[] djl = new float[model.parameterCount()];
      try (NDManager scope = manager.newSubManager()) {
        List<Parameter> parameters = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.block().getParameters()) {
          parameters.add(pair.getValue());
        }
        try (GradientCollector collector = DjlRuntime.engine().newGradientCollector()) {
          collector.zeroGradients();
          NDArray logits =
              model
                  .block()
                  .forward(new ParameterStore(scope, false), new NDList(batch[0]), true)
                  .singletonOrThrow();
          NDArray loss =
              Loss.softmaxCrossEntropyLoss()
                  .evaluate(new NDList(batch[1]), new NDList(logits))
                  .mul(IMAGES.size());
          collector.backward(loss);
        }
        int offset = 0;
        for (Parameter parameter : parameters) {
          try (NDArray gradient = parameter.getArray().getGradient()) {
            float[] values = gradient.toFloatArray();
            System.arraycopy(values, 0, djl, offset, values.length);
            offset += values.length;
            gradient.subi(gradient);
          }
        }
      }
      assertThat(norm(djl)).isPositive();
      assertClose(summed, djl, 1e-4, "CNN summed per-example vs DJL batch gradient");
    } finally {
      DjlRuntime.ENGINE_LOCK.unlock();
    }
  }

  @Test
  void perExample_eachKind_matchesFiniteDifferencesOfTheExamplesLoss() {
    for (Pair<ModelSpec, LabeledDataset> kind : kinds()) {
      LabeledDataset one = kind.getValue().subset(new int[] {1});
      try (LocalModel model = LocalModel.create(kind.getKey(), 3)) {
        float[] parameters = model.parameters();
        float[] gradient;
        DjlRuntime.ENGINE_LOCK.lock();
        try (NDManager manager = manager()) {
          NDArray[] batch = arrays(manager, one);
          gradient =
              model.perExampleGradients(false)
                  .perExample(manager, batch[0], batch[1], List.of())[0];
        } finally {
          DjlRuntime.ENGINE_LOCK.unlock();
        }
        // The largest coordinate of every parameter tensor: well above float noise.
        for (ParameterSlice slice : model.parameterLayout()) {
          int largest = slice.offset();
          for (int i = slice.offset(); i < slice.offset() + slice.size(); i++) {
            if (Math.abs(gradient[i]) > Math.abs(gradient[largest])) {
              largest = i;
            }
          }
          // Small enough not to cross ReLU or max-pool kinks (a bias moves a whole channel),
          // large enough that the float rounding of the loss (about 3e-7) stays small against it.
          float step = 1e-4f;
          float[] plus = parameters.clone();
          plus[largest] += step;
          float[] minus = parameters.clone();
          minus[largest] -= step;
          model.setParameters(plus);
          double lossPlus = model.evaluate(one).loss();
          model.setParameters(minus);
          double lossMinus = model.evaluate(one).loss();
          model.setParameters(parameters);
          double difference = (lossPlus - lossMinus) / (plus[largest] - minus[largest]);
          assertThat(difference)
              .as("%s %s coordinate %d", kind.getKey(), slice.name(), largest)
              .isCloseTo(gradient[largest], within(0.03 * Math.abs(gradient[largest]) + 1e-3));
        }
      }
    }
  }

  @Test
  void train_hugeNoise_updateSpreadIsLearningRateTimesZcOverQn() {
    ModelSpec spec = ModelSpec.multilayerPerceptron(new int[] {20}, 10, 64);
    LabeledDataset data = TrainingData.blobs(100, 20, 10, 4);
    double learningRate = 0.1;
    // C ≠ 1 and z ≠ C, so that a noise of deviation z or C alone, rather than z·C, fails.
    double clipNorm = 2;
    double noiseMultiplier = 500;
    RecordLevelDp dp = new RecordLevelDp(1.0, clipNorm, noiseMultiplier);
    LocalTrainingConfig config =
        LocalTrainingConfig.builder()
            .learningRate(learningRate)
            .recordLevelDp(dp)
            .evaluateBeforeAndAfter(false)
            .build();
    double expected = learningRate * noiseMultiplier * clipNorm / (1.0 * data.size());
    try (LocalModel model = LocalModel.create(spec, 1)) {
      float[] before = model.parameters();
      model.train(data, config, TrainingProgressListener.NONE);
      float[] after = model.parameters();
      double sum = 0;
      double sumOfSquares = 0;
      for (int i = 0; i < before.length; i++) {
        double delta = after[i] - before[i];
        sum += delta;
        sumOfSquares += delta * delta;
      }
      int count = before.length;
      double mean = sum / count;
      double spread = Math.sqrt(sumOfSquares / count - mean * mean);
      // 1,994 coordinates: the sample deviation's relative error is about 1.6 %; the clipped
      // signal adds at most lr·C = 0.2 (spread over all coordinates) against a spread of 1.
      assertThat(spread).isCloseTo(expected, within(0.08 * expected));
      assertThat(Math.abs(mean)).isLessThan(5 * expected / Math.sqrt(count) + 0.01);
      // Same config, same seed, same sample: the noise must still differ.
      model.setParameters(before);
      model.train(data, config, TrainingProgressListener.NONE);
      assertThat(model.parameters()).isNotEqualTo(after);
    }
  }

  @Test
  void train_emptySamplesStillStepWithNoise() {
    ModelSpec spec = ModelSpec.logisticRegression(new int[] {50}, 10);
    LabeledDataset data = TrainingData.blobs(3, 50, 10, 4);
    // q = 0.01 over 3 records: 100 steps, about 97 of them on an empty sample.
    RecordLevelDp dp = new RecordLevelDp(0.01, 0.5, 3);
    double learningRate = 0.001;
    LocalTrainingConfig config =
        LocalTrainingConfig.builder()
            .learningRate(learningRate)
            .recordLevelDp(dp)
            .evaluateBeforeAndAfter(false)
            .build();
    try (LocalModel model = LocalModel.create(spec, 1)) {
      float[] before = model.parameters();
      TrainingReport report = model.train(data, config, TrainingProgressListener.NONE);
      float[] after = model.parameters();
      assertThat(report.epochs().get(0).examples()).isLessThan(20);
      double sumOfSquares = 0;
      for (int i = 0; i < before.length; i++) {
        sumOfSquares += Math.pow(after[i] - before[i], 2);
      }
      // A random walk of 100 noise steps of deviation lr·z·C/(q·n) each.
      double expected = learningRate * 3 * 0.5 / (0.01 * 3) * Math.sqrt(100);
      assertThat(Math.sqrt(sumOfSquares / before.length))
          .isCloseTo(expected, within(0.15 * expected));
    }
  }

  @Test
  void train_qOneTinyNoiseHugeClip_equalsFullBatchSgd_withMomentumAndFedProx() {
    for (double mu : new double[] {0, 0.5}) {
      LocalTrainingConfig plain =
          LocalTrainingConfig.builder()
              .epochs(4)
              .batchSize(BLOBS.size())
              .learningRate(0.1)
              .momentum(0.5)
              .fedProxMu(mu)
              .evaluateBeforeAndAfter(false)
              .build();
      LocalTrainingConfig dpConfig =
          plain.toBuilder().recordLevelDp(new RecordLevelDp(1.0, 1e6, 1e-12)).build();
      for (ModelSpec spec : List.of(LOGISTIC, PERCEPTRON)) {
        try (LocalModel ordinary = LocalModel.create(spec, 2);
            LocalModel private_ = LocalModel.create(spec, 2)) {
          float[] start = ordinary.parameters();
          ordinary.train(BLOBS, plain, TrainingProgressListener.NONE);
          TrainingReport report = private_.train(BLOBS, dpConfig, TrainingProgressListener.NONE);
          assertThat(report.optimizerSteps()).isEqualTo(4);
          float[] expected = ordinary.parameters();
          assertThat(expected).isNotEqualTo(start);
          assertClose(private_.parameters(), expected, 1e-5, spec + " mu " + mu);
        }
      }
    }
  }

  @Test
  void poissonSampling_includesEachRecordWithProbabilityQ() {
    SplittableRandom random = new SplittableRandom(42);
    int records = 400;
    double q = 0.05;
    int steps = 4000;
    int[] inclusions = new int[records];
    long total = 0;
    for (int step = 0; step < steps; step++) {
      int[] sample = PoissonSampling.sample(random, records, q);
      for (int i = 1; i < sample.length; i++) {
        assertThat(sample[i]).isGreaterThan(sample[i - 1]);
      }
      for (int record : sample) {
        inclusions[record]++;
      }
      total += sample.length;
    }
    double meanBatch = (double) total / steps;
    double batchDeviation = Math.sqrt(records * q * (1 - q) / steps);
    assertThat(meanBatch).isCloseTo(records * q, within(5 * batchDeviation));
    double perRecordDeviation = Math.sqrt(steps * q * (1 - q));
    for (int record = 0; record < records; record++) {
      assertThat((double) inclusions[record])
          .as("record %d", record)
          .isCloseTo(steps * q, within(5 * perRecordDeviation));
    }
    // Independent draws, not fixed-size batches: the batch size varies like Binomial(n, q).
    SplittableRandom again = new SplittableRandom(7);
    double sum = 0;
    double sumOfSquares = 0;
    for (int step = 0; step < steps; step++) {
      int size = PoissonSampling.sample(again, records, q).length;
      sum += size;
      sumOfSquares += (double) size * size;
    }
    double variance = sumOfSquares / steps - Math.pow(sum / steps, 2);
    assertThat(variance).isCloseTo(records * q * (1 - q), within(0.15 * records * q));
    assertThat(PoissonSampling.sample(new SplittableRandom(3), records, q))
        .isEqualTo(PoissonSampling.sample(new SplittableRandom(3), records, q));
  }

  @Test
  void train_stepCountIsRecordLevelDpSteps_andTheReportSaysDpSgd() {
    RecordLevelDp dp = new RecordLevelDp(RecordLevelDp.sampleRateFor(16, BLOBS.size()), 1, 1);
    LocalTrainingConfig config =
        LocalTrainingConfig.builder()
            .epochs(3)
            .learningRate(0.1)
            .seed(5)
            .recordLevelDp(dp)
            .evaluateBeforeAndAfter(false)
            .build();
    List<int[]> calls = new ArrayList<>();
    TrainingProgressListener counting =
        new TrainingProgressListener() {
          @Override
          public void onEpochStart(int epoch, int epochs, int batches) {
            calls.add(new int[] {epoch, 0, batches});
          }

          @Override
          public void onBatchEnd(int epoch, int epochs, int batch, int batches, double loss) {
            calls.add(new int[] {epoch, batch, batches});
          }

          @Override
          public void onEpochEnd(EpochReport report) {}
        };
    try (LocalModel model = LocalModel.create(LOGISTIC, 1)) {
      float[] initial = model.parameters();
      TrainingReport report = model.train(BLOBS, config, counting);
      assertThat(dp.stepsPerEpoch()).isEqualTo(8);
      assertThat(report.dpSgd()).isTrue();
      assertThat(report.recordLevelDp()).contains(dp);
      assertThat(report.optimizerSteps()).isEqualTo(dp.steps(3)).isEqualTo(24);
      assertThat(calls.stream().filter(call -> call[1] > 0).count()).isEqualTo(dp.steps(3));
      assertThat(report.epochs()).hasSize(3);
      int sampled = report.epochs().stream().mapToInt(EpochReport::examples).sum();
      // 24 steps at q = 16/120 over 120 records: 384 expected, deviation about 18.
      assertThat(sampled).isBetween(384 - 90, 384 + 90);
      // The sampling is seeded: the same seed samples the same records, the noise differs.
      float[] first = model.parameters();
      model.setParameters(initial);
      TrainingReport again = model.train(BLOBS, config, TrainingProgressListener.NONE);
      assertThat(again.epochs())
          .extracting(EpochReport::examples)
          .isEqualTo(report.epochs().stream().map(EpochReport::examples).toList());
      assertThat(model.parameters()).isNotEqualTo(first);
    }
    try (LocalModel model = LocalModel.create(LOGISTIC, 1)) {
      TrainingReport ordinary =
          model.train(
              BLOBS,
              config.toBuilder().recordLevelDp(null).batchSize(16).build(),
              TrainingProgressListener.NONE);
      assertThat(ordinary.dpSgd()).isFalse();
      assertThat(ordinary.optimizerSteps()).isEqualTo(3 * 8);
    }
  }

  @Test
  void train_fewDpSgdEpochs_lowerTheLossOnEasyData() {
    RecordLevelDp dp = new RecordLevelDp(RecordLevelDp.sampleRateFor(24, BLOBS.size()), 1, 1);
    for (ModelSpec spec : List.of(LOGISTIC, PERCEPTRON)) {
      for (OptimizerKind optimizer : OptimizerKind.values()) {
        LocalTrainingConfig config =
            LocalTrainingConfig.builder()
                .epochs(5)
                .optimizer(optimizer)
                .learningRate(optimizer == OptimizerKind.SGD ? 0.5 : 0.05)
                .recordLevelDp(dp)
                .build();
        try (LocalModel model = LocalModel.create(spec, 1)) {
          TrainingReport report = model.train(BLOBS, config, TrainingProgressListener.NONE);
          assertThat(report.lossAfter().getAsDouble())
              .as("%s %s", spec, optimizer)
              .isLessThan(0.6 * report.lossBefore().getAsDouble());
        }
      }
    }
    LocalTrainingConfig cnnConfig =
        LocalTrainingConfig.builder()
            .epochs(3)
            .learningRate(0.5)
            .recordLevelDp(new RecordLevelDp(0.25, 1, 0.5))
            .build();
    LabeledDataset images = TrainingData.images(60, 10, 5);
    try (LocalModel model = LocalModel.create(CNN, 1)) {
      TrainingReport report = model.train(images, cnnConfig, TrainingProgressListener.NONE);
      assertThat(report.lossAfter().getAsDouble()).isLessThan(report.lossBefore().getAsDouble());
    }
  }

  @Test
  void gaussianNoise_isStandardNormal() {
    DjlRuntime.ENGINE_LOCK.lock();
    try (NDManager manager = manager();
        GaussianNoise noise = GaussianNoise.keyedFrom(new SecureRandom())) {
      // Repeated calls of one size take the prefetched path; together they must be one sample.
      int calls = 20;
      int perCall = 20_001;
      int count = calls * perCall;
      float[] values = new float[count];
      for (int call = 0; call < calls; call++) {
        float[] part = noise.standardNormal(manager, perCall).toFloatArray();
        assertThat(part).hasSize(perCall);
        System.arraycopy(part, 0, values, call * perCall, perCall);
      }
      assertThat(Arrays.copyOfRange(values, 0, perCall))
          .isNotEqualTo(Arrays.copyOfRange(values, perCall, 2 * perCall));
      double sum = 0;
      double squares = 0;
      double fourth = 0;
      int beyondTwo = 0;
      for (float value : values) {
        assertThat(Float.isFinite(value)).isTrue();
        sum += value;
        squares += (double) value * value;
        fourth += Math.pow(value, 4);
        if (Math.abs(value) > 2) {
          beyondTwo++;
        }
      }
      assertThat(sum / count).isCloseTo(0, within(5 / Math.sqrt(count)));
      assertThat(squares / count).isCloseTo(1, within(5 * Math.sqrt(2.0 / count)));
      assertThat(fourth / count).isCloseTo(3, within(5 * Math.sqrt(96.0 / count)));
      // P(|X| > 2) = 4.550 %.
      assertThat((double) beyondTwo / count).isCloseTo(0.0455, within(0.0025));
      float[] next = noise.standardNormal(manager, 8).toFloatArray();
      try (GaussianNoise other = GaussianNoise.keyedFrom(new SecureRandom())) {
        assertThat(next).isNotEqualTo(other.standardNormal(manager, 8).toFloatArray());
      }
    } finally {
      DjlRuntime.ENGINE_LOCK.unlock();
    }
  }
}
