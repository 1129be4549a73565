package org.fedsum.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.fedsum.cli.CliException;

/** Writes a benchmark's figures as one JSON object, whole or not at all. */
final class BenchJson {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BenchJson() {}

  /**
   * Checks before a long run that {@code file} can be written: its folder exists and it is not a
   * folder itself.
   */
  static void checkWritable(Path file) throws CliException {
    checkWritable("--json", file);
  }

  /** As {@link #checkWritable(Path)}, for the file of {@code option}. */
  static void checkWritable(String option, Path file) throws CliException {
    if (file == null) {
      return;
    }
    Path folder = file.toAbsolutePath().getParent();
    if (folder == null || !Files.isDirectory(folder)) {
      throw new CliException(option + " " + file + ": the folder " + folder + " does not exist");
    }
    if (Files.isDirectory(file)) {
      throw new CliException(option + " " + file + " is a folder, not a file");
    }
    if (!Files.isWritable(folder)) {
      throw new CliException(option + " " + file + ": the folder " + folder + " is not writable");
    }
  }

  /**
   * Writes {@code figures} to a temporary file beside {@code file} and renames it, so that a
   * failure never leaves half a JSON object where an earlier result was.
   */
  static void write(Path file, Map<String, Object> figures) throws CliException {
    if (file == null) {
      return;
    }
    Path absolute = file.toAbsolutePath();
    Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
    try {
      JSON.writeValue(temporary.toFile(), figures);
      try {
        Files.move(
            temporary,
            absolute,
            StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException ignored) {
        // The write already failed; that failure is the one to report.
      }
      throw new CliException(
          "--json " + file + ": cannot write it (" + e.getMessage() + ")", CliException.FAILURE, e);
    }
  }
}
