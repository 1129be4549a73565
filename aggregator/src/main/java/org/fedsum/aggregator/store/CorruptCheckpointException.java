package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A checkpoint file whose header, size or SHA-256 is wrong: cut short by a crash outside the atomic
 * write, damaged on disk, or not a checkpoint. Never partly applied.
 */
public final class CorruptCheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;

  CorruptCheckpointException(Path path, String fault) {
    super("checkpoint " + Objects.requireNonNull(path, "path") + " " + fault);
    this.path = path;
  }

  /** The checkpoint file. */
  public Path path() {
    return path;
  }
}
