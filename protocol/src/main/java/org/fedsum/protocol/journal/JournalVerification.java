package org.fedsum.protocol.journal;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.fedsum.crypto.SiteIdentity;

/**
 * The outcome of {@link JournalVerifier#verify}: either every line verified, or the first {@link
 * JournalProblem}. Either way {@link #verifiedRecords()} holds the records before the problem, each
 * fully checked (structure, place in the chain, writer, time, signature).
 */
public final class JournalVerification {
  private final List<JournalRecord> verifiedRecords;
  private final JournalProblem problem;
  private final SiteIdentity writer;
  private final String federationId;
  private final X509Certificate writerCertificate;

  JournalVerification(
      List<JournalRecord> verifiedRecords,
      JournalProblem problem,
      SiteIdentity writer,
      String federationId,
      X509Certificate writerCertificate) {
    this.verifiedRecords = List.copyOf(verifiedRecords);
    this.problem = problem;
    this.writer = writer;
    this.federationId = federationId;
    this.writerCertificate = writerCertificate;
  }

  /** True if every line is a verified record and nothing is wrong. */
  public boolean isValid() {
    return problem == null;
  }

  /** The first problem found, if any. */
  public Optional<JournalProblem> problem() {
    return Optional.ofNullable(problem);
  }

  /** The records before the first problem, in order; all of them when the journal is valid. */
  public List<JournalRecord> verifiedRecords() {
    return verifiedRecords;
  }

  /** The writer, once the opening record verified. */
  public Optional<SiteIdentity> writer() {
    return Optional.ofNullable(writer);
  }

  /** The federation id the opening record names, once it verified. */
  public Optional<String> federationId() {
    return Optional.ofNullable(federationId);
  }

  /** The writer's certificate from the opening record, once it verified. */
  public Optional<X509Certificate> writerCertificate() {
    return Optional.ofNullable(writerCertificate);
  }

  /**
   * Hex SHA-256 of the last verified record's line, the value a new record would carry as prev:
   * compare it with a copy kept elsewhere to detect records cut from the end, which a hash chain
   * alone cannot.
   */
  public Optional<String> headHash() {
    return verifiedRecords.isEmpty()
        ? Optional.empty()
        : Optional.of(verifiedRecords.get(verifiedRecords.size() - 1).hash());
  }

  /** The problem's sentence, or a summary naming the writer and the number of records. */
  @Override
  public String toString() {
    if (problem != null) {
      return problem.toString();
    }
    return "journal of "
        + writer.uri()
        + " in federation "
        + federationId
        + ": "
        + verifiedRecords.size()
        + " records verified";
  }
}
