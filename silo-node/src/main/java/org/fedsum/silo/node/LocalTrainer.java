package org.fedsum.silo.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;
import org.fedsum.silo.training.RecordLevelDp;

/**
 * The silo's local training, as the round loop sees it: from the global model to a local model on
 * the silo's own data, and an evaluation of a model on the silo's held-out data. The data never
 * leaves the implementation.
 */
public interface LocalTrainer extends AutoCloseable {
  /**
   * Trains from {@code globalModel} with the run's model description and training settings, with
   * DP-SGD if {@code recordLevelDp} is present (the silo computed its sample rate from {@link
   * #trainingRecords}).
   *
   * @return the local model (same length as the global one) and what the silo may report
   * @throws IllegalArgumentException if the model description or the settings cannot be used
   */
  LocalUpdate train(
      long round,
      float[] globalModel,
      JsonNode model,
      JsonNode training,
      Optional<RecordLevelDp> recordLevelDp)
      throws Exception;

  /**
   * How many records local training uses (the training part of the silo's data, without the
   * held-out part), loading the data for the run's {@code model} if needed: the n of DP-SGD's
   * sample rate q = expected batch size / n. Stays on the silo.
   */
  int trainingRecords(JsonNode model) throws Exception;

  /** Metrics of {@code model} on the silo's held-out data (e.g. loss, accuracy, examples). */
  Map<String, Double> evaluate(float[] model, JsonNode modelDescription) throws Exception;

  /**
   * A local training's result.
   *
   * @param localModel the trained parameters
   * @param examples how many training examples the silo used (its FedAvg weight)
   * @param metrics training metrics (loss before and after, seconds), never a per-record value
   */
  record LocalUpdate(float[] localModel, long examples, Map<String, Double> metrics) {
    public LocalUpdate {
      metrics = Map.copyOf(metrics);
    }
  }
}
