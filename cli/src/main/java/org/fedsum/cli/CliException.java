package org.fedsum.cli;

/**
 * A failure the user can act on: its message is the one line printed on standard error, so it names
 * what is wrong (the file, the key, the value) and, where there is one, what to do.
 */
public class CliException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Exit code for unusable input: a bad option, configuration or kit. */
  public static final int USAGE = 2;

  /** Exit code for everything else that went wrong. */
  public static final int FAILURE = 1;

  private final int exitCode;

  public CliException(String message) {
    this(message, USAGE, null);
  }

  public CliException(String message, Throwable cause) {
    this(message, USAGE, cause);
  }

  public CliException(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** The process exit code this failure ends with. */
  public int exitCode() {
    return exitCode;
  }
}
