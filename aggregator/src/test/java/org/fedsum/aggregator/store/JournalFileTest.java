package org.fedsum.aggregator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.fedsum.aggregator.store.FileDurability.ChannelOpener;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalFileTest {
  private static StoreFixtures pki;

  @TempDir Path directory;

  @BeforeAll
  static void createPki() {
    pki = new StoreFixtures();
  }

  private Path journalPath() {
    return directory.resolve(JournalFile.FILE_NAME);
  }

  private JournalFile open() throws Exception {
    return JournalFile.open(directory, pki.owner, pki.timeOf(0));
  }

  /** Opens the journal through a channel that fails on demand; the channel is handed back. */
  private JournalFile openFaulty(AtomicReference<FaultyFileChannel> channel) throws Exception {
    ChannelOpener opener =
        (path, options, attributes) -> {
          FaultyFileChannel faulty =
              new FaultyFileChannel(FileChannel.open(path, options, attributes));
          channel.set(faulty);
          return faulty;
        };
    return JournalFile.open(journalPath(), pki.owner, pki.timeOf(0), opener);
  }

  /** A journal with the opening record and {@code appended} round records, closed. */
  private void writeJournal(int appended) throws Exception {
    try (JournalFile journal = open()) {
      for (int i = 1; i <= appended; i++) {
        journal.append("round-started", StoreFixtures.body(i), pki.timeOf(i));
      }
    }
  }

  private void assertVerifies(int records) throws IOException {
    JournalVerification verification = pki.verify(journalPath());
    assertThat(verification.problem()).isEmpty();
    assertThat(verification.verifiedRecords()).hasSize(records);
  }

  @Test
  void open_noJournal_startsOneWithTheOpeningRecordThatVerifies() throws Exception {
    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(true, false, 0, 1));
      assertThat(journal.nextSeq()).isEqualTo(1);
      assertThat(journal.readLines()).hasSize(1);
    }
    assertVerifies(1);
    assertThat(Files.readString(journalPath())).endsWith("}\n").doesNotContain("\n{\n");
  }

  @Test
  void append_thenReopen_continuesTheChainAndVerifies() throws Exception {
    String head;
    try (JournalFile journal = open()) {
      for (int i = 1; i <= 3; i++) {
        journal.append("round-started", StoreFixtures.body(i), pki.timeOf(i));
      }
      head = journal.headHash();
    }

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(false, false, 0, 4));
      assertThat(journal.nextSeq()).isEqualTo(4);
      assertThat(journal.headHash()).isEqualTo(head);
      journal.append("round-finished", StoreFixtures.body(3), pki.timeOf(4));
      journal.append("round-started", StoreFixtures.body(4), pki.timeOf(5));
      assertThat(journal.readLines()).isEqualTo(Files.readAllLines(journalPath()));
    }

    assertVerifies(6);
  }

  @Test
  void append_returnsTheLineItWroteAndTheFileHoldsItWithALineFeed() throws Exception {
    try (JournalFile journal = open()) {
      String line = journal.append("round-started", StoreFixtures.body(1), pki.timeOf(1));
      assertThat(Files.readString(journalPath())).endsWith("\n" + line + "\n");
    }
  }

  @Test
  void open_halfWrittenLastLine_truncatesItReportsItAndTheJournalVerifies() throws Exception {
    writeJournal(2);
    long completeSize = Files.size(journalPath());
    String nextLine = nextLineOf(3);
    byte[] half = Arrays.copyOf(nextLine.getBytes(StandardCharsets.UTF_8), nextLine.length() / 2);
    Files.write(journalPath(), half, StandardOpenOption.APPEND);

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(false, true, half.length, 3));
      assertThat(Files.size(journalPath())).isEqualTo(completeSize);
      journal.append("round-finished", StoreFixtures.body(2), pki.timeOf(3));
    }
    assertVerifies(4);
  }

  @Test
  void open_zeroFilledTailAfterTheLastRecord_truncatesIt() throws Exception {
    writeJournal(1);
    long completeSize = Files.size(journalPath());
    Files.write(journalPath(), new byte[4096], StandardOpenOption.APPEND);

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(false, true, 4096, 2));
    }
    assertThat(Files.size(journalPath())).isEqualTo(completeSize);
    assertVerifies(2);
  }

  @Test
  void open_completeLastRecordWithoutItsLineFeed_keepsItAndAddsTheLineFeed() throws Exception {
    writeJournal(2);
    byte[] content = Files.readAllBytes(journalPath());
    Files.write(journalPath(), Arrays.copyOf(content, content.length - 1));

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(false, false, 0, 3));
      assertThat(Files.readAllBytes(journalPath())).isEqualTo(content);
      journal.append("round-finished", StoreFixtures.body(2), pki.timeOf(3));
    }
    assertVerifies(4);
  }

  @Test
  void open_onlyAHalfWrittenOpeningRecord_startsAFreshJournal() throws Exception {
    writeJournal(0);
    byte[] content = Files.readAllBytes(journalPath());
    Files.write(journalPath(), Arrays.copyOf(content, 40));

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(true, true, 40, 1));
    }
    assertVerifies(1);
  }

  @Test
  void open_emptyFile_startsAFreshJournal() throws Exception {
    Files.createFile(journalPath());

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(true, false, 0, 1));
    }
    assertVerifies(1);
  }

  @Test
  void open_newJournalAtATimeOutsideTheCertificate_isRefusedAndLeavesNoFile() {
    assertThatThrownBy(
            () ->
                JournalFile.open(
                    directory,
                    pki.owner,
                    pki.aggregatorCertificate.getNotAfter().toInstant().plusSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside the writer's certificate validity");
    assertThat(journalPath()).doesNotExist();
  }

  @Test
  void open_alteredRecordInTheMiddle_isRefusedAndTheFileIsLeftAlone() throws Exception {
    writeJournal(3);
    List<String> lines = Files.readAllLines(journalPath());
    lines.set(2, lines.get(2).replace("silo-2", "silo-9"));
    Files.write(journalPath(), lines);
    byte[] before = Files.readAllBytes(journalPath());

    assertThatThrownBy(this::open)
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("cannot resume the journal");
    assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);
  }

  @Test
  void open_brokenLastLineThatIsNotACrashArtefact_isRefused() throws Exception {
    writeJournal(2);
    Files.write(
        journalPath(),
        "not a record\n".getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.APPEND);
    byte[] before = Files.readAllBytes(journalPath());

    assertThatThrownBy(this::open).isInstanceOf(GeneralSecurityException.class);
    assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);
  }

  @Test
  void open_withAnotherKey_isRefused() throws Exception {
    writeJournal(1);
    EcdsaP256SigningKey otherKey = EcdsaP256SigningKey.generate(new SecureRandom());
    JournalOwner impostor =
        new JournalOwner(
            StoreFixtures.FEDERATION_ID,
            StoreFixtures.AGGREGATOR,
            pki.ca.issue(
                StoreFixtures.AGGREGATOR, otherKey.verifyingKey(), Duration.ofDays(30), List.of()),
            otherKey);

    assertThatThrownBy(() -> JournalFile.open(directory, impostor, pki.timeOf(2)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("signing key does not match");
  }

  @Test
  void open_journalOfAnotherFederation_isRefused() throws Exception {
    writeJournal(1);
    JournalOwner elsewhere =
        new JournalOwner(
            "other-federation", pki.owner.writer(), pki.owner.certificate(), pki.owner.key());

    assertThatThrownBy(() -> JournalFile.open(directory, elsewhere, pki.timeOf(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("belongs to federation store-test, not to other-federation");
  }

  @Test
  void open_journalOfAnotherWriter_isRefused() throws Exception {
    writeJournal(1);
    JournalOwner otherWriter =
        new JournalOwner(
            StoreFixtures.FEDERATION_ID,
            new SiteIdentity(SiteRole.AGGREGATOR, "aggregator-2"),
            pki.owner.certificate(),
            pki.owner.key());

    assertThatThrownBy(() -> JournalFile.open(directory, otherWriter, pki.timeOf(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was written by urn:fedsum:aggregator:aggregator");
  }

  @Test
  void append_writeFailsHalfway_fileIsRestoredAndLaterAppendsAreRefusedUntilReopened()
      throws Exception {
    writeJournal(1);
    byte[] before = Files.readAllBytes(journalPath());
    AtomicReference<FaultyFileChannel> channel = new AtomicReference<>();
    try (JournalFile journal = openFaulty(channel)) {
      channel.get().failWriteAfterBytes = 100;

      assertThatThrownBy(
              () -> journal.append("round-started", StoreFixtures.body(2), pki.timeOf(2)))
          .isInstanceOfSatisfying(
              JournalWriteException.class,
              e -> {
                assertThat(e.path()).isEqualTo(journalPath());
                assertThat(e.restored()).isTrue();
                assertThat(e.getCause()).hasMessageContaining("No space left on device");
              })
          .hasMessageContaining(journalPath().toString())
          .hasMessageContaining("No space left on device");
      assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);

      channel.get().failWriteAfterBytes = -1;
      assertThatThrownBy(
              () -> journal.append("round-started", StoreFixtures.body(2), pki.timeOf(2)))
          .isInstanceOf(JournalWriteException.class)
          .hasMessageContaining("refuses appends after an earlier write failed");
      assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);
    }

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(false, false, 0, 2));
      journal.append("round-started", StoreFixtures.body(2), pki.timeOf(2));
    }
    assertVerifies(3);
  }

  @Test
  void append_fsyncFails_fileIsRestoredToItsPreviousBytes() throws Exception {
    writeJournal(1);
    byte[] before = Files.readAllBytes(journalPath());
    AtomicReference<FaultyFileChannel> channel = new AtomicReference<>();
    try (JournalFile journal = openFaulty(channel)) {
      channel.get().failForce = true;

      assertThatThrownBy(
              () -> journal.append("round-started", StoreFixtures.body(2), pki.timeOf(2)))
          .isInstanceOf(JournalWriteException.class)
          .hasMessageContaining("simulated fsync failure");
      assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);
    }
    assertVerifies(2);
  }

  @Test
  void append_writeAndTruncateFail_saysSoAndReopeningDropsThePartialLine() throws Exception {
    writeJournal(1);
    byte[] before = Files.readAllBytes(journalPath());
    AtomicReference<FaultyFileChannel> channel = new AtomicReference<>();
    try (JournalFile journal = openFaulty(channel)) {
      channel.get().failWriteAfterBytes = 100;
      channel.get().failTruncate = true;

      assertThatThrownBy(
              () -> journal.append("round-started", StoreFixtures.body(2), pki.timeOf(2)))
          .isInstanceOfSatisfying(
              JournalWriteException.class, e -> assertThat(e.restored()).isFalse())
          .hasMessageContaining("could not be cut back");
      assertThat(Files.size(journalPath())).isEqualTo(before.length + 100);
    }

    try (JournalFile journal = open()) {
      assertThat(journal.opening()).isEqualTo(new JournalFile.Opening(false, true, 100, 2));
    }
    assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);
    assertVerifies(2);
  }

  @Test
  void append_readOnlyFile_failsCleanlyAndLeavesTheFileUnchanged() throws Exception {
    writeJournal(1);
    byte[] before = Files.readAllBytes(journalPath());
    // What the aggregator meets when it may read its journal but not write it; as root chmod
    // cannot take write permission away, so the channel itself is read-only.
    ChannelOpener readOnly =
        (path, options, attributes) -> FileChannel.open(path, StandardOpenOption.READ);
    try (JournalFile journal =
        JournalFile.open(journalPath(), pki.owner, pki.timeOf(0), readOnly)) {
      assertThatThrownBy(
              () -> journal.append("round-started", StoreFixtures.body(2), pki.timeOf(2)))
          .isInstanceOf(JournalWriteException.class)
          .hasMessageContaining(journalPath().toString())
          .hasMessageContaining("NonWritableChannelException");
    }
    assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);
  }

  @Test
  void append_bodyHoldingBytes_isRefusedWithNothingWrittenAndTheJournalStaysUsable()
      throws Exception {
    try (JournalFile journal = open()) {
      byte[] before = Files.readAllBytes(journalPath());

      assertThatThrownBy(
              () -> journal.append("round-started", Map.of("seed", new byte[16]), pki.timeOf(1)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(Files.readAllBytes(journalPath())).isEqualTo(before);

      journal.append("round-started", StoreFixtures.body(1), pki.timeOf(1));
    }
    assertVerifies(2);
  }

  @Test
  void append_afterClose_isRefused() throws Exception {
    JournalFile journal = open();
    journal.close();

    assertThatThrownBy(() -> journal.append("round-started", StoreFixtures.body(1), pki.timeOf(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void append_fromSeveralThreads_keepsOneUnbrokenChain() throws Exception {
    int threads = 4;
    int perThread = 10;
    try (JournalFile journal = open()) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          done.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      journal.append("round-started", StoreFixtures.body(i), pki.timeOf(1));
                    }
                    return null;
                  }));
        }
        for (Future<?> future : done) {
          future.get();
        }
      } finally {
        pool.shutdown();
      }
    }
    assertVerifies(1 + threads * perThread);
  }

  @Test
  void open_newJournal_isOwnerOnly() throws Exception {
    assumeTrue(FileDurability.isPosix(directory), "POSIX file system");
    open().close();

    assertThat(Files.getPosixFilePermissions(journalPath()))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  /** The line a writer resumed from the file would append next, for hand-made crash artefacts. */
  private String nextLineOf(long round) throws Exception {
    JournalWriter writer =
        JournalWriter.resume(Files.readAllLines(journalPath()), pki.aggregatorKey);
    return writer.append("round-started", StoreFixtures.body(round), pki.timeOf(round));
  }
}
