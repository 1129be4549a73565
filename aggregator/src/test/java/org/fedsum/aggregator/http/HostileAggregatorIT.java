package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.http.FederationFixture.Party;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MaskPrg;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.SecretBytes;
import org.fedsum.crypto.ShamirSecretSharing;
import org.fedsum.crypto.ShamirShare;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.crypto.X25519KeyPair;
import org.fedsum.protocol.AdvertiseKeys;
import org.fedsum.protocol.ConsistencyProof;
import org.fedsum.protocol.ConsistencySignature;
import org.fedsum.protocol.EncryptedShares;
import org.fedsum.protocol.ForwardedShares;
import org.fedsum.protocol.KeyList;
import org.fedsum.protocol.MaskedInput;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.RoundTranscript;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.SurvivorList;
import org.fedsum.protocol.UnmaskShares;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.journal.JournalVerifier;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.node.LocalTrainer;
import org.fedsum.silo.node.SiloConfig;
import org.fedsum.silo.node.SiloJournal;
import org.fedsum.silo.node.SiloNode;
import org.fedsum.silo.training.RecordLevelDp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A malicious aggregator ({@link HostileAggregator}: real HTTPS, mutual TLS, a real aggregator
 * certificate of the federation CA) against real silo nodes ({@link SiloNode} with its {@link
 * org.fedsum.silo.client.SecureRound}, {@link AggregatorClient} and {@link SiloJournal}, in this
 * JVM, training a trivial update). Each attack of {@code MaliciousAggregatorTest} (protocol, in
 * memory) is played over the wire: every honest silo must refuse, reveal nothing more, and record
 * the refusal in its signed journal; and from everything the aggregator obtained it must not be
 * able to recover one silo's update.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HostileAggregatorIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ROSTER = List.of("silo-00", "silo-01", "silo-02", "silo-03");
  private static final String RUN_ID = "hostile-run";
  private static final int PARAMETERS = 64;
  private static final int THRESHOLD = 3;
  private static final int BITS = 32;
  private static final Duration STAGE_WAIT = Duration.ofSeconds(30);

  @TempDir Path directory;

  private FederationFixture fixture;
  private HostileAggregator aggregator;
  private EncodingParameters encoding;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Future<Integer>> nodes = new ArrayList<>();
  private final Map<String, SiloJournal> journals = new TreeMap<>();

  /** Each silo's encoded update per round, from the test-only hook, keyed "silo/round". */
  private final Map<String, int[]> inputs = new ConcurrentHashMap<>();

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    for (SiloJournal journal : journals.values()) {
      journal.close();
    }
    if (aggregator != null) {
      aggregator.close();
    }
  }

  // --- the attacks -----------------------------------------------------------------------------

  @Test
  void keySubstitution_everySiloRefuses_noShareLeaves() throws Exception {
    startFederation();
    RoundConfig round = openRound(1);
    Map<String, SiloMessage> advertisements = awaitAll(Stage.ADVERTISE_KEYS);
    List<AdvertiseKeys> honest = keyList(advertisements);
    // The aggregator puts its own masking key in place of silo-01's (the victim's signature kept).
    AdvertiseKeys victim = honest.get(1);
    X25519KeyPair aggregatorKey = X25519KeyPair.generate(new SecureRandom());
    List<AdvertiseKeys> substituted = new ArrayList<>(honest);
    substituted.set(
        1,
        new AdvertiseKeys(
            victim.siloId(),
            victim.round(),
            aggregatorKey.publicKey(),
            victim.shareEncryptionPublicKey(),
            victim.certificate(),
            victim.signature()));
    for (String silo : ROSTER) {
      aggregator.deliver(silo, new KeyList(round.round(), substituted));
    }

    endRunAndWait();
    assertThat(aggregator.received(Stage.SHARE_KEYS)).as("encrypted shares sent").isEmpty();
    for (String silo : ROSTER) {
      JsonNode outcome = outcome(silo, round.round());
      assertThat(outcome.path("finished").asBoolean()).isFalse();
      assertThat(outcome.path("reachedStage").asText()).isEqualTo("SHARE_KEYS");
      assertThat(outcome.path("abortReason").asText())
          .as("%s", silo)
          .isEqualTo(silo.equals("silo-01") ? "INVALID_KEY" : "INVALID_SIGNATURE");
    }
  }

  @Test
  void splitViewOfSurvivors_everySiloRefusesTheProof_noShareRevealed() throws Exception {
    startFederation();
    RoundConfig round = openRound(1);
    playHonestlyUpToMaskedInputs(round);
    // Silos 00 and 01 are told silo-03 dropped; 02 and 03 that everyone survived.
    List<String> withoutLast = ROSTER.subList(0, 3);
    for (String silo : ROSTER) {
      List<String> told = silo.compareTo("silo-02") < 0 ? withoutLast : ROSTER;
      aggregator.deliver(silo, new SurvivorList(round.round(), told));
    }
    Map<String, SiloMessage> signed = awaitAll(Stage.CONSISTENCY_CHECK);
    // Two signatures over each list: not the threshold of 3 for either. The aggregator makes up
    // the third from a signature over the other list, hoping to get silo-03's self-mask share
    // from 02 and 03 and its masking-key share from 00 and 01: both halves of its update's mask.
    SortedMap<String, byte[]> forShortList = new TreeMap<>();
    SortedMap<String, byte[]> forFullList = new TreeMap<>();
    for (String silo : ROSTER) {
      byte[] signature = ((ConsistencySignature) signed.get(silo)).signature();
      if (silo.compareTo("silo-02") < 0) {
        forShortList.put(silo, signature);
      } else {
        forFullList.put(silo, signature);
      }
    }
    forShortList.put("silo-02", forFullList.get("silo-02"));
    forFullList.put("silo-00", forShortList.get("silo-00"));
    for (String silo : ROSTER) {
      aggregator.deliver(
          silo,
          silo.compareTo("silo-02") < 0
              ? new ConsistencyProof(round.round(), withoutLast, forShortList)
              : new ConsistencyProof(round.round(), ROSTER, forFullList));
    }

    endRunAndWait();
    assertThat(aggregator.received(Stage.UNMASK)).as("unmasking shares revealed").isEmpty();
    for (String silo : ROSTER) {
      JsonNode outcome = outcome(silo, round.round());
      assertThat(outcome.path("finished").asBoolean()).isFalse();
      assertThat(outcome.path("maskedInputSent").asBoolean()).isTrue();
      assertThat(outcome.path("abortReason").asText())
          .as("%s", silo)
          .isEqualTo("INVALID_SIGNATURE");
      assertThat(outcome.path("selfMaskSharesRevealedFor").isMissingNode()).isTrue();
      assertThat(outcome.path("maskingKeySharesRevealedFor").isMissingNode()).isTrue();
    }
  }

  @Test
  void askingForBothSharesOfOnePeer_secondRequestRefused_andTheUpdateCannotBeRecovered()
      throws Exception {
    startFederation();
    RoundConfig round = openRound(1);
    KeyList keyList = playHonestlyUpToMaskedInputs(round);
    Map<String, SiloMessage> masked = aggregator.received(Stage.MASKED_INPUT);
    // First every silo is asked to sign the full list, and at once a second list without
    // silo-03: a silo that signed both would let the aggregator ask for both of silo-03's shares.
    List<String> withoutVictim = ROSTER.subList(0, 3);
    for (String silo : ROSTER) {
      aggregator.deliver(
          silo,
          new SurvivorList(round.round(), ROSTER),
          new SurvivorList(round.round(), withoutVictim));
    }
    Map<String, SiloMessage> signed = awaitAll(Stage.CONSISTENCY_CHECK);
    SortedMap<String, byte[]> signatures = new TreeMap<>();
    signed.forEach(
        (silo, message) -> signatures.put(silo, ((ConsistencySignature) message).signature()));
    // The genuine proof asks for silo-03's self-mask share; right behind it, a proof that says
    // silo-03 dropped asks for its masking-key share.
    for (String silo : ROSTER) {
      aggregator.deliver(
          silo,
          new ConsistencyProof(round.round(), ROSTER, signatures),
          new ConsistencyProof(round.round(), withoutVictim, signatures));
    }
    Map<String, SiloMessage> revealed = awaitAll(Stage.UNMASK);

    endRunAndWait();
    for (String silo : ROSTER) {
      JsonNode outcome = outcome(silo, round.round());
      assertThat(outcome.path("finished").asBoolean()).as("%s", silo).isTrue();
      assertThat(outcome.path("maskingKeySharesRevealedFor")).as("%s", silo).isEmpty();
      assertThat(refusedCodes(outcome))
          .as("%s refused the second survivor list and the second proof", silo)
          .containsExactly("STAGE_OUT_OF_ORDER", "ROUND_CLOSED");
    }
    for (SiloMessage message : revealed.values()) {
      assertThat(((UnmaskShares) message).maskingKeyShares()).isEmpty();
    }

    // The attempt: with everything the aggregator holds, recover silo-03's update. The same tools
    // recover the sum (so they work); the individual update stays masked by its pairwise masks.
    byte[] sessionId = RoundTranscript.sessionId(round, keyList.advertisements());
    Map<String, SecretBytes> selfMaskKeys = new TreeMap<>();
    for (String owner : ROSTER) {
      List<ShamirShare> shares = new ArrayList<>();
      for (SiloMessage message : revealed.values()) {
        shares.add(ShamirShare.decode(((UnmaskShares) message).selfMaskSeedShares().get(owner)));
      }
      selfMaskKeys.put(
          owner,
          RoundTranscript.selfMaskKey(
              ShamirSecretSharing.combine(shares, THRESHOLD), sessionId, owner));
    }
    int[] sum = new int[round.vectorLength()];
    int[] expectedSum = new int[round.vectorLength()];
    for (String silo : ROSTER) {
      int[] words = ((WordVector) ((MaskedInput) masked.get(silo)).vector()).words();
      int[] input = inputs.get(silo + "/" + round.round());
      for (int i = 0; i < sum.length; i++) {
        sum[i] += words[i];
        expectedSum[i] += input[i];
      }
      MaskPrg.create(selfMaskKeys.get(silo), BITS).subtractFrom(sum, 0, sum.length, 0);
    }
    assertThat(sum).as("the sum, unmasked from what was revealed").isEqualTo(expectedSum);

    String victim = "silo-03";
    int[] attempt = ((WordVector) ((MaskedInput) masked.get(victim)).vector()).words().clone();
    MaskPrg.create(selfMaskKeys.get(victim), BITS).subtractFrom(attempt, 0, attempt.length, 0);
    int[] actual = inputs.get(victim + "/" + round.round());
    int equal = 0;
    for (int i = 0; i < actual.length; i++) {
      equal += attempt[i] == actual[i] ? 1 : 0;
    }
    assertThat(equal)
        .as("coordinates of %s's update recovered (of %d)", victim, actual.length)
        .isLessThanOrEqualTo(1);
  }

  @Test
  void previousRoundsMessagesReplayed_refusedAndJournaled() throws Exception {
    startFederation();
    RoundConfig first = openRound(1);
    KeyList firstKeys = playHonestlyUpToMaskedInputs(first);
    aggregator.deliverToAll(new SurvivorList(first.round(), ROSTER));
    Map<String, SiloMessage> signed = awaitAll(Stage.CONSISTENCY_CHECK);
    SortedMap<String, byte[]> signatures = new TreeMap<>();
    signed.forEach(
        (silo, message) -> signatures.put(silo, ((ConsistencySignature) message).signature()));
    ConsistencyProof firstProof = new ConsistencyProof(first.round(), ROSTER, signatures);
    aggregator.deliverToAll(firstProof);
    awaitAll(Stage.UNMASK);

    RoundConfig second = openRound(2);
    Map<String, SiloMessage> advertisements = awaitAll(Stage.ADVERTISE_KEYS);
    List<AdvertiseKeys> fresh = keyList(advertisements);
    // Round 1's key list and proof, verbatim; then a round-2 key list with silo-01's round-1 keys.
    List<AdvertiseKeys> withStale = new ArrayList<>(fresh);
    withStale.set(1, firstKeys.advertisements().get(1));
    aggregator.deliverToAll(firstKeys, firstProof, new KeyList(second.round(), withStale));

    endRunAndWait();
    assertThat(aggregator.received(Stage.SHARE_KEYS)).as("encrypted shares sent").isEmpty();
    for (String silo : ROSTER) {
      assertThat(outcome(silo, first.round()).path("finished").asBoolean()).isTrue();
      JsonNode outcome = outcome(silo, second.round());
      assertThat(outcome.path("finished").asBoolean()).isFalse();
      assertThat(outcome.path("abortReason").asText()).as("%s", silo).isEqualTo("ROUND_MISMATCH");
      assertThat(refusedCodes(outcome))
          .as("%s refused round 1's key list and proof", silo)
          .containsExactly("ROUND_MISMATCH", "ROUND_MISMATCH");
    }
  }

  // --- the federation --------------------------------------------------------------------------

  private void startFederation() throws Exception {
    fixture = FederationFixture.create(directory);
    aggregator = HostileAggregator.start(fixture, Set.copyOf(ROSTER), RUN_ID);
    encoding =
        EncodingParameters.builder()
            .setDimension(PARAMETERS)
            .setClipNorm(1.0)
            .setNoiseMultiplier(0)
            .setThreshold(THRESHOLD)
            .setSilos(ROSTER.size())
            .setBits(BITS)
            .buildChoosingGamma();
    FederationTrust trust = FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl);
    for (int index = 0; index < ROSTER.size(); index++) {
      String siloId = ROSTER.get(index);
      Party party = fixture.issue(SiteRole.SILO, siloId, Duration.ofDays(1));
      EcdsaP256SigningKey key = EcdsaP256SigningKey.fromPkcs8Pem(party.privateKeyPem());
      Path data = Files.createDirectories(directory.resolve(siloId));
      SiloConfig config =
          new SiloConfig(
              siloId,
              null,
              new SiloConfig.Aggregator(
                  URI.create("https://" + FederationFixture.HOST + ":" + aggregator.port()), 1, 10),
              data,
              null,
              new SiloConfig.Privacy(new SiloConfig.Floor(false, 0, 2, 3), 0, 1e-5),
              false,
              1);
      AggregatorClient client =
          AggregatorClient.create(
              config.aggregator().url(),
              MutualTls.clientContext(
                  party.certificate(), key, trust, SiteRole.AGGREGATOR, Clock.systemUTC()),
              Duration.ofSeconds(10));
      SiloContext context =
          new SiloContext(
              siloId, key, party.certificate().getEncoded(), trust, new SecureRandom(), 3);
      SiloJournal journal =
          SiloJournal.open(
              data,
              FederationFixture.FEDERATION_ID,
              new SiteIdentity(SiteRole.SILO, siloId),
              party.certificate(),
              key,
              Instant.now());
      journals.put(siloId, journal);
      SiloNode node =
          new SiloNode(
              config,
              client,
              context,
              journal,
              new SmallStep(index),
              Clock.systemUTC(),
              Optional.empty());
      node.observeEncodedUpdates((round, words) -> inputs.put(siloId + "/" + round, words.clone()));
      nodes.add(threads.submit(node::run));
    }
  }

  private RoundConfig openRound(long number) {
    RoundConfig config =
        new RoundConfig(
            FederationFixture.FEDERATION_ID,
            number,
            RoundConfig.PROTOCOL_VERSION,
            ROSTER,
            THRESHOLD,
            3,
            BITS,
            encoding.encodedLength(),
            SecurityModel.ACTIVE_AGGREGATOR,
            0);
    ObjectNode plan = JSON.createObjectNode();
    plan.put("runId", RUN_ID);
    plan.set("encoding", EncodingParametersCodec.toJson(encoding));
    plan.putObject("model").put("kind", "test-vector").put("parameters", PARAMETERS);
    plan.putObject("training");
    aggregator.openRound(config, plan, PARAMETERS);
    return config;
  }

  private Map<String, SiloMessage> awaitAll(Stage stage) throws InterruptedException {
    Map<String, SiloMessage> messages = aggregator.awaitMessages(stage, ROSTER.size(), STAGE_WAIT);
    assertThat(messages.keySet())
        .as("silos that sent their %s message", stage)
        .isEqualTo(Set.copyOf(ROSTER));
    return messages;
  }

  private static List<AdvertiseKeys> keyList(Map<String, SiloMessage> advertisements) {
    List<AdvertiseKeys> list = new ArrayList<>();
    for (String silo : ROSTER) {
      list.add((AdvertiseKeys) advertisements.get(silo));
    }
    return list;
  }

  /** Plays the first three stages as an honest aggregator would; returns the key list. */
  private KeyList playHonestlyUpToMaskedInputs(RoundConfig round) throws Exception {
    KeyList keyList = new KeyList(round.round(), keyList(awaitAll(Stage.ADVERTISE_KEYS)));
    aggregator.deliverToAll(keyList);
    Map<String, SiloMessage> shares = awaitAll(Stage.SHARE_KEYS);
    for (String receiver : ROSTER) {
      SortedMap<String, byte[]> addressed = new TreeMap<>();
      for (String sender : ROSTER) {
        if (!sender.equals(receiver)) {
          addressed.put(sender, ((EncryptedShares) shares.get(sender)).ciphertexts().get(receiver));
        }
      }
      aggregator.deliver(receiver, new ForwardedShares(round.round(), ROSTER, addressed));
    }
    awaitAll(Stage.MASKED_INPUT);
    return keyList;
  }

  /** Ends the run and waits for every silo node to return from it. */
  private void endRunAndWait() throws Exception {
    aggregator.endRun(Duration.ofSeconds(60));
    for (Future<Integer> node : nodes) {
      node.get(60, TimeUnit.SECONDS);
    }
  }

  /** The silo's verified journal's {@code round-outcome} body for {@code round}. */
  private JsonNode outcome(String silo, long round) throws Exception {
    List<String> lines = Files.readAllLines(directory.resolve(silo).resolve(SiloJournal.FILE_NAME));
    FederationTrust trust = FederationTrust.create(fixture.ca.certificate(), fixture.emptyCrl);
    assertThat(JournalVerifier.verify(lines, trust, Instant.now()).problem())
        .as("journal of %s", silo)
        .isEmpty();
    for (String line : lines) {
      JsonNode record = JSON.readTree(line);
      if (record.path("type").asText().equals("round-outcome")
          && record.path("body").path("round").asLong() == round) {
        return record.path("body");
      }
    }
    throw new AssertionError(
        silo + " journaled no round-outcome for round " + round + ": " + lines);
  }

  private static List<String> refusedCodes(JsonNode outcome) {
    List<String> codes = new ArrayList<>();
    for (JsonNode refused : outcome.path("refusedMessages")) {
      codes.add(refused.path("code").asText());
    }
    return codes;
  }

  /** Local training that moves each coordinate by a small step of the silo's own. */
  private static final class SmallStep implements LocalTrainer {
    private final int silo;

    SmallStep(int silo) {
      this.silo = silo;
    }

    @Override
    public LocalUpdate train(
        long round,
        float[] globalModel,
        JsonNode model,
        JsonNode training,
        Optional<RecordLevelDp> recordLevelDp) {
      float[] local = Arrays.copyOf(globalModel, globalModel.length);
      for (int i = 0; i < local.length; i++) {
        local[i] += 0.01f * ((i + silo) % 5 - 2);
      }
      return new LocalUpdate(local, 10, Map.of("loss", 1.0));
    }

    @Override
    public int trainingRecords(JsonNode model) {
      return 10;
    }

    @Override
    public Map<String, Double> evaluate(float[] model, JsonNode modelDescription) {
      return Map.of("loss", 1.0, "examples", 10.0);
    }

    @Override
    public void close() {}
  }
}
