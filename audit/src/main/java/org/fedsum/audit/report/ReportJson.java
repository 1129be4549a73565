package org.fedsum.audit.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.fedsum.audit.AuditFinding;
import org.fedsum.audit.AuditResult;
import org.fedsum.audit.JournalAudit;
import org.fedsum.audit.PrivacyAudit;
import org.fedsum.audit.RunFacts;
import org.fedsum.audit.RunFacts.AggregatorRound;
import org.fedsum.audit.RunFacts.Located;
import org.fedsum.audit.RunFacts.SiloFacts;
import org.fedsum.audit.RunFacts.SiloRound;
import org.fedsum.audit.Versions;
import org.fedsum.protocol.privacy.PrivacySpend;

/**
 * Builds the report's JSON document from an {@link AuditResult}. Every figure comes from a verified
 * journal record (and names the record type it came from where that is not obvious) or from the
 * protocol's accountant run over such records; nothing is taken from configuration files the
 * operator could edit after the fact.
 */
final class ReportJson {
  static final String FORMAT = "fedsum-audit-report-v1";
  static final String UNIT_DESCRIPTION = "one silo's whole update in one round (silo-level DP)";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ReportJson() {}

  static ObjectNode build(AuditResult result, X509CRL crl) {
    RunFacts facts = result.facts();
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("headline", result.headline());
    root.put("verified", result.verified());
    root.put("auditTime", result.auditTime().toString());
    root.set("verification", verification(result));
    root.set("federation", federation(result, facts));
    root.set("software", software(facts));
    root.set("participants", participants(result, facts, crl));
    root.set("configuration", configuration(facts));
    root.set("rounds", rounds(facts));
    root.set("privacy", privacy(facts));
    root.set("metrics", metrics(facts));
    root.set("refusals", refusals(facts, result, crl));
    root.set("controls", Controls.mapping(result.verified()));
    return root;
  }

  private static ObjectNode verification(AuditResult result) {
    ObjectNode node = JSON.createObjectNode();
    node.put("verified", result.verified());
    node.put("summary", result.headline());
    ArrayNode journals = node.putArray("journals");
    for (JournalAudit journal : result.journals()) {
      ObjectNode entry = journals.addObject();
      entry.put("file", journal.name());
      entry.put("writer", journal.writer().map(w -> w.uri()).orElse(null));
      entry.put("lines", journal.lineCount());
      entry.put("recordsVerified", journal.records().size());
      entry.put("headSha256", journal.verification().headHash().orElse(null));
      entry.put("valid", journal.valid());
      entry.put("problem", journal.problem().map(Object::toString).orElse(null));
    }
    ArrayNode findings = node.putArray("findings");
    for (AuditFinding finding : result.findings()) {
      ObjectNode entry = findings.addObject();
      entry.put("severity", finding.severity().name().toLowerCase(Locale.ROOT));
      entry.put("check", finding.check());
      entry.put("file", finding.file());
      entry.put("line", finding.line());
      if (finding.seq() >= 0) {
        entry.put("seq", finding.seq());
      } else {
        entry.putNull("seq");
      }
      entry.put("recordType", finding.recordType());
      entry.put("detail", finding.detail());
      entry.put("text", finding.toString());
    }
    return node;
  }

  private static ObjectNode federation(AuditResult result, RunFacts facts) {
    ObjectNode node = JSON.createObjectNode();
    node.put("federationId", result.journals().get(0).verification().federationId().orElse(null));
    Optional<String> runId = facts.runId();
    node.put("runId", runId.orElse(null));
    node.put(
        "runIdSource",
        runId.isPresent()
            ? "round-agreed records signed by the silos"
            : "no silo agreed to a round, so no signed record names the run");
    return node;
  }

  private static ObjectNode software(RunFacts facts) {
    ObjectNode node = JSON.createObjectNode();
    Optional<AggregatorRound> first = facts.rounds().values().stream().findFirst();
    if (first.isPresent()) {
      node.put("protocolVersion", first.get().started().body().path("protocolVersion").asInt());
    } else {
      node.putNull("protocolVersion");
    }
    node.put("journalFormat", "fedsum-journal-v1");
    node.put("auditToolVersion", Versions.version());
    node.put("auditToolBuildSha256", Versions.buildSha256().orElse(null));
    node.put(
        "note",
        "the journals record the protocol version the parties spoke, not their builds; the build"
            + " hash is that of the audit tool's jar (null when run from a class folder)");
    return node;
  }

  private static ArrayNode participants(AuditResult result, RunFacts facts, X509CRL crl) {
    ArrayNode array = JSON.createArrayNode();
    List<String> listed = new ArrayList<>();
    for (JournalAudit journal : result.journals()) {
      if (journal.writer().isEmpty() || journal.certificate().isEmpty()) {
        continue;
      }
      X509Certificate certificate = journal.certificate().get();
      ObjectNode entry = array.addObject();
      entry.put("siteId", journal.writer().get().siteId());
      entry.put("role", journal.writer().get().role().uriSegment());
      entry.put("identity", journal.writer().get().uri());
      entry.put("certificateSha256", sha256(certificate));
      entry.put("serial", certificate.getSerialNumber().toString(16));
      entry.put("notBefore", certificate.getNotBefore().toInstant().toString());
      entry.put("notAfter", certificate.getNotAfter().toInstant().toString());
      entry.put("revoked", crl != null && crl.getRevokedCertificate(certificate) != null);
      entry.put(
          "inRoster",
          journal.writer().get().role() != org.fedsum.crypto.SiteRole.SILO
              || facts.roster().contains(journal.writer().get().siteId()));
      entry.put("journal", journal.name());
      listed.add(journal.writer().get().siteId());
    }
    for (String silo : facts.roster()) {
      if (!listed.contains(silo)) {
        ObjectNode entry = array.addObject();
        entry.put("siteId", silo);
        entry.put("role", "silo");
        entry.put("identity", "urn:fedsum:silo:" + silo);
        entry.putNull("certificateSha256");
        entry.putNull("serial");
        entry.putNull("notBefore");
        entry.putNull("notAfter");
        entry.putNull("revoked");
        entry.put("inRoster", true);
        entry.putNull("journal");
      }
    }
    return array;
  }

  private static ObjectNode configuration(RunFacts facts) {
    ObjectNode node = JSON.createObjectNode();
    Optional<AggregatorRound> first = facts.rounds().values().stream().findFirst();
    ArrayNode roster = node.putArray("roster");
    facts.roster().forEach(roster::add);
    if (first.isPresent()) {
      JsonNode started = first.get().started().body();
      for (String field :
          List.of("threshold", "minSurvivors", "bits", "vectorLength", "assumedColluders")) {
        node.put(field, started.path(field).asLong());
      }
      node.put("securityModel", started.path("securityModel").asText());
      node.set("deadlineMillis", started.path("deadlineMillis"));
    }
    node.put("configurationSource", "round-started of the first round (aggregator journal)");
    String strategy = null;
    String finalModel = null;
    for (AggregatorRound round : facts.rounds().values()) {
      if (round.finished().isPresent()) {
        strategy = round.finished().get().body().path("strategy").asText();
        finalModel = round.finished().get().body().path("modelSha256").asText();
      }
    }
    node.put("strategy", strategy);
    node.put("initialModelSha256", initialModel(facts).orElse(null));
    node.put("finalModelSha256", finalModel);
    ObjectNode suite = node.putObject("cryptography");
    suite.put("maskPrg", "AES-256-CTR keyed by HKDF-SHA256 (fedsum/mask-prg/v1/aes256-ctr)");
    suite.put("keyAgreement", "X25519 (RFC 7748)");
    suite.put("signatures", "ECDSA P-256 with SHA-256 (certificate keys)");
    suite.put("shareEncryption", "AES-256-GCM under HKDF-SHA256 of an X25519 agreement");
    suite.put("secretSharing", "Shamir over GF(2^521 - 1)");
    suite.put("transport", "TLS 1.3 with client certificates from the federation CA");
    suite.put("source", "fixed by protocol version 1; not configurable");
    ObjectNode dp = node.putObject("differentialPrivacy");
    Optional<Located> agreed = firstRecord(facts, true);
    Optional<Located> spent = firstRecord(facts, false);
    dp.put("clipNorm", agreed.map(a -> a.body().path("clipNorm").asText()).orElse(null));
    dp.put(
        "noiseMultiplier", agreed.map(a -> a.body().path("noiseMultiplier").asText()).orElse(null));
    dp.put("gamma", spent.map(a -> a.body().path("gamma").asText()).orElse(null));
    dp.put("delta", spent.map(a -> a.body().path("delta").asText()).orElse(null));
    dp.put("unit", PrivacySpend.UNIT_SILO);
    dp.put("unitDescription", UNIT_DESCRIPTION);
    dp.put("source", "round-agreed and privacy-spent records signed by the silos");
    Optional<Located> recordAgreed = firstRecordLevelAgreement(facts);
    if (recordAgreed.isPresent()) {
      ObjectNode recordLevel = dp.putObject("recordLevel");
      JsonNode agreedRecord = recordAgreed.get().body().path("recordLevel");
      recordLevel.put("noiseMultiplier", agreedRecord.path("noiseMultiplier").asText());
      recordLevel.put("clipNorm", agreedRecord.path("clipNorm").asText());
      recordLevel.put("unit", PrivacySpend.UNIT_RECORD);
      recordLevel.put("unitDescription", PrivacySpend.UNIT_RECORD_DESCRIPTION);
      recordLevel.put(
          "source",
          "round-agreed records signed by the silos (each silo's sample rate q depends on its"
              + " own record count; see privacy.recordLevel)");
    }
    ArrayNode silos = node.putArray("silos");
    for (SiloFacts silo : facts.silos().values()) {
      ObjectNode entry = silos.addObject();
      entry.put("siloId", silo.siloId());
      if (silo.configured().isEmpty()) {
        entry.putNull("privacyFloor");
        entry.putNull("epsilonBudget");
        entry.putNull("delta");
        entry.put("source", "the silo's journal has no silo-configured record");
      } else {
        Located last = silo.configured().get(silo.configured().size() - 1);
        JsonNode body = last.body();
        entry.set("privacyFloor", body.path("privacyFloor"));
        entry.put("epsilonBudget", body.path("epsilonBudget").asText());
        entry.put("delta", body.path("delta").asText());
        entry.put("epsilonBudgetUnit", PrivacySpend.UNIT_SILO);
        if (body.path("recordLevel").isObject()) {
          entry.set("recordLevel", body.path("recordLevel"));
        }
        entry.put("source", "silo-configured, " + last.file() + ":" + last.line());
      }
    }
    return node;
  }

  private static Optional<String> initialModel(RunFacts facts) {
    for (AggregatorRound round : facts.rounds().values()) {
      if (round.startModelSha256().isPresent()) {
        break;
      }
      for (SiloFacts silo : facts.silos().values()) {
        SiloRound siloRound = silo.rounds().get(round.round());
        if (siloRound != null && siloRound.agreed().isPresent()) {
          return Optional.of(siloRound.agreed().get().body().path("modelSha256").asText());
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<Located> firstRecord(RunFacts facts, boolean agreed) {
    for (SiloFacts silo : facts.silos().values()) {
      for (SiloRound round : silo.rounds().values()) {
        Optional<Located> record = agreed ? round.agreed() : round.privacySpent();
        if (record.isPresent()) {
          return record;
        }
      }
    }
    return Optional.empty();
  }

  private static ArrayNode rounds(RunFacts facts) {
    ArrayNode array = JSON.createArrayNode();
    for (AggregatorRound round : facts.rounds().values()) {
      ObjectNode entry = array.addObject();
      entry.put("round", round.round());
      entry.put(
          "outcome",
          round.finished().isPresent()
              ? "finished"
              : round.aborted().isPresent() ? "aborted" : "running");
      ArrayNode survivors = entry.putArray("survivors");
      round.survivors().forEach(survivors::add);
      entry.put("startModelSha256", startModel(facts, round).orElse(null));
      entry.put(
          "modelSha256",
          round.finished().map(f -> f.body().path("modelSha256").asText()).orElse(null));
      if (round.aborted().isPresent()) {
        JsonNode body = round.aborted().get().body();
        ObjectNode abort = entry.putObject("abort");
        abort.put("stage", body.path("stage").asText());
        abort.put("reason", body.path("reason").asText());
        abort.put("detail", body.path("detail").asText());
      } else {
        entry.putNull("abort");
      }
      ArrayNode stages = entry.putArray("stages");
      JsonNode finished = round.finished().map(Located::body).orElse(null);
      List<String> expected = round.roster();
      for (Located closed : round.stagesClosed()) {
        JsonNode body = closed.body();
        String stage = body.path("stage").asText();
        List<String> participants =
            finished != null && finished.path("participants").path(stage).isArray()
                ? strings(finished.path("participants").path(stage))
                : strings(body.path("participants"));
        List<String> dropouts =
            finished != null && finished.path("dropouts").path(stage).isArray()
                ? strings(finished.path("dropouts").path(stage))
                : expected.stream().filter(s -> !participants.contains(s)).toList();
        ObjectNode stageNode = stages.addObject();
        stageNode.put("stage", stage);
        stageNode.set("participants", array(participants));
        stageNode.set("dropouts", array(dropouts));
        expected = participants;
      }
      ArrayNode shares = entry.putArray("sharesRevealed");
      for (SiloFacts silo : facts.silos().values()) {
        SiloRound siloRound = silo.rounds().get(round.round());
        if (siloRound == null || siloRound.outcome().isEmpty()) {
          continue;
        }
        JsonNode outcome = siloRound.outcome().get().body();
        if (!outcome.has("selfMaskSharesRevealedFor")) {
          continue;
        }
        ObjectNode share = shares.addObject();
        share.put("silo", silo.siloId());
        share.set("selfMaskSharesRevealedFor", outcome.path("selfMaskSharesRevealedFor"));
        share.set("maskingKeySharesRevealedFor", outcome.path("maskingKeySharesRevealedFor"));
      }
      entry.set("metrics", meanEvaluation(facts, round.round()));
    }
    return array;
  }

  private static Optional<String> startModel(RunFacts facts, AggregatorRound round) {
    if (round.startModelSha256().isPresent()) {
      return round.startModelSha256();
    }
    return initialModel(facts);
  }

  /**
   * The mean over silos of their evaluation of the round's starting model on held-out data, from
   * {@code local-update}: the global model after the previous round.
   */
  private static ObjectNode meanEvaluation(RunFacts facts, long round) {
    Map<String, double[]> sums = new TreeMap<>();
    for (SiloFacts silo : facts.silos().values()) {
      SiloRound siloRound = silo.rounds().get(round);
      if (siloRound == null || siloRound.localUpdate().isEmpty()) {
        continue;
      }
      siloRound
          .localUpdate()
          .get()
          .body()
          .path("globalModelEvaluation")
          .properties()
          .forEach(
              metric -> {
                try {
                  double value = Double.parseDouble(metric.getValue().asText());
                  double[] sum = sums.computeIfAbsent(metric.getKey(), k -> new double[2]);
                  sum[0] += value;
                  sum[1]++;
                } catch (NumberFormatException e) {
                  // A metric that is not a number is not averaged.
                }
              });
    }
    ObjectNode node = JSON.createObjectNode();
    sums.forEach((metric, sum) -> node.put(metric, sum[0] / sum[1]));
    node.put("silos", sums.values().stream().mapToInt(sum -> (int) sum[1]).max().orElse(0));
    return node;
  }

  private static ObjectNode privacy(RunFacts facts) {
    ObjectNode node = JSON.createObjectNode();
    node.put("unit", PrivacySpend.UNIT_SILO);
    node.put("unitDescription", UNIT_DESCRIPTION);
    node.put(
        "accountants",
        "epsilonRdp: Rényi/zCDP bound for sums of discrete Gaussians (Kairouz, Liu, Steinke 2021);"
            + " epsilonGdp: Gaussian DP of the continuous reference; epsilon: the one silos"
            + " enforce (the larger)");
    ArrayNode silos = node.putArray("silos");
    for (SiloFacts silo : facts.silos().values()) {
      ObjectNode entry = silos.addObject();
      entry.put("siloId", silo.siloId());
      ArrayNode rounds = entry.putArray("rounds");
      List<PrivacyAudit.RoundSpend> spends;
      try {
        spends = PrivacyAudit.recompute(silo);
      } catch (PrivacyAudit.UnreadableRecordException e) {
        entry.put("error", e.getMessage());
        spends = List.of();
      }
      PrivacyAudit.RoundSpend last = null;
      for (PrivacyAudit.RoundSpend spend : spends) {
        ObjectNode round = rounds.addObject();
        round.put("round", spend.round());
        round.put("survivors", spend.survivors());
        round.put("survivorsVerified", spend.survivorsVerified());
        putSpend(round, spend.cumulative());
        round.put("recordedEpsilon", spend.recordedEpsilon());
        round.put("matchesRecord", spend.matchesRecord());
        last = spend;
      }
      if (last == null) {
        entry.putNull("spent");
      } else {
        putSpend(entry.putObject("spent"), last.cumulative());
      }
    }
    node.set("recordLevel", recordLevelPrivacy(facts));
    return node;
  }

  /** Record-level spend (DP-SGD at each silo), recomputed from the silos' signed records. */
  private static ObjectNode recordLevelPrivacy(RunFacts facts) {
    ObjectNode node = JSON.createObjectNode();
    node.put("unit", PrivacySpend.UNIT_RECORD);
    node.put("unitDescription", PrivacySpend.UNIT_RECORD_DESCRIPTION);
    node.put(
        "accountant",
        "Rényi DP of the Poisson-subsampled Gaussian (Mironov, Talwar, Zhang 2019), composed over"
            + " every DP-SGD step of every round, converted to (epsilon, delta) with the tight"
            + " conversion (Balle et al. 2020)");
    ArrayNode silos = node.putArray("silos");
    for (SiloFacts silo : facts.silos().values()) {
      List<PrivacyAudit.RecordRoundSpend> spends;
      String error = null;
      try {
        spends = PrivacyAudit.recomputeRecordLevel(silo);
      } catch (PrivacyAudit.UnreadableRecordException e) {
        error = e.getMessage();
        spends = List.of();
      }
      if (spends.isEmpty() && error == null) {
        continue;
      }
      ObjectNode entry = silos.addObject();
      entry.put("siloId", silo.siloId());
      if (error != null) {
        entry.put("error", error);
      }
      ArrayNode rounds = entry.putArray("rounds");
      PrivacyAudit.RecordRoundSpend last = null;
      for (PrivacyAudit.RecordRoundSpend spend : spends) {
        ObjectNode round = rounds.addObject();
        round.put("round", spend.round());
        round.put("sampleRate", spend.sampleRate());
        round.put("noiseMultiplier", spend.noiseMultiplier());
        round.put("steps", spend.steps());
        round.put("epsilon", spend.cumulative().enforcedEpsilon());
        round.put("delta", spend.delta());
        round.put("unit", spend.cumulative().unit());
        round.put("recordedEpsilon", spend.recordedEpsilon());
        round.put("matchesRecord", spend.matchesRecord());
        last = spend;
      }
      if (last == null) {
        entry.putNull("spent");
      } else {
        ObjectNode spent = entry.putObject("spent");
        spent.put("epsilon", last.cumulative().enforcedEpsilon());
        spent.put("delta", last.cumulative().delta());
        spent.put("unit", last.cumulative().unit());
      }
    }
    return node;
  }

  private static Optional<Located> firstRecordLevelAgreement(RunFacts facts) {
    for (SiloFacts silo : facts.silos().values()) {
      for (var round : silo.rounds().values()) {
        if (round.agreed().isPresent()
            && round.agreed().get().body().path("recordLevel").isObject()) {
          return round.agreed();
        }
      }
    }
    return Optional.empty();
  }

  private static void putSpend(ObjectNode node, PrivacySpend spend) {
    node.put("epsilon", spend.enforcedEpsilon());
    node.put("epsilonRdp", spend.epsilonRdp());
    node.put("epsilonGdp", spend.epsilonGdp());
    node.put("delta", spend.delta());
    node.put("unit", spend.unit());
  }

  private static ObjectNode metrics(RunFacts facts) {
    ObjectNode node = JSON.createObjectNode();
    node.put(
        "description",
        "each round's starting global model (the model after the previous round) evaluated by"
            + " the silos on their held-out data, from their local-update records; mean over"
            + " silos");
    ArrayNode series = node.putArray("series");
    for (AggregatorRound round : facts.rounds().values()) {
      ObjectNode mean = meanEvaluation(facts, round.round());
      if (mean.path("silos").asInt() == 0) {
        continue;
      }
      ObjectNode point = series.addObject();
      point.put("round", round.round());
      point.put("modelAfterRound", round.round() - 1);
      mean.properties().forEach(metric -> point.set(metric.getKey(), metric.getValue()));
    }
    return node;
  }

  private static ObjectNode refusals(RunFacts facts, AuditResult result, X509CRL crl) {
    ObjectNode node = JSON.createObjectNode();
    ArrayNode refused = node.putArray("rounds");
    Map<String, Integer> counts = new LinkedHashMap<>();
    counts.put("privacy-floor", 0);
    counts.put("privacy-budget", 0);
    counts.put("other", 0);
    for (SiloFacts silo : facts.silos().values()) {
      for (SiloRound round : silo.rounds().values()) {
        if (round.refused().isEmpty()) {
          continue;
        }
        Located at = round.refused().get();
        String reason = at.body().path("reason").asText();
        String category = category(reason);
        counts.merge(category, 1, Integer::sum);
        ObjectNode entry = refused.addObject();
        entry.put("silo", silo.siloId());
        entry.put("round", round.round());
        entry.put("category", category);
        entry.put("reason", reason);
        entry.put("record", at.file() + ":" + at.line());
      }
    }
    ObjectNode byCategory = node.putObject("countsByCategory");
    counts.forEach(byCategory::put);
    ArrayNode revoked = node.putArray("revokedCertificates");
    if (crl != null && crl.getRevokedCertificates() != null) {
      crl.getRevokedCertificates()
          .forEach(
              entry -> {
                ObjectNode revocation = revoked.addObject();
                revocation.put("serial", entry.getSerialNumber().toString(16));
                revocation.put("revokedAt", entry.getRevocationDate().toInstant().toString());
                revocation.put("participant", participantOf(result, entry.getSerialNumber()));
              });
    }
    // Refused requests change no state; each round's end journals how many there were, by code.
    Map<String, Long> byCode = new TreeMap<>();
    for (AggregatorRound round : facts.rounds().values()) {
      Optional<Located> end = round.finished().or(round::aborted);
      if (end.isPresent()) {
        end.get()
            .body()
            .path("refusals")
            .fields()
            .forEachRemaining(
                field -> byCode.merge(field.getKey(), field.getValue().asLong(), Long::sum));
      }
    }
    ObjectNode badInput = node.putObject("badInput");
    badInput.put("journaled", true);
    ObjectNode codes = badInput.putObject("byCode");
    byCode.forEach(codes::put);
    badInput.put(
        "note",
        "requests the aggregator refused (bad input, refused callers, out-of-order messages),"
            + " counted by error code in each round's end record; refusals while no run is active"
            + " are counted in the aggregator's metrics only");
    return node;
  }

  private static String participantOf(AuditResult result, BigInteger serial) {
    for (JournalAudit journal : result.journals()) {
      if (journal.certificate().isPresent()
          && journal.certificate().get().getSerialNumber().equals(serial)) {
        return journal.writer().map(w -> w.uri()).orElse(null);
      }
    }
    return null;
  }

  /** Sorts a silo's refusal into the categories auditors ask about. */
  static String category(String reason) {
    String lower = reason.toLowerCase(Locale.ROOT);
    if (lower.contains("budget")) {
      return "privacy-budget";
    }
    if (lower.contains("floor")) {
      return "privacy-floor";
    }
    return "other";
  }

  private static String sha256(X509Certificate certificate) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: a verified certificate has no DER encoding", e);
    }
  }

  private static ArrayNode array(List<String> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }
}
