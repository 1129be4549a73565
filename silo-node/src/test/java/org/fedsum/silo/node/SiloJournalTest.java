package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalVerifier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiloJournalTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final SiteIdentity SILO = new SiteIdentity(SiteRole.SILO, "silo-a");

  @TempDir Path directory;

  private FederationCa ca;
  private EcdsaP256SigningKey key;
  private X509Certificate certificate;

  @BeforeEach
  void pki() {
    ca = FederationCa.create("fed-1", Duration.ofDays(2), RANDOM);
    key = EcdsaP256SigningKey.generate(RANDOM);
    certificate = ca.issue(SILO, key.verifyingKey(), Duration.ofDays(1), List.of());
  }

  private FederationTrust trust() throws Exception {
    return FederationTrust.create(ca.certificate(), ca.emptyCrl(Instant.now(), Duration.ofDays(1)));
  }

  private SiloJournal open() throws Exception {
    return SiloJournal.open(directory, "fed-1", SILO, certificate, key, Instant.now());
  }

  @Test
  void appendReopenAppend_oneUnbrokenVerifiableChain_fileOwnerOnly() throws Exception {
    try (SiloJournal journal = open()) {
      journal.append("round-agreed", Map.of("round", 1), Instant.now());
    }
    try (SiloJournal journal = open()) {
      assertThat(journal.lines()).hasSize(2);
      journal.append("round-outcome", Map.of("round", 1, "finished", true), Instant.now());
    }
    List<String> lines = Files.readAllLines(directory.resolve(SiloJournal.FILE_NAME));
    assertThat(lines).hasSize(3);
    JournalVerification verification = JournalVerifier.verify(lines, trust(), Instant.now());
    assertThat(verification.problem()).isEmpty();
    assertThat(verification.isValid()).isTrue();
    assertThat(Files.getPosixFilePermissions(directory.resolve(SiloJournal.FILE_NAME)))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void append_threadInterrupted_recordsWrittenWhole_interruptKept_journalUsable() throws Exception {
    try (SiloJournal journal = open()) {
      // A stop interrupts the silo's thread while it journals: the appends must still happen
      // (an NIO FileChannel would be closed by the interrupt: ClosedByInterruptException).
      Thread.currentThread().interrupt();
      try {
        journal.appendAll(
            List.of(
                new SiloJournal.Entry("round-outcome", Map.of("round", 1, "finished", true)),
                new SiloJournal.Entry("privacy-spent", Map.of("round", 1, "unit", "silo")),
                new SiloJournal.Entry("privacy-spent", Map.of("round", 1, "unit", "record"))),
            Instant.now());
        assertThat(Thread.currentThread().isInterrupted())
            .as("the interrupt stays pending")
            .isTrue();
      } finally {
        Thread.interrupted();
      }
      journal.append("round-agreed", Map.of("round", 2), Instant.now());
    }
    List<String> lines = Files.readAllLines(directory.resolve(SiloJournal.FILE_NAME));
    assertThat(lines).hasSize(5);
    assertThat(JournalVerifier.verify(lines, trust(), Instant.now()).problem()).isEmpty();
  }

  @Test
  void reopen_halfWrittenLastLine_droppedAndChainContinues() throws Exception {
    try (SiloJournal journal = open()) {
      journal.append("round-agreed", Map.of("round", 1), Instant.now());
    }
    Files.writeString(
        directory.resolve(SiloJournal.FILE_NAME),
        "{\"seq\":2,\"type\":\"round-out",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    try (SiloJournal journal = open()) {
      assertThat(journal.lines()).hasSize(2);
      journal.append("round-outcome", Map.of("round", 1), Instant.now());
    }
    List<String> lines = Files.readAllLines(directory.resolve(SiloJournal.FILE_NAME));
    assertThat(lines).hasSize(3);
    assertThat(JournalVerifier.verify(lines, trust(), Instant.now()).problem()).isEmpty();
  }

  @Test
  void reopen_tamperedRecord_refused() throws Exception {
    try (SiloJournal journal = open()) {
      journal.append("round-agreed", Map.of("round", 1), Instant.now());
      journal.append("round-agreed", Map.of("round", 2), Instant.now());
    }
    Path file = directory.resolve(SiloJournal.FILE_NAME);
    Files.writeString(file, Files.readString(file).replace("\"round\":2", "\"round\":3"));
    assertThatThrownBy(this::open).isInstanceOf(GeneralSecurityException.class);
  }
}
