package org.fedsum.cli.privacy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum privacy}: ε of a planned run, or the noise a target ε needs. */
@Command(
    name = "privacy",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the ε a run spends by both accountants (silo-level DP, s = t survivors per round),"
          + " or with --target-epsilon the noise multiplier it needs.",
      "Defaults of --silos, --threshold, --bits and --dim are those of 'fedsum demo'."
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

  @Option(names = "--rounds", required = true, paramLabel = "T", description = "Finished rounds.")
  long rounds;

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
        result.put("epsilon_gdp", epsilons.gdp());
        result.put("epsilon_rdp", epsilons.rdp());
        result.put("epsilon", epsilons.enforced());
        if (!json) {
          out.printf(
              Locale.ROOT,
              "z = %s, %d rounds, δ = %s, %d silos, t = %d, %d bits, %d parameters:%n"
                  + "  ε (discrete Rényi bound, enforced) = %.4f%n"
                  + "  ε (continuous Gaussian DP reference) = %.4f%n",
              noiseMultiplier,
              rounds,
              delta,
              silos,
              threshold,
              bits,
              dimension,
              epsilons.rdp(),
              epsilons.gdp());
        }
      } else {
        if (!(targetEpsilon > 0) || targetEpsilon.isInfinite()) {
          throw new CliException("--target-epsilon must be > 0, not " + targetEpsilon);
        }
        PrivacyCalculator.NoiseMultipliers noise =
            calculator.noiseFor(targetEpsilon, rounds, delta);
        result.put("noise_multiplier", noise.enforced());
        result.put("noise_multiplier_gdp", noise.gdp());
        if (!json) {
          out.printf(
              Locale.ROOT,
              "for ε ≤ %s over %d rounds at δ = %s (%d silos, t = %d, %d bits, %d parameters):%n"
                  + "  noise multiplier %.4f (both accountants)%n"
                  + "  noise multiplier %.4f (continuous Gaussian DP reference alone)%n",
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
}
