/**
 * Benchmarks of the aggregator over its real transport (test sources, run as {@code main} classes;
 * see BENCHMARKS.md). Nothing here is part of the service.
 */
package org.fedsum.aggregator.bench;
