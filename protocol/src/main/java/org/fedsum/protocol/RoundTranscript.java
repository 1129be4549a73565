package org.fedsum.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.fedsum.crypto.Hkdf;
import org.fedsum.crypto.SecretBytes;
import org.fedsum.crypto.X25519PublicKey;

/**
 * Everything that binds keys, seeds and signatures to one round (DESIGN.md §3). Each item is length
 * prefixed, so no two different transcripts encode to the same bytes, and each starts with a
 * purpose label, so a signature or key made for one purpose is useless for another.
 *
 * <p>A message from another federation, round, stage or pair of silos therefore never verifies and
 * never decrypts.
 */
public final class RoundTranscript {
  private static final String DOMAIN = "fedsum/v1";

  /** Purpose label of pairwise mask seeds. */
  public static final String PURPOSE_MASK = "mask";

  /** Purpose label of the AES-GCM keys that encrypt shares between two silos. */
  public static final String PURPOSE_SHARE_ENCRYPTION = "share-encryption";

  /** Purpose label of the PRG seed derived from a silo's self-mask seed. */
  public static final String PURPOSE_SELF_MASK = "self-mask";

  private RoundTranscript() {}

  /** The bytes a silo signs in round 0: the round context and both of its public keys. */
  public static byte[] advertisement(
      RoundConfig config,
      String siloId,
      X25519PublicKey maskingPublicKey,
      X25519PublicKey shareEncryptionPublicKey) {
    return new Builder("advertise-keys")
        .add(config.federationId())
        .add(config.round())
        .add(config.protocolVersion())
        .add(siloId)
        .add(maskingPublicKey.toBytes())
        .add(shareEncryptionPublicKey.toBytes())
        .bytes();
  }

  /**
   * The session id: SHA-256 over the federation id, round, protocol version, and every advertised
   * silo id and public key in U1 (sorted by silo id).
   */
  public static byte[] sessionId(RoundConfig config, List<AdvertiseKeys> advertisements) {
    Builder builder =
        new Builder("session-id")
            .add(config.federationId())
            .add(config.round())
            .add(config.protocolVersion())
            .add(advertisements.size());
    advertisements.stream()
        .sorted(java.util.Comparator.comparing(AdvertiseKeys::siloId))
        .forEach(
            advertisement ->
                builder
                    .add(advertisement.siloId())
                    .add(advertisement.maskingPublicKey().toBytes())
                    .add(advertisement.shareEncryptionPublicKey().toBytes()));
    return sha256(builder.bytes());
  }

  /** The bytes a survivor signs in round 3: the session and the survivor list. */
  public static byte[] consistency(RoundConfig config, byte[] sessionId, List<String> survivors) {
    Builder builder =
        new Builder("consistency-check")
            .add(config.federationId())
            .add(config.round())
            .add(sessionId)
            .add(survivors.size());
    for (String survivor : Immutables.sortedList(survivors)) {
      builder.add(survivor);
    }
    return builder.bytes();
  }

  /**
   * The associated data of the ciphertext that {@code sender} addresses to {@code receiver}: binds
   * sender, receiver, round, stage and session.
   */
  public static byte[] shareAssociatedData(
      RoundConfig config, byte[] sessionId, String sender, String receiver) {
    return new Builder("share-ciphertext")
        .add(config.federationId())
        .add(config.round())
        .add(Stage.SHARE_KEYS.name())
        .add(sessionId)
        .add(sender)
        .add(receiver)
        .bytes();
  }

  /**
   * A 32-byte key for {@code purpose} between two silos, from their X25519 shared secret:
   * HKDF-SHA256 (RFC 5869) with the session id as salt and the purpose and both silo ids (sorted)
   * as info.
   */
  public static SecretBytes pairKey(
      SecretBytes sharedSecret, byte[] sessionId, String purpose, String siloA, String siloB) {
    String first = siloA.compareTo(siloB) < 0 ? siloA : siloB;
    String second = first.equals(siloA) ? siloB : siloA;
    byte[] info = new Builder(purpose).add(first).add(second).bytes();
    return Hkdf.deriveSha256(sharedSecret, sessionId, info, 32);
  }

  /** The PRG seed of a silo's self mask, bound to the session and the silo. */
  public static SecretBytes selfMaskKey(SecretBytes selfMaskSeed, byte[] sessionId, String siloId) {
    byte[] info = new Builder(PURPOSE_SELF_MASK).add(siloId).bytes();
    return Hkdf.deriveSha256(selfMaskSeed, sessionId, info, 32);
  }

  /**
   * The sign of the pairwise mask that {@code siloId} adds for {@code peer}: {@code +1} towards
   * peers that sort after it, {@code -1} towards those before, so each pair's masks cancel in the
   * sum.
   */
  public static int pairwiseSign(String siloId, String peer) {
    int order = siloId.compareTo(peer);
    if (order == 0) {
      throw new IllegalArgumentException("a silo has no pairwise mask with itself: " + siloId);
    }
    return order < 0 ? 1 : -1;
  }

  /**
   * Whether an X25519 public key is in canonical form: a little-endian integer below {@code 2^255 −
   * 19} (RFC 7748 §5). X25519 ignores the top bit and reduces mod p, so two different encodings can
   * name the same key; an honest silo only ever produces the canonical one, and refusing the others
   * keeps the duplicate-key check sound.
   */
  public static boolean isCanonical(X25519PublicKey key) {
    byte[] bytes = key.toBytes();
    if ((bytes[31] & 0x80) != 0) {
      return false;
    }
    // Values from p = 2^255 - 19 up to 2^255 - 1 are 0x7f ff .. ff followed by a low byte >= 0xed.
    if ((bytes[31] & 0xff) != 0x7f) {
      return true;
    }
    for (int i = 30; i >= 1; i--) {
      if ((bytes[i] & 0xff) != 0xff) {
        return true;
      }
    }
    return (bytes[0] & 0xff) < 0xed;
  }

  static byte[] sha256(byte[] bytes) {
    MessageDigest sha256 = WordVector.newSha256();
    return sha256.digest(bytes);
  }

  /** Length-prefixed encoding of a labelled sequence of items. */
  static final class Builder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Builder(String purpose) {
      add(DOMAIN);
      add(purpose);
    }

    Builder add(String value) {
      return add(value.getBytes(StandardCharsets.UTF_8));
    }

    // Whole arrays only: ByteArrayOutputStream's methods are synchronized, and a silo builds a few
    // thousand of these per round (one per peer and purpose), so byte-at-a-time writes added up.
    Builder add(long value) {
      out.writeBytes(
          new byte[] {
            (byte) (value >>> 56),
            (byte) (value >>> 48),
            (byte) (value >>> 40),
            (byte) (value >>> 32),
            (byte) (value >>> 24),
            (byte) (value >>> 16),
            (byte) (value >>> 8),
            (byte) value
          });
      return this;
    }

    Builder add(byte[] value) {
      int length = value.length;
      out.writeBytes(
          new byte[] {
            (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length
          });
      out.writeBytes(value);
      return this;
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
