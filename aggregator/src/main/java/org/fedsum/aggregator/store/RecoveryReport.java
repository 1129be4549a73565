package org.fedsum.aggregator.store;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What {@link DataDirectory#recover} found and did after a start, for the log and the operator.
 *
 * @param journalCreated true if there was no journal (or nothing complete in it) and a new one was
 *     started
 * @param journalTruncated true if a half-written last line (a crash artefact) was cut off
 * @param journalBytesDropped how many bytes were cut off the journal
 * @param journalRecords the number of records in the journal now, the opening record included
 * @param newestCheckpointRound the round of the newest checkpoint that verified, if any
 * @param checkpointWarnings one message per newer checkpoint skipped as corrupt
 * @param deletedTemporaryFiles temporary files of interrupted checkpoint writes, deleted
 * @param deletedSpoolEntries spooled vectors left by an interrupted round ({@code round-<n>}
 *     directories), deleted: their silos send them again or the round aborts
 */
public record RecoveryReport(
    boolean journalCreated,
    boolean journalTruncated,
    long journalBytesDropped,
    long journalRecords,
    OptionalLong newestCheckpointRound,
    List<String> checkpointWarnings,
    List<String> deletedTemporaryFiles,
    List<String> deletedSpoolEntries) {
  /** Copies the lists. */
  public RecoveryReport {
    Objects.requireNonNull(newestCheckpointRound, "newestCheckpointRound");
    checkpointWarnings = List.copyOf(checkpointWarnings);
    deletedTemporaryFiles = List.copyOf(deletedTemporaryFiles);
    deletedSpoolEntries = List.copyOf(deletedSpoolEntries);
  }

  /** True if recovery had to repair or discard anything. */
  public boolean repairedAnything() {
    return journalTruncated
        || !checkpointWarnings.isEmpty()
        || !deletedTemporaryFiles.isEmpty()
        || !deletedSpoolEntries.isEmpty();
  }

  /** One line for the log. */
  public String summary() {
    StringBuilder text = new StringBuilder();
    text.append(journalCreated ? "journal started" : "journal resumed")
        .append(" with ")
        .append(journalRecords)
        .append(journalRecords == 1 ? " record" : " records");
    if (journalTruncated) {
      text.append(", a half-written last line of ")
          .append(journalBytesDropped)
          .append(" bytes cut off");
    }
    text.append(
        newestCheckpointRound.isPresent()
            ? "; newest valid checkpoint: round " + newestCheckpointRound.getAsLong()
            : "; no checkpoint");
    if (!checkpointWarnings.isEmpty()) {
      text.append(" (").append(checkpointWarnings.size()).append(" newer skipped as corrupt)");
    }
    if (!deletedTemporaryFiles.isEmpty()) {
      text.append("; ")
          .append(deletedTemporaryFiles.size())
          .append(" temporary checkpoint files deleted");
    }
    if (!deletedSpoolEntries.isEmpty()) {
      text.append("; spool of an interrupted round deleted: ").append(deletedSpoolEntries);
    }
    return text.toString();
  }
}
