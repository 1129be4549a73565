/**
 * The {@code fedsum} launcher: one command with the subcommands {@code demo}, {@code provision},
 * {@code aggregator}, {@code silo}, {@code operator} and {@code privacy} (README.md, "CLI
 * reference").
 *
 * <p>Wiring only: it must not reimplement protocol or cryptography. Every subcommand reports a
 * failure as one line on standard error and a non-zero exit code ({@link CliException}); {@code
 * --verbose} adds the stack trace.
 */
package org.fedsum.cli;
