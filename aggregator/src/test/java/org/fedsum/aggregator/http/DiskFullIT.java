package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The aggregator's data directory fills up mid-run ({@link DataDirectoryFaultScenario}): after the
 * first round the test fills the 4 MiB tmpfs with a filler file; the failure must name the full
 * disk; deleting the filler is the repair.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DiskFullIT extends DataDirectoryFaultScenario {
  @Override
  String name() {
    return "disk-full";
  }

  @Test
  void dataDirectoryFull_runFailsCleanly_afterSpaceReturnsItResumesWithoutARestart()
      throws Exception {
    runScenario();
  }

  @Override
  void breakDirectory(Path data) throws IOException {
    System.out.println("DiskFullIT: filled " + fill(data.resolve("filler")) + " bytes");
  }

  @Override
  void assertFailureNamesTheFault(String failure) {
    assertThat(failure).contains("No space left on device");
  }

  @Override
  void repairDirectory(Path data) throws IOException {
    Files.delete(data.resolve("filler"));
  }

  /** Writes {@code filler} until the file system refuses; returns the bytes written. */
  private static long fill(Path filler) throws IOException {
    byte[] chunk = new byte[64 << 10];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        try {
          out.write(chunk);
          written += chunk.length;
        } catch (IOException full) {
          assertThat(full.getMessage()).contains("No space left on device");
          break;
        }
      }
      // Whatever part of a chunk still fits.
      try {
        for (int i = 0; i < chunk.length; i++) {
          out.write(0);
          written++;
        }
      } catch (IOException full) {
        // Full to the byte.
      }
    } catch (IOException closing) {
      // The buffered stream's last flush also hits the full disk.
    }
    return written;
  }
}
