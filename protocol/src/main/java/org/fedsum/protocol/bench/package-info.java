/**
 * Benchmarks of the protocol core that {@code fedsum bench} runs (BENCHMARKS.md): whole rounds in
 * memory at the settings of Bonawitz et al. 2017, against the paper's figures.
 *
 * <p>Drives the protocol only through {@code org.fedsum.protocol.simulation}; nothing in the
 * protocol or the services may depend on this package.
 */
package org.fedsum.protocol.bench;
