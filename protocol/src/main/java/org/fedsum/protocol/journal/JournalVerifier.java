package org.fedsum.protocol.journal;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.fedsum.crypto.EcdsaP256VerifyingKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.journal.JournalProblem.Kind;
import org.fedsum.protocol.journal.JournalRecord.RecordFault;

/**
 * Offline verification of one journal (DESIGN.md §7, {@code fedsum audit verify}): the structure
 * and canonical encoding of every line, the seq numbering, the hash chain, the writer's certificate
 * and every signature. Stops at the first fault and reports it with its line.
 *
 * <p>What this proves: every line was written, in this order and with these bytes, by the holder of
 * the key of a certificate the federation CA issued to the site named in the opening record.
 * Records inserted, removed, reordered or altered anywhere are detected, as is a journal re-signed
 * with any other key. What it cannot prove on its own: that records were not cut from the
 * <em>end</em> (keep {@link JournalVerification#headHash()} elsewhere, e.g. in the other party's
 * journal, to detect that), nor that record times are true (they are the writer's claims).
 *
 * <p>Certificate decisions:
 *
 * <ul>
 *   <li><b>Validity period</b>: the certificate is judged at the time of the opening record, not at
 *       the audit time, because journals are audited long after certificates expire; every later
 *       record's time must also lie within the certificate's validity.
 *   <li><b>Revocation</b>: a writer certificate listed in the CRL fails the whole journal, whatever
 *       the revocation date. Revocation means the key may be in someone else's hands, and record
 *       times are claims the key holder makes: a record "before the revocation" cannot be told from
 *       one forged afterwards with an earlier time. The CRL must be current at the audit time (its
 *       nextUpdate not passed), so that a stale CRL cannot hide a revocation.
 * </ul>
 */
public final class JournalVerifier {
  private static final int SHOWN_HEX_DIGITS = 16;

  /** Which signatures a check verifies. */
  enum SignaturePolicy {
    /** Every record's: the audit, which must name the first record that does not verify. */
    EVERY_RECORD,
    /**
     * The first and the last record's only. Enough to trust the whole chain (each signature covers
     * prev, so the last one commits to every earlier line), not to locate a forged record.
     */
    OPENING_AND_LAST
  }

  private JournalVerifier() {}

  /**
   * Verifies {@code lines}, a whole journal with the line terminators removed, line 1 first.
   * Callers that found a half-written last line should first apply {@link JournalLines#recover};
   * here such a line is a fault like any other.
   *
   * @param trust the federation CA and its current CRL
   * @param auditTime now, for judging whether the CRL is current
   */
  public static JournalVerification verify(
      List<String> lines, FederationTrust trust, Instant auditTime) {
    Objects.requireNonNull(trust, "trust");
    Objects.requireNonNull(auditTime, "auditTime");
    return check(lines, trust, auditTime, SignaturePolicy.EVERY_RECORD);
  }

  /**
   * The verification itself. Without {@code trust} (a writer resuming its own journal) the
   * certificate is only read, not judged.
   */
  static JournalVerification check(
      List<String> lines, FederationTrust trust, Instant auditTime, SignaturePolicy policy) {
    List<String> journal = List.copyOf(lines);
    Walk walk = new Walk(journal, trust, auditTime, policy);
    JournalProblem problem = walk.run();
    return new JournalVerification(
        walk.verified, problem, walk.writer, walk.federationId, walk.certificate);
  }

  /** The state of one pass over a journal. */
  private static final class Walk {
    private final List<String> lines;
    private final FederationTrust trust;
    private final Instant auditTime;
    private final SignaturePolicy policy;
    private final List<JournalRecord> verified = new ArrayList<>();
    private SiteIdentity writer;
    private String federationId;
    private X509Certificate certificate;
    private EcdsaP256VerifyingKey key;
    private Instant notBefore;
    private Instant notAfter;

    Walk(List<String> lines, FederationTrust trust, Instant auditTime, SignaturePolicy policy) {
      this.lines = lines;
      this.trust = trust;
      this.auditTime = auditTime;
      this.policy = policy;
    }

    JournalProblem run() {
      if (lines.isEmpty()) {
        return new JournalProblem(
            Kind.EMPTY, 0, null, null, "the journal is empty: it has no journal-opened record");
      }
      String previousHash = JournalRecord.GENESIS_PREV;
      for (int index = 0; index < lines.size(); index++) {
        int lineNumber = index + 1;
        JournalRecord record;
        try {
          record = JournalRecord.parse(lines.get(index));
        } catch (RecordFault fault) {
          return fault.at(lineNumber);
        }
        JournalProblem problem = sequence(index, record);
        if (problem == null) {
          problem = index == 0 ? opening(record) : laterRecord(lineNumber, record);
        }
        if (problem == null) {
          problem = chain(index, record, previousHash);
        }
        if (problem == null) {
          problem = time(lineNumber, record);
        }
        if (problem == null && checksSignature(index)) {
          problem = signature(lineNumber, record);
        }
        if (problem != null) {
          // Before the opening record verifies, nothing about the writer is established.
          if (index == 0) {
            writer = null;
            federationId = null;
            certificate = null;
          }
          return problem;
        }
        verified.add(record);
        previousHash = record.hash();
      }
      return null;
    }

    private boolean checksSignature(int index) {
      return policy == SignaturePolicy.EVERY_RECORD || index == 0 || index == lines.size() - 1;
    }

    // seq equals the index: a record missing, repeated, inserted or moved shifts it.
    private JournalProblem sequence(int index, JournalRecord record) {
      long expected = index;
      long seq = record.seq();
      if (seq == expected) {
        return null;
      }
      String detail;
      if (seq > expected) {
        int foundAt = -1;
        for (int later = index + 1; later < lines.size() && foundAt < 0; later++) {
          Long laterSeq = JournalRecord.peekSeq(lines.get(later));
          if (laterSeq != null && laterSeq == expected) {
            foundAt = later;
          }
        }
        if (foundAt >= 0) {
          detail =
              "seq is "
                  + seq
                  + " where "
                  + expected
                  + " was expected: record "
                  + expected
                  + " is on line "
                  + (foundAt + 1)
                  + ", so records are out of order";
        } else if (expected == 0) {
          detail = "the journal starts at seq " + seq + ": " + missing(expected, seq);
        } else {
          detail =
              "seq jumps from " + (expected - 1) + " to " + seq + ": " + missing(expected, seq);
        }
      } else {
        detail =
            "seq is "
                + seq
                + " where "
                + expected
                + " was expected: seq "
                + seq
                + " is already line "
                + (seq + 1)
                + ", so a record was inserted or replayed";
      }
      return new JournalProblem(Kind.SEQUENCE, index + 1, seq, record.type(), detail);
    }

    private static String missing(long from, long to) {
      return to - from == 1
          ? "record " + from + " is missing"
          : "records " + from + " to " + (to - 1) + " are missing";
    }

    private JournalProblem opening(JournalRecord record) {
      if (!record.type().equals(JournalRecord.OPENING_TYPE)) {
        return problem(
            Kind.OPENING,
            1,
            record,
            "the first record must be of type " + JournalRecord.OPENING_TYPE);
      }
      OpeningBody body;
      try {
        body = OpeningBody.read(record);
      } catch (RecordFault fault) {
        return fault.at(1);
      }
      X509Certificate openingCertificate = body.certificate();
      SiteIdentity identity;
      try {
        if (trust == null) {
          identity = OpeningBody.identityOf(openingCertificate);
        } else {
          Instant nextUpdate = trust.crl().getNextUpdate().toInstant();
          if (auditTime.isAfter(nextUpdate)) {
            return problem(
                Kind.CERTIFICATE,
                1,
                record,
                "the federation CRL was due for renewal at "
                    + nextUpdate
                    + ", before the audit time "
                    + auditTime
                    + ", so whether writer "
                    + record.writer()
                    + "'s certificate is revoked cannot be told; verify with a current CRL");
          }
          identity = trust.verify(openingCertificate, record.time());
        }
        key = EcdsaP256VerifyingKey.fromCertificate(openingCertificate);
      } catch (GeneralSecurityException e) {
        return problem(
            Kind.CERTIFICATE,
            1,
            record,
            "the certificate of writer "
                + record.writer()
                + " is not accepted"
                + (trust == null ? "" : " by the federation CA")
                + ": "
                + e.getMessage());
      }
      if (!identity.siteId().equals(record.writer())) {
        return problem(
            Kind.WRITER,
            1,
            record,
            "writer is " + record.writer() + " but the certificate is for " + identity.siteId());
      }
      if (identity.role() != body.role()) {
        return problem(
            Kind.WRITER,
            1,
            record,
            "body.role is "
                + body.role().uriSegment()
                + " but the certificate is for the role "
                + identity.role().uriSegment());
      }
      writer = identity;
      federationId = body.federationId();
      certificate = openingCertificate;
      notBefore = openingCertificate.getNotBefore().toInstant();
      notAfter = openingCertificate.getNotAfter().toInstant();
      return null;
    }

    private JournalProblem laterRecord(int lineNumber, JournalRecord record) {
      if (record.type().equals(JournalRecord.OPENING_TYPE)) {
        return problem(
            Kind.OPENING,
            lineNumber,
            record,
            "only the first record may be of type " + JournalRecord.OPENING_TYPE);
      }
      if (!record.writer().equals(writer.siteId())) {
        return problem(
            Kind.WRITER,
            lineNumber,
            record,
            "writer is " + record.writer() + " but the journal was opened by " + writer.siteId());
      }
      return null;
    }

    private JournalProblem chain(int index, JournalRecord record, String previousHash) {
      if (record.prev().equals(previousHash)) {
        return null;
      }
      if (index == 0) {
        return problem(
            Kind.CHAIN, 1, record, "prev is " + abbreviate(record.prev()) + " instead of 64 zeros");
      }
      return problem(
          Kind.CHAIN,
          index + 1,
          record,
          "prev is "
              + abbreviate(record.prev())
              + " but the previous record (line "
              + index
              + ") hashes to "
              + abbreviate(previousHash));
    }

    private JournalProblem time(int lineNumber, JournalRecord record) {
      if (record.time().isBefore(notBefore)) {
        return problem(
            Kind.TIME,
            lineNumber,
            record,
            "time "
                + record.time()
                + " is before the writer's certificate became valid at "
                + notBefore);
      }
      if (record.time().isAfter(notAfter)) {
        return problem(
            Kind.TIME,
            lineNumber,
            record,
            "time " + record.time() + " is after the writer's certificate expired at " + notAfter);
      }
      return null;
    }

    private JournalProblem signature(int lineNumber, JournalRecord record) {
      try {
        key.verify(record.signature(), record.signedBytes());
        return null;
      } catch (GeneralSecurityException e) {
        return problem(
            Kind.SIGNATURE,
            lineNumber,
            record,
            "signature does not verify with the key of writer "
                + writer.siteId()
                + "'s certificate (sha256:"
                + abbreviate(key.fingerprint())
                + ")");
      }
    }

    private static JournalProblem problem(
        Kind kind, int lineNumber, JournalRecord record, String detail) {
      return new JournalProblem(kind, lineNumber, record.seq(), record.type(), detail);
    }
  }

  /** The first hex digits of a hash, enough to tell hashes apart in a message. */
  static String abbreviate(String hex) {
    return hex.length() <= SHOWN_HEX_DIGITS ? hex : hex.substring(0, SHOWN_HEX_DIGITS) + "…";
  }
}
