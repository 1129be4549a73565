package org.fedsum.silo.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Loads images and labels in the IDX format of LeCun's MNIST distribution, which Fashion-MNIST
 * reuses (Debian's {@code dataset-fashion-mnist} installs {@code train-images-idx3-ubyte.gz},
 * {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz} and {@code
 * t10k-labels-idx1-ubyte.gz} under {@code /usr/share/datasets/fashion-mnist/}).
 *
 * <p>Format: a big-endian magic number {@code 0x00 0x00 type dimensions} with type {@code 0x08}
 * (unsigned byte), then one big-endian 32-bit size per dimension, then the values. Images are
 * {@code idx3} ({@code 0x00000803}: count, rows, columns), labels {@code idx1} ({@code 0x00000801}:
 * count). A file that starts with the gzip magic {@code 1f 8b} is decompressed on the fly, whatever
 * its name.
 *
 * <p>Pixels are scaled to {@code [0, 1]} by dividing by 255; the feature shape is {@code [1, rows,
 * columns]} (one channel). Records are numbered from 0 in messages, as in the file. Refused with a
 * {@link DatasetFormatException} naming the file and the record: a wrong magic number or element
 * type, a header that ends early, an image size other than the configured one, a count that differs
 * between the two files, a file that ends inside a record or has bytes after the last one, and a
 * label outside {@code [0, classCount)}.
 */
public final class IdxDatasetLoader {
  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;
  private static final int UNSIGNED_BYTE = 0x08;
  // Header-declared sizes are untrusted; refuse anything a float[] could not hold anyway.
  private static final long MAX_VALUES = Integer.MAX_VALUE - 16;

  private final int classCount;
  private final Optional<int[]> imageShape;

  private IdxDatasetLoader(int classCount, Optional<int[]> imageShape) {
    this.classCount = classCount;
    this.imageShape = imageShape;
  }

  /** A loader for labels in {@code [0, classCount)} and images of any size. */
  public static IdxDatasetLoader create(int classCount) {
    if (classCount < 2 || classCount > 256) {
      throw new IllegalArgumentException(
          "classCount must be in [2, 256] for byte labels, not " + classCount);
    }
    return new IdxDatasetLoader(classCount, Optional.empty());
  }

  /** A loader for Fashion-MNIST and MNIST: 10 classes, 28 × 28 images. */
  public static IdxDatasetLoader fashionMnist() {
    return create(10).withImageShape(28, 28);
  }

  /** A loader that refuses images of any size other than {@code rows × columns}. */
  public IdxDatasetLoader withImageShape(int rows, int columns) {
    if (rows <= 0 || columns <= 0) {
      throw new IllegalArgumentException(
          "image shape must be positive, not " + rows + " × " + columns);
    }
    return new IdxDatasetLoader(classCount, Optional.of(new int[] {rows, columns}));
  }

  /**
   * Reads an image file and its label file.
   *
   * @return the examples in file order, feature shape {@code [1, rows, columns]}
   * @throws DatasetFormatException if either file is malformed or they do not match
   * @throws IOException if a file cannot be read
   */
  public LabeledDataset load(Path images, Path labels) throws IOException, DatasetFormatException {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    int[] labelValues = readLabels(labels);
    try (InputStream in = open(images)) {
      int[] header = readHeader(images, in, IMAGES_MAGIC, 3, "idx3 images");
      int count = header[0];
      int rows = header[1];
      int columns = header[2];
      if (imageShape.isPresent()
          && (rows != imageShape.get()[0] || columns != imageShape.get()[1])) {
        throw new DatasetFormatException(
            images,
            "header",
            "images are "
                + rows
                + " × "
                + columns
                + ", expected "
                + imageShape.get()[0]
                + " × "
                + imageShape.get()[1]);
      }
      if (count != labelValues.length) {
        throw new DatasetFormatException(
            images,
            "header",
            count + " images, but " + labels + " holds " + labelValues.length + " labels");
      }
      long imageSize = (long) rows * columns;
      byte[] pixels = readBody(images, in, count, imageSize, "image");
      float[] features = new float[pixels.length];
      for (int i = 0; i < pixels.length; i++) {
        features[i] = (pixels[i] & 0xff) / 255f;
      }
      return LabeledDataset.wrap(features, labelValues, new int[] {1, rows, columns}, classCount);
    }
  }

  private int[] readLabels(Path file) throws IOException, DatasetFormatException {
    try (InputStream in = open(file)) {
      int count = readHeader(file, in, LABELS_MAGIC, 1, "idx1 labels")[0];
      byte[] bytes = readBody(file, in, count, 1, "label");
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = bytes[i] & 0xff;
        if (labels[i] >= classCount) {
          throw new DatasetFormatException(
              file, "label " + i, "label " + labels[i] + " is outside [0, " + classCount + ")");
        }
      }
      return labels;
    }
  }

  private static InputStream open(Path file) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      raw.mark(2);
      int first = raw.read();
      int second = raw.read();
      raw.reset();
      if (first == 0x1f && second == 0x8b) {
        return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
      }
      return raw;
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /** Reads the magic number and the dimension sizes, returning the sizes. */
  private static int[] readHeader(
      Path file, InputStream in, int expectedMagic, int dimensions, String kind)
      throws IOException, DatasetFormatException {
    int magic;
    try {
      magic = readInt(in);
    } catch (EOFException e) {
      throw new DatasetFormatException(
          file, "header", "file is empty or ends inside the magic number", e);
    } catch (ZipException e) {
      throw new DatasetFormatException(file, "header", "not a valid gzip stream", e);
    }
    if (magic != expectedMagic) {
      String problem =
          (magic >>> 16) == 0 && ((magic >>> 8) & 0xff) != UNSIGNED_BYTE
              ? "element type 0x%02x is not supported, only unsigned bytes (0x08)"
                  .formatted((magic >>> 8) & 0xff)
              : "magic number 0x%08x, expected 0x%08x (%s)".formatted(magic, expectedMagic, kind);
      throw new DatasetFormatException(file, "header", problem);
    }
    int[] sizes = new int[dimensions];
    long product = 1;
    for (int d = 0; d < dimensions; d++) {
      try {
        sizes[d] = readInt(in);
      } catch (EOFException e) {
        throw new DatasetFormatException(
            file, "header", "file ends inside the size of dimension " + (d + 1), e);
      }
      if (sizes[d] < 0 || (d > 0 && sizes[d] == 0)) {
        throw new DatasetFormatException(
            file, "header", "dimension " + (d + 1) + " has size " + sizes[d]);
      }
      product *= sizes[d];
      if (product > MAX_VALUES) {
        throw new DatasetFormatException(file, "header", "too many values to load into memory");
      }
    }
    return sizes;
  }

  /**
   * Reads exactly {@code count} records of {@code recordSize} bytes and checks that nothing
   * follows. The buffer grows as data arrives, so a header that claims more than the file holds
   * cannot make us allocate its claim up front.
   */
  private static byte[] readBody(
      Path file, InputStream in, int count, long recordSize, String recordName)
      throws IOException, DatasetFormatException {
    if (count == 0) {
      throw new DatasetFormatException(file, "header", "declares no " + recordName + "s");
    }
    int expected = Math.toIntExact(count * recordSize);
    byte[] body = new byte[Math.min(expected, 1 << 20)];
    int filled = 0;
    while (filled < expected) {
      if (filled == body.length) {
        body = Arrays.copyOf(body, (int) Math.min(expected, 2L * body.length));
      }
      int read;
      try {
        read = in.read(body, filled, body.length - filled);
      } catch (EOFException e) {
        // GZIPInputStream's way of saying the compressed stream stops early.
        read = -1;
      } catch (ZipException e) {
        throw new DatasetFormatException(
            file,
            recordName + " " + filled / recordSize,
            "compressed data is corrupt (" + e.getMessage() + ")",
            e);
      }
      if (read < 0) {
        long complete = filled / recordSize;
        throw new DatasetFormatException(
            file,
            recordName + " " + complete,
            "file ends inside this "
                + recordName
                + " ("
                + count
                + " declared, "
                + complete
                + " complete)");
      }
      filled += read;
    }
    int next;
    try {
      next = in.read();
    } catch (EOFException | ZipException e) {
      next = -2;
    }
    if (next != -1) {
      throw new DatasetFormatException(
          file,
          "after " + recordName + " " + (count - 1),
          next == -2
              ? "compressed data is corrupt after the last " + recordName
              : "unexpected bytes after the " + count + " declared " + recordName + "s");
    }
    return body;
  }

  private static int readInt(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes(4);
    if (bytes.length < 4) {
      throw new EOFException();
    }
    return ((bytes[0] & 0xff) << 24)
        | ((bytes[1] & 0xff) << 16)
        | ((bytes[2] & 0xff) << 8)
        | (bytes[3] & 0xff);
  }

  @Override
  public String toString() {
    return "IdxDatasetLoader["
        + classCount
        + " classes"
        + imageShape.map(shape -> ", images " + shape[0] + " × " + shape[1]).orElse("")
        + "]";
  }
}
