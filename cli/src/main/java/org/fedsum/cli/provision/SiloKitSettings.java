package org.fedsum.cli.provision;

/**
 * What a silo kit's {@code silo.yaml} says beyond identity and TLS: its training data and its
 * privacy floor. Kits from {@code federation.yaml} get {@link #defaults()}: FedProx synthetic data
 * (so a kit runs as it is, before the silo points it at its own data), DP required.
 */
public interface SiloKitSettings {
  /**
   * The {@code data:} block of the silo with site id {@code siloId}, the {@code index}-th silo of
   * the federation (0-based), as YAML lines indented under {@code data:}; paths relative to the kit
   * folder or absolute.
   */
  String dataBlock(String siloId, int index);

  /** {@code privacy.floor.requireDifferentialPrivacy}. */
  boolean requireDifferentialPrivacy();

  /** {@code privacy.floor.minNoiseMultiplier}. */
  double minNoiseMultiplier();

  /** {@code aggregator.pollWaitSeconds}. */
  int pollWaitSeconds();

  /** Synthetic data, one FedProx device per silo, 1000 examples; DP required, any noise. */
  static SiloKitSettings defaults() {
    return synthetic(1000, 1, true, 0, 25);
  }

  /** FedProx synthetic data (α = β = 0.5), device {@code index}, and the given floor. */
  static SiloKitSettings synthetic(
      int examples, long seed, boolean requireDp, double minNoise, int pollWaitSeconds) {
    return new SiloKitSettings() {
      @Override
      public String dataBlock(String siloId, int index) {
        return String.join(
            "\n",
            "  format: synthetic              # csv | idx | synthetic (docs/SILO.md)",
            "  alpha: 0.5                     # FedProx synthetic(alpha, beta): how much the"
                + " silos' models and data differ",
            "  beta: 0.5",
            "  examples: " + examples + "                 # examples this silo generates",
            "  device: " + index + "                      # which FedProx device this silo is",
            "  seed: " + seed,
            "  heldOutFraction: 0.2           # share held out for evaluation");
      }

      @Override
      public boolean requireDifferentialPrivacy() {
        return requireDp;
      }

      @Override
      public double minNoiseMultiplier() {
        return minNoise;
      }

      @Override
      public int pollWaitSeconds() {
        return pollWaitSeconds;
      }
    };
  }
}
