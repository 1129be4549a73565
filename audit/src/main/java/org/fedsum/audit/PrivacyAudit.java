package org.fedsum.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.PrivacyLedger;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RecordLevelLedger;
import org.fedsum.protocol.privacy.RoundPrivacy;

/**
 * A silo's privacy spend recomputed from its signed {@code privacy-spent} records with the
 * protocol's own accountant, exactly as the silo's ledger composes it (DESIGN.md §5): the auditor
 * does not take the ε the silo wrote, it recomputes it and compares. Each protected unit is
 * recomputed on its own: silo-level spend ({@link #recompute}) with the discrete Gaussian's
 * accountant, record-level spend ({@link #recomputeRecordLevel}) with the subsampled Gaussian's,
 * from the q, z and steps each DP-SGD round's record states.
 */
public final class PrivacyAudit {
  private PrivacyAudit() {}

  /** A verified record whose content the audit cannot use; the audit reports it where it is. */
  public static final class UnreadableRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient RunFacts.Located at;

    UnreadableRecordException(RunFacts.Located at, String detail) {
      super(detail);
      this.at = at;
    }

    /** The record. */
    public RunFacts.Located at() {
      return at;
    }
  }

  /**
   * The spend after one round.
   *
   * @param at the {@code privacy-spent} record
   * @param round the round
   * @param survivors the survivors the silo accounted with
   * @param survivorsVerified whether the silo saw the survivor list (else it assumed {@code t})
   * @param delta the δ the silo reports ε at
   * @param cumulative ε after this round, both accountants, recomputed here
   * @param recordedEpsilon the ε the silo wrote, as written
   */
  public record RoundSpend(
      RunFacts.Located at,
      long round,
      int survivors,
      boolean survivorsVerified,
      double delta,
      PrivacySpend cumulative,
      String recordedEpsilon) {

    /** Whether the silo's written ε is exactly the recomputed one. */
    public boolean matchesRecord() {
      return Double.toString(cumulative.enforcedEpsilon()).equals(recordedEpsilon);
    }
  }

  /** Recomputes {@code silo}'s spend round by round, in journal order. */
  public static List<RoundSpend> recompute(RunFacts.SiloFacts silo) {
    PrivacyLedger ledger =
        PrivacyLedger.empty(PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA));
    List<RoundSpend> spends = new ArrayList<>();
    List<RunFacts.Located> records = new ArrayList<>();
    silo.rounds().values().forEach(round -> round.privacySpent().ifPresent(records::add));
    records.sort((a, b) -> Long.compare(a.record().seq(), b.record().seq()));
    for (RunFacts.Located at : records) {
      JsonNode body = at.body();
      RoundPrivacy round;
      double delta;
      try {
        round =
            new RoundPrivacy(
                body.path("round").asLong(),
                body.path("survivors").asInt(),
                Double.parseDouble(body.path("clipNorm").asText()),
                Double.parseDouble(body.path("noiseMultiplier").asText()),
                Double.parseDouble(body.path("gamma").asText()),
                body.path("threshold").asInt(),
                body.path("dimension").asLong());
        delta = Double.parseDouble(body.path("delta").asText());
      } catch (IllegalArgumentException e) {
        // NumberFormatException included: a signed record the accountant cannot take.
        throw new UnreadableRecordException(
            at, "the privacy-spent record cannot be accounted: " + e.getMessage());
      }
      boolean verified = body.path("survivorsVerified").asBoolean();
      ledger = verified ? ledger.recordVerified(round) : ledger.record(round);
      spends.add(
          new RoundSpend(
              at,
              round.round(),
              round.survivors(),
              verified,
              delta,
              ledger.spent(delta),
              body.path("epsilonSpent").asText()));
    }
    return spends;
  }

  /**
   * The record-level spend after one round of DP-SGD.
   *
   * @param at the {@code privacy-spent} record of unit {@code record}
   * @param round the round
   * @param sampleRate q the silo sampled its records with
   * @param noiseMultiplier z
   * @param steps the round's DP-SGD steps
   * @param delta the δ the silo reports ε at
   * @param cumulative ε per record after this round, recomputed here
   * @param recordedEpsilon the ε the silo wrote, as written
   */
  public record RecordRoundSpend(
      RunFacts.Located at,
      long round,
      double sampleRate,
      double noiseMultiplier,
      long steps,
      double delta,
      PrivacySpend cumulative,
      String recordedEpsilon) {

    /** Whether the silo's written ε is exactly the recomputed one. */
    public boolean matchesRecord() {
      return Double.toString(cumulative.enforcedEpsilon()).equals(recordedEpsilon);
    }
  }

  /**
   * Recomputes {@code silo}'s record-level spend round by round, in journal order, composing the
   * subsampled Gaussian over every step of every round as the silo's {@link RecordLevelLedger}
   * does.
   */
  public static List<RecordRoundSpend> recomputeRecordLevel(RunFacts.SiloFacts silo) {
    RecordLevelLedger ledger = RecordLevelLedger.empty();
    List<RecordRoundSpend> spends = new ArrayList<>();
    List<RunFacts.Located> records = new ArrayList<>();
    silo.rounds().values().forEach(round -> round.recordPrivacySpent().ifPresent(records::add));
    records.sort((a, b) -> Long.compare(a.record().seq(), b.record().seq()));
    for (RunFacts.Located at : records) {
      JsonNode body = at.body();
      RecordLevelLedger.Entry entry;
      double delta;
      try {
        entry =
            new RecordLevelLedger.Entry(
                body.path("runId").asText(""),
                body.path("round").asLong(),
                Double.parseDouble(body.path("sampleRate").asText()),
                Double.parseDouble(body.path("noiseMultiplier").asText()),
                body.path("steps").asLong());
        delta = Double.parseDouble(body.path("delta").asText());
        ledger = ledger.record(entry);
      } catch (IllegalArgumentException e) {
        throw new UnreadableRecordException(
            at, "the record-level privacy-spent record cannot be accounted: " + e.getMessage());
      }
      spends.add(
          new RecordRoundSpend(
              at,
              entry.round(),
              entry.sampleRate(),
              entry.noiseMultiplier(),
              entry.steps(),
              delta,
              ledger.spent(delta),
              body.path("epsilonSpent").asText()));
    }
    return spends;
  }
}
