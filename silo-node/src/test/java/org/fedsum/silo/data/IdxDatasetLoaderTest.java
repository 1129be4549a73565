package org.fedsum.silo.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetLoaderTest {
  private static final IdxDatasetLoader LOADER = IdxDatasetLoader.create(10).withImageShape(4, 3);

  @TempDir Path directory;

  private Path file(String name, byte[] bytes) {
    return IdxFiles.write(directory.resolve(name), bytes);
  }

  @Test
  void load_rawFiles_scalesPixelsAndKeepsOrder() throws Exception {
    Path images = file("images-idx3-ubyte", IdxFiles.images(3, 4, 3));
    Path labels = file("labels-idx1-ubyte", IdxFiles.labels(7, 0, 9));
    LabeledDataset data = LOADER.load(images, labels);
    assertThat(data.size()).isEqualTo(3);
    assertThat(data.featureShape()).containsExactly(1, 4, 3);
    assertThat(data.labels()).containsExactly(7, 0, 9);
    float[] features = data.features();
    assertThat(features[0]).isZero();
    assertThat(features[12 + 11]).isEqualTo(12 / 255f);
    assertThat(features[24 + 5]).isEqualTo(7 / 255f);
  }

  @Test
  void load_gzippedFiles_equalTheRawOnes() throws Exception {
    byte[] imageBytes = IdxFiles.images(5, 4, 3);
    byte[] labelBytes = IdxFiles.labels(1, 2, 3, 4, 5);
    LabeledDataset raw =
        LOADER.load(file("raw-images", imageBytes), file("raw-labels", labelBytes));
    // Detection is by content, not by file name.
    LabeledDataset gzipped =
        LOADER.load(
            file("images.gz", IdxFiles.gzip(imageBytes)),
            file("labels-no-suffix", IdxFiles.gzip(labelBytes)));
    assertThat(gzipped.features()).containsExactly(raw.features());
    assertThat(gzipped.labels()).containsExactly(raw.labels());
  }

  @Test
  void load_anyImageShapeWhenNoneIsConfigured() throws Exception {
    LabeledDataset data =
        IdxDatasetLoader.create(10)
            .load(file("i", IdxFiles.images(2, 2, 5)), file("l", IdxFiles.labels(0, 1)));
    assertThat(data.featureShape()).containsExactly(1, 2, 5);
  }

  @Test
  void load_wrongMagic_namesFileAndHeader() {
    Path labels = file("labels", IdxFiles.labels(1, 2));
    Path swapped = file("swapped", IdxFiles.labels(1, 2));
    assertFormatError(
        () -> LOADER.load(labels, swapped),
        labels + " header: magic number 0x00000801, expected 0x00000803 (idx3 images)");
    byte[] text = "not an idx file at all".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Path notIdx = file("text", text);
    assertFormatError(
        () -> LOADER.load(file("i", IdxFiles.images(2, 4, 3)), notIdx),
        notIdx + " header: magic number 0x6e6f7420, expected 0x00000801 (idx1 labels)");
    byte[] signed = IdxFiles.images(2, 4, 3);
    signed[2] = 0x09;
    Path signedImages = file("signed", signed);
    assertFormatError(
        () -> LOADER.load(signedImages, labels),
        signedImages + " header: element type 0x09 is not supported, only unsigned bytes (0x08)");
  }

  @Test
  void load_imageShapeMismatch_namesFile() {
    Path images = file("images", IdxFiles.images(2, 28, 28));
    assertFormatError(
        () -> LOADER.load(images, file("labels", IdxFiles.labels(1, 2))),
        images + " header: images are 28 × 28, expected 4 × 3");
  }

  @Test
  void load_countMismatch_namesBothFiles() {
    Path images = file("images", IdxFiles.images(3, 4, 3));
    Path labels = file("labels", IdxFiles.labels(1, 2));
    assertFormatError(
        () -> LOADER.load(images, labels),
        images + " header: 3 images, but " + labels + " holds 2 labels");
  }

  @Test
  void load_truncatedImages_namesTheRecord() {
    byte[] whole = IdxFiles.images(4, 4, 3);
    // Header (16 bytes) + 2 full images + 5 bytes of the third.
    byte[] cut = Arrays.copyOf(whole, 16 + 2 * 12 + 5);
    Path labels = file("labels", IdxFiles.labels(1, 2, 3, 4));
    Path raw = file("cut-raw", cut);
    assertFormatError(
        () -> LOADER.load(raw, labels),
        raw + " image 2: file ends inside this image (4 declared, 2 complete)");
    Path gzipped = file("cut.gz", IdxFiles.gzip(cut));
    assertFormatError(
        () -> LOADER.load(gzipped, labels),
        gzipped + " image 2: file ends inside this image (4 declared, 2 complete)");
    // A gzip stream cut short (no trailer) must not pass for a complete file either.
    byte[] compressed = IdxFiles.gzip(whole);
    Path cutStream = file("cut-stream.gz", Arrays.copyOf(compressed, compressed.length - 12));
    assertThatThrownBy(() -> LOADER.load(cutStream, labels))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageStartingWith(cutStream.toString());
  }

  @Test
  void load_truncatedHeader_isRefused() {
    Path labels = file("labels", IdxFiles.labels(1));
    Path shortHeader = file("short", Arrays.copyOf(IdxFiles.images(1, 4, 3), 10));
    assertFormatError(
        () -> LOADER.load(shortHeader, labels),
        shortHeader + " header: file ends inside the size of dimension 2");
    Path empty = file("empty", new byte[0]);
    assertFormatError(
        () -> LOADER.load(empty, labels),
        empty + " header: file is empty or ends inside the magic number");
  }

  @Test
  void load_trailingBytes_areRefused() {
    byte[] images = Arrays.copyOf(IdxFiles.images(2, 4, 3), 16 + 2 * 12 + 1);
    Path file = file("long", images);
    assertFormatError(
        () -> LOADER.load(file, file("labels", IdxFiles.labels(1, 2))),
        file + " after image 1: unexpected bytes after the 2 declared images");
  }

  @Test
  void load_labelOutOfRange_namesTheRecord() {
    Path labels = file("labels", IdxFiles.labels(1, 2, 10));
    assertFormatError(
        () -> LOADER.load(file("images", IdxFiles.images(3, 4, 3)), labels),
        labels + " label 2: label 10 is outside [0, 10)");
  }

  @Test
  void load_hugeDeclaredCount_failsAsTruncatedWithoutAllocatingIt() {
    // Claims 10 million 100 × 100 images (4 GB of floats) but holds one.
    byte[] header =
        ByteBuffer.allocate(16 + 10_000)
            .putInt(0x803)
            .putInt(10_000_000)
            .putInt(100)
            .putInt(100)
            .array();
    Path images = file("liar", header);
    assertFormatError(
        () -> IdxDatasetLoader.create(10).load(images, file("labels", IdxFiles.labels(1))),
        images + " header: too many values to load into memory");
    byte[] modest =
        ByteBuffer.allocate(16 + 10_000)
            .putInt(0x803)
            .putInt(200_000)
            .putInt(100)
            .putInt(100)
            .array();
    Path modestLiar = file("modest-liar", modest);
    int[] labels = new int[200_000];
    assertFormatError(
        () ->
            IdxDatasetLoader.create(10)
                .load(modestLiar, file("many-labels", IdxFiles.labels(labels))),
        modestLiar + " image 1: file ends inside this image (200000 declared, 1 complete)");
  }

  private static void assertFormatError(ThrowingLoad load, String message) {
    assertThatThrownBy(load::run).isInstanceOf(DatasetFormatException.class).hasMessage(message);
  }

  @FunctionalInterface
  private interface ThrowingLoad {
    void run() throws Exception;
  }
}
