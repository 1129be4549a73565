/**
 * The {@code fedsum} launcher (to come with its issue): demo, provision, aggregator, silo, audit,
 * privacy and bench subcommands.
 *
 * <p>Wiring only: it must not reimplement protocol or cryptography.
 */
package org.fedsum.cli;
