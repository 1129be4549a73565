package org.fedsum.silo.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The DP-SGD harnesses' command lines: every option is read, and a bad one is refused with a
 * message that names it (they used to fail with a bare NumberFormatException or an index out of
 * bounds). NiidBenchmark's own command line is in {@link NiidBenchmarkTest}.
 */
class BenchmarkCommandLineTest {

  @Test
  void epochBenchmark_readsEveryOptionAndDefaultsTheRest() {
    DpSgdEpochBenchmark.Arguments given =
        DpSgdEpochBenchmark.parse("images labels --examples 600 --repeats 3 --batch 32".split(" "));
    assertThat(given.images).isEqualTo(Path.of("images"));
    assertThat(given.labels).isEqualTo(Path.of("labels"));
    assertThat(List.of(given.examples, given.repeats, given.batchSize)).containsExactly(600, 3, 32);

    DpSgdEpochBenchmark.Arguments defaults = DpSgdEpochBenchmark.parse("i l".split(" "));
    assertThat(List.of(defaults.examples, defaults.repeats, defaults.batchSize))
        .containsExactly(6000, 5, 64);
  }

  @Test
  void accuracyBenchmark_readsEveryOptionAndDefaultsTheRest() {
    DpSgdAccuracyBenchmark.Arguments given =
        DpSgdAccuracyBenchmark.parse(
            "d --rounds 4 --learning-rate 0.05 --epsilons 2,0.5".split(" "));
    assertThat(given.data).isEqualTo(Path.of("d"));
    assertThat(given.rounds).isEqualTo(4);
    assertThat(given.learningRate).isEqualTo(0.05);
    assertThat(given.epsilons).containsExactly(2.0, 0.5);

    DpSgdAccuracyBenchmark.Arguments defaults = DpSgdAccuracyBenchmark.parse(new String[] {"d"});
    assertThat(defaults.rounds).isEqualTo(10);
    assertThat(defaults.learningRate).isEqualTo(0.1);
    assertThat(defaults.epsilons).containsExactly(1.0, 3.0, 8.0);
  }

  @Test
  void badCommandLines_areRefusedNamingWhatIsWrong() {
    Map<String, String> epoch = new TreeMap<>();
    epoch.put("i", "Missing required parameter: 'LABELS'");
    epoch.put("i l --examples", "Missing required parameter for option '--examples'");
    epoch.put("i l --examples many", "Invalid value for option '--examples': 'many' is not an int");
    epoch.put("i l --repeats 0", "--repeats must be a whole number of at least 1, not 0");
    epoch.put("i l --batch -64", "--batch must be a whole number of at least 1, not -64");
    epoch.put("i l --batch 64 --batch 32", "option '--batch' (<batchSize>) should be specified");
    epoch.put("i l --epochs 2", "Unknown options: '--epochs', '2'");
    Map<String, String> accuracy = new TreeMap<>();
    accuracy.put("d --rounds 0", "--rounds must be a whole number of at least 1, not 0");
    accuracy.put("d --learning-rate 0", "--learning-rate must be a positive number");
    accuracy.put("d --learning-rate NaN", "--learning-rate must be a positive number");
    accuracy.put("d --epsilons 1,-3", "--epsilons must be a positive number");
    accuracy.put("d --epsilons 1,three", "Invalid value for option '--epsilons'");
    accuracy.put("", "Missing required parameter: 'FASHION_MNIST_DIR'");

    Map<String, String> failures = new TreeMap<>();
    failures.putAll(
        refusalsNotAsExpected("DpSgdEpochBenchmark", epoch, DpSgdEpochBenchmark::parse));
    failures.putAll(
        refusalsNotAsExpected("DpSgdAccuracyBenchmark", accuracy, DpSgdAccuracyBenchmark::parse));
    assertThat(failures).isEmpty();
  }

  /**
   * Parses each command line of {@code cases} (split at spaces) and returns, by line, those that
   * were accepted or refused without the expected text; a refusal by picocli must also carry the
   * harness's usage text.
   */
  static Map<String, String> refusalsNotAsExpected(
      String harness, Map<String, String> cases, Consumer<String[]> parse) {
    Map<String, String> failures = new TreeMap<>();
    cases.forEach(
        (line, expected) -> {
          try {
            parse.accept(line.isEmpty() ? new String[0] : line.split(" "));
            failures.put(harness + " " + line, "accepted");
          } catch (IllegalArgumentException e) {
            boolean picocliRefused = e.getCause() != null;
            if (!e.getMessage().contains(expected)
                || (picocliRefused && !e.getMessage().contains("Usage: " + harness))) {
              failures.put(harness + " " + line, "refused with: " + e.getMessage());
            }
          }
        });
    return failures;
  }
}
