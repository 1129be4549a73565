package org.fedsum.silo.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A data file a silo was asked to load is malformed: missing label column, ragged row, non-numeric
 * cell, empty file, wrong IDX magic number, truncated record, label out of range and so on.
 *
 * <p>The message always reads {@code "<file> <location>: <problem>"}, for example {@code "train.csv
 * line 17, column 'age': \"abc\" is not a number"}, so that the operator can open the file at the
 * right place. It quotes at most one cell of the file.
 *
 * <p>(Named {@code DatasetFormatException} rather than {@code DataFormatException} so that it is
 * never confused with {@link java.util.zip.DataFormatException}, which gzip'd IDX files can meet.)
 */
public final class DatasetFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final String location;

  /**
   * @param file the file at fault
   * @param location where in the file, for example {@code "line 17, column 'age'"} or {@code "image
   *     42"}; empty when the problem concerns the whole file
   * @param problem what is wrong
   */
  public DatasetFormatException(Path file, String location, String problem) {
    this(file, location, problem, null);
  }

  /** As {@link #DatasetFormatException(Path, String, String)}, keeping the underlying cause. */
  public DatasetFormatException(Path file, String location, String problem, Throwable cause) {
    super(message(file, location, problem), cause);
    this.file = file.toString();
    this.location = location;
  }

  private static String message(Path file, String location, String problem) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(problem, "problem");
    return location.isEmpty() ? file + ": " + problem : file + " " + location + ": " + problem;
  }

  /** The file at fault, as given to the loader. */
  public String file() {
    return file;
  }

  /** Where in the file ({@code "line 17, column 'age'"}, {@code "image 42"}), or empty. */
  public String location() {
    return location;
  }
}
