package org.fedsum.aggregator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.VectorFrame;
import org.fedsum.protocol.journal.JournalVerification;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryTest {
  private static StoreFixtures pki;

  @TempDir Path parent;

  @BeforeAll
  static void createPki() {
    pki = new StoreFixtures();
  }

  private Path root() {
    return parent.resolve("data");
  }

  @Test
  void open_newDirectory_createsTheLayoutOwnerOnly() throws Exception {
    try (DataDirectory directory = DataDirectory.open(root())) {
      assertThat(directory.root()).isEqualTo(root().toAbsolutePath());
      assertThat(directory.modelsDirectory()).isDirectory();
      assertThat(directory.spoolDirectory()).isDirectory();
      assertThat(root().resolve(DataDirectory.LOCK_FILE)).isRegularFile();
      directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(0));
      assertThat(directory.journalFile()).isRegularFile();

      assumeTrue(FileDurability.isPosix(root()), "POSIX file system");
      for (Path path : List.of(root(), directory.modelsDirectory(), directory.spoolDirectory())) {
        assertThat(Files.getPosixFilePermissions(path))
            .as(path.toString())
            .isEqualTo(PosixFilePermissions.fromString("rwx------"));
      }
      for (Path path : List.of(directory.journalFile(), root().resolve(DataDirectory.LOCK_FILE))) {
        assertThat(Files.getPosixFilePermissions(path))
            .as(path.toString())
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      }
    }
  }

  @Test
  void open_existingDirectoryReadableByOthers_isMadeOwnerOnly() throws Exception {
    assumeTrue(FileDurability.isPosix(parent), "POSIX file system");
    Files.createDirectory(
        root(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.setPosixFilePermissions(root(), PosixFilePermissions.fromString("rwxr-xr-x"));

    DataDirectory.open(root()).close();

    assertThat(Files.getPosixFilePermissions(root()))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void open_whileThisProcessHoldsIt_isRefusedAndWorksAgainAfterClose() throws Exception {
    try (DataDirectory first = DataDirectory.open(root())) {
      assertThatThrownBy(() -> DataDirectory.open(root()))
          .isInstanceOfSatisfying(
              DataDirectoryLockedException.class,
              e -> assertThat(e.directory()).isEqualTo(first.root()))
          .hasMessageContaining("is in use by another aggregator")
          .hasMessageContaining("pid " + ProcessHandle.current().pid());
    }

    DataDirectory.open(root()).close();
  }

  @Test
  @Timeout(60)
  void open_whileAnotherProcessHoldsIt_isRefusedAndKillingThatProcessFreesIt() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process holder =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                LockHolder.class.getName(),
                root().toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader output =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(output.readLine()).startsWith("locked ");

      assertThatThrownBy(() -> DataDirectory.open(root()))
          .isInstanceOf(DataDirectoryLockedException.class)
          .hasMessageContaining("pid " + holder.pid());

      // kill -9: the OS releases the lock with the process, no stale lock remains.
      holder.destroyForcibly();
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
      DataDirectory.open(root()).close();
    } finally {
      if (holder.isAlive()) {
        holder.destroyForcibly();
      }
    }
  }

  @Test
  void recover_freshDirectory_startsTheJournalAndFindsNothingToRepair() throws Exception {
    try (DataDirectory directory = DataDirectory.open(root())) {
      DataDirectory.Recovered recovered =
          directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(0));

      assertThat(recovered.report())
          .isEqualTo(
              new RecoveryReport(
                  true, false, 0, 1, OptionalLong.empty(), List.of(), List.of(), List.of()));
      assertThat(recovered.report().repairedAnything()).isFalse();
      assertThat(recovered.latestCheckpoint()).isEmpty();
      recovered.journal().append("run-created", StoreFixtures.body(0), pki.timeOf(1));
    }
    assertThat(pki.verify(root().resolve(JournalFile.FILE_NAME)).problem()).isEmpty();
  }

  @Test
  void recover_afterACrashMidRound_repairsEverythingAndReportsIt() throws Exception {
    Checkpoint round1 = Checkpoint.of(1, new float[] {1.5f, -2f, 3f}, List.of());
    try (DataDirectory directory = DataDirectory.open(root())) {
      DataDirectory.Recovered first =
          directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(0));
      first.checkpoints().write(round1);
      first.journal().append("round-finished", StoreFixtures.body(1), pki.timeOf(1));
      first.checkpoints().write(Checkpoint.of(2, new float[] {9f, 9f, 9f}, List.of()));
      first.journal().append("round-started", StoreFixtures.body(2), pki.timeOf(2));
      int[] words = {1, 2, 3};
      SpoolWriter writer = first.spool().receive(3, "silo-1", 32, 3);
      writer.write(VectorFrame.encode(3, 32, WordVector.wrap(words)), 0, 60);
      // The process dies here: no close, no finish. What the crash leaves on disk:
    }
    long intactJournalSize = Files.size(root().resolve(JournalFile.FILE_NAME));
    Files.write(
        root().resolve(JournalFile.FILE_NAME),
        "{\"body\":{\"round\":2".getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.APPEND);
    Path newest = root().resolve("models").resolve("round-2.bin");
    byte[] corrupt = Files.readAllBytes(newest);
    corrupt[corrupt.length - 1] ^= 0x40;
    Files.write(newest, corrupt);
    Files.write(root().resolve("models").resolve(".round-3.bin.42.tmp"), new byte[100]);
    assertThat(root().resolve("spool").resolve("round-3").resolve("silo-1.vec")).exists();

    try (DataDirectory directory = DataDirectory.open(root())) {
      DataDirectory.Recovered recovered =
          directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(9));
      RecoveryReport report = recovered.report();

      assertThat(report.journalCreated()).isFalse();
      assertThat(report.journalTruncated()).isTrue();
      assertThat(report.journalBytesDropped()).isEqualTo(18);
      assertThat(report.journalRecords()).isEqualTo(3);
      assertThat(report.newestCheckpointRound()).hasValue(1);
      assertThat(report.checkpointWarnings()).singleElement().asString().contains("round-2.bin");
      assertThat(report.deletedTemporaryFiles()).containsExactly(".round-3.bin.42.tmp");
      assertThat(report.deletedSpoolEntries()).containsExactly("round-3");
      assertThat(report.repairedAnything()).isTrue();
      assertThat(report.summary())
          .contains("journal resumed with 3 records")
          .contains("18 bytes cut off")
          .contains("newest valid checkpoint: round 1")
          .contains("[round-3]");
      Optional<Checkpoint> latest = recovered.latestCheckpoint();
      assertThat(latest.orElseThrow().model()).containsExactly(1.5f, -2f, 3f);
      assertThat(Files.size(root().resolve(JournalFile.FILE_NAME))).isEqualTo(intactJournalSize);
      try (var spooled = Files.list(recovered.spool().directory())) {
        assertThat(spooled).isEmpty();
      }
      recovered.journal().append("round-aborted", StoreFixtures.body(2), pki.timeOf(3));
    }
    JournalVerification verification = pki.verify(root().resolve(JournalFile.FILE_NAME));
    assertThat(verification.problem()).isEmpty();
    assertThat(verification.verifiedRecords()).hasSize(4);
  }

  @Test
  void recover_journalOfAnotherKey_failsAndChangesNothing() throws Exception {
    try (DataDirectory directory = DataDirectory.open(root())) {
      directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(0));
    }
    byte[] journal = Files.readAllBytes(root().resolve(JournalFile.FILE_NAME));
    StoreFixtures otherPki = new StoreFixtures();

    try (DataDirectory directory = DataDirectory.open(root())) {
      assertThatThrownBy(
              () -> directory.recover(otherPki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(1)))
          .isInstanceOf(GeneralSecurityException.class);
    }
    assertThat(Files.readAllBytes(root().resolve(JournalFile.FILE_NAME))).isEqualTo(journal);
  }

  @Test
  void recover_twice_isRefused() throws Exception {
    try (DataDirectory directory = DataDirectory.open(root())) {
      directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(0));

      assertThatThrownBy(
              () -> directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(0)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already recovered");
    }
  }

  @Test
  void close_closesTheJournal() throws Exception {
    DataDirectory directory = DataDirectory.open(root());
    JournalFile journal =
        directory.recover(pki.owner, CheckpointStore.DEFAULT_KEEP, pki.timeOf(0)).journal();

    directory.close();

    assertThatThrownBy(() -> journal.append("x", StoreFixtures.body(1), pki.timeOf(1)))
        .isInstanceOf(IllegalStateException.class);
  }
}
