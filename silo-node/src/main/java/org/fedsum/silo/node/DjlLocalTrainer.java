package org.fedsum.silo.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.fedsum.silo.data.CsvDatasetLoader;
import org.fedsum.silo.data.DatasetFormatException;
import org.fedsum.silo.data.FeatureScaler;
import org.fedsum.silo.data.FedProxSynthetic;
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.fedsum.silo.data.TrainHeldOutSplit;
import org.fedsum.silo.training.EvaluationReport;
import org.fedsum.silo.training.LocalModel;
import org.fedsum.silo.training.LocalTrainingConfig;
import org.fedsum.silo.training.ModelKind;
import org.fedsum.silo.training.ModelSpec;
import org.fedsum.silo.training.OptimizerKind;
import org.fedsum.silo.training.RecordLevelDp;
import org.fedsum.silo.training.TrainingProgressListener;
import org.fedsum.silo.training.TrainingReport;

/**
 * Local training with DJL on the silo's configured data (docs/TRAINING.md). The data is loaded at
 * the first round, once the run's model says how many classes there are; CSV features are
 * standardized with statistics of the silo's own training part only. One model per run, reused
 * across rounds (its parameters are replaced by the global model each round).
 *
 * <p>The run's {@code model} description: {@code kind} ({@code logistic-regression}, {@code mlp},
 * {@code cnn}), {@code parameters}, {@code inputShape}, {@code classes}, {@code hidden} (mlp). The
 * run's {@code training}: {@code epochs}, {@code batchSize}, {@code learningRate}, {@code
 * momentum}, {@code optimizer} ({@code sgd}, {@code adam}), {@code fedProxMu}, {@code seed}.
 */
public final class DjlLocalTrainer implements LocalTrainer {
  private static final Set<String> MODEL_KEYS =
      Set.of("kind", "parameters", "inputShape", "classes", "hidden");
  private static final Set<String> TRAINING_KEYS =
      Set.of(
          "epochs",
          "batchSize",
          "learningRate",
          "momentum",
          "optimizer",
          "fedProxMu",
          "weightDecay",
          "seed");

  private final SiloConfig.Data data;
  private final TrainingProgressListener progress;
  private LabeledDataset training;
  private LabeledDataset heldOut;
  private ModelSpec spec;
  private LocalModel model;

  public DjlLocalTrainer(SiloConfig.Data data, TrainingProgressListener progress) {
    this.data = data;
    this.progress = progress;
  }

  @Override
  public synchronized LocalUpdate train(
      long round,
      float[] globalModel,
      JsonNode modelDescription,
      JsonNode trainingSettings,
      Optional<RecordLevelDp> recordLevelDp)
      throws IOException, DatasetFormatException {
    LocalModel local = model(modelDescription);
    LocalTrainingConfig config = trainingConfig(trainingSettings, round, recordLevelDp);
    local.setParameters(globalModel);
    TrainingReport report = local.train(training, config, progress);
    Map<String, Double> metrics = new LinkedHashMap<>();
    report.lossBefore().ifPresent(loss -> metrics.put("lossBefore", loss));
    report.lossAfter().ifPresent(loss -> metrics.put("lossAfter", loss));
    metrics.put("seconds", report.seconds());
    return new LocalUpdate(local.parameters(), report.examples(), metrics);
  }

  @Override
  public synchronized int trainingRecords(JsonNode modelDescription)
      throws IOException, DatasetFormatException {
    model(modelDescription);
    return training.size();
  }

  @Override
  public synchronized Map<String, Double> evaluate(float[] parameters, JsonNode modelDescription)
      throws IOException, DatasetFormatException {
    LocalModel local = model(modelDescription);
    local.setParameters(parameters);
    EvaluationReport report = local.evaluate(heldOut);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("loss", report.loss());
    metrics.put("accuracy", report.accuracy());
    metrics.put("examples", (double) report.examples());
    return metrics;
  }

  @Override
  public synchronized void close() {
    if (model != null) {
      model.close();
    }
  }

  private LocalModel model(JsonNode description) throws IOException, DatasetFormatException {
    ModelSpec wanted = modelSpec(description);
    if (model != null && wanted.equals(spec)) {
      return model;
    }
    if (model != null) {
      model.close();
    }
    load(wanted.classes());
    if (training.featureCount() != product(wanted.inputShape())) {
      throw new IllegalArgumentException(
          "the run's model takes "
              + product(wanted.inputShape())
              + " features, this silo's data has "
              + training.featureCount());
    }
    spec = wanted;
    model = LocalModel.create(wanted, 0);
    return model;
  }

  /** Parses and checks the run's model description. */
  static ModelSpec modelSpec(JsonNode description) {
    requireOnly(description, MODEL_KEYS, "model");
    String kindName = description.path("kind").asText("");
    ModelKind kind =
        switch (kindName) {
          case "logistic-regression" -> ModelKind.LOGISTIC_REGRESSION;
          case "mlp" -> ModelKind.MULTILAYER_PERCEPTRON;
          case "cnn" -> ModelKind.SMALL_CNN;
          default ->
              throw new IllegalArgumentException(
                  "model.kind must be logistic-regression, mlp or cnn, not '" + kindName + "'");
        };
    ModelSpec spec =
        ModelSpec.create(
            kind,
            ints(description.path("inputShape"), "model.inputShape"),
            description.path("classes").asInt(0),
            description.has("hidden")
                ? ints(description.get("hidden"), "model.hidden")
                : new int[0]);
    long declared = description.path("parameters").asLong(-1);
    if (declared != spec.parameterCount()) {
      throw new IllegalArgumentException(
          "model.parameters is "
              + declared
              + ", the described model has "
              + spec.parameterCount()
              + " parameters");
    }
    return spec;
  }

  /** Parses the run's training settings without DP-SGD; the shuffle seed differs per round. */
  static LocalTrainingConfig trainingConfig(JsonNode settings, long round) {
    return trainingConfig(settings, round, Optional.empty());
  }

  /**
   * Parses the run's training settings, with DP-SGD if {@code recordLevelDp} is present; the
   * shuffle seed differs per round.
   */
  static LocalTrainingConfig trainingConfig(
      JsonNode settings, long round, Optional<RecordLevelDp> recordLevelDp) {
    requireOnly(settings, TRAINING_KEYS, "training");
    LocalTrainingConfig.Builder builder = LocalTrainingConfig.builder();
    if (settings.has("epochs")) {
      builder.epochs(integer(settings, "epochs"));
    }
    if (settings.has("batchSize")) {
      builder.batchSize(integer(settings, "batchSize"));
    }
    if (settings.has("learningRate")) {
      builder.learningRate(number(settings, "learningRate"));
    }
    if (settings.has("optimizer")) {
      String name = settings.get("optimizer").asText("");
      builder.optimizer(
          switch (name.toUpperCase(Locale.ROOT)) {
            case "SGD" -> OptimizerKind.SGD;
            case "ADAM" -> OptimizerKind.ADAM;
            default ->
                throw new IllegalArgumentException(
                    "training.optimizer must be sgd or adam, not " + settings.get("optimizer"));
          });
    }
    if (settings.has("momentum")) {
      builder.momentum(number(settings, "momentum"));
    }
    if (settings.has("fedProxMu")) {
      builder.fedProxMu(number(settings, "fedProxMu"));
    }
    if (settings.has("weightDecay")) {
      builder.weightDecay(number(settings, "weightDecay"));
    }
    long seed = 0;
    if (settings.has("seed")) {
      JsonNode value = settings.get("seed");
      if (!value.isIntegralNumber() || !value.canConvertToLong()) {
        throw new IllegalArgumentException("training.seed must be a whole number, not " + value);
      }
      seed = value.asLong();
    }
    builder.seed(seed * 1_000_003L + round);
    recordLevelDp.ifPresent(
        dp ->
            // The training loss before and after is measured on the private records without
            // noise, so ε would not cover it: with DP-SGD it is not measured, and not journaled.
            builder.recordLevelDp(dp).evaluateBeforeAndAfter(false));
    return builder.build();
  }

  /** A training setting that must be a JSON number; a string or boolean would read as 0. */
  private static double number(JsonNode settings, String key) {
    JsonNode value = settings.get(key);
    if (!value.isNumber()) {
      throw new IllegalArgumentException("training." + key + " must be a number, not " + value);
    }
    return value.asDouble();
  }

  private static int integer(JsonNode settings, String key) {
    JsonNode value = settings.get(key);
    if (!value.canConvertToInt() || !value.isIntegralNumber()) {
      throw new IllegalArgumentException(
          "training." + key + " must be a whole number that fits an int, not " + value);
    }
    return value.asInt();
  }

  private void load(int classes) throws IOException, DatasetFormatException {
    if (training != null && training.classCount() == classes) {
      return;
    }
    LabeledDataset all;
    LabeledDataset test = null;
    switch (data.format()) {
      case "csv" -> {
        CsvDatasetLoader loader = CsvDatasetLoader.create(data.labelColumn(), classes);
        all = loader.load(data.train());
        if (data.test() != null) {
          test = loader.load(data.test());
        }
      }
      case "idx" -> {
        IdxDatasetLoader loader = IdxDatasetLoader.create(classes);
        all = loader.load(data.trainImages(), data.trainLabels());
        if (data.testImages() != null) {
          test = loader.load(data.testImages(), data.testLabels());
        }
      }
      case "synthetic" ->
          all =
              FedProxSynthetic.create(data.alpha(), data.beta(), data.seed())
                  .device(data.device(), data.examples());
      default -> throw new IllegalStateException("bug: unvalidated data.format " + data.format());
    }
    if (test == null) {
      TrainHeldOutSplit split = TrainHeldOutSplit.split(all, data.heldOutFraction(), data.seed());
      all = split.training();
      test = split.heldOut();
    }
    if (data.format().equals("csv")) {
      // Scaling is fitted on the silo's own training part only, then applied to its held-out part.
      FeatureScaler scaler = FeatureScaler.fitStandardization(all);
      all = scaler.apply(all);
      test = scaler.apply(test);
    }
    training = all;
    heldOut = test;
  }

  private static void requireOnly(JsonNode node, Set<String> keys, String section) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("the run's " + section + " must be a mapping");
    }
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    for (String name : names) {
      if (!keys.contains(name)) {
        throw new IllegalArgumentException(
            "unknown key "
                + section
                + "."
                + name
                + " (known: "
                + keys.stream().sorted().toList()
                + ")");
      }
    }
  }

  private static int[] ints(JsonNode array, String key) {
    if (!array.isArray()) {
      throw new IllegalArgumentException(key + " must be a list of whole numbers");
    }
    int[] values = new int[array.size()];
    for (int i = 0; i < values.length; i++) {
      if (!array.get(i).isIntegralNumber()) {
        throw new IllegalArgumentException(key + "[" + i + "] must be a whole number");
      }
      values[i] = array.get(i).intValue();
    }
    return values;
  }

  private static long product(int[] shape) {
    long product = 1;
    for (int size : shape) {
      product *= size;
    }
    return product;
  }
}
