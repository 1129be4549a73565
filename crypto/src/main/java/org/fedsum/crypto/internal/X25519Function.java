package org.fedsum.crypto.internal;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The X25519 function of RFC 7748 §5 on raw 32-byte strings, on a constant-time Montgomery ladder:
 * the system's libsodium where it loads ({@link Implementation#LIBSODIUM}), Bouncy Castle's
 * elsewhere. Both give the same value for every input, RFC 7748's and Wycheproof's vectors included
 * (X25519VectorTest runs them through each), so which one runs is a matter of speed only.
 *
 * <p>Both take the raw little-endian strings of the RFC directly: they clamp the scalar and ignore
 * bit 255 of the u-coordinate themselves, where the JDK's XDH provider needs the caller to clear
 * that bit and to go through key specs and a {@code KeyAgreement} (and ran at half Bouncy Castle's
 * speed here).
 */
public final class X25519Function {
  /** Length in bytes of scalars, u-coordinates and shared secrets (RFC 7748 §5). */
  public static final int LENGTH = 32;

  /** The libraries that compute the shared secret; identical results. */
  public enum Implementation {
    /**
     * libsodium's {@code crypto_scalarmult_curve25519} through JNA: about twice as fast as Bouncy
     * Castle (BENCHMARKS.md). Used where Debian's {@code libsodium23} (or another libsodium.so)
     * loads and computes RFC 7748's value for a fixed pair of keys; the system property {@code
     * fedsum.x25519.libsodium=false} turns it off.
     */
    LIBSODIUM("libsodium"),
    /** Bouncy Castle's {@code org.bouncycastle.math.ec.rfc7748.X25519}. */
    BOUNCY_CASTLE("bouncy-castle");

    private final String label;

    Implementation(String label) {
      this.label = label;
    }

    /** A stable name for reports and benchmarks. */
    public String label() {
      return label;
    }
  }

  private X25519Function() {}

  /** libsodium where it works on this machine, else Bouncy Castle. */
  public static Implementation preferredImplementation() {
    return Libsodium.AVAILABLE ? Implementation.LIBSODIUM : Implementation.BOUNCY_CASTLE;
  }

  /** Whether {@link Implementation#LIBSODIUM} works on this machine. */
  public static boolean libsodiumAvailable() {
    return Libsodium.AVAILABLE;
  }

  /**
   * {@code X25519(scalar, u)} exactly as RFC 7748 §5 defines it, including an all-zero result for a
   * low-order u. For known-answer tests; protocol code uses {@link #sharedSecret}.
   */
  public static byte[] scalarMultiply(byte[] scalar, byte[] uCoordinate) {
    checkLength("scalar", scalar);
    checkLength("u-coordinate", uCoordinate);
    byte[] result = new byte[LENGTH];
    X25519.scalarMult(scalar, 0, uCoordinate, 0, result, 0);
    return result;
  }

  /** The public key {@code X25519(privateKey, 9)} of RFC 7748 §6.1. */
  public static byte[] publicKey(byte[] privateKey) {
    checkLength("private key", privateKey);
    byte[] publicKey = new byte[LENGTH];
    X25519.scalarMultBase(privateKey, 0, publicKey, 0);
    return publicKey;
  }

  /**
   * The shared secret {@code X25519(privateKey, peerPublicKey)} of RFC 7748 §6.1.
   *
   * @throws GeneralSecurityException if the result is all zero, which happens exactly when the peer
   *     key is a point of small order: such a "secret" is known to anyone, so it is never returned
   *     (RFC 7748 §6.1 allows and recommends this check)
   */
  public static byte[] sharedSecret(byte[] privateKey, byte[] peerPublicKey)
      throws GeneralSecurityException {
    return sharedSecret(privateKey, peerPublicKey, preferredImplementation());
  }

  /**
   * {@link #sharedSecret(byte[], byte[])} with a chosen implementation; for tests that run the
   * vectors through each, and for benchmarks.
   *
   * @throws IllegalStateException if {@code implementation} is libsodium and it does not work here
   */
  public static byte[] sharedSecret(
      byte[] privateKey, byte[] peerPublicKey, Implementation implementation)
      throws GeneralSecurityException {
    checkLength("private key", privateKey);
    checkLength("public key", peerPublicKey);
    Objects.requireNonNull(implementation, "implementation");
    byte[] shared = new byte[LENGTH];
    // Both run the ladder and then test the result for all zero in constant time.
    boolean nonZero;
    if (implementation == Implementation.LIBSODIUM) {
      if (!Libsodium.AVAILABLE) {
        throw new IllegalStateException("libsodium's X25519 is not available on this machine");
      }
      nonZero = Libsodium.scalarMultiply(shared, privateKey, peerPublicKey) == 0;
    } else {
      nonZero = X25519.calculateAgreement(privateKey, 0, peerPublicKey, 0, shared, 0);
    }
    if (!nonZero) {
      Arrays.fill(shared, (byte) 0);
      throw new GeneralSecurityException(
          "X25519 shared secret is all zero: the peer public key is a low-order point"
              + " (RFC 7748 §6.1), refused");
    }
    return shared;
  }

  private static void checkLength(String what, byte[] bytes) {
    Objects.requireNonNull(bytes, what);
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException(
          "X25519 " + what + " must be " + LENGTH + " bytes, not " + bytes.length);
    }
  }
}
