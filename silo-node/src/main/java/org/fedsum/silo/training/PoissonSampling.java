package org.fedsum.silo.training;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Poisson subsampling for DP-SGD: every record joins a step's batch independently with probability
 * q, so the batch size varies from step to step (and may be 0). This is the sampling the
 * record-level accountant's subsampled Gaussian assumes; fixed-size shuffled batches would not be.
 */
final class PoissonSampling {
  private PoissonSampling() {}

  /** The indices in {@code [0, records)} drawn for one step, ascending. */
  static int[] sample(SplittableRandom random, int records, double sampleRate) {
    int[] drawn = new int[records];
    int count = 0;
    for (int i = 0; i < records; i++) {
      if (random.nextDouble() < sampleRate) {
        drawn[count++] = i;
      }
    }
    return Arrays.copyOf(drawn, count);
  }
}
