package org.fedsum.protocol;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;

/**
 * A federation CA and silo credentials made with the project's own PKI, once per test class. Silo
 * ids are {@code silo-00}, {@code silo-01}, …, so the roster order is the numeric order.
 */
public final class TestFederation {
  public static final String FEDERATION_ID = "test-federation";

  private final FederationCa ca;
  private final FederationTrust trust;
  private final Map<String, EcdsaP256SigningKey> signingKeys = new TreeMap<>();
  private final Map<String, byte[]> certificates = new TreeMap<>();
  private final Instant now = Instant.now();

  private TestFederation(int silos) throws GeneralSecurityException {
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

  /** A federation of {@code silos} silos with valid certificates. */
  public static TestFederation create(int silos) {
    try {
      return new TestFederation(silos);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the test federation", e);
    }
  }

  public static String siloId(int index) {
    return String.format("silo-%02d", index);
  }

  public FederationCa ca() {
    return ca;
  }

  public FederationTrust trust() {
    return trust;
  }

  public Instant now() {
    return now;
  }

  public EcdsaP256SigningKey signingKey(String siloId) {
    return signingKeys.get(siloId);
  }

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

  /** Contexts for every silo of {@code roster}, floor 3. */
  public Map<String, SiloContext> contexts(List<String> roster, SecureRandom random) {
    Map<String, SiloContext> contexts = new TreeMap<>();
    for (String siloId : roster) {
      contexts.put(siloId, context(siloId, RoundConfig.MINIMUM_SURVIVORS_FLOOR, random));
    }
    return contexts;
  }

  /** A round over the first {@code n} silos. */
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

  /** Random inputs in {@code Z_{2^bits}} for each silo. */
  public static Map<String, int[]> randomInputs(
      List<String> roster, int bits, int length, java.util.Random random) {
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
