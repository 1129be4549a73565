package org.fedsum.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Kit;
import org.fedsum.crypto.SiteRole;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code fedsum operator --kit DIR ...}: the operator API over mutual TLS. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Drives the aggregator's operator API with an operator kit (mutual TLS).",
    subcommands = {
      OperatorCommand.Submit.class,
      OperatorCommand.Status.class,
      OperatorCommand.Start.class,
      OperatorCommand.Pause.class,
      OperatorCommand.Resume.class,
      OperatorCommand.Stop.class,
      OperatorCommand.Wait.class,
      OperatorCommand.Rounds.class,
      OperatorCommand.Download.class,
      OperatorCommand.UploadModel.class,
      OperatorCommand.Health.class,
      OperatorCommand.Metrics.class
    })
public final class OperatorCommand implements Callable<Integer> {
  // Not required by the parser, so that every subcommand's --help works without a kit.
  @Option(names = "--kit", paramLabel = "DIR", description = "The operator's kit (required).")
  Path kit;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description = "How long one request may take (default 60).")
  int timeoutSeconds;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException {
    throw new CliException(
        "a subcommand is needed: submit, status, start, pause, resume, stop, wait, rounds,"
            + " download, upload-model, health or metrics");
  }

  OperatorClient client() throws CliException {
    if (kit == null) {
      throw new CliException("give --kit DIR, the operator's kit, before the subcommand");
    }
    if (timeoutSeconds < 1) {
      throw new CliException("--timeout must be at least 1 second, not " + timeoutSeconds);
    }
    return OperatorClient.fromKit(
        Kit.open(kit, SiteRole.OPERATOR), Duration.ofSeconds(timeoutSeconds));
  }

  /** One line about a run, from its view. */
  static String describe(JsonNode view) {
    StringBuilder line = new StringBuilder();
    line.append(view.path("runId").asText())
        .append(": ")
        .append(view.path("phase").asText())
        .append(", rounds finished ")
        .append(view.path("roundsFinished").asInt())
        .append('/')
        .append(view.path("rounds").asInt())
        .append(", aborted ")
        .append(view.path("roundsAborted").asInt());
    if (!view.path("stage").isNull() && !view.path("stage").isMissingNode()) {
      line.append(", round ")
          .append(view.path("currentRound").asLong())
          .append(" in ")
          .append(view.path("stage").asText());
    }
    if (!view.path("failure").isNull() && !view.path("failure").isMissingNode()) {
      line.append(", failure: ").append(view.path("failure").asText());
    }
    return line.toString();
  }

  private abstract static class Sub implements Callable<Integer> {
    @ParentCommand OperatorCommand parent;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    static String runPath(String runId, String suffix) throws CliException {
      if (!org.fedsum.crypto.SiteIdentity.isValidSiteId(runId)) {
        throw new CliException(
            "run id must match [a-z0-9][a-z0-9._-]{0,62}, not \"" + runId + "\"");
      }
      return "/v1/runs/" + runId + suffix;
    }
  }

  /** Submits a run configuration. */
  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description = "Submits a run configuration (docs/OPERATOR.md); --start also starts it.")
  static final class Submit extends Sub {
    @Parameters(index = "0", paramLabel = "RUN_YAML", description = "The run configuration.")
    Path file;

    @Option(names = "--start", description = "Start the run once it is created.")
    boolean start;

    @Override
    public Integer call() throws CliException, InterruptedException {
      String yaml;
      try {
        yaml = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
      }
      OperatorClient client = parent.client();
      JsonNode view = client.post("/v1/runs", yaml, "application/yaml");
      out().println("created " + describe(view));
      if (start) {
        view = client.post(runPath(view.path("runId").asText(), "/start"), "", "text/plain");
        out().println("started " + describe(view));
      }
      out().flush();
      return 0;
    }
  }

  /** Shows one run or every run. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Shows a run (or every run without RUN_ID).")
  static final class Status extends Sub {
    @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_ID")
    String runId;

    @Option(names = "--json", description = "Print the aggregator's JSON as it is.")
    boolean json;

    @Override
    public Integer call() throws CliException, InterruptedException {
      OperatorClient client = parent.client();
      JsonNode answer = client.getJson(runId == null ? "/v1/runs" : runPath(runId, ""));
      if (json) {
        out().println(answer.toPrettyString());
      } else if (runId == null) {
        if (answer.path("runs").isEmpty()) {
          out().println("no runs");
        }
        for (JsonNode view : answer.path("runs")) {
          out().println(describe(view));
        }
      } else {
        out().println(describe(answer));
      }
      out().flush();
      return 0;
    }
  }

  private static class Change extends Sub {
    @Parameters(index = "0", paramLabel = "RUN_ID")
    String runId;

    @CommandLine.Spec CommandLine.Model.CommandSpec changeSpec;

    /** The run action: the subcommand's own name (start, pause, resume, stop). */
    String action() {
      return changeSpec.name();
    }

    @Override
    public Integer call() throws CliException, InterruptedException {
      JsonNode view = parent.client().post(runPath(runId, "/" + action()), "", "text/plain");
      out().println(action() + ": " + describe(view));
      out().flush();
      return 0;
    }
  }

  /** Starts a created run. */
  @Command(name = "start", mixinStandardHelpOptions = true, description = "Starts a created run.")
  static final class Start extends Change {}

  /** Pauses a run after its open round. */
  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = "Lets the open round finish and starts no new one until resume.")
  static final class Pause extends Change {}

  /** Resumes a paused run. */
  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a paused run.")
  static final class Resume extends Change {}

  /** Stops a run for good. */
  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description = "Aborts the open round and ends the run.")
  static final class Stop extends Change {}

  /** Waits until a run is over. */
  @Command(
      name = "wait",
      mixinStandardHelpOptions = true,
      description = {
        "Waits until the run is over; exit 0 if it COMPLETED, 1 if it STOPPED or FAILED or the"
            + " time ran out."
      })
  static final class Wait extends Sub {
    @Parameters(index = "0", paramLabel = "RUN_ID")
    String runId;

    @Option(
        names = "--for",
        paramLabel = "SECONDS",
        defaultValue = "600",
        description = "Give up after this long (default 600).")
    int seconds;

    @Override
    public Integer call() throws CliException, InterruptedException {
      OperatorClient client = parent.client();
      long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      String last = "";
      while (true) {
        JsonNode view = client.getJson(runPath(runId, ""));
        String line = describe(view);
        if (!line.equals(last)) {
          out().println(line);
          out().flush();
          last = line;
        }
        String phase = view.path("phase").asText();
        if (phase.equals("COMPLETED")) {
          return 0;
        }
        if (phase.equals("STOPPED") || phase.equals("FAILED")) {
          throw new CliException("run " + runId + " ended " + phase, CliException.FAILURE, null);
        }
        if (System.nanoTime() > deadline) {
          throw new CliException(
              "run " + runId + " is still " + phase + " after " + seconds + " s",
              CliException.FAILURE,
              null);
        }
        Thread.sleep(1000);
      }
    }
  }

  /** Every round of a run. */
  @Command(
      name = "rounds",
      mixinStandardHelpOptions = true,
      description = "Lists a run's rounds: outcome, survivors, duration and ε spent.")
  static final class Rounds extends Sub {
    @Parameters(index = "0", paramLabel = "RUN_ID")
    String runId;

    @Option(names = "--json", description = "Print the aggregator's JSON as it is.")
    boolean json;

    @Override
    public Integer call() throws CliException, InterruptedException {
      JsonNode answer = parent.client().getJson(runPath(runId, "/rounds"));
      if (json) {
        out().println(answer.toPrettyString());
      } else {
        for (JsonNode round : answer.path("rounds")) {
          JsonNode spent = round.path("privacySpent");
          out()
              .println(
                  String.format(
                      Locale.ROOT,
                      "round %d: %s, survivors %s, %s ms%s",
                      round.path("round").asLong(),
                      round.path("outcome").asText(),
                      round.path("survivors"),
                      round.path("durationMillis").isNull()
                          ? "-"
                          : round.path("durationMillis").asText(),
                      spent.isObject()
                          ? String.format(
                              Locale.ROOT,
                              ", ε %.3f at δ = %s (%s-level)",
                              spent.path("epsilon").asDouble(),
                              spent.path("delta").asText(),
                              spent.path("unit").asText("silo"))
                          : ""));
        }
      }
      out().flush();
      return 0;
    }
  }

  /** Downloads a run's model and journal. */
  @Command(
      name = "download",
      mixinStandardHelpOptions = true,
      description = "Downloads a run's model (float32 little-endian) and/or its signed journal.")
  static final class Download extends Sub {
    @Parameters(index = "0", paramLabel = "RUN_ID")
    String runId;

    @Option(names = "--model", paramLabel = "FILE", description = "Write the model here.")
    Path model;

    @Option(names = "--journal", paramLabel = "FILE", description = "Write the journal here.")
    Path journal;

    @Override
    public Integer call() throws CliException, InterruptedException {
      if (model == null && journal == null) {
        throw new CliException("give --model FILE and/or --journal FILE");
      }
      OperatorClient client = parent.client();
      if (model != null) {
        client.download(runPath(runId, "/model"), model);
        out().println("model: " + model);
      }
      if (journal != null) {
        client.download(runPath(runId, "/journal"), journal);
        out().println("journal: " + journal);
      }
      out().flush();
      return 0;
    }
  }

  /** Uploads a run's initial model. */
  @Command(
      name = "upload-model",
      mixinStandardHelpOptions = true,
      description = "Sets a created run's initial model (float32 little-endian values).")
  static final class UploadModel extends Sub {
    @Parameters(index = "0", paramLabel = "RUN_ID")
    String runId;

    @Parameters(index = "1", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws CliException, InterruptedException {
      JsonNode view = parent.client().put(runPath(runId, "/initial-model"), file);
      out().println("initial model set: " + describe(view));
      out().flush();
      return 0;
    }
  }

  /** The aggregator's health. */
  @Command(name = "health", mixinStandardHelpOptions = true, description = "GET /health.")
  static final class Health extends Sub {
    @Override
    public Integer call() throws CliException, InterruptedException {
      JsonNode answer = parent.client().getJson("/health");
      out().println(answer.path("status").asText());
      out().flush();
      return answer.path("status").asText().equals("ok") ? 0 : CliException.FAILURE;
    }
  }

  /** The aggregator's metrics. */
  @Command(
      name = "metrics",
      mixinStandardHelpOptions = true,
      description = "GET /metrics: the aggregator's metrics in the Prometheus text format.")
  static final class Metrics extends Sub {
    @Override
    public Integer call() throws CliException, InterruptedException {
      out().print(parent.client().getText("/metrics"));
      out().flush();
      return 0;
    }
  }
}
