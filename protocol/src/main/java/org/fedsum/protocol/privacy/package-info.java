/**
 * Privacy accounting (DESIGN.md §5). For silo-level distributed DP: the per-round parameters
 * ({@link org.fedsum.protocol.privacy.RoundPrivacy}), the two accountants (continuous Gaussian DP
 * reference and the Rényi bound for sums of discrete Gaussians, in {@link
 * org.fedsum.protocol.privacy.PrivacyAccountant}), and a silo's own immutable ledger with the
 * budget refusal rule ({@link org.fedsum.protocol.privacy.PrivacyLedger}); and, for record-level DP
 * (DP-SGD at each silo), the Poisson-subsampled Gaussian mechanism ({@link
 * org.fedsum.protocol.privacy.SampledGaussian}) and its Rényi accountant ({@link
 * org.fedsum.protocol.privacy.RecordLevelAccountant}).
 *
 * <p>Pure math on doubles: no I/O, clocks or randomness, and no dependency on the rest of the
 * protocol, on {@code org.fedsum.crypto}, or on any library (Vert.x, DJL, Bouncy Castle, Jackson);
 * the special functions it needs are implemented here.
 */
package org.fedsum.protocol.privacy;
