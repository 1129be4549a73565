package org.fedsum.protocol;

import java.security.SecureRandom;
import java.util.Objects;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;

/**
 * What a silo brings to every round and never sends: its identity, its certificate key, the
 * federation's trust anchors, its randomness and its own floor on the number of survivors.
 *
 * @param certificate the silo's certificate, DER, sent with its advertised keys
 * @param minSurvivors the silo refuses to reveal unmasking shares for a sum of fewer silos (at
 *     least 3; a silo may raise it as part of its privacy floor)
 */
public record SiloContext(
    String siloId,
    EcdsaP256SigningKey signingKey,
    byte[] certificate,
    FederationTrust trust,
    SecureRandom random,
    int minSurvivors) {

  public SiloContext {
    Objects.requireNonNull(siloId, "siloId");
    Objects.requireNonNull(signingKey, "signingKey");
    certificate = Objects.requireNonNull(certificate, "certificate").clone();
    Objects.requireNonNull(trust, "trust");
    Objects.requireNonNull(random, "random");
    if (minSurvivors < RoundConfig.MINIMUM_SURVIVORS_FLOOR) {
      throw new IllegalArgumentException(
          "minSurvivors must be at least "
              + RoundConfig.MINIMUM_SURVIVORS_FLOOR
              + ", not "
              + minSurvivors);
    }
  }

  @Override
  public byte[] certificate() {
    return certificate.clone();
  }

  @Override
  public String toString() {
    return "SiloContext[siloId=" + siloId + ", minSurvivors=" + minSurvivors + "]";
  }
}
