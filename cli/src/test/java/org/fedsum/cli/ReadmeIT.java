package org.fedsum.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;
import org.fedsum.protocol.journal.JournalVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md's real deployment, run top to bottom as written: every command of its {@code sh} blocks
 * (except the demo, which {@link DemoIT} runs) through {@code ./fedsum}, the aggregator from its
 * kit's {@code start.sh} and three {@code fedsum silo --kit} processes, the README's own run.yaml,
 * to a completed run; then checks what each step should have produced. The one change: the
 * example's port 8443 becomes a free port, since another service may hold 8443.
 */
class ReadmeIT {
  @TempDir Path directory;

  @Test
  void theDeploymentStepsRunAsWritten() throws Exception {
    try (Launcher launcher = Launcher.in(directory)) {
      List<String> commands = Launcher.readmeCommands(launcher.repository());
      Files.writeString(
          directory.resolve("run.yaml"), Launcher.readmeYaml(launcher.repository(), "run.yaml"));
      List<String> ran = new ArrayList<>();
      List<Launcher.Result> results = new ArrayList<>();
      Process aggregator = null;
      int port = freePort();
      for (String command : commands) {
        if (command.equals("./fedsum demo")) {
          continue;
        }
        ran.add(command);
        if (command.contains("start.sh") || command.contains(" silo --kit ")) {
          String name = command.replaceAll("[^a-z0-9]+", "-");
          Path log = directory.resolve(name + ".log");
          Process process = launcher.start(command, log);
          if (command.contains("aggregator")) {
            aggregator = process;
            String line = Launcher.awaitLine(log, "listening on https://", process, 180);
            assertThat(line).contains("listening on https://127.0.0.1:" + port);
          }
          continue;
        }
        Launcher.Result result = launcher.run(command, 600);
        assertThat(result.exitCode()).as("%s:%n%s", command, result.output()).isZero();
        results.add(result);
        if (command.endsWith("> federation.yaml")) {
          Path federation = directory.resolve("federation.yaml");
          assertThat(Files.readString(federation)).contains("port: 8443");
          Files.writeString(
              federation, Files.readString(federation).replace("8443", Integer.toString(port)));
        }
      }
      assertThat(aggregator).as("the README starts the aggregator").isNotNull();
      assertThat(ran)
          .as("the README's deployment covers every step")
          .anyMatch(c -> c.contains("provision --config"))
          .anyMatch(c -> c.contains("operator --kit kits/operator submit"))
          .anyMatch(c -> c.contains(" wait "))
          .anyMatch(c -> c.contains("download"))
          .anyMatch(c -> c.contains("add-site"))
          .anyMatch(c -> c.contains("revoke"))
          .anyMatch(c -> c.contains("privacy --noise-multiplier"))
          .anyMatch(c -> c.contains("privacy --target-epsilon"));
      assertThat(ran.stream().filter(c -> c.contains(" silo --kit "))).hasSize(3);

      String all = String.join("\n", results.stream().map(Launcher.Result::output).toList());
      assertThat(all).contains("example-run: COMPLETED, rounds finished 3/3");
      // Three rounds finished with every silo in the sum (an aborted round may come between).
      assertThat(
              Pattern.compile(
                      "round \\d+: finished, survivors \\[\"silo-1\",\"silo-2\",\"silo-3\"\\]")
                  .matcher(all)
                  .results()
                  .count())
          .isEqualTo(3);
      assertThat(all).containsPattern("(?m)^ok$");
      assertThat(all).containsPattern("(?m)^fedsum_rounds_finished_total(\\{[^}]*\\})? 3\\.0$");
      assertThat(all).contains("ε (discrete Rényi bound, enforced)");
      assertThat(all).contains("noise multiplier");

      // The downloaded model and the aggregator's journal of the run.
      assertThat(Files.size(directory.resolve("model.bin"))).isEqualTo(610 * 4L);
      Path kits = directory.resolve("kits");
      FederationTrust trust =
          FederationTrust.create(
              Pem.decodeCertificate(Files.readString(kits.resolve("ca/ca.pem"))),
              Pem.decodeCrl(Files.readString(kits.resolve("ca/crl.pem"))));
      assertThat(
              JournalVerifier.verify(
                      Files.readAllLines(directory.resolve("journal.jsonl")), trust, Instant.now())
                  .problem())
          .isEmpty();

      // silo-4 was added and revoked: its serial is in every kit's CRL, silo-4's included.
      BigInteger serial =
          Pem.decodeCertificate(Files.readString(kits.resolve("silo-4/site.pem")))
              .getSerialNumber();
      for (String kit :
          List.of("aggregator", "silo-1", "silo-2", "silo-3", "silo-4", "operator", "ca")) {
        X509CRL crl = Pem.decodeCrl(Files.readString(kits.resolve(kit).resolve("crl.pem")));
        assertThat(crl.getRevokedCertificate(serial)).as(kit).isNotNull();
      }
      // The aggregator took the new CRL without a restart and still serves the operator.
      Thread.sleep(6000);
      Launcher.Result health = launcher.run("./fedsum operator --kit kits/operator health", 120);
      assertThat(health.output().strip()).isEqualTo("ok");
      assertThat(aggregator.isAlive()).isTrue();
      assertThat(Files.readString(directory.resolve("kits-aggregator-start-sh.log")))
          .as("the aggregator's log")
          .contains("CRL reloaded from")
          .contains("1 revoked certificates");
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
