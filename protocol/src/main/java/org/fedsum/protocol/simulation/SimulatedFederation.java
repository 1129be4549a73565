package org.fedsum.protocol.simulation;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.SiloContext;

/**
 * A throwaway federation held in memory for simulations and benchmarks: a federation CA and one
 * signing key and certificate per silo, made with the project's own PKI, never written anywhere.
 * Silo ids are {@code silo-00}, {@code silo-01}, …; rosters are ordered as strings, which is the
 * numeric order up to {@code silo-99}.
 */
public final class SimulatedFederation {
  /** The federation id of every simulated federation. */
  public static final String FEDERATION_ID = "test-federation";

  private final FederationTrust trust;
  private final FederationCa ca;
  private final Map<String, EcdsaP256SigningKey> signingKeys = new TreeMap<>();
  private final Map<String, byte[]> certificates = new TreeMap<>();
  private final Instant now = Instant.now();

  private SimulatedFederation(int silos) throws GeneralSecurityException {
    SecureRandom random = new SecureRandom();
    ca = FederationCa.create(FEDERATION_ID, Duration.ofDays(30), random);
    trust = FederationTrust.create(ca.certificate(), ca.emptyCrl(now, Duration.ofDays(7)));
    for (int i = 0; i < silos; i++) {
      String siloId = siloId(i);
      EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(random);
      signingKeys.put(siloId, key);
      try {
        certificates.put(
            siloId,
            ca.issue(
                    new SiteIdentity(SiteRole.SILO, siloId),
                    key.verifyingKey(),
                    Duration.ofDays(10),
                    List.of())
                .getEncoded());
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * A federation of {@code silos} silos with valid certificates.
   *
   * @throws IllegalArgumentException if {@code silos} is below 1
   */
  public static SimulatedFederation create(int silos) {
    if (silos < 1) {
      throw new IllegalArgumentException("a federation needs at least 1 silo, not " + silos);
    }
    try {
      return new SimulatedFederation(silos);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the simulated federation", e);
    }
  }

  /** The id of the {@code index}-th silo. */
  public static String siloId(int index) {
    return String.format(java.util.Locale.ROOT, "silo-%02d", index);
  }

  public FederationCa ca() {
    return ca;
  }

  public FederationTrust trust() {
    return trust;
  }

  /** The time the credentials were made, which silos use for their certificate checks. */
  public Instant now() {
    return now;
  }

  public EcdsaP256SigningKey signingKey(String siloId) {
    return signingKeys.get(siloId);
  }

  /** A copy of the silo's DER certificate. */
  public byte[] certificate(String siloId) {
    return certificates.get(siloId).clone();
  }

  /** The first {@code n} silo ids. */
  public List<String> roster(int n) {
    return signingKeys.keySet().stream().limit(n).toList();
  }

  /** The context of one silo, with the given floor on survivors and randomness. */
  public SiloContext context(String siloId, int minSurvivors, SecureRandom random) {
    return new SiloContext(
        siloId, signingKeys.get(siloId), certificates.get(siloId), trust, random, minSurvivors);
  }

  /** Contexts for every silo of {@code roster}, with the protocol's floor on survivors. */
  public Map<String, SiloContext> contexts(List<String> roster, SecureRandom random) {
    Map<String, SiloContext> contexts = new TreeMap<>();
    for (String siloId : roster) {
      contexts.put(siloId, context(siloId, RoundConfig.MINIMUM_SURVIVORS_FLOOR, random));
    }
    return contexts;
  }

  /** An honest-but-curious round over the first {@code n} silos. */
  public RoundConfig config(long round, int n, int threshold, int bits, int vectorLength) {
    return new RoundConfig(
        FEDERATION_ID,
        round,
        RoundConfig.PROTOCOL_VERSION,
        roster(n),
        threshold,
        RoundConfig.MINIMUM_SURVIVORS_FLOOR,
        bits,
        vectorLength,
        SecurityModel.HONEST_BUT_CURIOUS,
        Math.min(1, threshold - 1));
  }

  /** Random inputs in {@code Z_{2^bits}} for each silo of {@code roster}. */
  public static Map<String, int[]> randomInputs(
      List<String> roster, int bits, int length, Random random) {
    Map<String, int[]> inputs = new TreeMap<>();
    for (String siloId : roster) {
      int[] words = new int[length];
      for (int i = 0; i < length; i++) {
        words[i] = bits == 32 ? random.nextInt() : random.nextInt() & ((1 << bits) - 1);
      }
      inputs.put(siloId, words);
    }
    return inputs;
  }
}
