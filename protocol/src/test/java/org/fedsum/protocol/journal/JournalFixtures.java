package org.fedsum.protocol.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalRecord.RecordFault;

/**
 * Certificates made with the project's own PKI, and journals written with them: the federation CA
 * with silo-1 (the writer), silo-2 (another valid member) and a revoked silo-3, plus a foreign CA
 * that also certifies a "silo-1".
 */
final class JournalFixtures {
  static final String FEDERATION_ID = "journal-test";
  static final SiteIdentity SILO_1 = new SiteIdentity(SiteRole.SILO, "silo-1");
  static final SiteIdentity SILO_2 = new SiteIdentity(SiteRole.SILO, "silo-2");
  static final SiteIdentity SILO_3 = new SiteIdentity(SiteRole.SILO, "silo-3");
  static final SiteIdentity AGGREGATOR = new SiteIdentity(SiteRole.AGGREGATOR, "aggregator");
  static final List<String> ROUND_TYPES =
      List.of(
          "round-started",
          "keys-advertised",
          "shares-sent",
          "masked-input-sent",
          "consistency-signed",
          "unmask-shares-sent",
          "round-finished");

  final Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  final FederationCa ca;
  final FederationTrust trust;
  final X509CRL crlRevokingSilo3;
  final EcdsaP256SigningKey silo1Key;
  final X509Certificate silo1Certificate;
  final EcdsaP256SigningKey silo2Key;
  final X509Certificate silo2Certificate;
  final EcdsaP256SigningKey silo3Key;
  final X509Certificate silo3Certificate;
  final EcdsaP256SigningKey aggregatorKey;
  final X509Certificate aggregatorCertificate;
  final EcdsaP256SigningKey foreignSilo1Key;
  final X509Certificate foreignSilo1Certificate;

  JournalFixtures() throws GeneralSecurityException {
    SecureRandom random = new SecureRandom();
    ca = FederationCa.create(FEDERATION_ID, Duration.ofDays(400), random);
    silo1Key = EcdsaP256SigningKey.generate(random);
    silo1Certificate = issue(ca, SILO_1, silo1Key);
    silo2Key = EcdsaP256SigningKey.generate(random);
    silo2Certificate = issue(ca, SILO_2, silo2Key);
    silo3Key = EcdsaP256SigningKey.generate(random);
    silo3Certificate = issue(ca, SILO_3, silo3Key);
    aggregatorKey = EcdsaP256SigningKey.generate(random);
    aggregatorCertificate = issue(ca, AGGREGATOR, aggregatorKey);
    X509CRL empty = ca.emptyCrl(start, Duration.ofDays(7));
    crlRevokingSilo3 =
        ca.revoke(empty, silo3Certificate.getSerialNumber(), start, Duration.ofDays(7));
    trust = FederationTrust.create(ca.certificate(), crlRevokingSilo3);
    FederationCa foreign = FederationCa.create(FEDERATION_ID, Duration.ofDays(400), random);
    foreignSilo1Key = EcdsaP256SigningKey.generate(random);
    foreignSilo1Certificate = issue(foreign, SILO_1, foreignSilo1Key);
  }

  private static X509Certificate issue(
      FederationCa ca, SiteIdentity identity, EcdsaP256SigningKey key) {
    return ca.issue(identity, key.verifyingKey(), Duration.ofDays(30), List.of());
  }

  /** The time of record {@code seq} in the journals written here: one second apart. */
  Instant timeOf(long seq) {
    return start.plusSeconds(seq);
  }

  /** A trust whose CRL is current at {@code auditTime} and revokes silo-3. */
  FederationTrust trustAt(Instant auditTime) throws GeneralSecurityException {
    return FederationTrust.create(
        ca.certificate(),
        ca.revoke(
            ca.emptyCrl(start, Duration.ofDays(1)),
            silo3Certificate.getSerialNumber(),
            auditTime.minus(Duration.ofDays(1)),
            Duration.ofDays(7)));
  }

  /** A journal of {@code records} lines written by silo-1: the opening, then round records. */
  List<String> silo1Journal(int records) {
    return journal(SILO_1, silo1Certificate, silo1Key, records);
  }

  /** A journal of {@code records} lines, each round record with a small realistic body. */
  List<String> journal(
      SiteIdentity writer, X509Certificate certificate, EcdsaP256SigningKey key, int records) {
    JournalWriter.Opened opened =
        JournalWriter.open(FEDERATION_ID, writer, certificate, key, timeOf(0));
    List<String> lines = new ArrayList<>();
    lines.add(opened.line());
    for (int seq = 1; seq < records; seq++) {
      lines.add(opened.writer().append(typeOf(seq), bodyOf(seq), timeOf(seq)));
    }
    return lines;
  }

  static String typeOf(long seq) {
    return ROUND_TYPES.get((int) ((seq - 1) % ROUND_TYPES.size()));
  }

  static Map<String, Object> bodyOf(long seq) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("round", (seq - 1) / ROUND_TYPES.size() + 1);
    body.put("survivors", List.of("silo-1", "silo-2", "silo-4"));
    body.put("modelSha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    body.put("loss", "0.6931");
    return body;
  }

  /**
   * A record line with any content, signed by {@code key}: what an attacker holding some key (or a
   * buggy writer) could produce.
   */
  static String forge(
      EcdsaP256SigningKey key,
      long seq,
      Instant time,
      String writer,
      String type,
      ObjectNode body,
      String prev) {
    ObjectNode unsigned = JournalRecord.unsigned(seq, time, writer, type, body, prev);
    String canonical = CanonicalJson.encode(unsigned);
    return JournalRecord.signed(unsigned, canonical, key.sign(JournalRecord.signedBytes(canonical)))
        .line();
  }

  /** Parses a line that is known to be a well-formed record. */
  static JournalRecord record(String line) {
    try {
      return JournalRecord.parse(line);
    } catch (RecordFault e) {
      throw new AssertionError("not a record: " + e.getMessage(), e);
    }
  }

  /** {@code line} with the character at {@code index} replaced. */
  static String replaceAt(String line, int index, char replacement) {
    return line.substring(0, index) + replacement + line.substring(index + 1);
  }
}
