/**
 * {@code fedsum bench}: one command per benchmark of BENCHMARKS.md, each printing its table and,
 * with {@code --json FILE}, writing the same figures as one JSON object.
 *
 * <p>Wiring only: the measurements live next to what they measure ({@code org.fedsum.crypto.bench},
 * {@code org.fedsum.silo.bench}); this package parses options, checks them, and writes the JSON.
 * The transport benchmarks ({@code round}, {@code scaling}) need both the aggregator and the silo
 * client, which only this module has together, so they live in {@link org.fedsum.cli.bench.round}.
 */
package org.fedsum.cli.bench;
