package org.fedsum.aggregator.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.fedsum.aggregator.config.RunConfig;
import org.fedsum.aggregator.service.RoundReport.Abort;
import org.fedsum.aggregator.service.RoundReport.Aggregate;
import org.fedsum.aggregator.service.RoundReport.Outcome;
import org.fedsum.aggregator.service.RoundReport.StageReport;
import org.fedsum.aggregator.service.RoundReport.StageStatus;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RoundPrivacy;

/**
 * Builds a run's {@link RoundHistory} from its journal records, one record at a time, so that a
 * dashboard polling a long run costs only the records appended since its last poll: {@link
 * #readNew(Path)} reads the journal file from where it stopped, and the privacy of every finished
 * round is accounted once. Not thread-safe: {@link Federation} holds its lock around each use.
 *
 * <p>Reads the file as written, without the journal's lock: an append is one write of a whole line,
 * so a reader sees complete lines and at most a partial last one, which it leaves for the next
 * read. The journal's signatures and chain are not checked here (the file is the aggregator's own;
 * {@code fedsum audit verify} checks them).
 */
final class JournalRounds {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int READ_CHUNK = 1 << 16;

  private final Optional<RunConfig.RecordLevel> recordLevel;
  private final String runId;
  private final EncodingParameters encoding;
  private final double delta;
  private final PrivacyAccountant accountant;

  private final List<RoundReport> ended = new ArrayList<>();
  private OpenRound open;
  private double rhoSum;
  private double muSquaredSum;
  private int roundsAccounted;
  private long offset;
  private byte[] partialLine = new byte[0];

  /** One round whose end the journal has not recorded yet. */
  private static final class OpenRound {
    final long round;
    final Instant startedAt;
    final List<String> roster;
    final List<StageReport> closed = new ArrayList<>();
    final Map<Stage, SortedSet<String>> accepted = new EnumMap<>(Stage.class);
    final MetricsSum metrics = new MetricsSum();
    Instant lastClosedAt;

    OpenRound(long round, Instant startedAt, List<String> roster) {
      this.round = round;
      this.startedAt = startedAt;
      this.roster = roster;
      this.lastClosedAt = startedAt;
    }

    /** The silos expected at {@code stage}: the previous stage's participants, or the roster. */
    List<String> expectedAt(Stage stage) {
      for (StageReport report : closed) {
        if (report.stage().ordinal() == stage.ordinal() - 1) {
          return report.participants();
        }
      }
      return roster;
    }

    boolean hasClosed(Stage stage) {
      return closed.stream().anyMatch(report -> report.stage() == stage);
    }
  }

  /** The silo-metrics records of one round, summed for their means. */
  private static final class MetricsSum {
    final SortedSet<String> silos = new TreeSet<>();
    long examples;
    final Map<String, double[]> sums = new LinkedHashMap<>();

    void add(String silo, long siloExamples, JsonNode figures) {
      if (!silos.add(silo)) {
        return;
      }
      examples += Math.max(0, siloExamples);
      for (var fields = figures.fields(); fields.hasNext(); ) {
        var field = fields.next();
        double value = Double.parseDouble(field.getValue().asText());
        // [Σ weight·value, Σ weight, Σ value, count]: weighted mean, else the plain one.
        double[] sum = sums.computeIfAbsent(field.getKey(), name -> new double[4]);
        sum[0] += Math.max(0, siloExamples) * value;
        sum[1] += Math.max(0, siloExamples);
        sum[2] += value;
        sum[3] += 1;
      }
    }

    Optional<RoundReport.SharedMetrics> report() {
      if (silos.isEmpty()) {
        return Optional.empty();
      }
      Map<String, Double> mean = new LinkedHashMap<>();
      sums.forEach((name, sum) -> mean.put(name, sum[1] > 0 ? sum[0] / sum[1] : sum[2] / sum[3]));
      return Optional.of(new RoundReport.SharedMetrics(List.copyOf(silos), examples, mean));
    }
  }

  /**
   * @param runId the run
   * @param encoding the run's encoding parameters ({@code RunSettings.encoding()})
   * @param delta the δ at which ε is reported
   */
  JournalRounds(String runId, EncodingParameters encoding, double delta) {
    this(runId, encoding, delta, Optional.empty());
  }

  /**
   * As {@link #JournalRounds(String, EncodingParameters, double)} for a run that also trains with
   * record-level DP ({@code recordLevel}); the history names its settings, not an ε: each silo's
   * record-level ε depends on its own record count, which the aggregator never learns.
   */
  JournalRounds(
      String runId,
      EncodingParameters encoding,
      double delta,
      Optional<RunConfig.RecordLevel> recordLevel) {
    this.recordLevel = Objects.requireNonNull(recordLevel, "recordLevel");
    this.runId = Objects.requireNonNull(runId, "runId");
    this.encoding = Objects.requireNonNull(encoding, "encoding");
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), not " + delta);
    }
    this.delta = delta;
    // The accountant must assume the rounding the encoder enforces.
    this.accountant = PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA);
  }

  /**
   * Takes the records appended to {@code journal} since the last call. Returns false, having taken
   * nothing, if the file is now shorter than what was read before (it was replaced): the caller
   * then starts a new instance.
   */
  boolean readNew(Path journal) throws IOException {
    if (!Files.exists(journal)) {
      return offset == 0;
    }
    try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < offset) {
        return false;
      }
      ByteBuffer buffer = ByteBuffer.allocate(READ_CHUNK);
      while (offset < size) {
        buffer.clear();
        int read = channel.read(buffer, offset);
        if (read <= 0) {
          break;
        }
        offset += read;
        takeLines(buffer.array(), read);
      }
    }
    return true;
  }

  private void takeLines(byte[] chunk, int length) throws IOException {
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (chunk[i] == '\n') {
        byte[] line = concat(partialLine, chunk, start, i);
        partialLine = new byte[0];
        start = i + 1;
        if (line.length > 0) {
          accept(new String(line, StandardCharsets.UTF_8));
        }
      }
    }
    partialLine = concat(partialLine, chunk, start, length);
  }

  private static byte[] concat(byte[] head, byte[] chunk, int from, int to) {
    byte[] joined = new byte[head.length + to - from];
    System.arraycopy(head, 0, joined, 0, head.length);
    System.arraycopy(chunk, from, joined, head.length, to - from);
    return joined;
  }

  /** Takes one journal line. */
  void accept(String line) throws IOException {
    if (line.isBlank()) {
      return;
    }
    JsonNode record = JSON.readTree(line);
    JsonNode body = record.path("body");
    Instant time = Instant.parse(record.path("time").asText());
    long round = body.path("round").asLong(-1);
    switch (record.path("type").asText()) {
      case "round-started" -> {
        if (open != null) {
          // Unreachable with the coordinator's journal: recovery closes an interrupted round.
          ended.add(running(open, open.closed));
        }
        open = new OpenRound(round, time, strings(body.path("roster")));
      }
      case "message-accepted" -> {
        if (isOpen(round)) {
          open.accepted
              .computeIfAbsent(Stage.valueOf(body.path("stage").asText()), s -> new TreeSet<>())
              .add(body.path("silo").asText());
        }
      }
      case "stage-closed" -> {
        if (isOpen(round)) {
          closeStage(body, time);
        }
      }
      case "silo-metrics" -> {
        if (isOpen(round)) {
          open.metrics.add(
              body.path("silo").asText(), body.path("examples").asLong(), body.path("metrics"));
        }
      }
      case "round-finished" -> {
        if (isOpen(round)) {
          finish(body, time);
        }
      }
      case "round-aborted" -> {
        if (isOpen(round)) {
          abort(body, time);
        }
      }
      default -> {
        // journal-opened, run-paused/resumed/completed/stopped: not about a round's course.
      }
    }
  }

  private boolean isOpen(long round) {
    return open != null && open.round == round;
  }

  private void closeStage(JsonNode body, Instant time) {
    Stage stage = Stage.valueOf(body.path("stage").asText());
    List<String> participants = strings(body.path("participants"));
    open.closed.add(
        new StageReport(
            stage,
            StageStatus.CLOSED,
            participants,
            minus(open.expectedAt(stage), participants),
            Optional.of(Duration.between(open.lastClosedAt, time)),
            Optional.of(body.path("closedBy").asText())));
    open.lastClosedAt = time;
  }

  private void finish(JsonNode body, Instant time) {
    // The round-finished record holds the protocol's own participation and dropouts per stage:
    // they replace what the stage-closed records implied.
    List<StageReport> stages = new ArrayList<>();
    for (StageReport closed : open.closed) {
      String name = closed.stage().name();
      JsonNode participants = body.path("participants").path(name);
      JsonNode dropouts = body.path("dropouts").path(name);
      stages.add(
          new StageReport(
              closed.stage(),
              closed.status(),
              participants.isArray() ? strings(participants) : closed.participants(),
              dropouts.isArray() ? strings(dropouts) : closed.dropouts(),
              closed.duration(),
              closed.closedBy()));
    }
    open.closed.clear();
    open.closed.addAll(stages);
    List<String> survivors = strings(body.path("survivors"));
    Aggregate aggregate =
        new Aggregate(
            body.path("totalWeight").asLong(),
            body.path("outerBandCount").asLong(),
            Double.parseDouble(body.path("noiseStandardDeviation").asText("0")),
            body.path("modelSha256").asText(),
            body.path("strategy").asText(),
            Duration.between(open.lastClosedAt, time));
    account(open.round, survivors.size());
    RoundReport report =
        new RoundReport(
            open.round,
            Outcome.FINISHED,
            open.startedAt,
            Optional.of(time),
            open.closed,
            Optional.empty(),
            survivors,
            Optional.of(aggregate),
            spent(),
            open.metrics.report());
    ended.add(report);
    open = null;
  }

  private void abort(JsonNode body, Instant time) {
    Stage stage = Stage.valueOf(body.path("stage").asText());
    // A failed aggregation aborts in UNMASK after UNMASK closed: the stage is already listed.
    if (!open.hasClosed(stage)) {
      List<String> participants =
          body.path("participants").isArray()
              ? strings(body.path("participants"))
              : List.copyOf(open.accepted.getOrDefault(stage, new TreeSet<>()));
      open.closed.add(
          new StageReport(
              stage,
              StageStatus.ABORTED,
              participants,
              minus(open.expectedAt(stage), participants),
              Optional.of(Duration.between(open.lastClosedAt, time)),
              Optional.empty()));
    }
    Abort abort = new Abort(stage, body.path("reason").asText(), body.path("detail").asText(""));
    ended.add(
        new RoundReport(
            open.round,
            Outcome.ABORTED,
            open.startedAt,
            Optional.of(time),
            open.closed,
            Optional.of(abort),
            List.of(),
            Optional.empty(),
            spent(),
            open.metrics.report()));
    open = null;
  }

  /** Adds a finished round with {@code survivors} to the privacy spent. */
  private void account(long round, int survivors) {
    if (!encoding.differentialPrivacy()) {
      return;
    }
    RoundPrivacy privacy =
        new RoundPrivacy(
            round,
            survivors,
            encoding.clipNorm(),
            encoding.noiseMultiplier(),
            encoding.gamma(),
            encoding.threshold(),
            encoding.signalLength());
    // zCDP and GDP both compose by addition (of ρ, of μ²): no need to keep every round.
    rhoSum += accountant.discreteRho(privacy);
    double mu = PrivacyAccountant.gdpMu(List.of(privacy));
    muSquaredSum += mu * mu;
    roundsAccounted++;
  }

  private Optional<PrivacySpend> spent() {
    if (!encoding.differentialPrivacy()) {
      return Optional.empty();
    }
    return Optional.of(
        new PrivacySpend(
            PrivacyAccountant.gdpEpsilon(Math.sqrt(muSquaredSum), delta),
            PrivacyAccountant.zcdpEpsilon(rhoSum, delta),
            delta,
            PrivacySpend.UNIT_SILO));
  }

  /** The history as read so far. */
  RoundHistory snapshot() {
    List<RoundReport> rounds = new ArrayList<>(ended);
    if (open != null) {
      rounds.add(openReport());
    }
    return new RoundHistory(
        runId,
        encoding.differentialPrivacy(),
        encoding.noiseMultiplier(),
        encoding.clipNorm(),
        delta,
        rounds,
        spent(),
        roundsAccounted,
        recordLevel);
  }

  private RoundReport openReport() {
    List<StageReport> stages = new ArrayList<>(open.closed);
    Optional<Stage> openStage = stageAfter(open.closed);
    openStage.ifPresent(
        stage ->
            stages.add(
                new StageReport(
                    stage,
                    StageStatus.OPEN,
                    List.copyOf(open.accepted.getOrDefault(stage, new TreeSet<>())),
                    List.of(),
                    Optional.empty(),
                    Optional.empty())));
    return running(open, stages);
  }

  private RoundReport running(OpenRound round, List<StageReport> stages) {
    return new RoundReport(
        round.round,
        Outcome.RUNNING,
        round.startedAt,
        Optional.empty(),
        stages,
        Optional.empty(),
        List.of(),
        Optional.empty(),
        spent(),
        round.metrics.report());
  }

  /** The stage open after {@code closed}; empty once UNMASK closed (the sum is being applied). */
  private static Optional<Stage> stageAfter(List<StageReport> closed) {
    if (closed.isEmpty()) {
      return Optional.of(Stage.ADVERTISE_KEYS);
    }
    int next = closed.get(closed.size() - 1).stage().ordinal() + 1;
    return next < Stage.values().length ? Optional.of(Stage.values()[next]) : Optional.empty();
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static List<String> minus(List<String> all, List<String> some) {
    return all.stream().filter(silo -> !some.contains(silo)).toList();
  }
}
