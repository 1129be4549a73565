package org.fedsum.cli.privacy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RecordLevelAccountant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum privacy}: ε of a planned run, or the noise a target ε needs. */
@Command(
    name = "privacy",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the ε a run spends, or with --target-epsilon the noise multiplier it needs, with the"
          + " unit ε protects and its δ.",
      "Silo-level DP (the default; unit: one silo's whole update per round): both accountants,"
          + " s = t survivors per round; defaults of --silos, --threshold, --bits and --dim are"
          + " those of 'fedsum demo'.",
      "Record-level DP (with --sample-rate and --steps; unit: one record of a silo's data):"
          + " the subsampled Gaussian's Rényi accountant over --steps DP-SGD steps per round"
          + " times --rounds (default 1)."
    })
public final class PrivacyCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--noise-multiplier", paramLabel = "Z", description = "Noise multiplier z.")
  Double noiseMultiplier;

  @Option(
      names = "--target-epsilon",
      paramLabel = "E",
      description = "Print the z that ε ≤ E needs.")
  Double targetEpsilon;

  @Option(
      names = "--rounds",
      paramLabel = "T",
      description =
          "Finished rounds (required for silo-level DP; with --steps, default 1: the steps of"
              + " every round).")
  Long rounds;

  @Option(
      names = "--sample-rate",
      paramLabel = "Q",
      description =
          "Record-level DP: the Poisson sample rate q of DP-SGD, in (0, 1] (expected batch /"
              + " records).")
  Double sampleRate;

  @Option(
      names = "--steps",
      paramLabel = "S",
      description = "Record-level DP: DP-SGD steps per round (epochs × ceil(1/q)); times --rounds.")
  Long steps;

  @Option(names = "--delta", required = true, paramLabel = "D", description = "δ, in (0, 1).")
  double delta;

  @Option(
      names = "--silos",
      paramLabel = "N",
      defaultValue = "3",
      description = "Roster size (default 3).")
  int silos;

  @Option(
      names = "--threshold",
      paramLabel = "T",
      defaultValue = "2",
      description = "Shamir threshold t (default 2).")
  int threshold;

  @Option(
      names = "--bits",
      paramLabel = "B",
      defaultValue = "32",
      description = "Word width of the masked vectors, 8..32 (default 32, as in a run).")
  int bits;

  @Option(
      names = "--dim",
      paramLabel = "M",
      defaultValue = "610",
      description = "Model parameters (default 610, the demo's logistic regression).")
  int dimension;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException {
    if ((noiseMultiplier == null) == (targetEpsilon == null)) {
      throw new CliException("give exactly one of --noise-multiplier Z and --target-epsilon E");
    }
    if (!(delta > 0 && delta < 1)) {
      throw new CliException("--delta must be in (0, 1), not " + delta);
    }
    if (sampleRate != null || steps != null) {
      return recordLevel();
    }
    if (rounds == null) {
      throw new CliException(
          "give --rounds T (silo-level DP), or --sample-rate Q and --steps S (record-level DP)");
    }
    if (rounds < 1) {
      throw new CliException("--rounds must be at least 1, not " + rounds);
    }
    if (silos < 3) {
      throw new CliException("--silos must be at least 3, not " + silos);
    }
    if (threshold < 2 || threshold > silos) {
      throw new CliException(
          "--threshold must be between 2 and --silos " + silos + ", not " + threshold);
    }
    if (bits < 8 || bits > 32) {
      throw new CliException("--bits must be between 8 and 32, not " + bits);
    }
    if (dimension < 1) {
      throw new CliException("--dim must be at least 1, not " + dimension);
    }
    PrivacyCalculator calculator = new PrivacyCalculator(silos, threshold, bits, dimension);
    PrintWriter out = spec.commandLine().getOut();
    ObjectNode result = JSON.createObjectNode();
    try {
      if (noiseMultiplier != null) {
        if (!(noiseMultiplier > 0) || noiseMultiplier.isInfinite()) {
          throw new CliException(
              "--noise-multiplier must be > 0 (0 is no DP: no finite ε), not " + noiseMultiplier);
        }
        PrivacyCalculator.Epsilons epsilons = calculator.epsilon(noiseMultiplier, rounds, delta);
        result.put("unit", PrivacySpend.UNIT_SILO);
        result.put("delta", delta);
        result.put("epsilon_gdp", epsilons.gdp());
        result.put("epsilon_rdp", epsilons.rdp());
        result.put("epsilon", epsilons.enforced());
        if (!json) {
          out.printf(
              Locale.ROOT,
              "silo-level DP (unit: %s)%n"
                  + "z = %s, %d rounds, δ = %s, %d silos, t = %d, %d bits, %d parameters:%n"
                  + "  ε (discrete Rényi bound, enforced) = %.4f at δ = %s%n"
                  + "  ε (continuous Gaussian DP reference) = %.4f at δ = %s%n",
              PrivacySpend.UNIT_SILO_DESCRIPTION,
              noiseMultiplier,
              rounds,
              delta,
              silos,
              threshold,
              bits,
              dimension,
              epsilons.rdp(),
              delta,
              epsilons.gdp(),
              delta);
        }
      } else {
        if (!(targetEpsilon > 0) || targetEpsilon.isInfinite()) {
          throw new CliException("--target-epsilon must be > 0, not " + targetEpsilon);
        }
        PrivacyCalculator.NoiseMultipliers noise =
            calculator.noiseFor(targetEpsilon, rounds, delta);
        result.put("unit", PrivacySpend.UNIT_SILO);
        result.put("delta", delta);
        result.put("noise_multiplier", noise.enforced());
        result.put("noise_multiplier_gdp", noise.gdp());
        if (!json) {
          out.printf(
              Locale.ROOT,
              "silo-level DP (unit: %s)%n"
                  + "for ε ≤ %s over %d rounds at δ = %s (%d silos, t = %d, %d bits, %d parameters):%n"
                  + "  noise multiplier %.4f (both accountants)%n"
                  + "  noise multiplier %.4f (continuous Gaussian DP reference alone)%n",
              PrivacySpend.UNIT_SILO_DESCRIPTION,
              targetEpsilon,
              rounds,
              delta,
              silos,
              threshold,
              bits,
              dimension,
              noise.enforced(),
              noise.gdp());
        }
      }
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
    if (json) {
      out.println(result.toString());
    }
    out.flush();
    return 0;
  }

  /** Record-level DP: the subsampled Gaussian's accountant over every DP-SGD step. */
  private Integer recordLevel() throws CliException {
    if (sampleRate == null || steps == null) {
      throw new CliException(
          "record-level DP needs both --sample-rate Q and --steps S (steps per round)");
    }
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (String siloLevelOnly : new String[] {"--silos", "--threshold", "--bits", "--dim"}) {
      if (parsed.hasMatchedOption(siloLevelOnly)) {
        throw new CliException(
            siloLevelOnly
                + " is a silo-level setting; record-level DP (--sample-rate, --steps) does not use"
                + " it");
      }
    }
    if (!(sampleRate > 0 && sampleRate <= 1)) {
      throw new CliException("--sample-rate must be in (0, 1], not " + sampleRate);
    }
    if (steps < 1) {
      throw new CliException("--steps must be at least 1, not " + steps);
    }
    long roundCount = rounds == null ? 1 : rounds;
    if (roundCount < 1) {
      throw new CliException("--rounds must be at least 1, not " + roundCount);
    }
    if (steps > Long.MAX_VALUE / roundCount) {
      throw new CliException("--steps × --rounds is too large");
    }
    long totalSteps = steps * roundCount;
    PrintWriter out = spec.commandLine().getOut();
    ObjectNode result = JSON.createObjectNode();
    result.put("unit", PrivacySpend.UNIT_RECORD);
    result.put("delta", delta);
    result.put("sample_rate", sampleRate);
    result.put("steps", totalSteps);
    try {
      if (noiseMultiplier != null) {
        if (!(noiseMultiplier > 0) || noiseMultiplier.isInfinite()) {
          throw new CliException(
              "--noise-multiplier must be > 0 (0 is no DP: no finite ε), not " + noiseMultiplier);
        }
        RecordLevelAccountant.Epsilon epsilon =
            RecordLevelAccountant.epsilon(sampleRate, noiseMultiplier, totalSteps, delta);
        result.put("noise_multiplier", noiseMultiplier);
        result.put("epsilon", epsilon.epsilon());
        result.put("order", epsilon.order());
        if (!json) {
          out.printf(
              Locale.ROOT,
              "record-level DP (unit: %s)%n"
                  + "q = %s, z = %s, %d DP-SGD steps (%d per round × %d %s):%n"
                  + "  ε = %.4f at δ = %s (Rényi DP of the subsampled Gaussian, order α = %s)%n",
              PrivacySpend.UNIT_RECORD_DESCRIPTION,
              sampleRate,
              noiseMultiplier,
              totalSteps,
              steps,
              roundCount,
              roundCount == 1 ? "round" : "rounds",
              epsilon.epsilon(),
              delta,
              epsilon.order());
        }
      } else {
        if (!(targetEpsilon > 0) || targetEpsilon.isInfinite()) {
          throw new CliException("--target-epsilon must be > 0, not " + targetEpsilon);
        }
        double z =
            RecordLevelAccountant.requiredNoiseMultiplier(
                targetEpsilon, sampleRate, totalSteps, delta);
        result.put("target_epsilon", targetEpsilon);
        result.put("noise_multiplier", z);
        if (!json) {
          out.printf(
              Locale.ROOT,
              "record-level DP (unit: %s)%n"
                  + "for ε ≤ %s at δ = %s with q = %s over %d DP-SGD steps (%d per round × %d"
                  + " %s):%n"
                  + "  noise multiplier %.4f%n",
              PrivacySpend.UNIT_RECORD_DESCRIPTION,
              targetEpsilon,
              delta,
              sampleRate,
              totalSteps,
              steps,
              roundCount,
              roundCount == 1 ? "round" : "rounds",
              z);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
    if (json) {
      out.println(result.toString());
    }
    out.flush();
    return 0;
  }
}
