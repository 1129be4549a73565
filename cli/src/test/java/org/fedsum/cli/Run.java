package org.fedsum.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** The launcher run in-process: exit code, standard output and standard error. */
public record Run(int exitCode, String out, String err) {
  /** Runs {@code fedsum args...} in this JVM. */
  public static Run fedsum(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Fedsum.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }
}
