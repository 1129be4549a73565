package org.fedsum.silo.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files for tests, as LeCun's format describes them. */
final class IdxFiles {
  private IdxFiles() {}

  /** An idx3-ubyte image file: image {@code i} has pixel {@code p} = {@code (i + p) mod 256}. */
  static byte[] images(int count, int rows, int columns) {
    ByteBuffer buffer = ByteBuffer.allocate(16 + count * rows * columns);
    buffer.putInt(0x00000803).putInt(count).putInt(rows).putInt(columns);
    for (int i = 0; i < count; i++) {
      for (int p = 0; p < rows * columns; p++) {
        buffer.put((byte) (i + p));
      }
    }
    return buffer.array();
  }

  /** An idx1-ubyte label file holding {@code labels}. */
  static byte[] labels(int... labels) {
    ByteBuffer buffer = ByteBuffer.allocate(8 + labels.length);
    buffer.putInt(0x00000801).putInt(labels.length);
    for (int label : labels) {
      buffer.put((byte) label);
    }
    return buffer.array();
  }

  static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static Path write(Path file, byte[] bytes) {
    try {
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
