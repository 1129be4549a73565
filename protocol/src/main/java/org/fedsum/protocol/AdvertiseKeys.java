package org.fedsum.protocol;

import java.util.Objects;
import org.fedsum.crypto.X25519PublicKey;

/**
 * Round 0: a silo's two fresh public keys, signed with its certificate key over the round context
 * (Bonawitz et al. 2017, Round 0 with the active-adversary signature).
 *
 * @param certificate the silo's X.509 certificate, DER, so that every peer can check it against the
 *     federation CA
 * @param signature ECDSA P-256 (DER) over {@link RoundTranscript#advertisement}
 */
public record AdvertiseKeys(
    String siloId,
    long round,
    X25519PublicKey maskingPublicKey,
    X25519PublicKey shareEncryptionPublicKey,
    byte[] certificate,
    byte[] signature)
    implements SiloMessage {

  public AdvertiseKeys {
    Objects.requireNonNull(siloId, "siloId");
    Objects.requireNonNull(maskingPublicKey, "maskingPublicKey");
    Objects.requireNonNull(shareEncryptionPublicKey, "shareEncryptionPublicKey");
    certificate = Objects.requireNonNull(certificate, "certificate").clone();
    signature = Objects.requireNonNull(signature, "signature").clone();
  }

  @Override
  public byte[] certificate() {
    return certificate.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public Stage stage() {
    return Stage.ADVERTISE_KEYS;
  }
}
