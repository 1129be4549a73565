package org.fedsum.silo.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Loads a tabular classification dataset from a CSV file: UTF-8, comma-separated, a header row of
 * column names, then one example per line with a number in every cell.
 *
 * <p>One column, named at construction, holds the label: an integer in {@code [0, classCount)}.
 * Every other column is a feature, by default in file order; {@link #withFeatureColumns} pins the
 * feature columns by name, which is how a held-out file is read with the columns in the same order
 * as the training file even if its columns were written in another order. The loaded features are
 * raw; standardize them with a {@link FeatureScaler} fitted on the training file.
 *
 * <p>Accepted: a UTF-8 byte-order mark, CRLF line ends, blank lines (skipped), spaces around cells,
 * header names in double quotes. Refused, with a {@link DatasetFormatException} naming the file,
 * the line (1-based, the header is line 1) and the column: an empty file, a file without data rows,
 * a missing label column, duplicate column names, a row with more or fewer cells than the header,
 * an empty cell, a cell that is not a plain decimal number ({@code NaN}, {@code Infinity}, hex and
 * Java suffixes such as {@code 1f} are refused), a value beyond the float range, and a label that
 * is not an integer in range. Quoted cells with embedded commas are not supported: the cells are
 * numbers.
 */
public final class CsvDatasetLoader {
  // A plain decimal number: optional sign, digits with an optional fraction, optional exponent.
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?");
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");

  private final String labelColumn;
  private final int classCount;
  private final Optional<List<String>> featureColumns;

  private CsvDatasetLoader(
      String labelColumn, int classCount, Optional<List<String>> featureColumns) {
    this.labelColumn = labelColumn;
    this.classCount = classCount;
    this.featureColumns = featureColumns;
  }

  /**
   * A loader whose label is in column {@code labelColumn} and takes values in {@code [0,
   * classCount)}; all other columns are features, in file order.
   */
  public static CsvDatasetLoader create(String labelColumn, int classCount) {
    Objects.requireNonNull(labelColumn, "labelColumn");
    if (labelColumn.isBlank()) {
      throw new IllegalArgumentException("labelColumn must not be blank");
    }
    if (classCount < 2) {
      throw new IllegalArgumentException("classCount must be at least 2, not " + classCount);
    }
    return new CsvDatasetLoader(labelColumn.strip(), classCount, Optional.empty());
  }

  /**
   * A loader that reads exactly these feature columns, in this order, and refuses a file that lacks
   * one of them or has a column that is neither one of them nor the label.
   */
  public CsvDatasetLoader withFeatureColumns(List<String> columns) {
    Objects.requireNonNull(columns, "columns");
    List<String> copy = List.copyOf(columns);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("at least one feature column is needed");
    }
    if (copy.contains(labelColumn)) {
      throw new IllegalArgumentException(
          "the label column '" + labelColumn + "' cannot also be a feature column");
    }
    if (copy.stream().distinct().count() != copy.size()) {
      throw new IllegalArgumentException("feature columns must be distinct: " + copy);
    }
    return new CsvDatasetLoader(labelColumn, classCount, Optional.of(copy));
  }

  /** The label column's name. */
  public String labelColumn() {
    return labelColumn;
  }

  /** The number of classes. */
  public int classCount() {
    return classCount;
  }

  /**
   * The feature columns this loader would read from {@code file}, in order, after reading only the
   * header: pin them with {@link #withFeatureColumns} before loading held-out files.
   */
  public List<String> featureColumns(Path file) throws IOException, DatasetFormatException {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Header header = readHeader(file, reader);
      List<String> names = new ArrayList<>();
      for (int column : header.featureIndices) {
        names.add(header.names.get(column));
      }
      return List.copyOf(names);
    } catch (CharacterCodingException e) {
      throw new DatasetFormatException(file, "", "not valid UTF-8 text", e);
    }
  }

  /**
   * Reads the whole file.
   *
   * @return the examples in file order, feature shape {@code [number of feature columns]}
   * @throws DatasetFormatException if the file is malformed (see the class comment)
   * @throws IOException if the file cannot be read
   */
  public LabeledDataset load(Path file) throws IOException, DatasetFormatException {
    Objects.requireNonNull(file, "file");
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(file, reader);
    } catch (CharacterCodingException e) {
      throw new DatasetFormatException(file, "", "not valid UTF-8 text", e);
    }
  }

  private LabeledDataset read(Path file, BufferedReader reader)
      throws IOException, DatasetFormatException {
    Header header = readHeader(file, reader);
    int[] featureIndices = header.featureIndices;
    int featureCount = featureIndices.length;
    int columnCount = header.names.size();
    FloatList features = new FloatList();
    List<Integer> labels = new ArrayList<>();
    float[] row = new float[featureCount];
    int lineNumber = header.lineNumber;
    String line;
    while ((line = reader.readLine()) != null) {
      lineNumber++;
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",", -1);
      if (cells.length != columnCount) {
        throw new DatasetFormatException(
            file,
            "line " + lineNumber,
            cells.length + " cells, but the header has " + columnCount + " columns");
      }
      for (int j = 0; j < featureCount; j++) {
        int column = featureIndices[j];
        row[j] = parseFeature(file, lineNumber, header.names.get(column), cells[column]);
      }
      labels.add(parseLabel(file, lineNumber, cells[header.labelIndex]));
      features.addAll(row);
    }
    if (labels.isEmpty()) {
      throw new DatasetFormatException(file, "", "no data rows after the header");
    }
    int[] labelArray = labels.stream().mapToInt(Integer::intValue).toArray();
    return LabeledDataset.wrap(
        features.toArray(), labelArray, new int[] {featureCount}, classCount);
  }

  private Header readHeader(Path file, BufferedReader reader)
      throws IOException, DatasetFormatException {
    String line;
    int lineNumber = 0;
    do {
      line = reader.readLine();
      lineNumber++;
      if (line == null) {
        throw new DatasetFormatException(file, "", "empty file, expected a header row");
      }
    } while (line.isBlank());
    if (lineNumber == 1 && line.startsWith("\uFEFF")) {
      line = line.substring(1);
    }
    String location = "line " + lineNumber + " (header)";
    List<String> names = new ArrayList<>();
    Map<String, Integer> positions = new HashMap<>();
    for (String cell : line.split(",", -1)) {
      String name = unquote(cell.strip());
      if (name.isEmpty()) {
        throw new DatasetFormatException(
            file, location, "column " + (names.size() + 1) + " has an empty name");
      }
      if (positions.putIfAbsent(name, names.size()) != null) {
        throw new DatasetFormatException(file, location, "duplicate column name '" + name + "'");
      }
      names.add(name);
    }
    Integer labelIndex = positions.get(labelColumn);
    if (labelIndex == null) {
      throw new DatasetFormatException(
          file, location, "no column named '" + labelColumn + "'; the columns are " + names);
    }
    int[] featureIndices;
    if (featureColumns.isPresent()) {
      List<String> wanted = featureColumns.get();
      for (String name : names) {
        if (!name.equals(labelColumn) && !wanted.contains(name)) {
          throw new DatasetFormatException(
              file,
              location,
              "unexpected column '" + name + "'; the feature columns are " + wanted);
        }
      }
      featureIndices = new int[wanted.size()];
      for (int j = 0; j < wanted.size(); j++) {
        Integer position = positions.get(wanted.get(j));
        if (position == null) {
          throw new DatasetFormatException(
              file, location, "missing feature column '" + wanted.get(j) + "'");
        }
        featureIndices[j] = position;
      }
    } else {
      featureIndices = new int[names.size() - 1];
      int next = 0;
      for (int column = 0; column < names.size(); column++) {
        if (column != labelIndex) {
          featureIndices[next++] = column;
        }
      }
      if (featureIndices.length == 0) {
        throw new DatasetFormatException(
            file, location, "no feature columns besides the label '" + labelColumn + "'");
      }
    }
    return new Header(names, labelIndex, featureIndices, lineNumber);
  }

  private static String unquote(String name) {
    if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
      return name.substring(1, name.length() - 1).strip();
    }
    return name;
  }

  private static float parseFeature(Path file, int lineNumber, String column, String cell)
      throws DatasetFormatException {
    String text = cell.strip();
    String location = "line " + lineNumber + ", column '" + column + "'";
    if (text.isEmpty()) {
      throw new DatasetFormatException(file, location, "empty cell");
    }
    if (!DECIMAL.matcher(text).matches()) {
      throw new DatasetFormatException(file, location, quote(text) + " is not a number");
    }
    float value = (float) Double.parseDouble(text);
    if (!Float.isFinite(value)) {
      throw new DatasetFormatException(file, location, text + " is beyond the float range");
    }
    return value;
  }

  private int parseLabel(Path file, int lineNumber, String cell) throws DatasetFormatException {
    String text = cell.strip();
    String location = "line " + lineNumber + ", column '" + labelColumn + "'";
    if (text.isEmpty()) {
      throw new DatasetFormatException(file, location, "empty label cell");
    }
    if (!INTEGER.matcher(text).matches()) {
      throw new DatasetFormatException(
          file, location, "label " + quote(text) + " is not an integer");
    }
    long label;
    try {
      label = Long.parseLong(text);
    } catch (NumberFormatException e) {
      label = Long.MAX_VALUE;
    }
    if (label < 0 || label >= classCount) {
      throw new DatasetFormatException(
          file, location, "label " + text + " is outside [0, " + classCount + ")");
    }
    return (int) label;
  }

  // Cells are data, not secrets, but keep messages one line and bounded.
  private static String quote(String text) {
    String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
    return "\"" + shown + "\"";
  }

  private static final class Header {
    final List<String> names;
    final int labelIndex;
    final int[] featureIndices;
    final int lineNumber;

    Header(List<String> names, int labelIndex, int[] featureIndices, int lineNumber) {
      this.names = names;
      this.labelIndex = labelIndex;
      this.featureIndices = featureIndices;
      this.lineNumber = lineNumber;
    }
  }

  @Override
  public String toString() {
    return "CsvDatasetLoader[label '"
        + labelColumn
        + "', "
        + classCount
        + " classes"
        + featureColumns.map(columns -> ", features " + columns).orElse("")
        + "]";
  }

  /** A growable float array, to avoid boxing every cell of a large file. */
  private static final class FloatList {
    private float[] values = new float[1024];
    private int size;

    void addAll(float[] row) {
      if (values.length - size < row.length) {
        long wanted = Math.max((long) values.length * 2, (long) size + row.length);
        if (wanted > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException("CSV file has too many cells to hold in memory");
        }
        values = Arrays.copyOf(values, (int) wanted);
      }
      System.arraycopy(row, 0, values, size, row.length);
      size += row.length;
    }

    float[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
