package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A journal record could not be made durable (disk full, read-only file system, I/O error). The
 * record is not in the journal: the file was cut back to its length before the write, or, if even
 * that failed ({@link #restored()} false), it may end with a partial line that the next {@link
 * JournalFile#open} drops as a crash artefact. Either way the {@link JournalFile} refuses further
 * appends: the writer's chain position is ahead of the file, and after a failed fsync the kernel
 * may already have dropped the unwritten pages, so only a reopen tells what the file holds.
 */
public final class JournalWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;
  private final boolean restored;

  JournalWriteException(Path path, boolean restored, String message, Throwable cause) {
    super(message, cause);
    this.path = Objects.requireNonNull(path, "path");
    this.restored = restored;
  }

  /** The journal file. */
  public Path path() {
    return path;
  }

  /**
   * True if the file was cut back to exactly its length before the failed append; false if that
   * failed too (see the class comment).
   */
  public boolean restored() {
    return restored;
  }
}
