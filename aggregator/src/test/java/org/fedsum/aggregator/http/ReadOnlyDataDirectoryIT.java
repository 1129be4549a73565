package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.aggregator.http.DataDirectoryFaults.mountCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The aggregator's data directory turns read-only mid-run ({@link DataDirectoryFaultScenario}).
 *
 * <p>After round 1 the test mounts the same tmpfs again, read-only, over the data directory ({@code
 * mount --bind -o ro data data}): every file the aggregator opens there from then on is on a
 * read-only mount and every write to it fails with {@code EROFS} ("Read-only file system"). (A
 * plain {@code mount -o remount,ro} of the tmpfs is refused by the kernel, {@code EBUSY}, as long
 * as a file on it is open for writing, and the aggregator keeps its journal open; the files it
 * holds open stay writable under the read-only mount on top, as they would not after the kernel's
 * own emergency remount.) The failure must name the read-only file system, not a full disk. The
 * repair remounts the top mount read-write ({@code mount -o remount,bind,rw data}).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReadOnlyDataDirectoryIT extends DataDirectoryFaultScenario {
  private boolean readOnlyMount;

  @Override
  String name() {
    return "read-only";
  }

  @Test
  void dataDirectoryTurnsReadOnly_runFailsNamingIt_afterRemountReadWriteItResumesWithoutARestart()
      throws Exception {
    runScenario();
  }

  @Override
  void breakDirectory(Path data) throws Exception {
    mountCommand("mount", "--bind", "-o", "ro", data, data);
    readOnlyMount = true;
    assertThat(Files.isWritable(data)).as("the data directory, mounted read-only").isFalse();
  }

  @Override
  void assertFailureNamesTheFault(String failure) {
    assertThat(failure)
        .contains("Read-only file system")
        .doesNotContainIgnoringCase("space")
        .doesNotContainIgnoringCase("full");
  }

  @Override
  void repairDirectory(Path data) throws Exception {
    mountCommand("mount", "-o", "remount,bind,rw", data);
  }

  @Override
  void removeFault(Path data) throws Exception {
    if (readOnlyMount) {
      DataDirectoryFaults.unmountQuietly(data);
    }
  }
}
