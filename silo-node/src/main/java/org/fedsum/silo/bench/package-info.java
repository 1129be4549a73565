/**
 * Benchmarks of the silo's local training that {@code fedsum bench train} runs (BENCHMARKS.md): an
 * epoch through FedSum's {@code LocalModel} against the same epoch written directly against DJL.
 *
 * <p>It uses the training and data packages only; the silo node never depends on it.
 */
package org.fedsum.silo.bench;
