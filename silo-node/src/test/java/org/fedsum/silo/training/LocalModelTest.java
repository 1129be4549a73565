package org.fedsum.silo.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.fedsum.silo.data.LabeledDataset;
import org.junit.jupiter.api.Test;

class LocalModelTest {
  private static final ModelSpec LOGISTIC = ModelSpec.logisticRegression(new int[] {5}, 3);
  private static final ModelSpec PERCEPTRON =
      ModelSpec.multilayerPerceptron(new int[] {5}, 3, 16, 8);
  private static final ModelSpec CNN = ModelSpec.smallCnn(new int[] {1, 28, 28}, 10);

  private static final LabeledDataset BLOBS = TrainingData.blobs(120, 5, 3, 1);

  private static LocalTrainingConfig.Builder sgd() {
    return LocalTrainingConfig.builder().epochs(3).batchSize(16).learningRate(0.1).seed(11);
  }

  @Test
  void create_eachKind_layoutCoversTheSpecsParameterCount() {
    for (ModelSpec spec : List.of(LOGISTIC, PERCEPTRON, CNN)) {
      try (LocalModel model = LocalModel.create(spec, 1)) {
        assertThat(model.parameterCount()).as("%s", spec).isEqualTo(spec.parameterCount());
        assertThat(model.parameters()).hasSize(model.parameterCount());
        int next = 0;
        for (ParameterSlice slice : model.parameterLayout()) {
          assertThat(slice.offset()).as("%s", slice).isEqualTo(next);
          long product = 1;
          for (long dimension : slice.shape()) {
            product *= dimension;
          }
          assertThat(slice.size()).as("%s", slice).isEqualTo(product);
          next += slice.size();
        }
        assertThat(next).isEqualTo(model.parameterCount());
      }
    }
  }

  @Test
  void parameterLayout_cnn_isTheDocumentedOrder() {
    try (LocalModel model = LocalModel.create(CNN, 1)) {
      assertThat(model.parameterLayout())
          .extracting(ParameterSlice::toString)
          .containsExactly(
              "01Conv2d_weight[6, 1, 5, 5]@0",
              "01Conv2d_bias[6]@150",
              "04Conv2d_weight[16, 6, 5, 5]@156",
              "04Conv2d_bias[16]@2556",
              "08Linear_weight[120, 256]@2572",
              "08Linear_bias[120]@33292",
              "10Linear_weight[84, 120]@33412",
              "10Linear_bias[84]@43492",
              "12Linear_weight[10, 84]@43576",
              "12Linear_bias[10]@44416");
      assertThat(model.parameterCount()).isEqualTo(44_426);
    }
  }

  @Test
  void parameterLayout_perceptron_isTheDocumentedOrder() {
    try (LocalModel model = LocalModel.create(PERCEPTRON, 1)) {
      assertThat(model.parameterLayout())
          .extracting(ParameterSlice::toString)
          .containsExactly(
              "02Linear_weight[16, 5]@0",
              "02Linear_bias[16]@80",
              "04Linear_weight[8, 16]@96",
              "04Linear_bias[8]@224",
              "06Linear_weight[3, 8]@232",
              "06Linear_bias[3]@256");
    }
  }

  @Test
  void setParameters_eachKind_roundTripIsBitExact() {
    for (ModelSpec spec : List.of(LOGISTIC, PERCEPTRON, CNN)) {
      try (LocalModel model = LocalModel.create(spec, 1)) {
        float[] values = awkwardFloats(model.parameterCount(), 5);
        model.setParameters(values);
        assertThat(bits(model.parameters())).as("%s", spec).isEqualTo(bits(values));

        // And get → set → get on the initialized values.
        float[] initial = model.parameters();
        model.setParameters(initial);
        assertThat(bits(model.parameters())).isEqualTo(bits(initial));
      }
    }
  }

  @Test
  void setParameters_thenTrain_trainsFromTheGivenValues() {
    try (LocalModel a = LocalModel.create(LOGISTIC, 1);
        LocalModel b = LocalModel.create(LOGISTIC, 2)) {
      b.setParameters(a.parameters());
      LocalTrainingConfig config = sgd().build();
      a.train(BLOBS, config, TrainingProgressListener.NONE);
      b.train(BLOBS, config, TrainingProgressListener.NONE);
      assertThat(bits(b.parameters())).isEqualTo(bits(a.parameters()));
    }
  }

  @Test
  void train_threadInterrupted_endsBetweenBatches_interruptKept_modelTrainsAgainAfter() {
    try (LocalModel model = LocalModel.create(LOGISTIC, 1)) {
      float[] before = model.parameters();
      Thread.currentThread().interrupt();
      try {
        assertThatThrownBy(
                () -> model.train(BLOBS, sgd().epochs(50).build(), TrainingProgressListener.NONE))
            .isInstanceOf(java.util.concurrent.CancellationException.class)
            .hasMessageContaining("interrupted");
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
      } finally {
        Thread.interrupted();
      }
      assertThat(bits(model.parameters())).isEqualTo(bits(before));
      model.train(BLOBS, sgd().build(), TrainingProgressListener.NONE);
      assertThat(bits(model.parameters())).isNotEqualTo(bits(before));
    }
  }

  @Test
  void setParametersAndEvaluate_onAnotherThread_work() throws Exception {
    try (LocalModel model = LocalModel.create(PERCEPTRON, 1)) {
      float[] values = awkwardFloats(model.parameterCount(), 9);
      CompletableFuture.runAsync(
              () -> {
                model.setParameters(values);
                model.evaluate(BLOBS);
              })
          .get();
      assertThat(bits(model.parameters())).isEqualTo(bits(values));
    }
  }

  @Test
  void train_onAnotherThread_matchesTrainingOnThisOne() throws Exception {
    // PyTorch's grad mode is per thread and on by default except on the thread that loaded the
    // engine: a silo's worker thread must train exactly as the main thread does.
    LocalTrainingConfig config = sgd().momentum(0.9).fedProxMu(0.1).build();
    try (LocalModel here = LocalModel.create(PERCEPTRON, 1);
        LocalModel there = LocalModel.create(PERCEPTRON, 1)) {
      TrainingReport report = here.train(BLOBS, config, TrainingProgressListener.NONE);
      Thread worker = new Thread(() -> there.train(BLOBS, config, TrainingProgressListener.NONE));
      Throwable[] failure = new Throwable[1];
      worker.setUncaughtExceptionHandler((thread, e) -> failure[0] = e);
      worker.start();
      worker.join();
      assertThat(failure[0]).isNull();
      assertThat(bits(there.parameters())).isEqualTo(bits(here.parameters()));
      assertThat(report.lossAfter().orElseThrow()).isLessThan(report.lossBefore().orElseThrow());
    }
  }

  @Test
  void setParameters_wrongLengthOrNonFinite_isRefusedAndLeavesTheModel() {
    try (LocalModel model = LocalModel.create(LOGISTIC, 1)) {
      float[] before = model.parameters();
      assertThatThrownBy(() -> model.setParameters(new float[before.length - 1]))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("has 18 parameters, not 17");
      float[] withNaN = before.clone();
      withNaN[16] = Float.NaN;
      assertThatThrownBy(() -> model.setParameters(withNaN))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("parameter 16 (in 02Linear_bias) is NaN");
      assertThat(bits(model.parameters())).isEqualTo(bits(before));
    }
  }

  @Test
  void create_sameSeed_sameParameters_otherSeed_otherParameters() {
    try (LocalModel a = LocalModel.create(CNN, 3);
        LocalModel b = LocalModel.create(CNN, 3);
        LocalModel c = LocalModel.create(CNN, 4)) {
      assertThat(bits(a.parameters())).isEqualTo(bits(b.parameters()));
      assertThat(bits(a.parameters())).isNotEqualTo(bits(c.parameters()));
    }
  }

  @Test
  void create_eachKind_drawsEveryWeightAndBiasUniformlyWithinOneOverRootFanIn() {
    for (ModelSpec spec : List.of(LOGISTIC, PERCEPTRON, CNN)) {
      try (LocalModel model = LocalModel.create(spec, 5)) {
        float[] parameters = model.parameters();
        double bound = Double.NaN;
        for (ParameterSlice slice : model.parameterLayout()) {
          long[] shape = slice.shape();
          if (shape.length >= 2) {
            long fanIn = 1;
            for (int d = 1; d < shape.length; d++) {
              fanIn *= shape[d];
            }
            bound = 1 / Math.sqrt((double) fanIn);
          }
          double largest = 0;
          double sum = 0;
          double squares = 0;
          for (int i = slice.offset(); i < slice.offset() + slice.size(); i++) {
            largest = Math.max(largest, Math.abs(parameters[i]));
            sum += parameters[i];
            squares += (double) parameters[i] * parameters[i];
          }
          String what = spec.kind() + " " + slice.name();
          assertThat(largest).as("%s within ±%.4f", what, bound).isLessThanOrEqualTo(bound);
          if (slice.size() >= 50) {
            // U(-b, b) has mean 0 and variance b²/3; a Xavier draw or zero biases would not.
            double mean = sum / slice.size();
            double variance = squares / slice.size() - mean * mean;
            double tolerance = 6 / Math.sqrt(slice.size());
            assertThat(mean / bound).as("%s mean", what).isCloseTo(0, offset(tolerance));
            assertThat(variance / (bound * bound))
                .as("%s variance", what)
                .isCloseTo(1.0 / 3, offset(tolerance));
          } else {
            assertThat(largest).as("%s is drawn, not zero", what).isGreaterThan(0);
          }
        }
      }
    }
  }

  @Test
  void train_weightDecay_addsLambdaTimesTheWeightsToEachGradient() {
    // One full-batch SGD step without momentum: w' = w − lr·(g + λ·w), so the step with λ ends
    // exactly lr·λ·w below the step without it, coordinate by coordinate.
    double learningRate = 0.1;
    double lambda = 0.05;
    LocalTrainingConfig step =
        LocalTrainingConfig.builder()
            .epochs(1)
            .batchSize(BLOBS.size())
            .learningRate(learningRate)
            .seed(3)
            .evaluateBeforeAndAfter(false)
            .build();
    try (LocalModel plain = LocalModel.create(PERCEPTRON, 2);
        LocalModel decayed = LocalModel.create(PERCEPTRON, 2)) {
      float[] start = plain.parameters();
      plain.train(BLOBS, step, TrainingProgressListener.NONE);
      decayed.train(
          BLOBS, step.toBuilder().weightDecay(lambda).build(), TrainingProgressListener.NONE);
      float[] withoutDecay = plain.parameters();
      float[] withDecay = decayed.parameters();
      for (int i = 0; i < start.length; i++) {
        assertThat((double) withoutDecay[i] - withDecay[i])
            .as("coordinate %d", i)
            .isCloseTo(learningRate * lambda * start[i], offset(1e-6));
      }
    }
  }

  @Test
  void train_weightDecayWithMomentumAndAdam_shrinksTheModel() {
    for (LocalTrainingConfig config :
        List.of(
            sgd().momentum(0.9).evaluateBeforeAndAfter(false).build(),
            sgd().optimizer(OptimizerKind.ADAM).evaluateBeforeAndAfter(false).build())) {
      try (LocalModel plain = LocalModel.create(PERCEPTRON, 4);
          LocalModel decayed = LocalModel.create(PERCEPTRON, 4)) {
        plain.train(BLOBS, config, TrainingProgressListener.NONE);
        decayed.train(
            BLOBS, config.toBuilder().weightDecay(0.5).build(), TrainingProgressListener.NONE);
        double zero = distance(plain.parameters(), new float[plain.parameterCount()]);
        double decayedNorm = distance(decayed.parameters(), new float[plain.parameterCount()]);
        assertThat(decayedNorm).as("%s", config.optimizer()).isLessThan(0.9 * zero);
      }
    }
  }

  @Test
  void train_logisticRegression_changesParametersAndLowersLoss() {
    assertTrainingLearns(LOGISTIC, BLOBS, sgd().build());
  }

  @Test
  void train_perceptron_changesParametersAndLowersLoss() {
    assertTrainingLearns(PERCEPTRON, BLOBS, sgd().momentum(0.9).learningRate(0.05).build());
  }

  @Test
  void train_perceptronWithAdam_changesParametersAndLowersLoss() {
    assertTrainingLearns(
        PERCEPTRON, BLOBS, sgd().optimizer(OptimizerKind.ADAM).learningRate(0.01).build());
  }

  @Test
  void train_cnn_changesParametersAndLowersLoss() {
    LabeledDataset images = TrainingData.images(40, 10, 3);
    assertTrainingLearns(
        CNN,
        images,
        // PyTorch's initialization starts the CNN with small activations, so it needs more steps
        // than a wider start would before the loss falls.
        LocalTrainingConfig.builder()
            .epochs(12)
            .batchSize(8)
            .learningRate(0.05)
            .momentum(0.9)
            .seed(5)
            .build());
  }

  private static void assertTrainingLearns(
      ModelSpec spec, LabeledDataset data, LocalTrainingConfig config) {
    try (LocalModel model = LocalModel.create(spec, 7)) {
      float[] before = model.parameters();
      TrainingReport report = model.train(data, config, TrainingProgressListener.NONE);
      float[] after = model.parameters();
      int changed = 0;
      for (int i = 0; i < before.length; i++) {
        if (Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(after[i])) {
          changed++;
        }
      }
      assertThat(changed).as("%s: parameters changed", spec).isGreaterThan(before.length / 2);
      double lossBefore = report.lossBefore().orElseThrow();
      double lossAfter = report.lossAfter().orElseThrow();
      assertThat(lossAfter).as("%s: loss after vs before", spec).isLessThan(0.7 * lossBefore);
      assertThat(model.evaluate(data).loss()).isCloseTo(lossAfter, offset(1e-5));
      assertThat(report.epochs()).hasSize(config.epochs());
      assertThat(report.examples()).isEqualTo(data.size());
      assertThat(report.epochs().get(config.epochs() - 1).meanLoss())
          .isLessThan(report.epochs().get(0).meanLoss());
    }
  }

  @Test
  void train_sameSeedAndStart_isBitForBitRepeatable() {
    LocalTrainingConfig config = sgd().momentum(0.5).build();
    try (LocalModel a = LocalModel.create(PERCEPTRON, 1);
        LocalModel b = LocalModel.create(PERCEPTRON, 1);
        LocalModel c = LocalModel.create(PERCEPTRON, 1)) {
      a.train(BLOBS, config, TrainingProgressListener.NONE);
      b.train(BLOBS, config, TrainingProgressListener.NONE);
      c.train(BLOBS, config.toBuilder().seed(12).build(), TrainingProgressListener.NONE);
      assertThat(bits(a.parameters())).isEqualTo(bits(b.parameters()));
      assertThat(bits(a.parameters()))
          .as("another shuffle seed gives another model")
          .isNotEqualTo(bits(c.parameters()));
    }
  }

  @Test
  void train_fedProxMu_keepsTheModelCloserToTheGlobalModel() {
    // Heterogeneous local data: only two of the three classes, so the local optimum is far from a
    // model trained on all classes.
    LabeledDataset local = TrainingData.blobs(90, 5, 2, 4);
    LabeledDataset skewed =
        LabeledDataset.create(local.features(), local.labels(), new int[] {5}, 3);
    try (LocalModel global = LocalModel.create(LOGISTIC, 1)) {
      global.train(BLOBS, sgd().build(), TrainingProgressListener.NONE);
      float[] globalParameters = global.parameters();
      double[] distances = new double[3];
      double[] mus = {0, 0.1, 1.0};
      for (int i = 0; i < mus.length; i++) {
        try (LocalModel model = LocalModel.create(LOGISTIC, 99)) {
          model.setParameters(globalParameters);
          model.train(
              skewed,
              sgd().epochs(5).fedProxMu(mus[i]).evaluateBeforeAndAfter(false).build(),
              TrainingProgressListener.NONE);
          distances[i] = distance(model.parameters(), globalParameters);
        }
      }
      assertThat(distances[0]).isGreaterThan(0);
      assertThat(distances[1]).as("μ = 0.1 vs μ = 0").isLessThan(distances[0]);
      assertThat(distances[2]).as("μ = 1 vs μ = 0.1").isLessThan(distances[1]);
    }
  }

  @Test
  void train_reportsEveryBatchAndEpochToTheListener() {
    List<String> events = new ArrayList<>();
    TrainingProgressListener recorder =
        new TrainingProgressListener() {
          @Override
          public void onEpochStart(int epoch, int epochs, int batches) {
            events.add("start " + epoch + "/" + epochs + " " + batches);
          }

          @Override
          public void onBatchEnd(int epoch, int epochs, int batch, int batches, double loss) {
            events.add("batch " + epoch + "." + batch + "/" + batches);
          }

          @Override
          public void onEpochEnd(EpochReport report) {
            events.add("end " + report.epoch() + " " + report.examples());
          }
        };
    try (LocalModel model = LocalModel.create(LOGISTIC, 1)) {
      model.train(
          TrainingData.blobs(40, 5, 3, 2),
          sgd().epochs(2).batchSize(16).evaluateBeforeAndAfter(false).build(),
          recorder);
    }
    assertThat(events)
        .containsExactly(
            "start 1/2 3",
            "batch 1.1/3",
            "batch 1.2/3",
            "batch 1.3/3",
            "end 1 40",
            "start 2/2 3",
            "batch 2.1/3",
            "batch 2.2/3",
            "batch 2.3/3",
            "end 2 40");
  }

  @Test
  void train_withoutLossMeasurement_reportsNoLossBeforeAndAfter() {
    try (LocalModel model = LocalModel.create(LOGISTIC, 1)) {
      TrainingReport report =
          model.train(
              BLOBS, sgd().evaluateBeforeAndAfter(false).build(), TrainingProgressListener.NONE);
      assertThat(report.lossBefore()).isEmpty();
      assertThat(report.lossAfter()).isEmpty();
      assertThat(report.seconds()).isPositive();
    }
  }

  @Test
  void evaluate_resultDoesNotDependOnBatchSize() {
    try (LocalModel model = LocalModel.create(PERCEPTRON, 1)) {
      EvaluationReport whole = model.evaluate(BLOBS, 1000);
      EvaluationReport small = model.evaluate(BLOBS, 7);
      assertThat(small.examples()).isEqualTo(whole.examples()).isEqualTo(120);
      assertThat(small.accuracy()).isEqualTo(whole.accuracy());
      assertThat(small.loss()).isCloseTo(whole.loss(), offset(1e-5));
    }
  }

  @Test
  void evaluate_countsCorrectPredictions() {
    // Weights that score class = the index of the largest of the first three features.
    ModelSpec spec = ModelSpec.logisticRegression(new int[] {3}, 3);
    LabeledDataset data =
        LabeledDataset.create(
            new float[] {5, 0, 0, 0, 5, 0, 0, 0, 5, 5, 0, 0},
            new int[] {0, 1, 2, 2},
            new int[] {3},
            3);
    try (LocalModel model = LocalModel.create(spec, 1)) {
      model.setParameters(new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0});
      EvaluationReport report = model.evaluate(data);
      assertThat(report.accuracy()).isEqualTo(0.75);
      // Correct: -log(e^5 / (e^5 + 2)); wrong (label 2, logits 5,0,0): -log(1 / (e^5 + 2)).
      double right = -Math.log(Math.exp(5) / (Math.exp(5) + 2));
      double wrong = -Math.log(1 / (Math.exp(5) + 2));
      assertThat(report.loss()).isCloseTo((3 * right + wrong) / 4, offset(1e-5));
    }
  }

  @Test
  void trainAndEvaluate_dataOfAnotherShapeOrClassCount_isRefused() {
    try (LocalModel model = LocalModel.create(LOGISTIC, 1)) {
      LabeledDataset wide = TrainingData.blobs(10, 6, 3, 1);
      assertThatThrownBy(() -> model.evaluate(wide))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the data's examples have shape [6], the model expects [5]");
      LabeledDataset twoClasses = TrainingData.blobs(10, 5, 2, 1);
      assertThatThrownBy(
              () -> model.train(twoClasses, sgd().build(), TrainingProgressListener.NONE))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the data has 2 classes, the model 3");
    }
  }

  @Test
  void close_isIdempotent_andLaterUseFails() {
    LocalModel model = LocalModel.create(LOGISTIC, 1);
    model.close();
    model.close();
    assertThatThrownBy(model::parameters)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("this LocalModel is closed");
  }

  /** Random floats plus the values a careless conversion would change: ±0, subnormals, extremes. */
  static float[] awkwardFloats(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] special = {
      -0.0f,
      0.0f,
      Float.MIN_VALUE,
      -Float.MIN_VALUE,
      Float.MIN_NORMAL,
      Float.MAX_VALUE,
      -Float.MAX_VALUE,
      1e-40f,
      0.1f,
      -1.0f / 3
    };
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = i < special.length ? special[i] : (float) random.nextGaussian();
    }
    // Also arbitrary bit patterns, skipping the non-finite ones.
    for (int i = special.length; i < count; i += 3) {
      float candidate = Float.intBitsToFloat(random.nextInt());
      if (Float.isFinite(candidate)) {
        values[i] = candidate;
      }
    }
    return values;
  }

  static int[] bits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  private static double distance(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double difference = (double) a[i] - b[i];
      sum += difference * difference;
    }
    return Math.sqrt(sum);
  }
}
