package org.fedsum.audit;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.journal.JournalProblem;
import org.fedsum.protocol.journal.JournalRecord;
import org.fedsum.protocol.journal.JournalVerification;

/**
 * One journal as the audit found it: its file, its writer and certificate once the opening record
 * verified, the records verified before the first problem, and that problem.
 *
 * @param name the file, as given
 * @param lineCount how many lines the file holds
 * @param verification the protocol verifier's result (chain, signatures, certificate)
 */
public record JournalAudit(String name, int lineCount, JournalVerification verification) {

  /** The writer, once the opening record verified. */
  public Optional<SiteIdentity> writer() {
    return verification.writer();
  }

  /** The writer's certificate from the opening record, once it verified. */
  public Optional<X509Certificate> certificate() {
    return verification.writerCertificate();
  }

  /** The records that verified, in order; line {@code n} holds the record with seq {@code n-1}. */
  public List<JournalRecord> records() {
    return verification.verifiedRecords();
  }

  /** The first problem in the journal itself, if any. */
  public Optional<JournalProblem> problem() {
    return verification.problem();
  }

  /** Whether every line verified. */
  public boolean valid() {
    return verification.isValid();
  }
}
