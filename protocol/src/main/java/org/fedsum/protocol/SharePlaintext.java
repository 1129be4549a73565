package org.fedsum.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.ShamirShare;

/**
 * The plaintext of one encrypted share message: sender, receiver and the two Shamir shares
 * (Bonawitz et al. 2017, Round 1: {@code u || v || s_u^SK share || b_u share}). The ids inside are
 * checked against the envelope, so a ciphertext relabelled by the aggregator is refused.
 */
record SharePlaintext(
    String sender, String receiver, ShamirShare maskingKeyShare, ShamirShare selfMaskSeedShare) {

  private static final int MAX_FIELD_BYTES = 1 << 16;

  byte[] encode() {
    byte[] maskingKey = maskingKeyShare.encode(SecretAccess.GRANTED);
    byte[] selfMask = selfMaskSeedShare.encode(SecretAccess.GRANTED);
    byte[] encoded =
        new RoundTranscript.Builder("share-plaintext")
            .add(sender)
            .add(receiver)
            .add(maskingKey)
            .add(selfMask)
            .bytes();
    Arrays.fill(maskingKey, (byte) 0);
    Arrays.fill(selfMask, (byte) 0);
    return encoded;
  }

  static SharePlaintext decode(byte[] plaintext) throws GeneralSecurityException {
    ByteBuffer buffer = ByteBuffer.wrap(plaintext);
    try {
      String domain = string(buffer);
      String purpose = string(buffer);
      if (!domain.equals("fedsum/v1") || !purpose.equals("share-plaintext")) {
        throw new GeneralSecurityException("share plaintext has an unknown label");
      }
      String sender = string(buffer);
      String receiver = string(buffer);
      ShamirShare maskingKey = ShamirShare.decode(field(buffer));
      ShamirShare selfMask = ShamirShare.decode(field(buffer));
      if (buffer.hasRemaining()) {
        throw new GeneralSecurityException(
            "share plaintext has " + buffer.remaining() + " trailing bytes");
      }
      return new SharePlaintext(sender, receiver, maskingKey, selfMask);
    } catch (BufferUnderflowException e) {
      throw new GeneralSecurityException("share plaintext is truncated", e);
    }
  }

  private static String string(ByteBuffer buffer) throws GeneralSecurityException {
    return new String(field(buffer), StandardCharsets.UTF_8);
  }

  private static byte[] field(ByteBuffer buffer) throws GeneralSecurityException {
    int length = buffer.getInt();
    if (length < 0 || length > MAX_FIELD_BYTES || length > buffer.remaining()) {
      throw new GeneralSecurityException("share plaintext field has invalid length " + length);
    }
    byte[] field = new byte[length];
    buffer.get(field);
    return field;
  }

  @Override
  public String toString() {
    return "SharePlaintext[" + sender + " -> " + receiver + "]";
  }
}
