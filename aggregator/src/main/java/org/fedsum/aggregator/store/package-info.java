/**
 * The aggregator's data directory (DESIGN.md §7, §9): the signed, hash-chained journal file, model
 * checkpoints written atomically, masked vectors spooled to disk until their length and hash are
 * verified, the directory lock, and crash recovery of all of these.
 *
 * <p>Blocking file I/O with fsync: call it from worker threads, never from an event loop. Must not
 * depend on Vert.x or DJL; cryptography and the journal format come from {@code org.fedsum.crypto}
 * and {@code org.fedsum.protocol.journal}.
 */
package org.fedsum.aggregator.store;
