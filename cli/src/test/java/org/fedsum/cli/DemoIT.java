package org.fedsum.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./fedsum demo} as a user runs it: the README's command, through the script and the built
 * jar, with its 3 silo JVMs; and Ctrl-C in the middle of a run.
 */
class DemoIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path directory;

  @Test
  void theReadmesDemoRunsFiveRoundsAndWritesItsSummary() throws Exception {
    try (Launcher launcher = Launcher.in(directory)) {
      List<String> demos =
          Launcher.readmeCommands(launcher.repository()).stream()
              .filter(command -> command.startsWith("./fedsum demo"))
              .toList();
      assertThat(demos).containsExactly("./fedsum demo");

      long started = System.nanoTime();
      Launcher.Result result = launcher.run(demos.get(0), 480);
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(result.exitCode()).as(result.output()).isZero();
      // Every round is reported; a round a silo declined (seen once: a refusal before advertising
      // keys) aborts and the run makes up for it with another, so rounds beyond 5 may appear.
      for (int round = 1; round <= 5; round++) {
        assertThat(result.output())
            .containsPattern("round " + round + "/5  (survivors 3/3  loss |aborted in )");
      }
      assertThat(result.output()).contains("run demo COMPLETED: 5 of 5 rounds finished");

      Path out = directory.resolve("demo-out");
      JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
      int finished = 0;
      for (JsonNode round : summary.path("rounds")) {
        if (!round.path("outcome").asText().equals("finished")) {
          assertThat(round.path("outcome").asText()).isEqualTo("aborted");
          continue;
        }
        finished++;
        assertThat(round.path("survivors").asInt()).isEqualTo(3);
        assertThat(round.path("dropouts").asInt()).isZero();
        assertThat(round.path("loss").isNumber()).as("%s", round).isTrue();
        assertThat(round.path("accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(round.path("epsilon").asDouble()).isPositive();
        assertThat(round.path("seconds").asDouble()).isPositive();
      }
      assertThat(finished).isEqualTo(5);
      // ε grows with every finished round (an aborted one spends nothing) within the budget of 30.
      double previous = 0;
      for (JsonNode round : summary.path("rounds")) {
        double epsilon = round.path("epsilon").asDouble();
        if (round.path("outcome").asText().equals("finished")) {
          assertThat(epsilon).isGreaterThan(previous).isLessThan(30);
        } else {
          assertThat(epsilon).isEqualTo(previous);
        }
        previous = epsilon;
      }
      assertThat(Files.size(Path.of(summary.path("model").asText()))).isEqualTo(610 * 4L);
      // The run starts from the model the "initial model" line evaluated, not from zeros: the
      // earliest round any silo agreed to (no round can have finished before it) trains from it.
      Path initialModel = out.resolve("initial-model.bin");
      assertThat(Files.size(initialModel)).isEqualTo(610 * 4L);
      String initialSha256 =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(initialModel)));
      List<JsonNode> agreed = new ArrayList<>();
      for (JsonNode silo : summary.path("journals").path("silos")) {
        for (String line : Files.readAllLines(Path.of(silo.asText()))) {
          if (line.contains("\"round-agreed\"")) {
            agreed.add(JSON.readTree(line));
          }
        }
      }
      JsonNode earliest =
          agreed.stream()
              .min(Comparator.comparingLong(line -> line.path("body").path("round").asLong()))
              .orElseThrow();
      assertThat(earliest.path("body").path("modelSha256").asText()).isEqualTo(initialSha256);
      assertThat(Path.of(summary.path("ca").asText())).isRegularFile();
      assertThat(Path.of(summary.path("crl").asText())).isRegularFile();
      assertThat(Path.of(summary.path("journals").path("aggregator").asText())).isRegularFile();
      assertThat(summary.path("journals").path("silos")).hasSize(3);
      summary
          .path("journals")
          .path("silos")
          .forEach(path -> assertThat(Path.of(path.asText())).isRegularFile());
      // The audit's report: every journal verified and cross-checked, the page says so first.
      Path reportPage = Path.of(summary.path("report").asText());
      assertThat(reportPage).isRegularFile().hasFileName("report.html");
      assertThat(Files.readString(reportPage)).doesNotContain("TAMPERED OR INCONSISTENT");
      JsonNode report = JSON.readTree(reportPage.resolveSibling("report.json").toFile());
      assertThat(report.path("verified").asBoolean())
          .as("%s", report.path("verification"))
          .isTrue();
      // The auditor's command verifies the same journals through the launcher.
      StringBuilder journals =
          new StringBuilder(summary.path("journals").path("aggregator").asText());
      summary
          .path("journals")
          .path("silos")
          .forEach(path -> journals.append(' ').append(path.asText()));
      Launcher.Result audit =
          launcher.run(
              "./fedsum audit verify "
                  + journals
                  + " --ca "
                  + summary.path("ca").asText()
                  + " --crl "
                  + summary.path("crl").asText(),
              120);
      assertThat(audit.exitCode()).as(audit.output()).isZero();
      assertThat(audit.output()).contains("VERIFIED: 4 journals");
      // No silo JVM is left behind.
      assertThat(javaProcessesUnder(directory)).isEmpty();
      System.out.printf("fedsum demo (defaults) took %.1f s%n", seconds);
    }
  }

  @Test
  void ctrlCStopsTheDemoAndItsSiloProcesses() throws Exception {
    try (Launcher launcher = Launcher.in(directory)) {
      Path log = directory.resolve("interrupted.log");
      // A terminal's shell gives its commands SIGINT's default handling; a shell that started this
      // build in the background (`cmd &` without job control) passed SIGINT on ignored, and a JVM
      // that starts with SIGINT ignored keeps ignoring it: reset it, as a terminal would have it.
      Process demo =
          launcher.start(
              "exec env --default-signal=INT ./fedsum demo --rounds 200 --out interrupted", log);
      Launcher.awaitLine(log, "3 silo processes started", demo, 300);
      List<ProcessHandle> children = demo.descendants().toList();
      assertThat(children).hasSizeGreaterThanOrEqualTo(3);
      assertThat(javaProcessesUnder(directory)).hasSizeGreaterThanOrEqualTo(3);
      // What a terminal sends on Ctrl-C.
      new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor();
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
      assertThat(demo.exitValue()).isNotZero();
      for (ProcessHandle child : children) {
        child.onExit().get(30, TimeUnit.SECONDS);
      }
      assertThat(javaProcessesUnder(directory)).isEmpty();
    }
  }

  private static List<ProcessHandle> javaProcessesUnder(Path folder) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(
            process ->
                process
                    .info()
                    .commandLine()
                    .map(line -> line.contains(folder.toString()))
                    .orElse(false))
        .toList();
  }
}
