/**
 * Provider glue: the only place in FedSum that touches Bouncy Castle, Conscrypt or native libraries
 * (libsodium through JNA).
 *
 * <p>Who does what: Conscrypt (BoringSSL through JNI, {@code ConscryptProvider}, never installed in
 * {@code java.security}) runs ECDSA P-256 verification ({@link P256.Verifier#CONSCRYPT}) and the
 * mask PRG's AES-256-CTR ({@link AesCtrKeystream}) until the JDK's own AES/CTR has been measured
 * faster on this machine ({@link CounterModeChoice}); where its native library cannot load, the
 * JDK's AES and Bouncy Castle's ECDSA take over, with identical results. Conscrypt 2.5.2 has no
 * X25519: the shared secrets of X25519 ({@link X25519Function}) come from the system's libsodium
 * ({@code Libsodium}, JNA's direct mapping) where it loads, else from Bouncy Castle, again with
 * identical results. Bouncy Castle runs X25519 public-key derivation, ECDSA signing, public-point
 * validation and key encodings ({@link P256}) and the X.509 structures ({@link Pkix}); the JDK runs
 * HKDF's HMAC-SHA256 and AES-GCM. Every signature and key encoding is parsed by FedSum's own strict
 * code before a provider sees it.
 *
 * <p>Nothing outside {@code org.fedsum.crypto} (and its benchmarks, {@code
 * org.fedsum.crypto.bench}, which time each implementation) may use this package; its types never
 * appear in the public API.
 */
package org.fedsum.crypto.internal;
