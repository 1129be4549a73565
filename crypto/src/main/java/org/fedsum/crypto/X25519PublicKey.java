package org.fedsum.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.fedsum.crypto.internal.X25519Function;

/**
 * An X25519 public key: the 32-byte little-endian u-coordinate of RFC 7748 §5.
 *
 * <p>Any 32 bytes are accepted, as RFC 7748 §5 requires: bit 255 is ignored and non-canonical
 * values are reduced when the key is used. A low-order key is caught when it is used, by {@link
 * X25519KeyPair#agree}, which refuses the all-zero shared secret it produces. Equality is on the 32
 * bytes as received, so two encodings that differ only in bit 255 are different keys here.
 */
public final class X25519PublicKey {
  private final byte[] encoded;

  private X25519PublicKey(byte[] encoded) {
    this.encoded = encoded;
  }

  /**
   * Wraps a copy of a 32-byte public key received from a peer.
   *
   * @throws GeneralSecurityException if {@code encoded} is not exactly 32 bytes
   */
  public static X25519PublicKey fromBytes(byte[] encoded) throws GeneralSecurityException {
    Objects.requireNonNull(encoded, "encoded");
    if (encoded.length != X25519Function.LENGTH) {
      throw new GeneralSecurityException(
          "X25519 public key must be " + X25519Function.LENGTH + " bytes, not " + encoded.length);
    }
    return new X25519PublicKey(encoded.clone());
  }

  /** For keys computed here, which are 32 bytes by construction. */
  static X25519PublicKey wrap(byte[] encoded) {
    return new X25519PublicKey(encoded);
  }

  /** A copy of the 32 bytes. */
  public byte[] toBytes() {
    return encoded.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof X25519PublicKey that && Arrays.equals(encoded, that.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  /** The key in hex: it is public. */
  @Override
  public String toString() {
    return "X25519PublicKey[" + HexFormat.of().formatHex(encoded) + "]";
  }
}
