package org.fedsum.audit;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link AuditVerifier#verify}: every journal as found, what was read from the
 * verified records, and the findings (journal faults first, in the order of the files, then the
 * cross-checks).
 *
 * @param auditTime the time the audit judged certificates and the CRL at
 * @param journals the journals, the aggregator's first
 * @param facts what the verified records say about the run
 * @param findings what is wrong or worth attention; the audit passes when none {@link
 *     AuditFinding#fails()}
 */
public record AuditResult(
    Instant auditTime, List<JournalAudit> journals, RunFacts facts, List<AuditFinding> findings) {

  /** Copies the lists. */
  public AuditResult {
    Objects.requireNonNull(auditTime, "auditTime");
    Objects.requireNonNull(facts, "facts");
    journals = List.copyOf(journals);
    findings = List.copyOf(findings);
  }

  /** True only when every journal verified and the silo journals agree with the aggregator's. */
  public boolean verified() {
    return findings.stream().noneMatch(AuditFinding::fails);
  }

  /** The findings that fail the audit, in order. */
  public List<AuditFinding> failures() {
    return findings.stream().filter(AuditFinding::fails).toList();
  }

  /**
   * One line for the top of a terminal or a report: {@code VERIFIED: …} when everything verifies,
   * else {@code TAMPERED OR INCONSISTENT: …} naming the first failure and how many there are.
   */
  public String headline() {
    long records = journals.stream().mapToLong(journal -> journal.records().size()).sum();
    if (verified()) {
      return "VERIFIED: "
          + journals.size()
          + " journals, "
          + records
          + " records: every hash chain and signature verifies against the federation CA and the"
          + " silo journals agree with the aggregator's";
    }
    List<AuditFinding> failures = failures();
    return "TAMPERED OR INCONSISTENT: "
        + failures.get(0)
        + (failures.size() > 1 ? " (and " + (failures.size() - 1) + " more findings)" : "");
  }
}
