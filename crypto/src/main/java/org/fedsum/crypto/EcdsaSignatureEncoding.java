package org.fedsum.crypto;

import java.math.BigInteger;
import java.security.SignatureException;
import java.util.Arrays;
import org.fedsum.crypto.internal.P256;

/**
 * The two encodings of an ECDSA P-256 signature (r, s): DER {@code Ecdsa-Sig-Value} (RFC 3279
 * §2.2.3) and IEEE P1363 {@code r || s}.
 *
 * <p>Decoding accepts exactly one byte string per (r, s): the distinguished encoding (X.690 §10).
 * Anything else (BER length forms, padded or negative integers, trailing bytes, values outside [1,
 * n-1]) is refused before any curve arithmetic, so a signature cannot be re-encoded into a second
 * form that also verifies.
 */
final class EcdsaSignatureEncoding {
  private static final int SEQUENCE = 0x30;
  private static final int INTEGER = 0x02;
  // r and s are below n < 2^256: at most 32 value bytes plus one 0x00 keeping the sign positive.
  private static final int MAX_INTEGER_LENGTH = P256.FIELD_LENGTH + 1;
  // Two such integers with their headers stay below 128, so DER always uses the short length form.
  private static final int MAX_SEQUENCE_CONTENT = 2 * (2 + MAX_INTEGER_LENGTH);

  /** Bytes of a P1363 signature. */
  static final int P1363_LENGTH = 2 * P256.FIELD_LENGTH;

  private EcdsaSignatureEncoding() {}

  /** DER encoding of (r, s), both in [1, n-1]. */
  static byte[] encodeDer(BigInteger r, BigInteger s) {
    byte[] rBytes = r.toByteArray();
    byte[] sBytes = s.toByteArray();
    int contentLength = 2 + rBytes.length + 2 + sBytes.length;
    byte[] der = new byte[2 + contentLength];
    der[0] = SEQUENCE;
    der[1] = (byte) contentLength;
    int offset = 2;
    for (byte[] integer : new byte[][] {rBytes, sBytes}) {
      der[offset] = INTEGER;
      der[offset + 1] = (byte) integer.length;
      System.arraycopy(integer, 0, der, offset + 2, integer.length);
      offset += 2 + integer.length;
    }
    return der;
  }

  /**
   * Parses a strict DER {@code SEQUENCE { INTEGER r, INTEGER s }}.
   *
   * @return {r, s}, both in [1, n-1]
   * @throws SignatureException naming the first violated rule
   */
  static BigInteger[] decodeDer(byte[] der) throws SignatureException {
    if (der.length < 2 || (der[0] & 0xff) != SEQUENCE) {
      throw new SignatureException("DER ECDSA signature must start with a SEQUENCE tag");
    }
    int contentLength = der[1] & 0xff;
    if (contentLength > MAX_SEQUENCE_CONTENT) {
      // Covers the long and indefinite length forms too (first length byte >= 0x80).
      throw new SignatureException(
          "DER ECDSA signature SEQUENCE length byte " + contentLength + " is not a valid length");
    }
    if (der.length != 2 + contentLength) {
      throw new SignatureException(
          "DER ECDSA signature SEQUENCE holds "
              + contentLength
              + " bytes but "
              + (der.length - 2)
              + " follow the header");
    }
    int[] offset = {2};
    BigInteger r = readInteger(der, offset, "r");
    BigInteger s = readInteger(der, offset, "s");
    if (offset[0] != der.length) {
      throw new SignatureException("DER ECDSA signature has bytes after s inside the SEQUENCE");
    }
    return new BigInteger[] {r, s};
  }

  private static BigInteger readInteger(byte[] der, int[] offset, String name)
      throws SignatureException {
    int at = offset[0];
    if (at + 2 > der.length) {
      throw new SignatureException("DER ECDSA signature ends before " + name);
    }
    if ((der[at] & 0xff) != INTEGER) {
      throw new SignatureException("DER ECDSA signature " + name + " is not an INTEGER");
    }
    int length = der[at + 1] & 0xff;
    if (length == 0 || length > MAX_INTEGER_LENGTH) {
      throw new SignatureException(
          "DER ECDSA signature " + name + " length must be 1 to 33 bytes, not " + length);
    }
    int start = at + 2;
    if (start + length > der.length) {
      throw new SignatureException("DER ECDSA signature " + name + " runs past the end");
    }
    if ((der[start] & 0x80) != 0) {
      throw new SignatureException("DER ECDSA signature " + name + " is negative");
    }
    if (length > 1 && der[start] == 0 && (der[start + 1] & 0x80) == 0) {
      throw new SignatureException(
          "DER ECDSA signature " + name + " has a redundant leading zero byte");
    }
    BigInteger value = new BigInteger(1, Arrays.copyOfRange(der, start, start + length));
    requireInRange(value, name);
    offset[0] = start + length;
    return value;
  }

  /**
   * Parses a P1363 signature: exactly 64 bytes, r then s, each 32 bytes big-endian.
   *
   * @return {r, s}, both in [1, n-1]
   */
  static BigInteger[] decodeP1363(byte[] signature) throws SignatureException {
    if (signature.length != P1363_LENGTH) {
      throw new SignatureException(
          "P1363 ECDSA P-256 signature must be "
              + P1363_LENGTH
              + " bytes, not "
              + signature.length);
    }
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, P256.FIELD_LENGTH));
    BigInteger s =
        new BigInteger(1, Arrays.copyOfRange(signature, P256.FIELD_LENGTH, P1363_LENGTH));
    requireInRange(r, "r");
    requireInRange(s, "s");
    return new BigInteger[] {r, s};
  }

  private static void requireInRange(BigInteger value, String name) throws SignatureException {
    if (value.signum() <= 0 || value.compareTo(P256.order()) >= 0) {
      throw new SignatureException("ECDSA signature " + name + " must be in [1, n-1]");
    }
  }
}
