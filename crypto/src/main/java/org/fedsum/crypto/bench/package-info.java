/**
 * Benchmarks of the cryptography that {@code fedsum bench} runs (BENCHMARKS.md): the mask PRG
 * against {@code openssl speed} in the same run, and the description of the machine every benchmark
 * records with its figures.
 *
 * <p>It may use {@code org.fedsum.crypto.internal} to measure each keystream implementation on its
 * own; nothing in the protocol or the services may depend on this package.
 */
package org.fedsum.crypto.bench;
