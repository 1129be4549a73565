package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.RecordLevelAccountant;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.SiloTask;
import org.fedsum.silo.training.RecordLevelDp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A silo with record-level DP refuses the round that would take its record-level ledger past its
 * budget, journals why, and keeps the ledger across a restart. The refusal comes before any call to
 * the aggregator but the decline (which goes to a closed port here and is only logged).
 */
class SiloNodeRecordLevelBudgetTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final SiteIdentity SILO = new SiteIdentity(SiteRole.SILO, "silo-1");
  private static final List<String> ROSTER = List.of("silo-1", "silo-2", "silo-3");
  private static final String RUN = "run-1";
  private static final int RECORDS = 480;
  private static final int EXPECTED_BATCH = 48; // q = 0.1
  private static final int EPOCHS = 2; // 20 DP-SGD steps a round
  private static final double Z = 1.0;
  private static final double DELTA = 1e-5;

  @TempDir Path directory;

  /** Trains nothing: the round must be refused before training. */
  private static final class RecordsOnlyTrainer implements LocalTrainer {
    @Override
    public LocalUpdate train(
        long round,
        float[] globalModel,
        JsonNode model,
        JsonNode training,
        Optional<RecordLevelDp> recordLevelDp) {
      throw new AssertionError("a refused round must not train");
    }

    @Override
    public int trainingRecords(JsonNode model) {
      return RECORDS;
    }

    @Override
    public Map<String, Double> evaluate(float[] model, JsonNode modelDescription) {
      throw new AssertionError("a refused round must not evaluate");
    }

    @Override
    public void close() {}
  }

  private static EncodingParameters encoding() {
    return EncodingParameters.builder()
        .setDimension(610)
        .setClipNorm(1)
        .setNoiseMultiplier(0)
        .setThreshold(2)
        .setSilos(3)
        .setBits(32)
        .buildChoosingGamma();
  }

  private static RoundConfig round(long number) {
    return new RoundConfig(
        "fed-1",
        number,
        RoundConfig.PROTOCOL_VERSION,
        ROSTER,
        2,
        3,
        32,
        encoding().encodedLength(),
        SecurityModel.HONEST_BUT_CURIOUS,
        0);
  }

  private static SiloTask task(long number) {
    ObjectNode plan = JSON.createObjectNode();
    plan.put("runId", RUN);
    plan.putObject("model").put("kind", "logistic-regression").put("parameters", 610);
    plan.putObject("training").put("epochs", EPOCHS);
    plan.set("encoding", EncodingParametersCodec.toJson(encoding()));
    ObjectNode privacy = plan.putObject("privacy");
    privacy.put("noiseMultiplier", 0.0).put("clipNorm", 1.0).put("delta", DELTA);
    privacy
        .putObject("recordLevel")
        .put("noiseMultiplier", Z)
        .put("clipNorm", 1.0)
        .put("expectedBatchSize", EXPECTED_BATCH);
    return new SiloTask(
        Optional.of(RUN),
        false,
        Optional.of(round(number)),
        Optional.of(plan),
        Optional.of("ab".repeat(32)),
        List.of(),
        0);
  }

  private SiloConfig config(double recordBudget) {
    return new SiloConfig(
        "silo-1",
        new SiloConfig.Tls(null, null, null, null),
        new SiloConfig.Aggregator(URI.create("https://127.0.0.1:1"), 1, 2),
        directory,
        null,
        new SiloConfig.Privacy(
            new SiloConfig.Floor(false, 0, 1, 3),
            0,
            DELTA,
            new SiloConfig.RecordLevelRules(recordBudget, true, 0.5)),
        false,
        1);
  }

  @Test
  void refusesTheRoundPastItsRecordLevelBudget_journalsWhy_andTheLedgerSurvivesARestart()
      throws Exception {
    FederationCa ca = FederationCa.create("fed-1", Duration.ofDays(2), RANDOM);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    X509Certificate certificate = ca.issue(SILO, key.verifyingKey(), Duration.ofDays(1), List.of());
    SiloContext context =
        new SiloContext(
            "silo-1",
            key,
            certificate.getEncoded(),
            FederationTrust.create(
                ca.certificate(), ca.emptyCrl(Instant.now(), Duration.ofDays(1))),
            RANDOM,
            3);
    AggregatorClient client =
        AggregatorClient.create(
            URI.create("https://127.0.0.1:1"), SSLContext.getDefault(), Duration.ofSeconds(2));
    long stepsPerRound = (long) EPOCHS * 10;
    double oneRound = RecordLevelAccountant.epsilon(0.1, Z, stepsPerRound, DELTA).epsilon();
    double twoRounds = RecordLevelAccountant.epsilon(0.1, Z, 2 * stepsPerRound, DELTA).epsilon();
    // Room for one round's steps, not for two.
    double budget = (oneRound + twoRounds) / 2;

    try (SiloJournal journal =
        SiloJournal.open(directory, "fed-1", SILO, certificate, key, Instant.now())) {
      // Round 1 was trained and sent: its spend is in the journal, as the silo writes it.
      Map<String, Object> spent = new LinkedHashMap<>();
      spent.put("runId", RUN);
      spent.put("round", 1);
      spent.put("unit", "record");
      spent.put("sampleRate", "0.1");
      spent.put("noiseMultiplier", Double.toString(Z));
      spent.put("clipNorm", "1.0");
      spent.put("steps", stepsPerRound);
      spent.put("epsilonSpent", Double.toString(oneRound));
      spent.put("delta", Double.toString(DELTA));
      journal.append("privacy-spent", spent, Instant.now());

      SiloNode node =
          new SiloNode(
              config(budget),
              client,
              context,
              journal,
              new RecordsOnlyTrainer(),
              Clock.systemUTC(),
              Optional.empty());
      assertThat(node.recordLevelLedger().entries()).hasSize(1);
      assertThat(node.recordLevelLedger().spent(DELTA).enforcedEpsilon()).isEqualTo(oneRound);

      assertThat(node.playRound(round(2), task(2))).isFalse();

      JsonNode refused = JSON.readTree(journal.lines().get(journal.lines().size() - 1));
      assertThat(refused.path("type").asText()).isEqualTo("round-refused");
      assertThat(refused.path("body").path("round").asLong()).isEqualTo(2);
      assertThat(refused.path("body").path("reason").asText())
          .contains(
              "record-level budget ε = " + budget,
              "δ = " + DELTA,
              "one record",
              stepsPerRound + " DP-SGD steps at q = 0.1");
      // Nothing was spent by the refused round.
      assertThat(node.recordLevelLedger().entries()).hasSize(1);
      assertThat(
              journal.lines().stream().filter(line -> line.contains("\"privacy-spent\"")).count())
          .isEqualTo(1);

      // After a restart the silo remembers the spend and refuses again.
      SiloNode restarted =
          new SiloNode(
              config(budget),
              client,
              context,
              journal,
              new RecordsOnlyTrainer(),
              Clock.systemUTC(),
              Optional.empty());
      assertThat(restarted.recordLevelLedger().spent(DELTA).enforcedEpsilon()).isEqualTo(oneRound);
      assertThat(restarted.playRound(round(3), task(3))).isFalse();
      assertThat(journal.lines().get(journal.lines().size() - 1)).contains("round-refused");
    }
  }

  @Test
  void refusesARoundWithoutRecordLevelDpWhenItsFloorRequiresIt() throws Exception {
    FederationCa ca = FederationCa.create("fed-1", Duration.ofDays(2), RANDOM);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    X509Certificate certificate = ca.issue(SILO, key.verifyingKey(), Duration.ofDays(1), List.of());
    SiloContext context =
        new SiloContext(
            "silo-1",
            key,
            certificate.getEncoded(),
            FederationTrust.create(
                ca.certificate(), ca.emptyCrl(Instant.now(), Duration.ofDays(1))),
            RANDOM,
            3);
    AggregatorClient client =
        AggregatorClient.create(
            URI.create("https://127.0.0.1:1"), SSLContext.getDefault(), Duration.ofSeconds(2));
    SiloTask task = task(1);
    ((ObjectNode) task.plan().get().get("privacy")).remove("recordLevel");
    try (SiloJournal journal =
        SiloJournal.open(directory, "fed-1", SILO, certificate, key, Instant.now())) {
      SiloNode node =
          new SiloNode(
              config(0),
              client,
              context,
              journal,
              new RecordsOnlyTrainer(),
              Clock.systemUTC(),
              Optional.empty());
      assertThat(node.playRound(round(1), task)).isFalse();
      assertThat(journal.lines().get(journal.lines().size() - 1))
          .contains("round-refused", "does not train with record-level DP");
    }
  }
}
