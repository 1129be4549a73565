package org.fedsum.crypto.internal;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The X25519 function of RFC 7748 §5 on raw 32-byte strings, backed by Bouncy Castle's
 * constant-time Montgomery ladder.
 *
 * <p>Bouncy Castle was chosen over the JDK's XDH provider because it takes the raw little-endian
 * strings of the RFC directly: it clamps the scalar ({@code decodeScalar25519}) and masks bit 255
 * of the u-coordinate ({@code decodeUCoordinate}) itself, where the JDK needs the caller to clear
 * that bit before decoding and to go through key specs and a {@code KeyAgreement}.
 */
public final class X25519Function {
  /** Length in bytes of scalars, u-coordinates and shared secrets (RFC 7748 §5). */
  public static final int LENGTH = 32;

  private X25519Function() {}

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
    checkLength("private key", privateKey);
    checkLength("public key", peerPublicKey);
    byte[] shared = new byte[LENGTH];
    // calculateAgreement runs the same ladder as scalarMult and then tests for all zero in
    // constant time.
    if (!X25519.calculateAgreement(privateKey, 0, peerPublicKey, 0, shared, 0)) {
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
