package org.fedsum.protocol;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.protocol.simulation.SimulatedFederation;

/**
 * The tests' name for a {@link SimulatedFederation}: a federation CA and silo credentials made with
 * the project's own PKI, once per test class. Silo ids are {@code silo-00}, {@code silo-01}, …, so
 * the roster order is the numeric order.
 */
public final class TestFederation {
  public static final String FEDERATION_ID = SimulatedFederation.FEDERATION_ID;

  private final SimulatedFederation federation;

  private TestFederation(SimulatedFederation federation) {
    this.federation = federation;
  }

  /** A federation of {@code silos} silos with valid certificates. */
  public static TestFederation create(int silos) {
    return new TestFederation(SimulatedFederation.create(silos));
  }

  public static String siloId(int index) {
    return SimulatedFederation.siloId(index);
  }

  public FederationCa ca() {
    return federation.ca();
  }

  public FederationTrust trust() {
    return federation.trust();
  }

  public Instant now() {
    return federation.now();
  }

  public EcdsaP256SigningKey signingKey(String siloId) {
    return federation.signingKey(siloId);
  }

  public byte[] certificate(String siloId) {
    return federation.certificate(siloId);
  }

  /** The first {@code n} silo ids. */
  public List<String> roster(int n) {
    return federation.roster(n);
  }

  /** The context of one silo, with the given floor on survivors and randomness. */
  public SiloContext context(String siloId, int minSurvivors, SecureRandom random) {
    return federation.context(siloId, minSurvivors, random);
  }

  /** Contexts for every silo of {@code roster}, floor 3. */
  public Map<String, SiloContext> contexts(List<String> roster, SecureRandom random) {
    return federation.contexts(roster, random);
  }

  /** A round over the first {@code n} silos. */
  public RoundConfig config(long round, int n, int threshold, int bits, int vectorLength) {
    return federation.config(round, n, threshold, bits, vectorLength);
  }

  /** Random inputs in {@code Z_{2^bits}} for each silo. */
  public static Map<String, int[]> randomInputs(
      List<String> roster, int bits, int length, java.util.Random random) {
    return SimulatedFederation.randomInputs(roster, bits, length, random);
  }
}
