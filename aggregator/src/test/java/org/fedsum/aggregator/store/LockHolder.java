package org.fedsum.aggregator.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Run as its own JVM by {@link DataDirectoryTest}: opens the data directory named by its argument,
 * prints {@code locked}, and holds it until its standard input closes or it is killed.
 */
final class LockHolder {
  private LockHolder() {}

  public static void main(String[] args) throws IOException {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (DataDirectory directory = DataDirectory.open(Path.of(args[0]))) {
      out.println("locked " + directory.root());
      InputStream in = System.in;
      while (in.read() >= 0) {
        // Hold the lock until the test closes our input.
      }
    }
  }
}
