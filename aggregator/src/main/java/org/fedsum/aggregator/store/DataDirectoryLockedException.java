package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/** Another aggregator (another process, or another open in this one) holds the data directory. */
public final class DataDirectoryLockedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path directory;

  DataDirectoryLockedException(Path directory, String holder) {
    super(
        "the data directory "
            + Objects.requireNonNull(directory, "directory")
            + " is in use by another aggregator"
            + holder
            + "; two aggregators must never share one data directory");
    this.directory = directory;
  }

  /** The data directory. */
  public Path directory() {
    return directory;
  }
}
