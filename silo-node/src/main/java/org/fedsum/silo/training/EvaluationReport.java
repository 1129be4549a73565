package org.fedsum.silo.training;

/**
 * A model evaluated on a dataset (for federated evaluation, the silo's held-out data).
 *
 * @param loss the mean cross-entropy per example (natural logarithm)
 * @param accuracy the fraction of examples whose largest logit is at their label, in {@code [0, 1]}
 * @param examples the number of examples evaluated
 */
public record EvaluationReport(double loss, double accuracy, int examples) {
  public EvaluationReport {
    if (!(accuracy >= 0 && accuracy <= 1)) {
      throw new IllegalArgumentException("accuracy must be in [0, 1], not " + accuracy);
    }
    if (examples < 0) {
      throw new IllegalArgumentException("examples must be >= 0, not " + examples);
    }
  }
}
