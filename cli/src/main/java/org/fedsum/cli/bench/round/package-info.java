/**
 * {@code fedsum bench round} and {@code bench scaling}: whole rounds over mutual TLS on 127.0.0.1,
 * secure aggregation on against off over the same transport (BENCHMARKS.md, "Rounds over the
 * transport"). The plain baseline ({@link org.fedsum.cli.bench.round.PlainSumRoutes}) is a route
 * table mounted into the real aggregator server in the benchmark's process only, through {@code
 * AggregatorServer.start(config, routeTables)}; nothing here is part of the service.
 */
package org.fedsum.cli.bench.round;
