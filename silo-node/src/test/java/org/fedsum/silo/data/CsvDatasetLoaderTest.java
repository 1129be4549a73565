package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvDatasetLoaderTest {
  private static final CsvDatasetLoader LOADER = CsvDatasetLoader.create("label", 3);

  @TempDir Path directory;

  private Path write(String name, String content) throws IOException {
    Path file = directory.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  @SuppressWarnings("StringConcatToTextBlock") // the BOM and the CRLF line ends are the point
  void load_goodFile_readsFeaturesInFileOrderAndLabels() throws Exception {
    Path file =
        write(
            "train.csv",
            "\uFEFFage, \"income\" ,label,height\r\n"
                + "31,1.5e3,2,170.5\r\n"
                + "\r\n"
                + " 45 , -2 , 0 , .5\n"
                + "+7,0.,1,1E-2\n");
    LabeledDataset data = LOADER.load(file);
    assertThat(data.size()).isEqualTo(3);
    assertThat(data.featureShape()).containsExactly(3);
    assertThat(data.classCount()).isEqualTo(3);
    assertThat(data.labels()).containsExactly(2, 0, 1);
    assertThat(data.features()).containsExactly(31f, 1500f, 170.5f, 45f, -2f, 0.5f, 7f, 0f, 0.01f);
    assertThat(LOADER.featureColumns(file)).containsExactly("age", "income", "height");
  }

  @Test
  void withFeatureColumns_otherColumnOrder_readsInThePinnedOrder() throws Exception {
    Path train = write("train.csv", "a,b,label\n1,2,0\n");
    Path heldOut = write("held-out.csv", "label,b,a\n1,20,10\n");
    CsvDatasetLoader pinned = LOADER.withFeatureColumns(LOADER.featureColumns(train));
    assertThat(pinned.load(train).features()).containsExactly(1f, 2f);
    assertThat(pinned.load(heldOut).features()).containsExactly(10f, 20f);
  }

  @Test
  void withFeatureColumns_fileWithOtherColumns_isRefusedNamingTheColumn() throws Exception {
    CsvDatasetLoader pinned = LOADER.withFeatureColumns(List.of("a", "b"));
    Path extra = write("extra.csv", "a,b,c,label\n1,2,3,0\n");
    assertFormatError(
        () -> pinned.load(extra),
        extra + " line 1 (header): unexpected column 'c'; the feature columns are [a, b]");
    Path missing = write("missing.csv", "a,label\n1,0\n");
    assertFormatError(
        () -> pinned.load(missing), missing + " line 1 (header): missing feature column 'b'");
  }

  @Test
  void load_missingLabelColumn_namesFileAndColumns() throws Exception {
    Path file = write("no-label.csv", "a,b,class\n1,2,0\n");
    assertFormatError(
        () -> LOADER.load(file),
        file + " line 1 (header): no column named 'label'; the columns are [a, b, class]");
  }

  @Test
  void load_raggedRow_namesFileAndLine() throws Exception {
    Path file = write("ragged.csv", "a,b,label\n1,2,0\n3,4\n");
    assertFormatError(
        () -> LOADER.load(file), file + " line 3: 2 cells, but the header has 3 columns");
    Path longer = write("longer.csv", "a,b,label\n1,2,0,9\n");
    assertFormatError(
        () -> LOADER.load(longer), longer + " line 2: 4 cells, but the header has 3 columns");
  }

  @Test
  void load_nonNumericCell_namesFileLineAndColumn() throws Exception {
    Path file = write("text.csv", "a,b,label\n1,2,0\n1,abc,0\n");
    assertFormatError(
        () -> LOADER.load(file), file + " line 3, column 'b': \"abc\" is not a number");
    for (String bad : List.of("NaN", "Infinity", "1f", "0x10", "1,5".replace(",", ";"), "--1")) {
      Path other = write("bad.csv", "a,label\n" + bad + ",0\n");
      assertFormatError(
          () -> LOADER.load(other), other + " line 2, column 'a': \"" + bad + "\" is not a number");
    }
  }

  @Test
  void load_emptyCellOrOverflow_namesFileLineAndColumn() throws Exception {
    Path empty = write("empty-cell.csv", "a,b,label\n1,,0\n");
    assertFormatError(() -> LOADER.load(empty), empty + " line 2, column 'b': empty cell");
    Path huge = write("huge.csv", "a,label\n1e39,0\n");
    assertFormatError(
        () -> LOADER.load(huge), huge + " line 2, column 'a': 1e39 is beyond the float range");
  }

  @Test
  void load_badLabel_namesFileAndLine() throws Exception {
    Path outOfRange = write("range.csv", "a,label\n1,0\n2,3\n");
    assertFormatError(
        () -> LOADER.load(outOfRange),
        outOfRange + " line 3, column 'label': label 3 is outside [0, 3)");
    Path negative = write("negative.csv", "a,label\n1,-1\n");
    assertFormatError(
        () -> LOADER.load(negative),
        negative + " line 2, column 'label': label -1 is outside [0, 3)");
    Path fraction = write("fraction.csv", "a,label\n1,1.5\n");
    assertFormatError(
        () -> LOADER.load(fraction),
        fraction + " line 2, column 'label': label \"1.5\" is not an integer");
    Path huge = write("huge-label.csv", "a,label\n1,99999999999999999999\n");
    assertFormatError(
        () -> LOADER.load(huge),
        huge + " line 2, column 'label': label 99999999999999999999 is outside [0, 3)");
  }

  @Test
  void load_emptyOrHeaderOnlyFile_isRefused() throws Exception {
    Path empty = write("empty.csv", "");
    assertFormatError(() -> LOADER.load(empty), empty + ": empty file, expected a header row");
    Path blank = write("blank.csv", "\n  \n");
    assertFormatError(() -> LOADER.load(blank), blank + ": empty file, expected a header row");
    Path headerOnly = write("header.csv", "a,label\n");
    assertFormatError(
        () -> LOADER.load(headerOnly), headerOnly + ": no data rows after the header");
  }

  @Test
  void load_badHeader_isRefused() throws Exception {
    Path duplicate = write("duplicate.csv", "a,a,label\n1,2,0\n");
    assertFormatError(
        () -> LOADER.load(duplicate), duplicate + " line 1 (header): duplicate column name 'a'");
    Path unnamed = write("unnamed.csv", "a,,label\n1,2,0\n");
    assertFormatError(
        () -> LOADER.load(unnamed), unnamed + " line 1 (header): column 2 has an empty name");
    Path labelOnly = write("label-only.csv", "label\n1\n");
    assertFormatError(
        () -> LOADER.load(labelOnly),
        labelOnly + " line 1 (header): no feature columns besides the label 'label'");
  }

  @Test
  void load_invalidUtf8_isRefused() throws Exception {
    Path file = directory.resolve("latin1.csv");
    Files.write(file, new byte[] {'a', (byte) 0xe9, ',', 'l', 'a', 'b', 'e', 'l', '\n'});
    assertFormatError(() -> LOADER.load(file), file + ": not valid UTF-8 text");
  }

  @Test
  void create_badArguments_areRefused() {
    assertThatThrownBy(() -> CsvDatasetLoader.create(" ", 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("labelColumn must not be blank");
    assertThatThrownBy(() -> CsvDatasetLoader.create("label", 1))
        .hasMessage("classCount must be at least 2, not 1");
    assertThatThrownBy(() -> LOADER.withFeatureColumns(List.of("a", "label")))
        .hasMessage("the label column 'label' cannot also be a feature column");
  }

  @Test
  void exception_exposesFileAndLocation() throws Exception {
    Path file = write("text.csv", "a,label\nx,0\n");
    assertThatThrownBy(() -> LOADER.load(file))
        .isInstanceOfSatisfying(
            DatasetFormatException.class,
            e -> {
              assertThat(e.file()).isEqualTo(file.toString());
              assertThat(e.location()).isEqualTo("line 2, column 'a'");
            });
  }

  private static void assertFormatError(ThrowingLoad load, String message) {
    assertThatThrownBy(load::run).isInstanceOf(DatasetFormatException.class).hasMessage(message);
  }

  @FunctionalInterface
  private interface ThrowingLoad {
    void run() throws Exception;
  }
}
