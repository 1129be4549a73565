package org.fedsum.audit;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One journal file as given to the audit: its name (as the auditor typed it, for messages) and its
 * lines without line terminators.
 *
 * @param name how findings name the file
 * @param lines the lines, line 1 first
 */
public record JournalInput(String name, List<String> lines) {
  /** Longest journal the audit reads: far above a real run, a bound on an audit's memory. */
  static final long MAX_FILE_BYTES = 1L << 30;

  /** Copies {@code lines}. */
  public JournalInput {
    Objects.requireNonNull(name, "name");
    lines = List.copyOf(lines);
  }

  /**
   * Reads {@code file}. A last line without its line feed is kept (the verifier judges it); the
   * empty string after a final line feed is not a line.
   *
   * @throws IOException naming the file if it is missing, unreadable, too large or not UTF-8
   */
  public static JournalInput read(Path file) throws IOException {
    String name = file.toString();
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new IOException(
            "journal " + name + " is larger than " + MAX_FILE_BYTES + " bytes; not a journal");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IOException("journal " + name + " does not exist", e);
    } catch (IOException e) {
      throw new IOException("journal " + name + " cannot be read: " + e.getMessage(), e);
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException("journal " + name + " is not UTF-8 text", e);
    }
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return new JournalInput(name, lines);
  }
}
