/**
 * The secure-aggregation round of DESIGN.md §3 as pure state machines for the aggregator and silo
 * roles, its messages and codecs, the update encoding pipeline and the privacy accountant.
 *
 * <p>No I/O, no clocks, no randomness that is not handed in. Must not depend on Vert.x, DJL or
 * Bouncy Castle (cryptography comes through {@code org.fedsum.crypto}).
 */
package org.fedsum.protocol;
