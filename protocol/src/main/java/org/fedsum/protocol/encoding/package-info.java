/**
 * The encoding of a float model update into a vector of {@code Z_{2^b}} words ready for masking,
 * and the decoding of the aggregate sum (DESIGN.md §4): finiteness check, L2 clipping, optional
 * randomized Hadamard rotation, scaling by {@code 1/γ}, conditional randomized rounding and
 * discrete Gaussian noise (Kairouz, Liu and Steinke, ICML 2021), modular wrapping, and the
 * parameter chooser that fits the sum of the silos' vectors into {@code b} bits.
 *
 * <p>Pure computation: no I/O, no clock, no randomness that is not handed in. Must not depend on
 * Vert.x, DJL or Bouncy Castle; the sampler and the rotation come from {@code org.fedsum.crypto}.
 */
package org.fedsum.protocol.encoding;
