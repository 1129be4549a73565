package org.fedsum.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedsum.audit.cli.AuditCommand;
import org.fedsum.audit.report.RunReport;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.lineage.LineageManifest;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The audit of a real run ({@link RealRun}: aggregator and silo nodes over mutual TLS): its
 * journals verify and agree, each tampering is detected and named (file, line, seq, record type,
 * what differs), and the report's privacy figures are the accountant's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealRunAuditIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Path directory;

  private RealRun run;
  private List<String> aggregatorLines;
  private Map<String, List<String>> siloLines;

  @BeforeAll
  void runFederation(@TempDir Path shared) throws Exception {
    directory = shared;
    run = RealRun.complete(directory);
    aggregatorLines = JournalInput.read(run.aggregatorJournal).lines();
    siloLines = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, Path> silo : run.siloJournals.entrySet()) {
      siloLines.put(silo.getKey(), JournalInput.read(silo.getValue()).lines());
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (run != null) {
      run.close();
    }
  }

  private AuditResult audit(List<String> aggregator, Map<String, List<String>> silos) {
    List<JournalInput> inputs = new ArrayList<>();
    inputs.add(new JournalInput("aggregator.jsonl", aggregator));
    silos.forEach((silo, lines) -> inputs.add(new JournalInput(silo + ".jsonl", lines)));
    return AuditVerifier.verify(inputs, run.trust, Instant.now());
  }

  private Map<String, List<String>> silosWith(String silo, List<String> lines) {
    Map<String, List<String>> copy = new java.util.LinkedHashMap<>(siloLines);
    copy.put(silo, lines);
    return copy;
  }

  private static AuditFinding firstFailure(AuditResult result) {
    assertThat(result.verified()).as("audit of a tampered run: %s", result.findings()).isFalse();
    assertThat(result.headline()).startsWith("TAMPERED OR INCONSISTENT: ");
    return result.failures().get(0);
  }

  @Test
  void verify_realRun_everyJournalVerifiesAndAgrees() {
    AuditResult result = audit(aggregatorLines, siloLines);

    assertThat(result.findings()).as("findings").isEmpty();
    assertThat(result.verified()).isTrue();
    assertThat(result.headline()).startsWith("VERIFIED: 5 journals");
    assertThat(result.journals()).allMatch(JournalAudit::valid);
    RunFacts facts = result.facts();
    assertThat(facts.rounds()).hasSize(RealRun.ROUNDS);
    assertThat(facts.runId()).contains(RealRun.RUN_ID);
    // The cross-check had something to match: every silo that took part journaled one digest per
    // stage, and the aggregator accepted exactly those.
    for (String silo : List.of("silo-1", "silo-2", "silo-3")) {
      for (long round = 1; round <= RealRun.ROUNDS; round++) {
        JsonNode submitted =
            facts
                .silos()
                .get(silo)
                .rounds()
                .get(round)
                .outcome()
                .orElseThrow()
                .body()
                .path("submitted");
        assertThat(submitted.size()).as("%s round %s submissions", silo, round).isEqualTo(5);
        for (RunFacts.Accepted accepted : facts.rounds().get(round).accepted()) {
          if (accepted.silo().equals(silo)) {
            assertThat(submitted.path(accepted.stage()).asText()).isEqualTo(accepted.sha256());
          }
        }
      }
      assertThat(facts.rounds().get(1L).survivors()).contains(silo);
    }
    assertThat(facts.silos().get(RealRun.STRICT_SILO).rounds().values())
        .allMatch(round -> round.refused().isPresent() && round.agreed().isEmpty());
  }

  @Test
  void verify_byteFlippedInAggregatorJournal_namesTheRecordWhoseSignatureFails() {
    int index = Tampering.indexOf(aggregatorLines, "message-accepted");
    String line = aggregatorLines.get(index);
    int column = line.indexOf("\"sha256\":\"") + 12;

    AuditFinding finding =
        firstFailure(audit(Tampering.flipByte(aggregatorLines, index, column), siloLines));

    assertThat(finding.file()).isEqualTo("aggregator.jsonl");
    assertThat(finding.line()).isEqualTo(index + 1);
    assertThat(finding.seq()).isEqualTo(index);
    assertThat(finding.recordType()).isEqualTo("message-accepted");
    assertThat(finding.check()).isEqualTo("journal-signature");
    assertThat(finding.detail()).contains("signature does not verify", "aggregator");
    assertThat(finding.toString())
        .startsWith("aggregator.jsonl:" + (index + 1) + " (seq " + index + ", message-accepted): ");
  }

  @Test
  void verify_byteFlippedInSiloPrivacyRecord_isDetected() {
    List<String> lines = siloLines.get("silo-2");
    int index = Tampering.indexOf(lines, "privacy-spent");
    int column = lines.get(index).indexOf("\"epsilonSpent\":\"") + 16;

    AuditFinding finding =
        firstFailure(
            audit(aggregatorLines, silosWith("silo-2", Tampering.flipByte(lines, index, column))));

    assertThat(finding.file()).isEqualTo("silo-2.jsonl");
    assertThat(finding.line()).isEqualTo(index + 1);
    assertThat(finding.recordType()).isEqualTo("privacy-spent");
    assertThat(finding.check()).isEqualTo("journal-signature");
  }

  @Test
  void verify_recordRemoved_namesTheGap() {
    List<String> lines = siloLines.get("silo-1");
    int index = Tampering.indexOf(lines, "round-outcome");

    AuditFinding finding =
        firstFailure(audit(aggregatorLines, silosWith("silo-1", Tampering.remove(lines, index))));

    assertThat(finding.file()).isEqualTo("silo-1.jsonl");
    assertThat(finding.line()).isEqualTo(index + 1);
    assertThat(finding.seq()).isEqualTo(index + 1);
    assertThat(finding.check()).isEqualTo("journal-sequence");
    assertThat(finding.detail()).contains("record " + index + " is missing");
  }

  @Test
  void verify_recordsCutFromTheEndOfASiloJournal_crossCheckNamesTheUnbackedParticipation() {
    List<String> lines = siloLines.get("silo-3");
    // Cut the last round's round-outcome and both privacy-spent records (silo-level and
    // record-level): the chain alone cannot tell.
    int cut = lines.size() - 3;
    List<String> truncated = new ArrayList<>(lines.subList(0, cut));

    AuditResult result = audit(aggregatorLines, silosWith("silo-3", truncated));
    AuditFinding finding = firstFailure(result);

    assertThat(result.journals()).allMatch(JournalAudit::valid);
    assertThat(finding.file()).isEqualTo("aggregator.jsonl");
    assertThat(finding.recordType()).isEqualTo("message-accepted");
    assertThat(finding.check()).isEqualTo("cross-submission");
    assertThat(finding.detail())
        .contains("silo-3", "round " + RealRun.ROUNDS, "no round-outcome", "survivor");
    assertThat(result.failures())
        .anySatisfy(
            failure -> {
              assertThat(failure.check()).isEqualTo("privacy-missing");
              assertThat(failure.recordType()).isEqualTo("round-finished");
            });
    assertThat(result.failures())
        .anySatisfy(
            failure ->
                assertThat(failure.detail())
                    .contains("trained with DP-SGD", "no record-level privacy spend"));
  }

  @Test
  void verify_recordsReordered_namesWhereTheMissingRecordIs() {
    int index = Tampering.indexOf(aggregatorLines, "stage-closed");

    AuditFinding finding = firstFailure(audit(Tampering.swap(aggregatorLines, index), siloLines));

    assertThat(finding.line()).isEqualTo(index + 1);
    assertThat(finding.check()).isEqualTo("journal-sequence");
    assertThat(finding.detail())
        .contains("record " + index + " is on line " + (index + 2), "out of order");
  }

  @Test
  void verify_recordInserted_namesTheReplay() {
    List<String> lines = siloLines.get("silo-1");
    int index = Tampering.indexOf(lines, "privacy-spent");

    AuditFinding finding =
        firstFailure(
            audit(
                aggregatorLines,
                silosWith("silo-1", Tampering.insert(lines, index + 1, lines.get(index)))));

    assertThat(finding.file()).isEqualTo("silo-1.jsonl");
    assertThat(finding.line()).isEqualTo(index + 2);
    assertThat(finding.seq()).isEqualTo(index);
    assertThat(finding.recordType()).isEqualTo("privacy-spent");
    assertThat(finding.detail()).contains("inserted or replayed");
  }

  @Test
  void verify_recordSignedByANonRosterKey_isRefused() {
    List<String> lines = siloLines.get("silo-2");
    int index = Tampering.indexOf(lines, "round-outcome");
    EcdsaP256SigningKey outsider = EcdsaP256SigningKey.generate(new SecureRandom());

    AuditFinding finding =
        firstFailure(
            audit(aggregatorLines, silosWith("silo-2", Tampering.resign(lines, index, outsider))));

    assertThat(finding.file()).isEqualTo("silo-2.jsonl");
    assertThat(finding.line()).isEqualTo(index + 1);
    assertThat(finding.recordType()).isEqualTo("round-outcome");
    assertThat(finding.check()).isEqualTo("journal-signature");
    assertThat(finding.detail()).contains("does not verify with the key of writer silo-2");
  }

  @Test
  void verify_journalWrittenByACertifiedSiloOutsideTheRoster_isRefused() throws Exception {
    RealRun.Party outsider = run.outsider("silo-9");
    List<String> forged =
        Tampering.rewrite(
            siloLines.get("silo-1"),
            RealRun.FEDERATION,
            new SiteIdentity(SiteRole.SILO, "silo-9"),
            outsider.certificate(),
            outsider.key(),
            record -> {
              ((ObjectNode) record).set("writer", TextNode.valueOf("silo-9"));
              return record;
            });
    Map<String, List<String>> silos = new java.util.LinkedHashMap<>(siloLines);
    silos.put("silo-9", forged);

    AuditResult result = audit(aggregatorLines, silos);
    AuditFinding finding = firstFailure(result);

    assertThat(finding.file()).isEqualTo("silo-9.jsonl");
    assertThat(finding.line()).isEqualTo(1);
    assertThat(finding.check()).isEqualTo("roster");
    assertThat(finding.detail()).contains("silo-9", "not in the run's roster");
  }

  @Test
  void verify_journalSignedWithAnotherFederationsCertificate_isRefused() throws Exception {
    FederationCa other = FederationCa.create("other-fed", Duration.ofDays(2), new SecureRandom());
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(new SecureRandom());
    SiteIdentity identity = new SiteIdentity(SiteRole.SILO, "silo-1");
    List<String> forged =
        Tampering.rewrite(
            siloLines.get("silo-1"),
            RealRun.FEDERATION,
            identity,
            other.issue(identity, key.verifyingKey(), Duration.ofDays(1), List.of()),
            key,
            record -> record);

    AuditFinding finding = firstFailure(audit(aggregatorLines, silosWith("silo-1", forged)));

    assertThat(finding.file()).isEqualTo("silo-1.jsonl");
    assertThat(finding.line()).isEqualTo(1);
    assertThat(finding.recordType()).isEqualTo("journal-opened");
    assertThat(finding.check()).isEqualTo("journal-certificate");
    assertThat(finding.detail()).contains("not accepted by the federation CA");
  }

  @Test
  void verify_aggregatorReSignsAForgedDigest_crossCheckNamesBothRecords() throws Exception {
    // An operator holding the aggregator's key can write any journal it likes; only the silos'
    // own signed records expose it.
    int[] edited = {-1};
    List<String> forged =
        Tampering.rewrite(
            aggregatorLines,
            RealRun.FEDERATION,
            new SiteIdentity(SiteRole.AGGREGATOR, "aggregator"),
            run.aggregator.certificate(),
            run.aggregator.key(),
            record -> {
              JsonNode body = record.path("body");
              if (edited[0] < 0
                  && record.path("type").asText().equals("message-accepted")
                  && body.path("silo").asText().equals("silo-2")
                  && body.path("stage").asText().equals("MASKED_INPUT")) {
                edited[0] = record.path("seq").asInt();
                ((ObjectNode) body).put("sha256", "0".repeat(64));
                ((ObjectNode) record).set("body", body);
              }
              return record;
            });

    AuditResult result = audit(forged, siloLines);
    AuditFinding finding = firstFailure(result);

    assertThat(result.journals()).allMatch(JournalAudit::valid);
    assertThat(finding.file()).isEqualTo("aggregator.jsonl");
    assertThat(finding.seq()).isEqualTo(edited[0]);
    assertThat(finding.line()).isEqualTo(edited[0] + 1);
    assertThat(finding.recordType()).isEqualTo("message-accepted");
    assertThat(finding.check()).isEqualTo("cross-submission");
    assertThat(finding.detail())
        .contains("silo-2", "MASKED_INPUT", "0000000000000000", "silo-2.jsonl:");
  }

  @Test
  void verify_aggregatorClaimsARefusingSiloSurvived_isRefused() throws Exception {
    List<String> forged =
        Tampering.rewrite(
            aggregatorLines,
            RealRun.FEDERATION,
            new SiteIdentity(SiteRole.AGGREGATOR, "aggregator"),
            run.aggregator.certificate(),
            run.aggregator.key(),
            record -> {
              if (record.path("type").asText().equals("round-finished")
                  && record.path("body").path("round").asLong() == 2) {
                ((com.fasterxml.jackson.databind.node.ArrayNode)
                        record.path("body").path("survivors"))
                    .add(RealRun.STRICT_SILO);
              }
              return record;
            });

    AuditResult result = audit(forged, siloLines);

    assertThat(result.failures())
        .anySatisfy(
            failure -> {
              assertThat(failure.check()).isEqualTo("cross-survivors");
              assertThat(failure.recordType()).isEqualTo("round-finished");
              assertThat(failure.detail())
                  .contains(RealRun.STRICT_SILO, "round 2", "no agreement", "refused the round");
            });
    assertThat(result.failures())
        .anySatisfy(
            failure -> {
              assertThat(failure.check()).isEqualTo("cross-survivors");
              assertThat(failure.file()).endsWith(".jsonl");
            });
  }

  @Test
  void report_recordLevelFiguresAreTheSubsampledGaussiansAccountant() throws Exception {
    RunReport report = RunReport.of(audit(aggregatorLines, siloLines), run.trust);
    Path out = directory.resolve("report-record-level");
    report.write(out);
    JsonNode json = JSON.readTree(Files.readString(out.resolve(RunReport.JSON_FILE)));
    JsonNode recordLevel = json.path("privacy").path("recordLevel");

    assertThat(recordLevel.path("unit").asText()).isEqualTo(PrivacySpend.UNIT_RECORD);
    double sampleRate =
        (double) RealRun.EXPECTED_BATCH / RealRun.ArithmeticTrainer.RECORDS; // q = b / n
    long stepsPerRound = (long) Math.ceil(1 / sampleRate); // one local epoch
    List<String> silos = new java.util.ArrayList<>();
    for (JsonNode silo : recordLevel.path("silos")) {
      String id = silo.path("siloId").asText();
      silos.add(id);
      assertThat(silo.path("rounds")).hasSize(RealRun.ROUNDS);
      for (JsonNode round : silo.path("rounds")) {
        assertThat(round.path("matchesRecord").asBoolean()).as(id).isTrue();
        assertThat(round.path("sampleRate").asDouble()).isEqualTo(sampleRate);
        assertThat(round.path("steps").asLong()).isEqualTo(stepsPerRound);
        assertThat(round.path("unit").asText()).isEqualTo("record");
      }
      double expected =
          org.fedsum.protocol.privacy.RecordLevelAccountant.epsilon(
                  sampleRate,
                  RealRun.RECORD_NOISE_MULTIPLIER,
                  RealRun.ROUNDS * stepsPerRound,
                  RealRun.DELTA)
              .epsilon();
      assertThat(silo.path("spent").path("epsilon").asDouble())
          .as(id)
          .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9 * expected))
          .isEqualTo(run.silos.get(id).recordLevelLedger().spent(RealRun.DELTA).enforcedEpsilon());
      assertThat(silo.path("spent").path("delta").asDouble()).isEqualTo(RealRun.DELTA);
    }
    assertThat(silos).containsExactly("silo-1", "silo-2", "silo-3");
    String html = Files.readString(out.resolve(RunReport.HTML_FILE));
    assertThat(html)
        .contains(
            "Record-level DP (DP-SGD at each silo)",
            "one record (one example) added to or removed from a silo&#39;s training data",
            "data-figure=\"epsilon-record-silo-1-1\"");
  }

  @Test
  void report_privacyFiguresAreTheAccountants() throws Exception {
    RunReport report = RunReport.of(audit(aggregatorLines, siloLines), run.trust);
    Path out = directory.resolve("report");
    report.write(out);
    JsonNode json = JSON.readTree(Files.readString(out.resolve(RunReport.JSON_FILE)));

    assertThat(json.path("headline").asText()).startsWith("VERIFIED");
    assertThat(json.path("federation").path("runId").asText()).isEqualTo(RealRun.RUN_ID);
    for (JsonNode silo : json.path("privacy").path("silos")) {
      String id = silo.path("siloId").asText();
      if (id.equals(RealRun.STRICT_SILO)) {
        assertThat(silo.path("spent").isNull()).as("refusing silo spent nothing").isTrue();
        continue;
      }
      PrivacySpend ledger = run.silos.get(id).ledger().spent(RealRun.DELTA);
      assertThat(silo.path("spent").path("epsilon").asDouble())
          .as(id)
          .isEqualTo(ledger.enforcedEpsilon());
      assertThat(silo.path("spent").path("epsilonRdp").asDouble()).isEqualTo(ledger.epsilonRdp());
      assertThat(silo.path("spent").path("epsilonGdp").asDouble()).isEqualTo(ledger.epsilonGdp());
      assertThat(silo.path("rounds")).hasSize(RealRun.ROUNDS);
      assertThat(silo.path("rounds")).allMatch(round -> round.path("matchesRecord").asBoolean());
      assertThat(ledger.enforcedEpsilon()).isPositive();
    }
    assertThat(json.path("rounds")).hasSize(RealRun.ROUNDS);
    for (JsonNode round : json.path("rounds")) {
      assertThat(round.path("outcome").asText()).isEqualTo("finished");
      assertThat(round.path("survivors")).hasSize(3);
      assertThat(round.path("stages").get(0).path("dropouts").get(0).asText())
          .isEqualTo(RealRun.STRICT_SILO);
      assertThat(round.path("sharesRevealed")).hasSize(3);
      assertThat(round.path("metrics").path("silos").asInt()).isEqualTo(3);
    }
    assertThat(json.path("refusals").path("countsByCategory").path("privacy-floor").asInt())
        .isEqualTo(RealRun.ROUNDS);
    // Refused requests are read from the aggregator's round records, never guessed.
    assertThat(json.path("refusals").path("badInput").path("journaled").asBoolean()).isTrue();
    assertThat(json.path("refusals").path("badInput").path("byCode").isObject()).isTrue();
    assertThat(
            json.path("configuration").path("differentialPrivacy").path("noiseMultiplier").asText())
        .isEqualTo("0.5");
    assertThat(json.path("configuration").path("silos")).hasSize(4);
    assertThat(
            json.path("configuration")
                .path("silos")
                .get(3)
                .path("privacyFloor")
                .path("minNoiseMultiplier")
                .asText())
        .isEqualTo("1.0");
    assertThat(json.path("participants")).hasSize(5);
    assertThat(json.path("participants"))
        .allMatch(p -> p.path("certificateSha256").asText().length() == 64);
    List<String> controls = new ArrayList<>();
    json.path("controls")
        .forEach(
            c -> controls.add(c.path("framework").asText() + " " + c.path("reference").asText()));
    assertThat(controls)
        .containsExactly(
            "GDPR Art. 5(1)(c)",
            "GDPR Art. 25",
            "GDPR Art. 30",
            "GDPR Art. 32",
            "GDPR Art. 35",
            "HIPAA §164.312(b)",
            "HIPAA §164.312(e)(1)");
    String html = Files.readString(out.resolve(RunReport.HTML_FILE));
    assertThat(html)
        .doesNotContain("<script", "http://", "https://")
        .contains("<svg id=\"privacy-chart\"");
  }

  @Test
  void report_tamperedRun_saysSoOnItsFirstLine() throws Exception {
    int index = Tampering.indexOf(aggregatorLines, "round-finished");
    List<String> tampered =
        Tampering.flipByte(aggregatorLines, index, aggregatorLines.get(index).length() - 30);
    RunReport report = RunReport.of(audit(tampered, siloLines), run.trust);

    assertThat(report.json().path("headline").asText())
        .startsWith("TAMPERED OR INCONSISTENT: aggregator.jsonl:" + (index + 1));
    String html = report.html();
    String body = html.substring(html.indexOf("<body>") + "<body>".length()).strip();
    assertThat(body).startsWith("<p id=\"headline\" class=\"tampered\">TAMPERED OR INCONSISTENT: ");
    assertThat(html).contains("<title>TAMPERED OR INCONSISTENT");
    assertThat(report.json().path("controls").get(0).path("status").asText())
        .startsWith("NOT evidenced");

    // With the aggregator's opening record broken nothing of it is a fact, and the report says so.
    RunReport opening =
        RunReport.of(audit(Tampering.flipByte(aggregatorLines, 0, 20), siloLines), run.trust);
    assertThat(opening.json().path("headline").asText())
        .startsWith("TAMPERED OR INCONSISTENT: aggregator.jsonl:1 ");
    assertThat(opening.json().path("rounds")).isEmpty();
    assertThat(opening.html()).contains("class=\"tampered\"");
  }

  @Test
  void report_inHeadlessChromium_loadsCleanly_chartsRender_figuresEqualTheJson() throws Exception {
    RunReport report = RunReport.of(audit(aggregatorLines, siloLines), run.trust);
    Path out = directory.resolve("browser-report");
    report.write(out);
    JsonNode json = JSON.readTree(Files.readString(out.resolve(RunReport.JSON_FILE)));
    Path home = Files.createDirectories(directory.resolve("browser-home"));

    try (HeadlessChromium browser = HeadlessChromium.start(home)) {
      ChromeDriver driver = browser.driver();
      driver.get(out.resolve(RunReport.HTML_FILE).toUri().toString());

      assertThat(driver.findElement(By.id("headline")).getText())
          .isEqualTo(json.path("headline").asText());
      // Two series per silo that spent privacy (both accountants), each a drawn path.
      List<WebElement> privacySeries =
          driver.findElements(By.cssSelector("svg#privacy-chart path.series"));
      assertThat(privacySeries).hasSize(2 * 3);
      List<WebElement> metricSeries =
          driver.findElements(By.cssSelector("svg#metrics-chart path.series"));
      assertThat(metricSeries).hasSizeGreaterThanOrEqualTo(2);
      for (WebElement path : concat(privacySeries, metricSeries)) {
        Map<?, ?> box =
            (Map<?, ?>)
                driver.executeScript(
                    "const b = arguments[0].getBBox(); return {width: b.width, height: b.height,"
                        + " length: arguments[0].getTotalLength()};",
                    path);
        assertThat(((Number) box.get("width")).doubleValue())
            .as("width of %s", path.getAttribute("data-series"))
            .isPositive();
        assertThat(((Number) box.get("length")).doubleValue()).isPositive();
      }
      for (JsonNode silo : json.path("privacy").path("silos")) {
        String id = silo.path("siloId").asText();
        if (silo.path("spent").isNull()) {
          continue;
        }
        for (String field : List.of("epsilon", "epsilonRdp", "epsilonGdp")) {
          String figure =
              field.equals("epsilon")
                  ? "epsilon-" + id
                  : "epsilon-" + field.substring(7).toLowerCase(java.util.Locale.ROOT) + "-" + id;
          WebElement cell =
              driver.findElement(By.cssSelector("#privacy-totals [data-figure='" + figure + "']"));
          assertThat(Double.parseDouble(cell.getAttribute("data-value")))
              .as(figure)
              .isEqualTo(silo.path("spent").path(field).asDouble());
          assertThat(cell.getText()).isNotBlank();
        }
      }
      for (JsonNode round : json.path("rounds")) {
        WebElement survivors =
            driver.findElement(
                By.cssSelector("[data-figure='survivors-" + round.path("round").asLong() + "']"));
        assertThat(survivors.getAttribute("data-value"))
            .isEqualTo(Integer.toString(round.path("survivors").size()));
      }
      assertThat(
              driver
                  .findElement(By.cssSelector("[data-figure='refusals-privacy-floor']"))
                  .getText())
          .isEqualTo(json.path("refusals").path("countsByCategory").path("privacy-floor").asText());
      assertThat(
              driver
                  .findElement(By.cssSelector("[data-figure='verified']"))
                  .getAttribute("data-value"))
          .isEqualTo("true");
      assertThat(driver.findElements(By.cssSelector("#controls ~ table tbody tr"))).hasSize(7);
      Path screenshot = Path.of("target", "audit-report.png");
      Files.createDirectories(screenshot.getParent());
      Files.write(screenshot, driver.getScreenshotAs(OutputType.BYTES));
      assertThat(Files.size(screenshot)).isPositive();
      // The whole page in one image, for review.
      long height =
          ((Number) driver.executeScript("return document.documentElement.scrollHeight;"))
              .longValue();
      driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, (int) height + 40));
      Files.write(
          Path.of("target", "audit-report-full.png"), driver.getScreenshotAs(OutputType.BYTES));
      assertThat(browser.console(java.util.logging.Level.WARNING))
          .as("console errors and warnings (a CSP violation shows here)")
          .isEmpty();
    }
  }

  private static List<WebElement> concat(List<WebElement> first, List<WebElement> second) {
    List<WebElement> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  @Test
  void lineage_everyPublishedModel_hasASignedManifestChainedToThePreviousOne() throws Exception {
    AuditResult audit = audit(aggregatorLines, siloLines);
    String initialModel =
        audit
            .facts()
            .silos()
            .get("silo-1")
            .rounds()
            .get(1L)
            .agreed()
            .orElseThrow()
            .body()
            .path("modelSha256")
            .asText();
    LineageManifest.Privacy privacy = run.lineagePrivacy();
    String previous = initialModel;
    LineageManifest last = null;
    for (long round = 1; round <= RealRun.ROUNDS; round++) {
      LineageManifest manifest =
          LineageManifest.forRound(
              RealRun.RUN_ID, aggregatorLines, round, initialModel, privacy, "test", Instant.now());
      String document = manifest.sign(run.aggregator.certificate(), run.aggregator.key());

      LineageManifest verified = LineageManifest.verify(document, run.trust);
      JsonNode facts = verified.manifest();
      assertThat(facts.path("round").asLong()).isEqualTo(round);
      assertThat(facts.path("runId").asText()).isEqualTo(RealRun.RUN_ID);
      assertThat(facts.path("federationId").asText()).isEqualTo(RealRun.FEDERATION);
      assertThat(facts.path("previousModelSha256").asText()).isEqualTo(previous);
      assertThat(facts.path("modelSha256").asText())
          .isEqualTo(
              audit
                  .facts()
                  .rounds()
                  .get(round)
                  .finished()
                  .orElseThrow()
                  .body()
                  .path("modelSha256")
                  .asText());
      assertThat(facts.path("rounds")).hasSize((int) round);
      assertThat(facts.path("rounds").get((int) round - 1).path("survivors")).hasSize(3);
      previous = facts.path("modelSha256").asText();
      last = verified;

      // A changed figure, or a manifest signed by a silo, does not verify.
      String forged =
          document.replace("\"round\":" + round + ",", "\"round\":" + (round + 10) + ",");
      assertThat(forged).isNotEqualTo(document);
      assertThatThrownBy(() -> LineageManifest.verify(forged, run.trust))
          .isInstanceOf(java.security.SignatureException.class)
          .hasMessageContaining("does not verify");
      String fractional =
          document.replace("\"round\":" + round + ",", "\"round\":" + round + ".5,");
      assertThatThrownBy(() -> LineageManifest.verify(fractional, run.trust))
          .isInstanceOf(java.security.SignatureException.class)
          .hasMessageContaining("not canonical");
      RealRun.Party silo = run.parties.get("silo-1");
      String bySilo = manifest.sign(silo.certificate(), silo.key());
      assertThatThrownBy(() -> LineageManifest.verify(bySilo, run.trust))
          .hasMessageContaining("not by an aggregator");
    }
    // The final manifest's ε is the accountant's over the rounds' real survivors: with all three
    // silos verified survivors every round, the silos' own ledgers say the same.
    PrivacySpend ledger = run.silos.get("silo-1").ledger().spent(RealRun.DELTA);
    assertThat(last.manifest().path("epsilonSpent").path("epsilon").asText())
        .isEqualTo(Double.toString(ledger.enforcedEpsilon()));
    // The model file the aggregator serves is the one the last manifest names.
    Path model = directory.resolve("model.bin");
    float[] values = run.finalModel();
    java.nio.ByteBuffer bytes =
        java.nio.ByteBuffer.allocate(4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    Files.write(model, bytes.array());
    last.requireModelFile(model);
    LineageManifest first =
        LineageManifest.forRound(
            RealRun.RUN_ID, aggregatorLines, 1, initialModel, privacy, "test", Instant.now());
    assertThatThrownBy(() -> first.requireModelFile(model))
        .hasMessageContaining("the manifest names");
  }

  @Test
  void command_verifyAndReport_exitCodesAndOneLineErrors() throws Exception {
    List<String> files = new ArrayList<>();
    run.journalFiles().forEach(file -> files.add(file.toString()));
    String ca = directory.resolve("ca.pem").toString();
    String crl = directory.resolve("crl.pem").toString();

    Invocation verified =
        invoke(concat(List.of("verify"), files, List.of("--ca", ca, "--crl", crl)));
    assertThat(verified.exitCode()).as("%s", verified).isEqualTo(AuditCommand.VERIFIED);
    assertThat(verified.out()).startsWith("VERIFIED: 5 journals");

    Path tampered = directory.resolve("tampered.jsonl");
    int index = Tampering.indexOf(aggregatorLines, "round-finished");
    Files.write(tampered, Tampering.remove(aggregatorLines, index));
    List<String> tamperedFiles = new ArrayList<>(files);
    tamperedFiles.set(0, tampered.toString());
    Invocation failed =
        invoke(concat(List.of("verify"), tamperedFiles, List.of("--ca", ca, "--crl", crl)));
    assertThat(failed.exitCode()).as("%s", failed).isEqualTo(AuditCommand.NOT_VERIFIED);
    assertThat(failed.out())
        .startsWith(
            "TAMPERED OR INCONSISTENT: " + tampered + ":" + (index + 1) + " (seq " + (index + 1));

    Path out = directory.resolve("cli-report");
    Invocation report =
        invoke(
            concat(
                List.of("report"),
                files,
                List.of("--out", out.toString(), "--ca", ca, "--crl", crl)));
    assertThat(report.exitCode()).as("%s", report).isEqualTo(AuditCommand.VERIFIED);
    assertThat(out.resolve(RunReport.HTML_FILE)).exists();
    assertThat(out.resolve(RunReport.JSON_FILE)).exists();
    Invocation tamperedReport =
        invoke(
            concat(
                List.of("report"),
                tamperedFiles,
                List.of(
                    "--out",
                    directory.resolve("cli-tampered").toString(),
                    "--ca",
                    ca,
                    "--crl",
                    crl)));
    assertThat(tamperedReport.exitCode()).isEqualTo(AuditCommand.NOT_VERIFIED);
    assertThat(Files.readString(directory.resolve("cli-tampered").resolve(RunReport.JSON_FILE)))
        .contains("\"headline\" : \"TAMPERED OR INCONSISTENT");

    Invocation missing =
        invoke(
            List.of(
                "verify", directory.resolve("nope.jsonl").toString(), "--ca", ca, "--crl", crl));
    assertThat(missing.exitCode()).isEqualTo(AuditCommand.BAD_INPUT);
    assertThat(missing.err().strip())
        .isEqualTo(
            "fedsum audit verify: journal " + directory.resolve("nope.jsonl") + " does not exist");
    Invocation noCrl = invoke(concat(List.of("verify"), files, List.of("--ca", ca)));
    assertThat(noCrl.exitCode()).isEqualTo(AuditCommand.BAD_INPUT);
    assertThat(noCrl.err().strip().lines()).hasSize(1);
    assertThat(noCrl.err()).contains("--crl");
    Invocation notCa =
        invoke(concat(List.of("verify"), files, List.of("--ca", files.get(0), "--crl", crl)));
    assertThat(notCa.exitCode()).isEqualTo(AuditCommand.BAD_INPUT);
    assertThat(notCa.err())
        .startsWith("fedsum audit verify: --ca ")
        .contains("is not a PEM certificate");
    Invocation usage = invoke(List.of("verify", "--ca", ca));
    assertThat(usage.exitCode()).isEqualTo(AuditCommand.BAD_INPUT);
  }

  private record Invocation(int exitCode, String out, String err) {}

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> part : parts) {
      all.addAll(part);
    }
    return all;
  }

  private static Invocation invoke(List<String> arguments) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine command = AuditCommand.commandLine();
    command.setOut(new java.io.PrintWriter(out));
    command.setErr(new java.io.PrintWriter(err));
    int exitCode = command.execute(arguments.toArray(String[]::new));
    return new Invocation(exitCode, out.toString(), err.toString());
  }
}
