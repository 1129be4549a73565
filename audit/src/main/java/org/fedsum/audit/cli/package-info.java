/**
 * The {@code fedsum audit} command (picocli): {@code verify} and {@code report}, for the launcher
 * to register as a subcommand. Prints one clear line per error and returns the exit code; never
 * calls {@code System.exit}.
 *
 * <p>Depends on the audit and report packages and picocli only.
 */
package org.fedsum.audit.cli;
