package org.fedsum.protocol.journal;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The first thing wrong with a journal: where (line, and the record's seq and type when they could
 * be read), what kind of fault, and what differs. {@link #toString()} is the sentence an auditor
 * reads, e.g. {@code line 7 (seq 6, round-finished): prev is 3fa2c81b09d4… but the previous record
 * (line 6) hashes to 9c01e44f7a2b…}.
 */
public final class JournalProblem {
  /** What kind of fault was found. */
  public enum Kind {
    /** The journal has no lines at all. */
    EMPTY,
    /** A line ends before its JSON object does: a crash artefact if last, else tampering. */
    TRUNCATED,
    /** A line is not a record: not JSON, wrong or missing fields, text after the object. */
    MALFORMED,
    /** A line is a record but not in the canonical encoding it would have been written in. */
    NOT_CANONICAL,
    /** A record is missing, out of order, repeated or inserted: its seq is not the expected one. */
    SEQUENCE,
    /** The first record is not a well-formed journal-opened record, or a later one claims to be. */
    OPENING,
    /** The writer's certificate is not accepted: wrong CA, revoked, expired, unreadable. */
    CERTIFICATE,
    /** A record names another writer than the one the journal was opened by and certified for. */
    WRITER,
    /** A record's prev is not the hash of the record before it. */
    CHAIN,
    /** A record's time lies outside the writer's certificate validity. */
    TIME,
    /** A record's signature does not verify with the writer's certificate key. */
    SIGNATURE
  }

  private final Kind kind;
  private final int lineNumber;
  private final Long seq;
  private final String type;
  private final String detail;

  JournalProblem(Kind kind, int lineNumber, Long seq, String type, String detail) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.lineNumber = lineNumber;
    this.seq = seq;
    this.type = type;
    this.detail = Objects.requireNonNull(detail, "detail");
  }

  /** The kind of fault. */
  public Kind kind() {
    return kind;
  }

  /** The 1-based line number of the faulty line; 0 when the journal as a whole is at fault. */
  public int lineNumber() {
    return lineNumber;
  }

  /** The seq the faulty line claims, if it could be read. */
  public OptionalLong seq() {
    return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
  }

  /** The record type the faulty line claims, if it could be read. */
  public Optional<String> type() {
    return Optional.ofNullable(type);
  }

  /** What differs, without the location prefix. */
  public String detail() {
    return detail;
  }

  /** {@code line <n> (seq <s>, <type>): <detail>}, the parenthesis only with what could be read. */
  @Override
  public String toString() {
    if (lineNumber == 0) {
      return detail;
    }
    StringBuilder out = new StringBuilder("line ").append(lineNumber);
    if (seq != null && type != null) {
      out.append(" (seq ").append(seq).append(", ").append(type).append(')');
    } else if (seq != null) {
      out.append(" (seq ").append(seq).append(')');
    } else if (type != null) {
      out.append(" (").append(type).append(')');
    }
    return out.append(": ").append(detail).toString();
  }
}
