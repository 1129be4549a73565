package org.fedsum.silo.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A partition of a training set written by another program: one line per silo, the positions (from
 * 0) of its examples in the training files, separated by spaces; the format {@code NiidBenchmark
 * --export-setup} writes and {@code flower_niid_partition.py} writes for Flower's own partition. A
 * file that does not assign every example exactly once is refused, naming the line and the example,
 * because training on it would silently measure another setting.
 *
 * @param silos each line's positions, in the order of the line
 * @param sha256 the file's SHA-256, recorded with a run so that it resumes on the same silos
 */
record PartitionFile(List<int[]> silos, String sha256) {

  /** Reads and checks {@code file} against a training set of {@code datasetSize} examples. */
  static PartitionFile read(Path file, int datasetSize) throws IOException {
    byte[] content = Files.readAllBytes(file);
    List<String> lines = List.of(new String(content, StandardCharsets.UTF_8).split("\n", -1));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines = lines.subList(0, lines.size() - 1);
    }
    if (lines.size() < 2) {
      throw new IllegalArgumentException(
          file + ": " + lines.size() + " line(s); a partition needs one line per silo, at least 2");
    }
    int[] lineOf = new int[datasetSize];
    List<int[]> silos = new ArrayList<>(lines.size());
    for (int line = 1; line <= lines.size(); line++) {
      String text = lines.get(line - 1).strip();
      if (text.isEmpty()) {
        throw new IllegalArgumentException(file + " line " + line + ": a silo with no examples");
      }
      String[] tokens = text.split(" +");
      int[] positions = new int[tokens.length];
      for (int i = 0; i < tokens.length; i++) {
        int position;
        try {
          position = Integer.parseInt(tokens[i]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              file + " line " + line + ": '" + tokens[i] + "' is not an example position", e);
        }
        if (position < 0 || position >= datasetSize) {
          throw new IllegalArgumentException(
              file
                  + " line "
                  + line
                  + ": example "
                  + position
                  + " is out of range (the training set has "
                  + datasetSize
                  + ")");
        }
        if (lineOf[position] != 0) {
          throw new IllegalArgumentException(
              file
                  + " line "
                  + line
                  + ": example "
                  + position
                  + " is already on line "
                  + lineOf[position]);
        }
        lineOf[position] = line;
        positions[i] = position;
      }
      silos.add(positions);
    }
    for (int position = 0; position < datasetSize; position++) {
      if (lineOf[position] == 0) {
        throw new IllegalArgumentException(
            file + ": example " + position + " is on no line; every example belongs to one silo");
      }
    }
    return new PartitionFile(List.copyOf(silos), sha256(content));
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
