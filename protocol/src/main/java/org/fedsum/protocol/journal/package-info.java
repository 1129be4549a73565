/**
 * The append-only journal of DESIGN.md §7: the record format (canonical JSON Lines), the hash
 * chain, signing by the writer's certificate key, recovery from a half-written last line, and
 * offline verification against the federation CA.
 *
 * <p>No file or network I/O and no clock: callers hand in and take out lines (without their line
 * terminators) and times. Must not depend on Vert.x, DJL or Bouncy Castle; cryptography comes
 * through {@code org.fedsum.crypto}.
 */
package org.fedsum.protocol.journal;
