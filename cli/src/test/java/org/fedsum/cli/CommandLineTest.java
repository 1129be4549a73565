package org.fedsum.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Parsing and error reporting of every subcommand, in-process (no federation is started). */
class CommandLineTest {
  @TempDir Path directory;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "demo",
        "provision",
        "provision revoke",
        "provision add-site",
        "aggregator",
        "silo",
        "operator",
        "operator submit",
        "operator status",
        "operator start",
        "operator pause",
        "operator resume",
        "operator stop",
        "operator wait",
        "operator rounds",
        "operator download",
        "operator upload-model",
        "operator health",
        "operator metrics",
        "privacy",
        "audit verify",
        "audit report",
        "bench round",
        "bench scaling"
      })
  void everyCommandHasHelp(String command) {
    String[] words = command.isEmpty() ? new String[0] : command.split(" ");
    String[] args = java.util.Arrays.copyOf(words, words.length + 1);
    args[words.length] = "--help";
    Run run = Run.fedsum(args);
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("Usage: fedsum" + (command.isEmpty() ? "" : " " + command));
    assertThat(run.err()).isEmpty();
  }

  /** Each bad command line: one line on standard error naming the problem, exit code 2. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "nonsense|Unmatched argument at index 0: 'nonsense'",
        "demo --silos 2|--silos must be at least 3",
        "demo --rounds 0|--rounds must be between 1 and 1000",
        "demo --silos x|Invalid value for option '--silos'",
        "demo --epsilon -1|--epsilon must be > 0",
        "demo --dp sometimes|--dp must be record, silo, both or off, not sometimes",
        "demo --no-dp --dp silo|give --no-dp or --dp=UNIT, not both",
        "demo --no-dp --epsilon 3|--epsilon has no meaning with differential privacy off",
        "privacy --noise-multiplier 1 --steps 10 --delta 1e-5|record-level DP needs both"
            + " --sample-rate Q and --steps S",
        "provision|give --config federation.yaml and --out DIR",
        "provision --example --out x|--example prints the example only",
        "provision --config missing.yaml --out kits|cannot read missing.yaml",
        "provision revoke --out kits|Missing required option: '--site=ID'",
        "provision revoke --site Bad! --out kits|--site: must match",
        "provision add-site silo-9 --out nowhere --role chef|--role must be silo, operator or"
            + " aggregator",
        "provision add-site silo-9 --out nowhere|holds no provisioned federation",
        "aggregator|Missing required option: '--kit=DIR'",
        "aggregator --kit nowhere|--kit nowhere: no such folder",
        "silo --kit nowhere|--kit nowhere: no such folder",
        "operator status|give --kit DIR, the operator's kit",
        "operator --kit nowhere|a subcommand is needed",
        "operator --kit nowhere status|--kit nowhere: no such folder",
        "privacy --rounds 5 --delta 1e-5|give exactly one of --noise-multiplier Z and"
            + " --target-epsilon E",
        "privacy --noise-multiplier 1 --rounds 5|Missing required option: '--delta=D'",
        "privacy --noise-multiplier 1 --rounds 5 --delta 2|--delta must be in (0, 1)",
        "privacy --noise-multiplier 0 --rounds 5 --delta 1e-5|--noise-multiplier must be > 0",
        "privacy --noise-multiplier 1 --rounds 5 --delta 1e-5 --threshold 4|--threshold must be"
            + " between 2 and --silos 3",
        "privacy --noise-multiplier 1 --rounds 5 --delta 1e-5 --bits 40|--bits must be between 8"
            + " and 32"
      })
  void badInputIsOneClearLineAndExitCodeTwo(String command, String expected) {
    Run run = Run.fedsum(command.split(" "));
    assertThat(run.exitCode()).as(run.err()).isEqualTo(CliException.USAGE);
    assertThat(run.out()).isEmpty();
    String first = run.err().lines().findFirst().orElse("");
    assertThat(first).startsWith("fedsum").contains(expected);
    // At most a hint to --help follows; never a stack trace without --verbose.
    assertThat(run.err()).doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(run.err().lines().count()).isLessThanOrEqualTo(2);
  }

  @Test
  void verboseAddsTheStackTrace() {
    Run quiet = Run.fedsum("aggregator", "--kit", "nowhere");
    Run verbose = Run.fedsum("--verbose", "aggregator", "--kit", "nowhere");
    assertThat(verbose.exitCode()).isEqualTo(quiet.exitCode()).isEqualTo(CliException.USAGE);
    assertThat(verbose.err()).startsWith(quiet.err().strip());
    assertThat(verbose.err()).contains("CliException").contains("\tat org.fedsum.cli.");
  }

  @Test
  void aMalformedKitConfigurationNamesTheFileAndTheKey() throws Exception {
    Path kit = Files.createDirectories(directory.resolve("kit"));
    Files.writeString(kit.resolve("silo.yaml"), "siloId: silo-1\nfavouriteColour: blue\n");
    Run run = Run.fedsum("silo", "--kit", kit.toString());
    assertThat(run.exitCode()).isEqualTo(CliException.USAGE);
    assertThat(run.err().strip())
        .startsWith("fedsum silo: " + kit.resolve("silo.yaml"))
        .contains("favouriteColour");
  }

  @Test
  void versionIsPrinted() {
    Run run = Run.fedsum("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("fedsum ");
  }
}
