/**
 * The cryptographic primitives of FedSum behind a small, misuse-resistant API: X25519 key
 * agreement, HKDF-SHA256, AES-256-GCM, ECDSA P-256 signatures, Shamir secret sharing, the seekable
 * mask PRG, the discrete Gaussian sampler, the randomized Hadamard rotation and the federation's
 * X.509 PKI.
 *
 * <p>Callers choose named suites, never algorithm strings, modes or nonces. This package must not
 * depend on Vert.x, DJL or Jackson, and exposes no Bouncy Castle or Conscrypt type: those stay in
 * {@code org.fedsum.crypto.internal}, whose package comment says which provider backs which
 * primitive. Where Conscrypt's native library loads, the mask PRG's AES-CTR and ECDSA verification
 * run on BoringSSL; elsewhere on the JDK and Bouncy Castle, with the same results. Shamir sharing's
 * field arithmetic is FedSum's own ({@code MersenneField521}).
 */
package org.fedsum.crypto;
