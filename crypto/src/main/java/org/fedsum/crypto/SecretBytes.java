package org.fedsum.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable sequence of secret bytes: a key, a seed or a shared secret.
 *
 * <p>The bytes are copied in and out. {@link #toString()} prints the length only, never the
 * content, so a secret that ends up in a log line or an exception message discloses nothing. The
 * one way to read the bytes is the deliberately awkward {@link #copySecretBytes(SecretAccess)},
 * which asks the caller to name why they need the raw bytes; grep for it to audit every place that
 * does.
 */
public final class SecretBytes {
  private final byte[] bytes;

  private SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Wraps a copy of {@code bytes}.
   *
   * @throws IllegalArgumentException if {@code bytes} is empty
   */
  public static SecretBytes copyOf(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      throw new IllegalArgumentException("a secret must have at least one byte, not 0");
    }
    return new SecretBytes(bytes.clone());
  }

  /** Draws {@code length} fresh bytes from {@code random}. */
  public static SecretBytes random(int length, SecureRandom random) {
    Objects.requireNonNull(random, "random");
    if (length <= 0) {
      throw new IllegalArgumentException("a secret must have at least one byte, not " + length);
    }
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return new SecretBytes(bytes);
  }

  /** The number of bytes; not secret. */
  public int length() {
    return bytes.length;
  }

  /**
   * A fresh copy of the raw secret bytes. The caller owns the copy and should overwrite it when
   * done.
   *
   * @param access proof that the caller knowingly handles raw secret material
   */
  public byte[] copySecretBytes(SecretAccess access) {
    Objects.requireNonNull(access, "access");
    return bytes.clone();
  }

  /** Constant-time equality of content (the lengths are not secret). */
  public boolean equalsConstantTime(SecretBytes other) {
    Objects.requireNonNull(other, "other");
    return MessageDigest.isEqual(bytes, other.bytes);
  }

  /**
   * Overwrites the held bytes with zeros; later reads return zeros. Best effort in a managed heap.
   */
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public String toString() {
    return "SecretBytes[" + bytes.length + " bytes]";
  }
}
