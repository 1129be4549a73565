package org.fedsum.protocol.journal;

import java.util.List;
import java.util.Objects;

/**
 * Recovery of a journal file after a crash, before it is resumed or verified.
 *
 * <p>A writer appends one line at a time and syncs it, so a crash can leave at most the last line
 * half-written. The rule, applied by {@link #recover}: <b>only the very last line may be dropped,
 * and only if it is not a complete record</b>: once trailing NUL characters (the zero-filled tail
 * some file systems leave when a crash beats the data to disk) are removed, it is empty, or it is a
 * JSON object cut short (it starts with an opening brace and the JSON grammar runs out of input
 * before meeting any fault). A last line that is complete JSON, or that is broken in any other way,
 * is kept, and a broken line anywhere else is kept too: those are not what a crash produces, and
 * {@link JournalVerifier} reports them as tampering.
 */
public final class JournalLines {
  private JournalLines() {}

  /**
   * The outcome of {@link #recover}.
   *
   * @param lines the lines to keep: all of them, or all but the last
   * @param droppedPartialLastLine true if the last line was a half-written record and is not in
   *     {@link #lines()}; the caller truncates the file after the kept lines (each with its line
   *     feed) before appending again
   */
  public record Recovery(List<String> lines, boolean droppedPartialLastLine) {
    /** Copies {@code lines}. */
    public Recovery {
      lines = List.copyOf(lines);
    }
  }

  /**
   * Applies the crash-recovery rule above to {@code lines}, a journal's lines without their
   * terminators.
   */
  public static Recovery recover(List<String> lines) {
    List<String> journal = List.copyOf(lines);
    if (journal.isEmpty()) {
      return new Recovery(journal, false);
    }
    String last = journal.get(journal.size() - 1);
    if (isPartialRecord(last)) {
      return new Recovery(journal.subList(0, journal.size() - 1), true);
    }
    return new Recovery(journal, false);
  }

  /** True if {@code line} is what a record write cut short by a crash can leave behind. */
  public static boolean isPartialRecord(String line) {
    Objects.requireNonNull(line, "line");
    int end = line.length();
    while (end > 0 && line.charAt(end - 1) == '\u0000') {
      end--;
    }
    String written = line.substring(0, end);
    if (written.isEmpty()) {
      return true;
    }
    return written.charAt(0) == '{' && JsonPrefix.scan(written) == JsonPrefix.Result.INCOMPLETE;
  }
}
