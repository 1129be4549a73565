package org.fedsum.audit;

import java.util.Objects;

/**
 * One thing the audit found wrong (or, for {@link Severity#NOTE}, worth an auditor's attention):
 * where (file, line, the record's seq and type) and what differs.
 *
 * @param severity whether it fails the audit
 * @param check which check found it, a stable name (e.g. {@code journal-signature}, {@code
 *     cross-submission})
 * @param file the journal file, as given; empty when the finding is about the set of journals
 * @param line the 1-based line; 0 when no single line is at fault
 * @param seq the record's seq, or -1 if it could not be read or no record is at fault
 * @param recordType the record's type, or empty
 * @param detail what differs, without the location
 */
public record AuditFinding(
    Severity severity,
    String check,
    String file,
    int line,
    long seq,
    String recordType,
    String detail) {

  /** Whether a finding fails the audit. */
  public enum Severity {
    /** The journals do not verify or do not agree: the audit fails. */
    FAILURE,
    /** Consistent with an honest run (e.g. a silo that crashed mid-round) but worth reading. */
    NOTE
  }

  /** Checks that nothing is null. */
  public AuditFinding {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(check, "check");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(recordType, "recordType");
    Objects.requireNonNull(detail, "detail");
  }

  /** Whether this finding fails the audit. */
  public boolean fails() {
    return severity == Severity.FAILURE;
  }

  /** {@code <file>:<line> (seq <s>, <type>): <detail>}, leaving out what is not known. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    if (!file.isEmpty()) {
      out.append(file);
      if (line > 0) {
        out.append(':').append(line);
      }
    }
    if (seq >= 0 || !recordType.isEmpty()) {
      out.append(out.length() > 0 ? " " : "").append('(');
      if (seq >= 0) {
        out.append("seq ").append(seq);
      }
      if (!recordType.isEmpty()) {
        out.append(seq >= 0 ? ", " : "").append(recordType);
      }
      out.append(')');
    }
    if (out.length() > 0) {
      out.append(": ");
    }
    return out.append(detail).toString();
  }
}
