package org.fedsum.crypto.internal;

import com.sun.jna.Native;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The system's libsodium (Debian's {@code libsodium23}), bound through JNA's direct mapping: the
 * one function FedSum uses, {@code crypto_scalarmult_curve25519}, about twice as fast as Bouncy
 * Castle's ladder on the machines measured (BENCHMARKS.md, "n = 500 clients").
 *
 * <p>{@link #AVAILABLE} is false, and nothing here may be called, where the library or JNA's own
 * native stub cannot load, where {@code sodium_init} fails, where the property {@value
 * #DISABLE_PROPERTY} is {@code false}, or where the library computes a different value than Bouncy
 * Castle for a fixed pair of keys at load time: a wrong library is never used.
 */
final class Libsodium {
  /** Set to {@code false} to keep X25519 on Bouncy Castle even where libsodium loads. */
  static final String DISABLE_PROPERTY = "fedsum.x25519.libsodium";

  static final boolean AVAILABLE = load();

  private Libsodium() {}

  /**
   * {@code crypto_scalarmult_curve25519(q, n, p)}: writes {@code X25519(n, p)} to {@code q}. The
   * library clamps {@code n}, ignores bit 255 of {@code p} (RFC 7748 §5) and returns -1, in
   * constant time, when the result is all zero (a low-order {@code p}), 0 otherwise.
   */
  static int scalarMultiply(byte[] result, byte[] scalar, byte[] uCoordinate) {
    return crypto_scalarmult_curve25519(result, scalar, uCoordinate);
  }

  private static boolean load() {
    if (!Boolean.parseBoolean(System.getProperty(DISABLE_PROPERTY, "true"))) {
      return false;
    }
    try {
      Native.register(Libsodium.class, "sodium");
      // 0: initialised now; 1: already initialised by someone else in this process.
      return sodium_init() >= 0 && agreesWithBouncyCastle();
    } catch (LinkageError | RuntimeException e) {
      // UnsatisfiedLinkError and NoClassDefFoundError (no JNA stub for this platform) alike mean
      // "not here"; Bouncy Castle computes the same values.
      return false;
    }
  }

  /**
   * One agreement with fixed keys (RFC 7748 §6.1: Alice's private key, Bob's public key) through
   * both libraries. Keeps a library that computes something else (another function bound under the
   * same name, a broken build) from ever being used.
   */
  private static boolean agreesWithBouncyCastle() {
    HexFormat hex = HexFormat.of();
    byte[] scalar =
        hex.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] uCoordinate =
        hex.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    byte[] expected = new byte[X25519Function.LENGTH];
    X25519.scalarMult(scalar, 0, uCoordinate, 0, expected, 0);
    byte[] actual = new byte[X25519Function.LENGTH];
    return crypto_scalarmult_curve25519(actual, scalar, uCoordinate) == 0
        && Arrays.equals(actual, expected);
  }

  // JNA binds these by name to the library's symbols (Native.register above).
  @SuppressWarnings("MethodName")
  private static native int sodium_init();

  @SuppressWarnings("MethodName")
  private static native int crypto_scalarmult_curve25519(byte[] q, byte[] n, byte[] p);
}
