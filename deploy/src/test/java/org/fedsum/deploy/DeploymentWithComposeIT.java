package org.fedsum.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedsum.cli.Fedsum;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;

/**
 * deploy/compose/compose.yaml as an operator uses it: kits made by {@code fedsum provision}, the
 * images DeploymentIT built (runs after it: failsafe runs the classes in alphabetical order), an
 * aggregator and three silos brought up by {@code podman-compose}, a run driven by {@code fedsum
 * operator} from the host to the published port. Skipped, saying so, where no engine or no
 * podman-compose is there (deploy/podman-setup.sh installs both).
 */
class DeploymentWithComposeIT {
  private static final int CONTAINER_USER = 10001;
  private static final Path DEPLOY = Path.of(System.getProperty("fedsum.deploy.dir", "."));
  private static final Path CONTEXT =
      Path.of(System.getProperty("fedsum.image.context", "target/image"));

  @Test
  void composeFile_bringsUpAnAggregatorAndThreeSilos_runCompletes() throws Exception {
    boolean engine;
    try {
      engine = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      engine = false;
    }
    boolean compose =
        new ProcessBuilder("sh", "-c", "command -v podman-compose").start().waitFor() == 0;
    if (!engine || !compose) {
      String message =
          "DeploymentWithComposeIT SKIPPED: "
              + (engine ? "podman-compose is not installed" : "no container engine answers")
              + " (deploy/podman-setup.sh installs and starts both, as root)";
      System.err.println(message);
      Assumptions.abort(message);
    }
    var docker = DockerClientFactory.instance().client();
    for (String kind : List.of("aggregator", "silo")) {
      docker
          .tagImageCmd("localhost/fedsum-" + kind + ":it", "localhost/fedsum-" + kind, "latest")
          .exec();
    }

    Path work = CONTEXT.getParent().resolve("compose-it").toAbsolutePath();
    if (Files.exists(work.resolve("compose.yaml"))) {
      // A previous run's containers, if any: down, whatever it answers.
      new ProcessBuilder("podman-compose", "-f", "compose.yaml", "down")
          .directory(work.toFile())
          .redirectErrorStream(true)
          .redirectOutput(Redirect.DISCARD)
          .start()
          .waitFor(3, TimeUnit.MINUTES);
    }
    if (Files.exists(work)) {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(DeploymentWithComposeIT::delete);
      }
    }
    Files.createDirectories(work);
    Files.copy(
        DEPLOY.resolve("compose/compose.yaml"),
        work.resolve("compose.yaml"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(
        work.resolve("federation.yaml"),
        String.join(
            "\n",
            "federationId: compose-it",
            "aggregator:",
            "  id: aggregator",
            "  hosts: [aggregator, localhost, 127.0.0.1]",
            "  port: 8443",
            "  listen: 0.0.0.0",
            "silos: [silo-1, silo-2, silo-3]",
            "operators: [operator]",
            ""));
    fedsum(
        "provision",
        "--config",
        work.resolve("federation.yaml").toString(),
        "--out",
        work.resolve("kits").toString());
    // The operator runs on the host, where the aggregator is the published port on localhost.
    Path operatorConfig = work.resolve("kits/operator/operator.yaml");
    Files.writeString(
        operatorConfig,
        Files.readString(operatorConfig)
            .replace("https://aggregator:8443", "https://localhost:8443"));
    // As the compose file's header says: kits and data folders belong to the containers' user.
    for (String site : List.of("aggregator", "silo-1", "silo-2", "silo-3")) {
      ownedByContainerUser(work.resolve("kits").resolve(site));
      Files.createDirectories(work.resolve("data").resolve(site));
      ownedByContainerUser(work.resolve("data").resolve(site));
    }

    try {
      compose(work, "up", "-d");
      String operatorKit = work.resolve("kits/operator").toString();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      String[] health = {"operator", "--kit", operatorKit, "health"};
      while (run(health).exitCode != 0) {
        assertThat(System.nanoTime()).as("aggregator healthy in 90 s").isLessThan(deadline);
        Thread.sleep(1000);
      }
      Path runYaml = work.resolve("run.yaml");
      Files.writeString(
          runYaml,
          String.join(
              "\n",
              "runId: compose-run",
              "roster: [silo-1, silo-2, silo-3]",
              "rounds: 3",
              "threshold: 2",
              "deadlines: {advertiseKeys: 5m, shareKeys: 60s, maskedInput: 60s,"
                  + " consistencyCheck: 60s, unmask: 60s}",
              "model: {kind: logistic-regression, parameters: 610, inputShape: [60], classes: 10}",
              "training: {epochs: 1, batchSize: 32, learningRate: 0.1, seed: 1}",
              "privacy: {clipNorm: 1.0, noiseMultiplier: 1.0, delta: 1.0e-5}",
              ""));
      fedsum("operator", "--kit", operatorKit, "submit", runYaml.toString(), "--start");
      Result waited = run("operator", "--kit", operatorKit, "wait", "compose-run", "--for", "240");
      assertThat(waited.output).as(waited.error).contains("COMPLETED, rounds finished 3/3");
      Result rounds = run("operator", "--kit", operatorKit, "rounds", "compose-run");
      assertThat(rounds.output.lines().filter(line -> line.contains("finished, survivors")))
          .hasSize(3)
          .allSatisfy(line -> assertThat(line).contains("\"silo-1\",\"silo-2\",\"silo-3\""));
    } finally {
      compose(work, "down");
    }
  }

  private record Result(int exitCode, String output, String error) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fedsum.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  private static void fedsum(String... args) {
    Result result = run(args);
    assertThat(result.exitCode).as("fedsum %s: %s", String.join(" ", args), result.error).isZero();
  }

  private static void compose(Path work, String... command) throws Exception {
    List<String> line = new java.util.ArrayList<>(List.of("podman-compose", "-f", "compose.yaml"));
    line.addAll(List.of(command));
    Path log = work.resolve("podman-compose.log");
    Process process =
        new ProcessBuilder(line)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(Redirect.appendTo(log.toFile()))
            .start();
    assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("podman-compose %s", line).isTrue();
    assertThat(process.exitValue())
        .as("podman-compose %s: %s", line, Files.readString(log))
        .isZero();
  }

  private static void ownedByContainerUser(Path path) throws IOException {
    try (Stream<Path> files = Files.walk(path)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.setAttribute(file, "unix:uid", CONTAINER_USER);
        Files.setAttribute(file, "unix:gid", CONTAINER_USER);
      }
    }
  }

  private static void delete(Path path) {
    try {
      Files.delete(path);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
