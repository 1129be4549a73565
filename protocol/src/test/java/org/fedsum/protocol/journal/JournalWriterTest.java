package org.fedsum.protocol.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fedsum.protocol.journal.JournalFixtures.record;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.SecretBytes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JournalWriterTest {
  private static JournalFixtures pki;

  @BeforeAll
  static void createPki() throws GeneralSecurityException {
    pki = new JournalFixtures();
  }

  private static JournalWriter.Opened open() {
    return JournalWriter.open(
        JournalFixtures.FEDERATION_ID,
        JournalFixtures.SILO_1,
        pki.silo1Certificate,
        pki.silo1Key,
        pki.timeOf(0));
  }

  private static JournalWriter writer() {
    return open().writer();
  }

  private static JournalVerification verify(List<String> lines) {
    return JournalVerifier.verify(lines, pki.trust, pki.timeOf(100));
  }

  @Test
  void open_firstLine_isTheOpeningRecordWithCertificateFederationAndRole() throws Exception {
    JournalWriter.Opened opened = open();

    JournalRecord opening = record(opened.line());

    assertThat(opening.seq()).isZero();
    assertThat(opening.type()).isEqualTo("journal-opened");
    assertThat(opening.writer()).isEqualTo("silo-1");
    assertThat(opening.time()).isEqualTo(pki.timeOf(0));
    assertThat(opening.prev()).isEqualTo("0".repeat(64));
    assertThat(opening.body().get("certificate").textValue())
        .isEqualTo(Base64.getEncoder().encodeToString(pki.silo1Certificate.getEncoded()));
    assertThat(opening.body().get("federationId").textValue()).isEqualTo("journal-test");
    assertThat(opening.body().get("role").textValue()).isEqualTo("silo");
    assertThat(opening.body().get("format").textValue()).isEqualTo("fedsum-journal-v1");
    assertThat(opened.writer().nextSeq()).isEqualTo(1);
    assertThat(opened.writer().headHash()).isEqualTo(opening.hash());
    assertThat(verify(List.of(opened.line())).problem()).isEmpty();
  }

  @Test
  void open_signature_isOverTheContextAndTheRecordWithoutSig() throws Exception {
    JournalRecord opening = record(open().line());
    String withoutSig = opening.line().replaceFirst(",\"sig\":\"[A-Za-z0-9+/=]+\"", "");

    pki.silo1Key
        .verifyingKey()
        .verify(
            opening.signature(),
            ("fedsum-journal-record-v1\n" + withoutSig)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThatThrownBy(
            () ->
                pki.silo1Key
                    .verifyingKey()
                    .verify(
                        opening.signature(),
                        withoutSig.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void open_keyNotTheCertificates_isRefused() {
    assertThatThrownBy(
            () ->
                JournalWriter.open(
                    JournalFixtures.FEDERATION_ID,
                    JournalFixtures.SILO_1,
                    pki.silo1Certificate,
                    pki.silo2Key,
                    pki.timeOf(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the signing key does not match the certificate's key");
  }

  @Test
  void open_certificateOfAnotherSite_isRefused() {
    assertThatThrownBy(
            () ->
                JournalWriter.open(
                    JournalFixtures.FEDERATION_ID,
                    JournalFixtures.SILO_1,
                    pki.silo2Certificate,
                    pki.silo2Key,
                    pki.timeOf(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "the certificate is for urn:fedsum:silo:silo-2, not for the writer"
                + " urn:fedsum:silo:silo-1");
  }

  @Test
  void open_timeOutsideTheCertificate_isRefused() {
    Instant late = pki.silo1Certificate.getNotAfter().toInstant().plusSeconds(1);

    assertThatThrownBy(
            () ->
                JournalWriter.open(
                    JournalFixtures.FEDERATION_ID,
                    JournalFixtures.SILO_1,
                    pki.silo1Certificate,
                    pki.silo1Key,
                    late))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is outside the writer's certificate validity");
  }

  @Test
  void open_malformedFederationId_isRefused() {
    assertThatThrownBy(
            () ->
                JournalWriter.open(
                    "Bad Federation",
                    JournalFixtures.SILO_1,
                    pki.silo1Certificate,
                    pki.silo1Key,
                    pki.timeOf(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("federation id must match [a-z0-9][a-z0-9._-]{0,62}, not \"Bad Federation\"");
  }

  @Test
  void append_records_areChainedNumberedAndVerify() {
    JournalWriter.Opened opened = open();
    List<String> lines = new ArrayList<>(List.of(opened.line()));
    for (int seq = 1; seq <= 5; seq++) {
      String previousHead = opened.writer().headHash();
      String line = opened.writer().append("round-started", Map.of("round", seq), pki.timeOf(seq));
      JournalRecord appended = record(line);
      assertThat(appended.seq()).isEqualTo(seq);
      assertThat(appended.prev()).isEqualTo(previousHead);
      assertThat(opened.writer().headHash()).isEqualTo(appended.hash());
      lines.add(line);
    }

    assertThat(verify(lines).problem()).isEmpty();
    assertThat(opened.writer().nextSeq()).isEqualTo(6);
  }

  @Test
  void append_objectNodeBody_equalsTheSameMapBody() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("round", 3);
    node.putArray("survivors").add("silo-1").add("silo-2");
    Map<String, Object> map = Map.of("survivors", List.of("silo-1", "silo-2"), "round", 3L);

    String fromNode = writer().append("round-finished", node, pki.timeOf(1));
    String fromMap = writer().append("round-finished", map, pki.timeOf(1));

    assertThat(fromNode).isEqualTo(fromMap);
  }

  @Test
  void append_bodyChangedAfterwards_doesNotChangeTheRecord() {
    JournalWriter.Opened opened = open();
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("round", 3);
    String line = opened.writer().append("round-finished", node, pki.timeOf(1));

    node.put("round", 4);

    assertThat(verify(List.of(opened.line(), line)).problem()).isEmpty();
    assertThat(record(line).body().get("round").longValue()).isEqualTo(3);
  }

  @Test
  void append_secretBytes_isRefused() {
    SecretBytes seed = SecretBytes.random(32, new SecureRandom());

    assertThatThrownBy(
            () ->
                writer()
                    .append(
                        "round-started", Map.of("shares", Map.of("silo-2", seed)), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("body.shares.silo-2 is a SecretBytes; secrets are never journaled");
  }

  @Test
  void append_secretBytesWrappedInAJsonNode_isRefused() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.putPOJO("seed", SecretBytes.random(32, new SecureRandom()));

    assertThatThrownBy(() -> writer().append("round-started", node, pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "body.seed wraps a Java object (a SecretBytes; secrets are never journaled); only JSON"
                + " values are journaled");
  }

  @Test
  void append_byteArray_isRefused() {
    assertThatThrownBy(
            () ->
                writer()
                    .append("round-started", Map.of("key", List.of(new byte[32])), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "body.key[0] is a byte[]; base64 public bytes explicitly (secrets are never"
                + " journaled)");
  }

  @Test
  void append_binaryNode_isRefused() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("key", new byte[32]);

    assertThatThrownBy(() -> writer().append("round-started", node, pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "body.key is binary data; base64 public bytes explicitly (secrets are never"
                + " journaled)");
  }

  @Test
  void append_charArray_isRefused() {
    assertThatThrownBy(
            () ->
                writer()
                    .append(
                        "round-started",
                        Map.of("password", "hunter2".toCharArray()),
                        pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("body.password is a char[]");
  }

  @Test
  void append_pemPrivateKey_isRefused() {
    String pem = pki.silo1Key.toPkcs8Pem(org.fedsum.crypto.SecretAccess.GRANTED);

    assertThatThrownBy(() -> writer().append("round-started", Map.of("note", pem), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("body.note holds a PEM private key; secrets are never journaled")
        .hasMessageNotContaining("MIG");
  }

  @Test
  void append_otherJavaType_isRefused() {
    assertThatThrownBy(
            () -> writer().append("round-started", Map.of("at", Instant.EPOCH), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "body.at is of type Instant; only String, Boolean, Byte, Short, Integer, Long, Map, List,"
                + " JsonNode and null are journaled");
  }

  @Test
  void append_nonIntegralNumbers_areRefused() {
    List<Object> refused =
        List.of(0.5, 1.0f, Double.NaN, Double.POSITIVE_INFINITY, new BigDecimal("2.5"));
    for (Object value : refused) {
      assertThatThrownBy(() -> writer().append("metrics", Map.of("loss", value), pki.timeOf(1)))
          .as("%s", value)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("write non-integral numbers as strings");
    }
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("loss", 0.25);
    assertThatThrownBy(() -> writer().append("metrics", node, pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "body.loss is a non-integral number; the journal holds integers only, write it as a"
                + " string");
    ObjectNode nan = JsonNodeFactory.instance.objectNode();
    nan.put("loss", Double.NaN);
    assertThatThrownBy(() -> writer().append("metrics", nan, pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void append_integerBeyondLong_isRefused() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("count", BigInteger.ONE.shiftLeft(64));

    assertThatThrownBy(() -> writer().append("metrics", node, pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("body.count is an integer outside the range of a long; write it as a string");
  }

  @Test
  void append_nonStringKey_isRefused() {
    Map<Object, Object> inner = new HashMap<>();
    inner.put(7, "x");

    assertThatThrownBy(() -> writer().append("metrics", Map.of("inner", inner), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("body.inner has a key of type Integer; keys must be strings");
  }

  @Test
  void append_nullValue_isWritten() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("reason", null);

    String line = writer().append("round-aborted", body, pki.timeOf(1));

    assertThat(line).startsWith("{\"body\":{\"reason\":null},");
  }

  @Test
  void append_nestingAtTheLimit_isWrittenAndOneMoreIsRefused() {
    Map<String, Object> deepest = Map.of("leaf", 1);
    Object body = deepest;
    // The body object is level 1, so 31 wrappers reach the limit of 32.
    for (int level = 2; level < CanonicalJson.MAX_BODY_DEPTH; level++) {
      body = Map.of("n", body);
    }
    Map<String, Object> atLimit = Map.of("n", body);
    JournalWriter.Opened opened = open();
    String line = opened.writer().append("deep", atLimit, pki.timeOf(1));

    assertThat(verify(List.of(opened.line(), line)).problem()).isEmpty();
    assertThatThrownBy(() -> writer().append("deep", Map.of("n", atLimit), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is nested more than 32 levels deep");
  }

  @Test
  void append_mapContainingItself_isRefusedNotOverflowed() {
    Map<String, Object> loop = new HashMap<>();
    loop.put("self", loop);

    assertThatThrownBy(() -> writer().append("loop", loop, pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is nested more than 32 levels deep");
  }

  @Test
  void append_badTypes_areRefused() {
    for (String type : List.of("", "Round", "1round", "round_started", "a".repeat(65))) {
      assertThatThrownBy(() -> writer().append(type, Map.of(), pki.timeOf(1)))
          .as(type)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("record type must match [a-z][a-z0-9-]{0,63}, not ");
    }
    assertThat(record(writer().append("a".repeat(64), Map.of(), pki.timeOf(1))).type()).hasSize(64);
    assertThatThrownBy(() -> writer().append("journal-opened", Map.of(), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("only the first record is of type journal-opened");
  }

  @Test
  void append_refused_leavesTheWriterUnchanged() {
    JournalWriter.Opened opened = open();
    String head = opened.writer().headHash();

    assertThatThrownBy(() -> opened.writer().append("metrics", Map.of("loss", 0.5), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(opened.writer().nextSeq()).isEqualTo(1);
    assertThat(opened.writer().headHash()).isEqualTo(head);
    String line = opened.writer().append("metrics", Map.of("loss", "0.5"), pki.timeOf(1));
    assertThat(verify(List.of(opened.line(), line)).problem()).isEmpty();
  }

  @Test
  void append_afterTheCertificateExpired_isRefused() {
    Instant late = pki.silo1Certificate.getNotAfter().toInstant().plusSeconds(1);

    assertThatThrownBy(() -> writer().append("round-started", Map.of(), late))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("open a new one after renewal");
  }

  @Test
  void append_lineOverOneMebibyte_isRefused() {
    String large = "x".repeat(CanonicalJson.MAX_LINE_CHARS);

    assertThatThrownBy(() -> writer().append("metrics", Map.of("blob", large), pki.timeOf(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than the 1048576 a journal line may have");
  }

  @Test
  void resume_continuesTheChain_andTheWholeJournalVerifies() throws Exception {
    List<String> lines = pki.silo1Journal(8);

    JournalWriter resumed = JournalWriter.resume(lines, pki.silo1Key);
    List<String> continued = new ArrayList<>(lines);
    for (int seq = 8; seq < 12; seq++) {
      continued.add(resumed.append("round-started", Map.of("round", seq), pki.timeOf(seq)));
    }

    assertThat(resumed.writer()).isEqualTo(JournalFixtures.SILO_1);
    assertThat(resumed.federationId()).isEqualTo(JournalFixtures.FEDERATION_ID);
    assertThat(record(continued.get(8)).prev()).isEqualTo(JournalRecord.sha256Hex(lines.get(7)));
    assertThat(record(continued.get(8)).seq()).isEqualTo(8);
    JournalVerification verification = verify(continued);
    assertThat(verification.problem()).isEmpty();
    assertThat(verification.verifiedRecords()).hasSize(12);
  }

  @Test
  void resume_afterRecoveringAHalfWrittenLine_continuesFromTheLastCompleteRecord()
      throws Exception {
    List<String> lines = new ArrayList<>(pki.silo1Journal(6));
    String last = lines.get(5);
    lines.set(5, last.substring(0, 40));

    assertThatThrownBy(() -> JournalWriter.resume(lines, pki.silo1Key))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage(
            "cannot resume the journal: line 6: ends before its JSON object does: a record cut"
                + " short (a crash artefact: apply JournalLines.recover first)");

    List<String> recovered = new ArrayList<>(JournalLines.recover(lines).lines());
    JournalWriter resumed = JournalWriter.resume(recovered, pki.silo1Key);
    recovered.add(resumed.append("round-started", Map.of(), pki.timeOf(6)));

    assertThat(record(recovered.get(5)).seq()).isEqualTo(5);
    assertThat(verify(recovered).problem()).isEmpty();
  }

  @Test
  void resume_withAnotherKey_isRefused() {
    List<String> lines = pki.silo1Journal(3);

    assertThatThrownBy(() -> JournalWriter.resume(lines, pki.silo2Key))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageStartingWith(
            "the signing key does not match the certificate of urn:fedsum:silo:silo-1 that"
                + " opened the journal");
  }

  @Test
  void resume_brokenChain_isRefusedWithItsLine() {
    List<String> lines = new ArrayList<>(pki.silo1Journal(6));
    lines.remove(3);

    assertThatThrownBy(() -> JournalWriter.resume(lines, pki.silo1Key))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageStartingWith("cannot resume the journal: line 4 (seq 4, ")
        .hasMessageEndingWith("seq jumps from 2 to 4: record 3 is missing");
  }

  @Test
  void resume_lastRecordForged_isRefused() {
    List<String> lines = new ArrayList<>(pki.silo1Journal(4));
    JournalRecord last = record(lines.get(3));
    lines.set(
        3,
        JournalFixtures.forge(
            pki.silo2Key, 3, last.time(), "silo-1", last.type(), last.body(), last.prev()));

    assertThatThrownBy(() -> JournalWriter.resume(lines, pki.silo1Key))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("line 4 (seq 3, ")
        .hasMessageContaining("signature does not verify");
  }

  @Test
  void resume_emptyJournal_isRefused() {
    assertThatThrownBy(() -> JournalWriter.resume(List.of(), pki.silo1Key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("there is no journal to resume; open a new one");
  }

  @Test
  void toString_namesWriterAndPosition_notTheKey() {
    JournalWriter writer = writer();

    assertThat(writer.toString())
        .isEqualTo("JournalWriter[urn:fedsum:silo:silo-1 in journal-test, next seq 1]");
  }

  @Test
  void appendAndVerify_timeWithNanoseconds_roundTrips() {
    JournalWriter.Opened opened = open();
    Instant precise = pki.timeOf(1).plusNanos(123_456_789);
    String line = opened.writer().append("round-started", Map.of(), precise);

    assertThat(record(line).time()).isEqualTo(precise);
    assertThat(verify(List.of(opened.line(), line)).problem()).isEmpty();
    assertThat(Duration.between(pki.timeOf(0), precise).toNanos()).isEqualTo(1_123_456_789L);
  }
}
