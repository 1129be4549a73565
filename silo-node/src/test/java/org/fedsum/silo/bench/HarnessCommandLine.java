package org.fedsum.silo.bench;

import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Reads a benchmark harness's command line with picocli into an annotated arguments object, and
 * checks the ranges picocli does not. Every refusal is an {@link IllegalArgumentException} whose
 * message names the option; picocli's own refusals carry the usage text too, and their cause.
 */
final class HarnessCommandLine {
  private HarnessCommandLine() {}

  /** Fills {@code arguments} from {@code args}; tells which options were given. */
  static ParseResult parse(Object arguments, String[] args) {
    CommandLine commandLine = new CommandLine(arguments);
    try {
      return commandLine.parseArgs(args);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(
          e.getMessage() + "\n" + commandLine.getUsageMessage(Help.Ansi.OFF), e);
    }
  }

  /**
   * Runs a harness's {@code parse}; when it refuses the command line, prints why and ends the JVM
   * with status 2, as a command-line tool does.
   */
  static <T> T parseOrExit(Function<String[], T> parse, String[] args) {
    try {
      return parse.apply(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      throw e;
    }
  }

  static void atLeastOne(String option, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(
          option + " must be a whole number of at least 1, not " + value);
    }
  }

  static void positive(String option, double value, String meaning) {
    if (!Double.isFinite(value) || value <= 0) {
      throw new IllegalArgumentException(
          option + " must be a positive number (" + meaning + "), not " + value);
    }
  }
}
