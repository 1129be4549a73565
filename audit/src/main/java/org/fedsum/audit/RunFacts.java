package org.fedsum.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalRecord;

/**
 * What the verified records of a run's journals say, arranged by round: the aggregator's rounds
 * (parameters, accepted messages, outcome) and each silo's (what it agreed to, trained, sent,
 * revealed and spent). Only verified records are read: a record after a journal's first problem is
 * never taken as a fact.
 */
public final class RunFacts {
  /** A record and where it is: the journal's file and the 1-based line. */
  public record Located(String file, JournalRecord record) {
    /** The 1-based line of the record: seq 0 is line 1. */
    public int line() {
      return (int) record.seq() + 1;
    }

    /** A copy of the record's body. */
    public JsonNode body() {
      return record.body();
    }
  }

  /** A message the aggregator journaled as accepted ({@code message-accepted}). */
  public record Accepted(
      Located at, String silo, String stage, String messageType, String sha256) {}

  /** One round as the aggregator journaled it. */
  public static final class AggregatorRound {
    private final long round;
    private final Located started;
    private final List<Accepted> accepted = new ArrayList<>();
    private final List<Located> stagesClosed = new ArrayList<>();
    private Located finished;
    private Located aborted;
    private String startModelSha256;

    AggregatorRound(long round, Located started) {
      this.round = round;
      this.started = started;
    }

    /** The round number. */
    public long round() {
      return round;
    }

    /** The {@code round-started} record. */
    public Located started() {
      return started;
    }

    /** The accepted messages, in journal order. */
    public List<Accepted> accepted() {
      return Collections.unmodifiableList(accepted);
    }

    /** The {@code stage-closed} records, in order. */
    public List<Located> stagesClosed() {
      return Collections.unmodifiableList(stagesClosed);
    }

    /** The {@code round-finished} record, if the round finished. */
    public Optional<Located> finished() {
      return Optional.ofNullable(finished);
    }

    /** The {@code round-aborted} record, if the round was aborted. */
    public Optional<Located> aborted() {
      return Optional.ofNullable(aborted);
    }

    /**
     * The SHA-256 of the model the round started from: the model of the last round finished before
     * it; empty for rounds before the first finished one (the initial model, which the aggregator
     * journal does not name; silos do, in {@code round-agreed}).
     */
    public Optional<String> startModelSha256() {
      return Optional.ofNullable(startModelSha256);
    }

    /** The roster from {@code round-started}. */
    public List<String> roster() {
      return strings(started.body().path("roster"));
    }

    /** The survivors from {@code round-finished}, or empty. */
    public List<String> survivors() {
      return finished == null ? List.of() : strings(finished.body().path("survivors"));
    }
  }

  /** One round as one silo journaled it; each record is absent if the silo did not write it. */
  public static final class SiloRound {
    private final long round;
    Located agreed;
    Located localUpdate;
    Located outcome;
    Located privacySpent;
    Located recordPrivacySpent;
    Located refused;

    SiloRound(long round) {
      this.round = round;
    }

    /** The round number. */
    public long round() {
      return round;
    }

    /** {@code round-agreed}: what the silo agreed to, the model hash it trained from. */
    public Optional<Located> agreed() {
      return Optional.ofNullable(agreed);
    }

    /** {@code local-update}: examples and metrics of the silo's training. */
    public Optional<Located> localUpdate() {
      return Optional.ofNullable(localUpdate);
    }

    /** {@code round-outcome}: how far the silo went, survivors, shares revealed, submissions. */
    public Optional<Located> outcome() {
      return Optional.ofNullable(outcome);
    }

    /** {@code privacy-spent} of unit {@code silo} (or no unit): the silo-level accounting. */
    public Optional<Located> privacySpent() {
      return Optional.ofNullable(privacySpent);
    }

    /** {@code privacy-spent} of unit {@code record}: the accounting of the round's DP-SGD. */
    public Optional<Located> recordPrivacySpent() {
      return Optional.ofNullable(recordPrivacySpent);
    }

    /** {@code round-refused}: the silo sat the round out, and why. */
    public Optional<Located> refused() {
      return Optional.ofNullable(refused);
    }
  }

  /** One silo's journal, read by round. */
  public static final class SiloFacts {
    private final String siloId;
    private final String file;
    private final List<Located> configured = new ArrayList<>();
    private final SortedMap<Long, SiloRound> rounds = new TreeMap<>();

    SiloFacts(String siloId, String file) {
      this.siloId = siloId;
      this.file = file;
    }

    /** The silo's id, from its certificate. */
    public String siloId() {
      return siloId;
    }

    /** The journal file. */
    public String file() {
      return file;
    }

    /** The {@code silo-configured} records: the floor and budget, once per start. */
    public List<Located> configured() {
      return Collections.unmodifiableList(configured);
    }

    /** The rounds the silo journaled, by number. */
    public SortedMap<Long, SiloRound> rounds() {
      return Collections.unmodifiableSortedMap(rounds);
    }

    SiloRound round(long round) {
      return rounds.computeIfAbsent(round, SiloRound::new);
    }
  }

  private final JournalAudit aggregatorJournal;
  private final SortedMap<Long, AggregatorRound> rounds = new TreeMap<>();
  private final List<Located> runEnds = new ArrayList<>();
  private final Map<String, SiloFacts> silos = new LinkedHashMap<>();

  private RunFacts(JournalAudit aggregatorJournal) {
    this.aggregatorJournal = aggregatorJournal;
  }

  /**
   * Reads the verified records of {@code journals}: the aggregator's journal is the one whose
   * writer is an aggregator (the first such), the silos' are those written by silos.
   */
  static RunFacts read(List<JournalAudit> journals) {
    JournalAudit aggregator =
        journals.stream()
            .filter(
                journal -> journal.writer().map(w -> w.role() == SiteRole.AGGREGATOR).orElse(false))
            .findFirst()
            .orElse(null);
    RunFacts facts = new RunFacts(aggregator);
    if (aggregator != null) {
      facts.readAggregator(aggregator);
    }
    for (JournalAudit journal : journals) {
      if (journal.writer().map(w -> w.role() == SiteRole.SILO).orElse(false)) {
        facts.readSilo(journal);
      }
    }
    return facts;
  }

  private void readAggregator(JournalAudit journal) {
    AggregatorRound open = null;
    String lastModel = null;
    for (JournalRecord record : journal.records()) {
      Located at = new Located(journal.name(), record);
      JsonNode body = record.body();
      long round = body.path("round").asLong(-1);
      switch (record.type()) {
        case "round-started" -> {
          open = new AggregatorRound(round, at);
          open.startModelSha256 = lastModel;
          rounds.putIfAbsent(round, open);
        }
        case "message-accepted" -> {
          if (open != null && open.round == round) {
            open.accepted.add(
                new Accepted(
                    at,
                    body.path("silo").asText(),
                    body.path("stage").asText(),
                    body.path("type").asText(),
                    body.path("sha256").asText()));
          }
        }
        case "stage-closed" -> {
          if (open != null && open.round == round) {
            open.stagesClosed.add(at);
          }
        }
        case "round-finished" -> {
          if (open != null && open.round == round) {
            open.finished = at;
            lastModel = body.path("modelSha256").asText();
          }
        }
        case "round-aborted" -> {
          AggregatorRound aborted = rounds.get(round);
          if (aborted != null) {
            aborted.aborted = at;
          }
        }
        case "run-completed", "run-stopped" -> runEnds.add(at);
        default -> {
          // journal-opened, run-paused, run-resumed: not about a round.
        }
      }
    }
  }

  private void readSilo(JournalAudit journal) {
    String siloId = journal.writer().orElseThrow().siteId();
    SiloFacts silo = new SiloFacts(siloId, journal.name());
    // A second journal of the same silo is kept apart under its file name: the cross-check names
    // it.
    silos.putIfAbsent(silos.containsKey(siloId) ? siloId + "@" + journal.name() : siloId, silo);
    for (JournalRecord record : journal.records()) {
      Located at = new Located(journal.name(), record);
      long round = record.body().path("round").asLong(-1);
      switch (record.type()) {
        case "silo-configured" -> silo.configured.add(at);
        case "round-agreed" -> silo.round(round).agreed = at;
        case "local-update" -> silo.round(round).localUpdate = at;
        case "round-outcome" -> silo.round(round).outcome = at;
        case "privacy-spent" -> {
          if (record.body().path("unit").asText("").equals("record")) {
            silo.round(round).recordPrivacySpent = at;
          } else {
            silo.round(round).privacySpent = at;
          }
        }
        case "round-refused" -> silo.round(round).refused = at;
        default -> {
          // journal-opened.
        }
      }
    }
  }

  /** The aggregator's journal, if one was given and its opening record verified. */
  public Optional<JournalAudit> aggregatorJournal() {
    return Optional.ofNullable(aggregatorJournal);
  }

  /** The aggregator's rounds, by number. */
  public SortedMap<Long, AggregatorRound> rounds() {
    return Collections.unmodifiableSortedMap(rounds);
  }

  /** The {@code run-completed} and {@code run-stopped} records. */
  public List<Located> runEnds() {
    return Collections.unmodifiableList(runEnds);
  }

  /** The silos' journals, by silo id, in the order given. */
  public Map<String, SiloFacts> silos() {
    return Collections.unmodifiableMap(silos);
  }

  /** Every silo in any round's roster, in first-seen order. */
  public List<String> roster() {
    List<String> roster = new ArrayList<>();
    for (AggregatorRound round : rounds.values()) {
      for (String silo : round.roster()) {
        if (!roster.contains(silo)) {
          roster.add(silo);
        }
      }
    }
    return roster;
  }

  /**
   * The run id the silos signed in {@code round-agreed} (the aggregator's journal does not name it:
   * it is the name of the run's folder), if any silo agreed to a round.
   */
  public Optional<String> runId() {
    for (SiloFacts silo : silos.values()) {
      for (SiloRound round : silo.rounds.values()) {
        if (round.agreed != null) {
          return Optional.of(round.agreed.body().path("runId").asText());
        }
      }
    }
    return Optional.empty();
  }

  static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    if (array != null && array.isArray()) {
      array.forEach(value -> values.add(value.asText()));
    }
    return values;
  }
}
