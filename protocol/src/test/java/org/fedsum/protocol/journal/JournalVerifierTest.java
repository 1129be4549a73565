package org.fedsum.protocol.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedsum.protocol.journal.JournalFixtures.forge;
import static org.fedsum.protocol.journal.JournalFixtures.record;
import static org.fedsum.protocol.journal.JournalFixtures.replaceAt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.protocol.journal.JournalProblem.Kind;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JournalVerifierTest {
  private static final int RECORDS = 20;

  private static JournalFixtures pki;
  private static List<String> journal;

  @BeforeAll
  static void createJournal() throws GeneralSecurityException {
    pki = new JournalFixtures();
    journal = pki.silo1Journal(RECORDS);
  }

  private static JournalVerification verify(List<String> lines) {
    return JournalVerifier.verify(lines, pki.trust, pki.timeOf(RECORDS));
  }

  private static JournalProblem problemOf(List<String> lines) {
    JournalVerification verification = verify(lines);
    assertThat(verification.isValid()).as("verification of a tampered journal").isFalse();
    return verification.problem().orElseThrow();
  }

  private static List<String> copy() {
    return new ArrayList<>(journal);
  }

  @Test
  void verify_untouchedJournal_isValidWithEveryRecord() {
    JournalVerification verification = verify(journal);

    assertThat(verification.problem()).isEmpty();
    assertThat(verification.isValid()).isTrue();
    assertThat(verification.verifiedRecords()).hasSize(RECORDS);
    assertThat(verification.verifiedRecords())
        .extracting(JournalRecord::seq)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, RECORDS).boxed().toList());
    assertThat(verification.writer()).contains(JournalFixtures.SILO_1);
    assertThat(verification.federationId()).contains(JournalFixtures.FEDERATION_ID);
    assertThat(verification.writerCertificate()).contains(pki.silo1Certificate);
    assertThat(verification.headHash()).contains(JournalRecord.sha256Hex(journal.get(RECORDS - 1)));
    assertThat(verification.toString())
        .isEqualTo(
            "journal of urn:fedsum:silo:silo-1 in federation journal-test: 20 records verified");
  }

  @Test
  void verify_aggregatorJournal_isValid() {
    List<String> lines =
        pki.journal(JournalFixtures.AGGREGATOR, pki.aggregatorCertificate, pki.aggregatorKey, 5);

    JournalVerification verification = verify(lines);

    assertThat(verification.problem()).isEmpty();
    assertThat(verification.writer()).contains(JournalFixtures.AGGREGATOR);
  }

  @Test
  void verify_recordsChainEachToThePreviousLine() {
    assertThat(record(journal.get(0)).prev()).isEqualTo("0".repeat(64));
    for (int i = 1; i < RECORDS; i++) {
      assertThat(record(journal.get(i)).prev())
          .as("prev of line %d", i + 1)
          .isEqualTo(JournalRecord.sha256Hex(journal.get(i - 1)));
    }
  }

  @Test
  void verify_byteFlippedInBodyValue_namesThatLineAndTheSignature() {
    List<String> lines = copy();
    String line = lines.get(6);
    int at = line.indexOf("silo-4");
    lines.set(6, replaceAt(line, at + 5, '5'));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.SIGNATURE);
    assertThat(problem.lineNumber()).isEqualTo(7);
    assertThat(problem.toString())
        .startsWith(
            "line 7 (seq 6, "
                + JournalFixtures.typeOf(6)
                + "): signature does not verify with the key of writer silo-1's certificate"
                + " (sha256:");
    assertThat(verify(lines).verifiedRecords()).hasSize(6);
  }

  @Test
  void verify_byteFlippedInSignature_namesThatLine() {
    List<String> lines = copy();
    String line = lines.get(9);
    int at = line.indexOf("\"sig\":\"") + "\"sig\":\"".length() + 10;
    char flipped = line.charAt(at) == 'A' ? 'B' : 'A';
    lines.set(9, replaceAt(line, at, flipped));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.lineNumber()).isEqualTo(10);
    assertThat(problem.seq()).hasValue(9);
    assertThat(problem.kind()).isIn(Kind.SIGNATURE, Kind.MALFORMED);
  }

  @Test
  void verify_recordRemoved_namesTheMissingSeq() {
    List<String> lines = copy();
    lines.remove(7);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.SEQUENCE);
    assertThat(problem.lineNumber()).isEqualTo(8);
    assertThat(problem.toString())
        .isEqualTo(
            "line 8 (seq 8, "
                + JournalFixtures.typeOf(8)
                + "): seq jumps from 6 to 8: record 7 is missing");
  }

  @Test
  void verify_severalRecordsRemoved_namesTheRange() {
    List<String> lines = copy();
    lines.subList(3, 6).clear();

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.SEQUENCE);
    assertThat(problem.detail()).isEqualTo("seq jumps from 2 to 6: records 3 to 5 are missing");
  }

  @Test
  void verify_openingRecordRemoved_namesIt() {
    List<String> lines = copy();
    lines.remove(0);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.lineNumber()).isEqualTo(1);
    assertThat(problem.detail()).isEqualTo("the journal starts at seq 1: record 0 is missing");
  }

  @Test
  void verify_twoRecordsSwapped_namesTheFirstOutOfOrderLine() {
    List<String> lines = copy();
    Collections.swap(lines, 11, 12);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.SEQUENCE);
    assertThat(problem.lineNumber()).isEqualTo(12);
    assertThat(problem.detail())
        .isEqualTo(
            "seq is 12 where 11 was expected: record 11 is on line 13, so records are out of"
                + " order");
  }

  @Test
  void verify_recordDuplicated_namesTheReplay() {
    List<String> lines = copy();
    lines.add(5, lines.get(4));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.SEQUENCE);
    assertThat(problem.lineNumber()).isEqualTo(6);
    assertThat(problem.detail())
        .isEqualTo(
            "seq is 4 where 5 was expected: seq 4 is already line 5, so a record was inserted"
                + " or replayed");
  }

  @Test
  void verify_recordInsertedBySignedAnotherMember_isRefusedAtThatLine() {
    // silo-2 holds a valid federation certificate, but this is silo-1's journal.
    List<String> lines = copy();
    JournalRecord previous = record(lines.get(4));
    ObjectNode body = CanonicalJson.fromMap(Map.of("round", 1, "survivors", List.of()), "body");
    String inserted =
        forge(pki.silo2Key, 5, pki.timeOf(5), "silo-2", "round-finished", body, previous.hash());
    lines.add(5, inserted);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.WRITER);
    assertThat(problem.toString())
        .isEqualTo(
            "line 6 (seq 5, round-finished): writer is silo-2 but the journal was opened by"
                + " silo-1");
  }

  @Test
  void verify_recordInsertedInTheWritersNameWithAnotherKey_failsItsSignature() {
    List<String> lines = copy();
    JournalRecord previous = record(lines.get(4));
    ObjectNode body = CanonicalJson.fromMap(Map.of("round", 1), "body");
    String inserted =
        forge(pki.silo2Key, 5, pki.timeOf(5), "silo-1", "round-finished", body, previous.hash());
    lines.add(5, inserted);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.SIGNATURE);
    assertThat(problem.lineNumber()).isEqualTo(6);
    assertThat(problem.seq()).hasValue(5);
  }

  @Test
  void verify_recordReplacedAndRechainedWithAnotherKey_failsAtTheReplacement() {
    // An attacker with some federation key rewrites the tail: its first record breaks.
    List<String> lines = copy();
    String prev = record(lines.get(14)).hash();
    for (int seq = 15; seq < RECORDS; seq++) {
      String forged =
          forge(
              pki.silo2Key,
              seq,
              pki.timeOf(seq),
              "silo-1",
              JournalFixtures.typeOf(seq),
              CanonicalJson.fromMap(JournalFixtures.bodyOf(seq), "body"),
              prev);
      lines.set(seq, forged);
      prev = record(forged).hash();
    }

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.SIGNATURE);
    assertThat(problem.lineNumber()).isEqualTo(16);
  }

  @Test
  void verify_recordResignedByTheWriterWithWrongPrev_namesBothHashes() {
    List<String> lines = copy();
    JournalRecord original = record(lines.get(8));
    String wrongPrev = JournalRecord.sha256Hex("not the previous line");
    lines.set(
        8,
        forge(
            pki.silo1Key,
            8,
            original.time(),
            "silo-1",
            original.type(),
            original.body(),
            wrongPrev));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.CHAIN);
    assertThat(problem.toString())
        .isEqualTo(
            "line 9 (seq 8, "
                + original.type()
                + "): prev is "
                + wrongPrev.substring(0, 16)
                + "… but the previous record (line 8) hashes to "
                + original.prev().substring(0, 16)
                + "…");
  }

  @Test
  void verify_openingByAnotherCa_isRefusedAtLineOne() {
    List<String> lines =
        pki.journal(
            JournalFixtures.SILO_1, pki.foreignSilo1Certificate, pki.foreignSilo1Key, RECORDS);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.CERTIFICATE);
    assertThat(problem.lineNumber()).isEqualTo(1);
    assertThat(problem.toString())
        .startsWith(
            "line 1 (seq 0, journal-opened): the certificate of writer silo-1 is not accepted by"
                + " the federation CA: ")
        .contains("not signed by the federation CA");
    assertThat(verify(lines).writer()).isEmpty();
    assertThat(verify(lines).verifiedRecords()).isEmpty();
  }

  @Test
  void verify_openingCertificateSwappedInTheBody_isRefusedAtLineOne() throws Exception {
    // The writer's own records, but the body claims silo-2's certificate: silo-1's signature
    // cannot verify under silo-2's key.
    List<String> lines = copy();
    JournalRecord opening = record(lines.get(0));
    ObjectNode body = opening.body();
    body.put(
        "certificate",
        java.util.Base64.getEncoder().encodeToString(pki.silo2Certificate.getEncoded()));
    lines.set(
        0,
        forge(
            pki.silo1Key,
            0,
            opening.time(),
            "silo-2",
            JournalRecord.OPENING_TYPE,
            body,
            opening.prev()));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.lineNumber()).isEqualTo(1);
    assertThat(problem.kind()).isEqualTo(Kind.SIGNATURE);
  }

  @Test
  void verify_revokedWriter_isRefusedAtLineOne() {
    List<String> lines = pki.journal(JournalFixtures.SILO_3, pki.silo3Certificate, pki.silo3Key, 5);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.CERTIFICATE);
    assertThat(problem.lineNumber()).isEqualTo(1);
    assertThat(problem.toString())
        .startsWith("line 1 (seq 0, journal-opened): the certificate of writer silo-3")
        .contains("is revoked");
  }

  @Test
  void verify_afterTheCertificateExpired_judgesItAtTheOpeningTime() throws Exception {
    Instant auditTime = pki.start.plus(Duration.ofDays(45));
    assertThat(pki.silo1Certificate.getNotAfter().toInstant()).isBefore(auditTime);

    JournalVerification verification =
        JournalVerifier.verify(journal, pki.trustAt(auditTime), auditTime);

    assertThat(verification.problem()).isEmpty();
  }

  @Test
  void verify_crlStaleAtTheAuditTime_isRefused() {
    Instant auditTime = pki.start.plus(Duration.ofDays(8));

    JournalProblem problem =
        JournalVerifier.verify(journal, pki.trust, auditTime).problem().orElseThrow();

    assertThat(problem.kind()).isEqualTo(Kind.CERTIFICATE);
    assertThat(problem.lineNumber()).isEqualTo(1);
    assertThat(problem.detail())
        .startsWith("the federation CRL was due for renewal at ")
        .endsWith("verify with a current CRL");
  }

  @Test
  void verify_recordAfterTheCertificateExpired_isRefused() {
    List<String> lines = copy();
    Instant late = pki.silo1Certificate.getNotAfter().toInstant().plusSeconds(1);
    lines.add(
        forge(
            pki.silo1Key,
            RECORDS,
            late,
            "silo-1",
            "round-started",
            CanonicalJson.newObject(),
            JournalRecord.sha256Hex(lines.get(RECORDS - 1))));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.TIME);
    assertThat(problem.lineNumber()).isEqualTo(RECORDS + 1);
    assertThat(problem.detail()).contains("is after the writer's certificate expired at");
  }

  @Test
  void verify_writerFieldOfOpeningNotTheCertificates_isRefused() {
    List<String> lines = copy();
    JournalRecord opening = record(lines.get(0));
    lines.set(
        0,
        forge(
            pki.silo1Key,
            0,
            opening.time(),
            "silo-9",
            JournalRecord.OPENING_TYPE,
            opening.body(),
            opening.prev()));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.WRITER);
    assertThat(problem.detail()).isEqualTo("writer is silo-9 but the certificate is for silo-1");
  }

  @Test
  void verify_roleInOpeningNotTheCertificates_isRefused() {
    List<String> lines = copy();
    JournalRecord opening = record(lines.get(0));
    ObjectNode body = opening.body();
    body.put("role", "aggregator");
    lines.set(
        0,
        forge(
            pki.silo1Key,
            0,
            opening.time(),
            "silo-1",
            JournalRecord.OPENING_TYPE,
            body,
            opening.prev()));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.WRITER);
    assertThat(problem.detail())
        .isEqualTo("body.role is aggregator but the certificate is for the role silo");
  }

  @Test
  void verify_firstRecordNotAnOpening_isRefused() {
    List<String> lines = copy();
    JournalRecord opening = record(lines.get(0));
    lines.set(
        0,
        forge(
            pki.silo1Key,
            0,
            opening.time(),
            "silo-1",
            "round-started",
            opening.body(),
            opening.prev()));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.OPENING);
    assertThat(problem.toString())
        .isEqualTo(
            "line 1 (seq 0, round-started): the first record must be of type journal-opened");
  }

  @Test
  void verify_secondOpeningRecord_isRefused() {
    List<String> lines = copy();
    lines.add(
        forge(
            pki.silo1Key,
            RECORDS,
            pki.timeOf(RECORDS),
            "silo-1",
            JournalRecord.OPENING_TYPE,
            record(lines.get(0)).body(),
            JournalRecord.sha256Hex(lines.get(RECORDS - 1))));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.OPENING);
    assertThat(problem.lineNumber()).isEqualTo(RECORDS + 1);
  }

  @Test
  void verify_openingWithUnknownFormat_isRefused() {
    List<String> lines = copy();
    JournalRecord opening = record(lines.get(0));
    ObjectNode body = opening.body();
    body.put("format", "fedsum-journal-v2");
    lines.set(
        0,
        forge(
            pki.silo1Key,
            0,
            opening.time(),
            "silo-1",
            JournalRecord.OPENING_TYPE,
            body,
            opening.prev()));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.OPENING);
    assertThat(problem.detail())
        .isEqualTo(
            "journal format \"fedsum-journal-v2\" is not supported (only fedsum-journal-v1)");
  }

  @Test
  void verify_truncatedMiddleLine_isTampering() {
    List<String> lines = copy();
    lines.set(10, lines.get(10).substring(0, lines.get(10).length() / 2));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.TRUNCATED);
    assertThat(problem.toString())
        .isEqualTo("line 11: ends before its JSON object does: a record cut short");
    assertThat(JournalLines.recover(lines).lines()).isEqualTo(lines);
  }

  @Test
  void verify_truncatedLastLine_failsUntilRecovered() {
    List<String> lines = copy();
    String last = lines.get(RECORDS - 1);
    lines.set(RECORDS - 1, last.substring(0, last.length() - 7));

    JournalProblem problem = problemOf(lines);
    JournalLines.Recovery recovery = JournalLines.recover(lines);

    assertThat(problem.kind()).isEqualTo(Kind.TRUNCATED);
    assertThat(problem.lineNumber()).isEqualTo(RECORDS);
    assertThat(recovery.droppedPartialLastLine()).isTrue();
    assertThat(verify(recovery.lines()).problem()).isEmpty();
    assertThat(verify(recovery.lines()).verifiedRecords()).hasSize(RECORDS - 1);
  }

  @Test
  void verify_trailingGarbageLine_isRefused() {
    List<String> lines = copy();
    lines.add("garbage");

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.MALFORMED);
    assertThat(problem.toString())
        .isEqualTo("line 21: is not valid JSON (unexpected character at column 1)");
    assertThat(JournalLines.recover(lines).droppedPartialLastLine()).isFalse();
  }

  @Test
  void verify_textAfterTheObject_isRefused() {
    List<String> lines = copy();
    lines.set(3, lines.get(3) + "{}");

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.MALFORMED);
    assertThat(problem.lineNumber()).isEqualTo(4);
    assertThat(problem.detail())
        .isEqualTo(
            "has text after its JSON object (from column " + (journal.get(3).length() + 1) + ")");
  }

  @Test
  void verify_emptyLine_isRefused() {
    List<String> lines = copy();
    lines.add(4, "");

    JournalProblem problem = problemOf(lines);

    assertThat(problem.toString()).isEqualTo("line 5: is empty");
  }

  @Test
  void verify_reserialisedWithWhitespace_isNotCanonical() {
    List<String> lines = copy();
    lines.set(2, lines.get(2).replaceFirst("\"prev\":", "\"prev\": "));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.NOT_CANONICAL);
    assertThat(problem.lineNumber()).isEqualTo(3);
    assertThat(problem.detail())
        .startsWith("is not in canonical encoding: re-serialised, it differs from column ");
  }

  @Test
  void verify_reserialisedWithOtherKeyOrder_isNotCanonical() {
    // Same members, same values, so the signature would verify: only the encoding differs.
    List<String> lines = copy();
    String line = lines.get(2);
    int body = line.indexOf(",\"prev\":");
    String reordered =
        "{" + line.substring(body + 1, line.length() - 1) + "," + line.substring(1, body) + "}";
    lines.set(2, reordered);

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.NOT_CANONICAL);
    assertThat(problem.seq()).hasValue(2);
    assertThat(problem.type()).contains(JournalFixtures.typeOf(2));
  }

  @Test
  void verify_duplicateKey_isMalformed() {
    List<String> lines = copy();
    lines.set(2, lines.get(2).replaceFirst("\\{\"body\":\\{", "{\"body\":{\"round\":7,"));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.kind()).isEqualTo(Kind.MALFORMED);
    assertThat(problem.lineNumber()).isEqualTo(3);
    assertThat(problem.detail())
        .startsWith("is refused by the strict JSON parser: Duplicate field 'round'");
  }

  @Test
  void verify_unknownField_isMalformed() {
    List<String> lines = copy();
    lines.set(2, lines.get(2).replaceFirst("\"writer\":", "\"x\":1,\"writer\":"));

    JournalProblem problem = problemOf(lines);

    assertThat(problem.toString())
        .isEqualTo("line 3 (seq 2, " + JournalFixtures.typeOf(2) + "): has an unknown field \"x\"");
  }

  @Test
  void verify_emptyJournal_isRefused() {
    JournalProblem problem = problemOf(List.of());

    assertThat(problem.kind()).isEqualTo(Kind.EMPTY);
    assertThat(problem.lineNumber()).isZero();
  }

  @Test
  void verify_everySingleBitFlipInTheRecords_isNamedAtItsLine() throws GeneralSecurityException {
    // Every character of a short journal, each flipped in its lowest bit: each must be caught, and
    // at the line where it happened. The opening line (mostly the certificate) is sampled, to keep
    // the test fast: each check verifies the certificate and every signature again.
    FederationTrust trust = pki.trust;
    List<String> small = pki.silo1Journal(3);
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (int line = 0; line < small.size(); line++) {
      String original = small.get(line);
      int step = line == 0 ? 23 : 1;
      for (int at = 0; at < original.length(); at += step) {
        List<String> lines = new ArrayList<>(small);
        lines.set(line, replaceAt(original, at, (char) (original.charAt(at) ^ 1)));
        JournalVerification verification =
            JournalVerifier.verify(lines, trust, pki.timeOf(RECORDS));
        checked++;
        if (verification.isValid()) {
          failures.add("line " + (line + 1) + " column " + (at + 1) + ": not detected");
        } else if (verification.problem().orElseThrow().lineNumber() != line + 1) {
          failures.add(
              "line " + (line + 1) + " column " + (at + 1) + ": " + verification.problem().get());
        }
      }
    }

    assertThat(failures).isEmpty();
    assertThat(checked).isGreaterThan(500);
  }
}
