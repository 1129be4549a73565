/**
 * Runs whole rounds in memory, every silo and the aggregator in one process with no network: for
 * tests, property checks and benchmarks of the protocol core.
 *
 * <p>Drives only the public transition functions of {@code org.fedsum.protocol}; must not depend on
 * Vert.x, DJL or any provider library.
 */
package org.fedsum.protocol.simulation;
