package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.protocol.journal.JournalVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real silo node process ({@link SiloMain}) whose aggregator cannot be reached: the
 * shutdown hook must stop the node (it is in its wait-and-retry loop) and close its journal, the
 * process must end within {@value SiloMain#STOP_SECONDS} s and say it stopped, and the journal it
 * leaves must verify.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SiloMainStopTest {

  @TempDir Path directory;

  @Test
  void sigterm_aggregatorUnreachable_stopsWithinTheLimit_journalVerifies() throws Exception {
    SiloKitFiles kit = SiloKitFiles.write(directory, "fed-stop", "silo-a");
    Files.createDirectories(directory.resolve("state"));
    Path yaml = directory.resolve("silo.yaml");
    Files.writeString(
        yaml,
        String.join(
            "\n",
            "siloId: silo-a",
            SiloKitFiles.TLS_YAML,
            "aggregator: {url: 'https://127.0.0.1:" + closedPort() + "', pollWaitSeconds: 2}",
            "dataDirectory: state",
            "data: {format: synthetic, examples: 100, device: 0}",
            ""));
    Path output = directory.resolve("silo.out");
    Process silo =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                SiloMain.class.getName(),
                yaml.toString())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    try {
      Path journal = directory.resolve("state").resolve(SiloJournal.FILE_NAME);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!(Files.exists(journal)
          && Files.readString(journal, StandardCharsets.UTF_8).contains("silo-configured"))) {
        assertThat(silo.isAlive()).as("the silo runs: %s", read(output)).isTrue();
        assertThat(System.nanoTime()).as("the silo started its round loop").isLessThan(deadline);
        Thread.sleep(100);
      }
      // In its loop: polls refused at the TCP level, pauses of 2 s between them.
      Thread.sleep(3000);
      long stopAt = System.nanoTime();
      silo.destroy();
      boolean ended = silo.waitFor(SiloMain.STOP_SECONDS + 5, TimeUnit.SECONDS);
      Duration took = Duration.ofNanos(System.nanoTime() - stopAt);
      String said = read(output);
      System.out.println("SiloMainStopTest: ended after " + took.toMillis() + " ms: " + said);
      assertThat(ended).as("the process ended").isTrue();
      assertThat(took).isLessThanOrEqualTo(Duration.ofSeconds(SiloMain.STOP_SECONDS));
      assertThat(said).contains("fedsum silo silo-a: stopped");
      List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
      assertThat(
              JournalVerifier.verify(
                      lines,
                      FederationTrust.create(kit.ca().certificate(), kit.crl()),
                      Instant.now())
                  .problem())
          .isEmpty();
    } finally {
      silo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
  }
}
