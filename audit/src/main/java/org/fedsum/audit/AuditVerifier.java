package org.fedsum.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedsum.audit.AuditFinding.Severity;
import org.fedsum.audit.RunFacts.Accepted;
import org.fedsum.audit.RunFacts.AggregatorRound;
import org.fedsum.audit.RunFacts.Located;
import org.fedsum.audit.RunFacts.SiloFacts;
import org.fedsum.audit.RunFacts.SiloRound;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalProblem;
import org.fedsum.protocol.journal.JournalVerifier;

/**
 * {@code fedsum audit verify}: checks each journal on its own (structure, seq, hash chain, writer's
 * certificate against the federation CA and CRL, every signature; see {@link JournalVerifier}),
 * then the silo journals against the aggregator's (DESIGN.md §7):
 *
 * <ul>
 *   <li><b>roster</b>: every silo journal is written by a silo of the run's roster, and every
 *       participant the aggregator records is in the roster;
 *   <li><b>submissions</b>: every message the aggregator journaled as accepted from a silo is one
 *       the silo journaled sending, with the same SHA-256 (the silo's {@code round-outcome} lists
 *       them per stage), and a silo that says it finished a round has every submission accepted;
 *   <li><b>survivors</b>: a silo that finished a round saw the survivor list the aggregator
 *       journaled; a silo whose input the aggregator unmasked is among the survivors;
 *   <li><b>models</b>: the model a silo agreed to train from is the one the aggregator published
 *       after the previous round (all silos agree on the initial one);
 *   <li><b>privacy</b>: every silo whose input went into a published sum journaled its spend; the
 *       spend used the survivors the aggregator journaled and the parameters the silo agreed to;
 *       the ε each silo wrote equals the protocol accountant's recomputation, for each unit:
 *       silo-level spend with the discrete Gaussian's accountant, record-level spend (DP-SGD) with
 *       the subsampled Gaussian's, from the q, z and steps the silo agreed to;
 *   <li><b>rounds</b>: a silo journals no round the aggregator never started, which also catches
 *       records cut from the end of the aggregator's journal.
 * </ul>
 *
 * <p>The first journal given must be the aggregator's. A journal's records after its first problem
 * are not used for the cross-checks.
 */
public final class AuditVerifier {
  private AuditVerifier() {}

  /**
   * Audits {@code journals}, the aggregator's first.
   *
   * @param trust the federation CA and its current CRL
   * @param auditTime now, for judging whether the CRL is current
   */
  public static AuditResult verify(
      List<JournalInput> journals, FederationTrust trust, Instant auditTime) {
    Objects.requireNonNull(trust, "trust");
    Objects.requireNonNull(auditTime, "auditTime");
    if (journals.isEmpty()) {
      throw new IllegalArgumentException(
          "no journal to audit: give the aggregator's journal first");
    }
    List<JournalAudit> audits = new ArrayList<>();
    List<AuditFinding> findings = new ArrayList<>();
    for (JournalInput journal : journals) {
      JournalAudit audit =
          new JournalAudit(
              journal.name(),
              journal.lines().size(),
              JournalVerifier.verify(journal.lines(), trust, auditTime));
      audits.add(audit);
      audit.problem().ifPresent(problem -> findings.add(journalFinding(journal.name(), problem)));
    }
    RunFacts facts = RunFacts.read(audits);
    new CrossCheck(audits, facts, findings).run();
    return new AuditResult(auditTime, audits, facts, findings);
  }

  private static AuditFinding journalFinding(String file, JournalProblem problem) {
    return new AuditFinding(
        Severity.FAILURE,
        "journal-" + problem.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
        file,
        problem.lineNumber(),
        problem.seq().orElse(-1),
        problem.type().orElse(""),
        problem.detail());
  }

  /** The cross-checks of one audit. */
  private static final class CrossCheck {
    private final List<JournalAudit> audits;
    private final RunFacts facts;
    private final List<AuditFinding> findings;

    CrossCheck(List<JournalAudit> audits, RunFacts facts, List<AuditFinding> findings) {
      this.audits = audits;
      this.facts = facts;
      this.findings = findings;
    }

    void run() {
      JournalAudit first = audits.get(0);
      Optional<SiteIdentity> firstWriter = first.writer();
      if (firstWriter.isEmpty()) {
        // Its problem is already reported; without the aggregator's journal nothing cross-checks.
        return;
      }
      if (firstWriter.get().role() != SiteRole.AGGREGATOR) {
        fail(
            "journal-set",
            first.name(),
            0,
            -1,
            "",
            "the first journal must be the aggregator's, but it is written by "
                + firstWriter.get().uri());
        return;
      }
      String federationId = first.verification().federationId().orElseThrow();
      List<String> roster = facts.roster();
      Set<String> seen = new TreeSet<>();
      for (JournalAudit audit : audits.subList(1, audits.size())) {
        Optional<SiteIdentity> writer = audit.writer();
        if (writer.isEmpty()) {
          continue;
        }
        String journalFederation = audit.verification().federationId().orElseThrow();
        if (!journalFederation.equals(federationId)) {
          fail(
              "journal-set",
              audit.name(),
              1,
              0,
              "journal-opened",
              "the journal is of federation "
                  + journalFederation
                  + ", the aggregator's of "
                  + federationId);
        }
        if (writer.get().role() != SiteRole.SILO) {
          fail(
              "journal-set",
              audit.name(),
              1,
              0,
              "journal-opened",
              "only silo journals are cross-checked, but this one is written by "
                  + writer.get().uri());
          continue;
        }
        String silo = writer.get().siteId();
        if (!seen.add(silo)) {
          fail(
              "journal-set",
              audit.name(),
              1,
              0,
              "journal-opened",
              "a second journal of " + silo + " was given; give each silo's journal once");
        }
        if (!roster.isEmpty() && !roster.contains(silo)) {
          fail(
              "roster",
              audit.name(),
              1,
              0,
              "journal-opened",
              "the journal is signed with the key of "
                  + silo
                  + ", who is not in the run's roster "
                  + roster);
        }
      }
      for (AggregatorRound round : facts.rounds().values()) {
        checkAggregatorRound(round);
      }
      String initialModel = null;
      Located initialModelAt = null;
      for (SiloFacts silo : facts.silos().values()) {
        if (!roster.contains(silo.siloId())) {
          continue;
        }
        for (SiloRound round : silo.rounds().values()) {
          AggregatorRound aggregated = facts.rounds().get(round.round());
          Located any = anyRecord(round);
          if (aggregated == null) {
            fail(
                "cross-round",
                any,
                silo.siloId()
                    + " journaled round "
                    + round.round()
                    + ", which the aggregator's journal does not record (records cut from its"
                    + " end, or a round it hides)");
            continue;
          }
          Optional<Located> agreed = round.agreed();
          if (agreed.isPresent()) {
            String model = agreed.get().body().path("modelSha256").asText();
            if (aggregated.startModelSha256().isPresent()) {
              String expected = aggregated.startModelSha256().get();
              if (!expected.equals(model)) {
                fail(
                    "cross-model",
                    agreed.get(),
                    silo.siloId()
                        + " trained round "
                        + round.round()
                        + " from model "
                        + abbreviate(model)
                        + " but the aggregator's journal published "
                        + abbreviate(expected)
                        + " before it");
              }
            } else if (initialModel == null) {
              initialModel = model;
              initialModelAt = agreed.get();
            } else if (!initialModel.equals(model)) {
              fail(
                  "cross-model",
                  agreed.get(),
                  silo.siloId()
                      + " started from initial model "
                      + abbreviate(model)
                      + " but another silo from "
                      + abbreviate(initialModel)
                      + " ("
                      + initialModelAt.file()
                      + ":"
                      + initialModelAt.line()
                      + ")");
            }
            checkAgreedParameters(silo, agreed.get(), aggregated);
          }
          checkOutcome(silo, round, aggregated);
        }
      }
      checkPrivacy();
      if (facts.runEnds().isEmpty() && facts.aggregatorJournal().isPresent()) {
        findings.add(
            new AuditFinding(
                Severity.NOTE,
                "run-end",
                facts.aggregatorJournal().get().name(),
                0,
                -1,
                "",
                "the aggregator's journal records no run-completed or run-stopped: the run was"
                    + " still going when the journal was copied, or its end was cut off"));
      }
    }

    private void checkAggregatorRound(AggregatorRound round) {
      List<String> roster = round.roster();
      Set<String> noJournal = new TreeSet<>();
      for (Accepted accepted : round.accepted()) {
        if (!roster.contains(accepted.silo())) {
          fail(
              "roster",
              accepted.at(),
              "the aggregator accepted a "
                  + accepted.stage()
                  + " message from "
                  + accepted.silo()
                  + ", who is not in round "
                  + round.round()
                  + "'s roster "
                  + roster);
          continue;
        }
        SiloFacts silo = facts.silos().get(accepted.silo());
        if (silo == null) {
          noJournal.add(accepted.silo());
          continue;
        }
        SiloRound siloRound = silo.rounds().get(round.round());
        Optional<Located> outcome = siloRound == null ? Optional.empty() : siloRound.outcome();
        if (outcome.isEmpty()) {
          boolean survivor = round.survivors().contains(accepted.silo());
          String detail =
              "the aggregator records "
                  + accepted.silo()
                  + "'s "
                  + accepted.stage()
                  + " message in round "
                  + round.round()
                  + ", but "
                  + accepted.silo()
                  + "'s journal ("
                  + silo.file()
                  + ") has no round-outcome for that round";
          if (survivor) {
            fail("cross-submission", accepted.at(), detail + ", though it is a survivor");
          } else {
            findings.add(
                finding(
                    Severity.NOTE,
                    "cross-submission",
                    accepted.at(),
                    detail + " (consistent with a silo that crashed mid-round)"));
          }
          continue;
        }
        JsonNode submitted = outcome.get().body().path("submitted");
        String siloDigest = submitted.path(accepted.stage()).asText("");
        if (siloDigest.isEmpty()) {
          fail(
              "cross-submission",
              accepted.at(),
              "the aggregator records a "
                  + accepted.stage()
                  + " message from "
                  + accepted.silo()
                  + " in round "
                  + round.round()
                  + " that "
                  + accepted.silo()
                  + "'s signed round-outcome ("
                  + outcome.get().file()
                  + ":"
                  + outcome.get().line()
                  + ") does not record sending");
        } else if (!siloDigest.equals(accepted.sha256())) {
          fail(
              "cross-submission",
              accepted.at(),
              "the aggregator records "
                  + accepted.silo()
                  + "'s "
                  + accepted.stage()
                  + " message in round "
                  + round.round()
                  + " with SHA-256 "
                  + abbreviate(accepted.sha256())
                  + " but the silo's round-outcome ("
                  + outcome.get().file()
                  + ":"
                  + outcome.get().line()
                  + ") records "
                  + abbreviate(siloDigest));
        }
      }
      for (String silo : noJournal) {
        findings.add(
            finding(
                Severity.NOTE,
                "cross-coverage",
                round.started(),
                "no journal of "
                    + silo
                    + " was given: its participation in round "
                    + round.round()
                    + " is not cross-checked"));
      }
    }

    private void checkAgreedParameters(SiloFacts silo, Located agreed, AggregatorRound round) {
      JsonNode body = agreed.body();
      JsonNode started = round.started().body();
      for (String field : List.of("threshold", "minSurvivors", "bits", "securityModel")) {
        String siloValue = body.path(field).asText();
        String aggregatorValue = started.path(field).asText();
        if (!siloValue.equals(aggregatorValue)) {
          fail(
              "cross-parameters",
              agreed,
              silo.siloId()
                  + " agreed to "
                  + field
                  + " "
                  + siloValue
                  + " in round "
                  + round.round()
                  + " but the aggregator's round-started ("
                  + round.started().file()
                  + ":"
                  + round.started().line()
                  + ") says "
                  + aggregatorValue);
        }
      }
    }

    private void checkOutcome(SiloFacts silo, SiloRound round, AggregatorRound aggregated) {
      Optional<Located> outcome = round.outcome();
      if (outcome.isEmpty()) {
        return;
      }
      JsonNode body = outcome.get().body();
      boolean finished = body.path("finished").asBoolean();
      if (finished) {
        if (aggregated.finished().isEmpty()) {
          fail(
              "cross-survivors",
              outcome.get(),
              silo.siloId()
                  + " finished round "
                  + round.round()
                  + " but the aggregator's journal does not record the round as finished");
          return;
        }
        List<String> siloSurvivors = sorted(RunFacts.strings(body.path("survivors")));
        List<String> survivors = sorted(aggregated.survivors());
        if (!siloSurvivors.equals(survivors)) {
          fail(
              "cross-survivors",
              outcome.get(),
              silo.siloId()
                  + " saw survivors "
                  + siloSurvivors
                  + " in round "
                  + round.round()
                  + " but the aggregator's round-finished ("
                  + aggregated.finished().get().file()
                  + ":"
                  + aggregated.finished().get().line()
                  + ") records "
                  + survivors);
        }
        Map<String, String> accepted = new TreeMap<>();
        for (Accepted message : aggregated.accepted()) {
          if (message.silo().equals(silo.siloId())) {
            accepted.put(message.stage(), message.sha256());
          }
        }
        body.path("submitted")
            .properties()
            .forEach(
                entry -> {
                  if (!accepted.containsKey(entry.getKey())) {
                    fail(
                        "cross-submission",
                        outcome.get(),
                        silo.siloId()
                            + " finished round "
                            + round.round()
                            + " having sent a "
                            + entry.getKey()
                            + " message that the aggregator's journal does not record accepting");
                  }
                });
      }
    }

    private void checkPrivacy() {
      for (SiloFacts silo : facts.silos().values()) {
        List<PrivacyAudit.RoundSpend> spends;
        try {
          spends = PrivacyAudit.recompute(silo);
        } catch (PrivacyAudit.UnreadableRecordException e) {
          fail("privacy-recomputed", e.at(), e.getMessage());
          continue;
        }
        for (PrivacyAudit.RoundSpend spend : spends) {
          if (!spend.matchesRecord()) {
            fail(
                "privacy-recomputed",
                spend.at(),
                silo.siloId()
                    + " wrote silo-level ε "
                    + spend.recordedEpsilon()
                    + " after round "
                    + spend.round()
                    + " but the accountant recomputes "
                    + spend.cumulative().enforcedEpsilon()
                    + " at δ = "
                    + spend.delta()
                    + " from its privacy-spent records (unit: silo)");
          }
          AggregatorRound round = facts.rounds().get(spend.round());
          if (round != null
              && spend.survivorsVerified()
              && round.finished().isPresent()
              && spend.survivors() != round.survivors().size()) {
            fail(
                "privacy-survivors",
                spend.at(),
                silo.siloId()
                    + " accounted round "
                    + spend.round()
                    + " with "
                    + spend.survivors()
                    + " verified survivors but the aggregator's round-finished records "
                    + round.survivors().size());
          }
          SiloRound siloRound = silo.rounds().get(spend.round());
          if (siloRound != null && siloRound.agreed().isPresent()) {
            JsonNode agreed = siloRound.agreed().get().body();
            JsonNode spent = spend.at().body();
            for (String field : List.of("clipNorm", "noiseMultiplier", "threshold")) {
              if (!agreed.path(field).asText().equals(spent.path(field).asText())) {
                fail(
                    "privacy-parameters",
                    spend.at(),
                    silo.siloId()
                        + " accounted round "
                        + spend.round()
                        + " with "
                        + field
                        + " "
                        + spent.path(field).asText()
                        + " but agreed to "
                        + agreed.path(field).asText());
              }
            }
          }
        }
        checkRecordLevelPrivacy(silo);
        for (AggregatorRound round : facts.rounds().values()) {
          if (round.finished().isEmpty() || !round.survivors().contains(silo.siloId())) {
            continue;
          }
          SiloRound siloRound = silo.rounds().get(round.round());
          if (siloRound == null || siloRound.agreed().isEmpty()) {
            String refusal =
                siloRound != null && siloRound.refused().isPresent()
                    ? " (it refused the round: "
                        + siloRound.refused().get().body().path("reason").asText()
                        + ")"
                    : "";
            fail(
                "cross-survivors",
                round.finished().get(),
                "the aggregator lists "
                    + silo.siloId()
                    + " among round "
                    + round.round()
                    + "'s survivors, but "
                    + silo.siloId()
                    + "'s journal ("
                    + silo.file()
                    + ") records no agreement to that round"
                    + refusal);
            continue;
          }
          boolean dp =
              positive(siloRound.agreed().get().body().path("noiseMultiplier").asText("0"));
          if (dp && siloRound.privacySpent().isEmpty()) {
            fail(
                "privacy-missing",
                round.finished().get(),
                "the aggregator published round "
                    + round.round()
                    + "'s sum with "
                    + silo.siloId()
                    + "'s input, but "
                    + silo.siloId()
                    + "'s journal ("
                    + silo.file()
                    + ") records no privacy spend for it");
          }
        }
      }
    }

    /**
     * Record-level spend: recomputed from the q, z and steps of the silo's signed records with the
     * subsampled Gaussian's accountant; the q, z and steps must be what the silo agreed to; and a
     * round the silo agreed to train with DP-SGD, whose sum was published with its input, must have
     * its record-level spend journaled.
     */
    private void checkRecordLevelPrivacy(SiloFacts silo) {
      List<PrivacyAudit.RecordRoundSpend> spends;
      try {
        spends = PrivacyAudit.recomputeRecordLevel(silo);
      } catch (PrivacyAudit.UnreadableRecordException e) {
        fail("privacy-recomputed", e.at(), e.getMessage());
        return;
      }
      for (PrivacyAudit.RecordRoundSpend spend : spends) {
        if (!spend.matchesRecord()) {
          fail(
              "privacy-recomputed",
              spend.at(),
              silo.siloId()
                  + " wrote record-level ε "
                  + spend.recordedEpsilon()
                  + " after round "
                  + spend.round()
                  + " but the subsampled Gaussian's accountant recomputes "
                  + spend.cumulative().enforcedEpsilon()
                  + " at δ = "
                  + spend.delta()
                  + " from its privacy-spent records (unit: record)");
        }
        SiloRound siloRound = silo.rounds().get(spend.round());
        JsonNode agreed =
            siloRound != null && siloRound.agreed().isPresent()
                ? siloRound.agreed().get().body().path("recordLevel")
                : null;
        if (agreed == null || !agreed.isObject()) {
          fail(
              "privacy-parameters",
              spend.at(),
              silo.siloId()
                  + " accounted record-level spend for round "
                  + spend.round()
                  + " without agreeing to record-level DP for it");
          continue;
        }
        JsonNode spent = spend.at().body();
        for (String field : List.of("sampleRate", "noiseMultiplier", "clipNorm", "steps")) {
          if (!agreed.path(field).asText().equals(spent.path(field).asText())) {
            fail(
                "privacy-parameters",
                spend.at(),
                silo.siloId()
                    + " accounted round "
                    + spend.round()
                    + "'s record-level spend with "
                    + field
                    + " "
                    + spent.path(field).asText()
                    + " but agreed to "
                    + agreed.path(field).asText());
          }
        }
      }
      for (AggregatorRound round : facts.rounds().values()) {
        if (round.finished().isEmpty() || !round.survivors().contains(silo.siloId())) {
          continue;
        }
        SiloRound siloRound = silo.rounds().get(round.round());
        if (siloRound == null
            || siloRound.agreed().isEmpty()
            || !siloRound.agreed().get().body().path("recordLevel").isObject()) {
          continue;
        }
        if (siloRound.recordPrivacySpent().isEmpty()) {
          fail(
              "privacy-missing",
              round.finished().get(),
              "the aggregator published round "
                  + round.round()
                  + "'s sum with "
                  + silo.siloId()
                  + "'s input trained with DP-SGD, but "
                  + silo.siloId()
                  + "'s journal ("
                  + silo.file()
                  + ") records no record-level privacy spend for it");
        }
      }
    }

    /** Whether {@code text} is a number above 0; a malformed one counts as positive (DP on). */
    private static boolean positive(String text) {
      try {
        return Double.parseDouble(text) > 0;
      } catch (NumberFormatException e) {
        return true;
      }
    }

    private static Located anyRecord(SiloRound round) {
      for (Optional<Located> candidate :
          List.of(
              round.agreed(),
              round.localUpdate(),
              round.outcome(),
              round.privacySpent(),
              round.refused())) {
        if (candidate.isPresent()) {
          return candidate.get();
        }
      }
      throw new IllegalStateException("bug: a silo round without records");
    }

    private static List<String> sorted(List<String> values) {
      return new ArrayList<>(new TreeSet<>(values));
    }

    private void fail(String check, Located at, String detail) {
      findings.add(finding(Severity.FAILURE, check, at, detail));
    }

    private void fail(String check, String file, int line, long seq, String type, String detail) {
      findings.add(new AuditFinding(Severity.FAILURE, check, file, line, seq, type, detail));
    }

    private static AuditFinding finding(
        Severity severity, String check, Located at, String detail) {
      return new AuditFinding(
          severity, check, at.file(), at.line(), at.record().seq(), at.record().type(), detail);
    }
  }

  /** The first hex digits of a hash, enough to tell hashes apart in a message. */
  static String abbreviate(String hex) {
    return hex.length() <= 16 ? hex : hex.substring(0, 16) + "…";
  }
}
