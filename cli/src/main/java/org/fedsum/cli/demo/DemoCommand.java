package org.fedsum.cli.demo;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.round.GlobalModel;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Kit;
import org.fedsum.cli.operator.OperatorClient;
import org.fedsum.cli.privacy.PrivacyCalculator;
import org.fedsum.cli.provision.FederationSpec;
import org.fedsum.cli.provision.Provisioner;
import org.fedsum.cli.site.AggregatorCommand;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RecordLevelAccountant;
import org.fedsum.silo.node.SiloJournal;
import org.fedsum.silo.training.EvaluationReport;
import org.fedsum.silo.training.LocalModel;
import org.fedsum.silo.training.RecordLevelDp;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum demo}: a whole federation on this machine, one run, then where everything is. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a federation on this machine: a throwaway CA and kits, an aggregator and N silo"
          + " processes on 127.0.0.1 with mutual TLS, and one training run with secure"
          + " aggregation and differential privacy. Prints one line per round and where the"
          + " model, the journals and the report are; writes DIR/summary.json.",
      "Ctrl-C stops everything, the silo processes included."
    })
public final class DemoCommand implements Callable<Integer> {
  /** The demo run's id. */
  public static final String RUN_ID = "demo";

  /** The demo federation's id. */
  public static final String FEDERATION_ID = "demo";

  /** δ of every ε the demo reports. */
  public static final double DELTA = 1e-5;

  /** Word width of the masked vectors (a run's default). */
  public static final int BITS = 32;

  /** The L2 clip of each silo's update. */
  public static final double CLIP_NORM = 1.0;

  /** Marks a folder as a demo's output, which a later demo may replace. */
  static final String MARKER = ".fedsum-demo";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int POLL_WAIT_SECONDS = 2;

  @Option(
      names = "--silos",
      paramLabel = "N",
      defaultValue = "3",
      description = "Silo processes, at least 3 (default 3).")
  int silos;

  @Option(
      names = "--rounds",
      paramLabel = "R",
      defaultValue = "5",
      description = "Training rounds (default 5).")
  int rounds;

  @Option(
      names = "--dataset",
      paramLabel = "DATA",
      defaultValue = "synthetic",
      description = "synthetic (default), fashion-mnist, or a CSV file with a header row.")
  String dataset;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      defaultValue = "label",
      description = "The label column of a CSV dataset (default label).")
  String labelColumn;

  @Option(
      names = "--dp",
      paramLabel = "UNIT",
      defaultValue = "record",
      description =
          "The unit differential privacy protects: record (default; DP-SGD at each silo, one"
              + " record of a silo's data), silo (one silo's whole update per round), both, or"
              + " off.")
  String dpUnit;

  @Option(names = "--no-dp", description = "Differential privacy off: the same as --dp=off.")
  boolean noDp;

  @Option(
      names = "--epsilon",
      paramLabel = "E",
      description =
          "ε the whole run may spend at δ = 1e-5: per record with --dp=record or both (default "
              + DemoCommand.DEFAULT_RECORD_EPSILON
              + ", for the silo with the fewest records), per silo with --dp=silo (default "
              + DemoCommand.DEFAULT_EPSILON
              + "; with both, the silo-level ε is "
              + DemoCommand.DEFAULT_EPSILON
              + ").")
  Double epsilon;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "demo-out",
      description = "Output folder (default demo-out); an earlier demo there is replaced.")
  Path out;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * Default of {@code --epsilon} for silo-level DP: with 3 silos, silo-level noise calibrated to a
   * whole update only lets the model learn at a large ε (DESIGN.md §5, "Which unit DP protects").
   */
  public static final double DEFAULT_EPSILON = 30;

  /** Default of {@code --epsilon} for record-level DP: a single-digit ε per record. */
  public static final double DEFAULT_RECORD_EPSILON = 4;

  private final ReportWriter reportWriter;
  private final List<Process> siloProcesses = new ArrayList<>();
  private AggregatorServer server;
  private boolean cleanedUp;

  public DemoCommand() {
    this(new AuditReportWriter());
  }

  /** A demo whose report is written by {@code reportWriter}. */
  public DemoCommand(ReportWriter reportWriter) {
    this.reportWriter = reportWriter;
  }

  @Override
  public Integer call() throws Exception {
    long started = System.nanoTime();
    if (silos < 3) {
      throw new CliException(
          "--silos must be at least 3 (a sum of two reveals each), not " + silos);
    }
    if (silos > 20) {
      throw new CliException("--silos must be at most 20 on one machine, not " + silos);
    }
    if (rounds < 1 || rounds > 1000) {
      throw new CliException("--rounds must be between 1 and 1000, not " + rounds);
    }
    if (noDp) {
      if (spec.commandLine().getParseResult().hasMatchedOption("--dp")) {
        throw new CliException("give --no-dp or --dp=UNIT, not both");
      }
      dpUnit = "off";
    }
    if (!List.of("record", "silo", "both", "off").contains(dpUnit)) {
      throw new CliException("--dp must be record, silo, both or off, not " + dpUnit);
    }
    if (epsilon != null && (!(epsilon > 0) || Double.isInfinite(epsilon))) {
      throw new CliException("--epsilon must be > 0, not " + epsilon);
    }
    if (epsilon != null && dpUnit.equals("off")) {
      throw new CliException("--epsilon has no meaning with differential privacy off");
    }
    PrintWriter console = spec.commandLine().getOut();
    Path folder = out.toAbsolutePath().normalize();
    try (FileChannel marker = lockOutput(folder)) {
      return demo(folder, console, started);
    }
  }

  private int demo(Path folder, PrintWriter console, long started) throws Exception {
    Path logs = Files.createDirectories(folder.resolve("logs"));
    Path kits = folder.resolve("kits");
    Path data = Files.createDirectories(folder.resolve("data"));
    quietLogging(logs.resolve("aggregator.log"));
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("ai.djl.pytorch.num_threads", "1");

    DemoDataset demoData = DemoDataset.of(dataset, silos, labelColumn, data);
    int threshold = silos / 2 + 1;
    boolean dp = !dpUnit.equals("off");
    boolean siloLevel = dpUnit.equals("silo") || dpUnit.equals("both");
    boolean recordLevel = dpUnit.equals("record") || dpUnit.equals("both");
    double noiseMultiplier = 0;
    double siloEpsilon = dpUnit.equals("silo") && epsilon != null ? epsilon : DEFAULT_EPSILON;
    if (siloLevel) {
      PrivacyCalculator calculator =
          new PrivacyCalculator(silos, threshold, BITS, (int) demoData.spec().parameterCount());
      noiseMultiplier = calculator.noiseFor(siloEpsilon, rounds, DELTA).enforced();
    }
    double recordNoiseMultiplier = 0;
    double recordEpsilon = epsilon != null ? epsilon : DEFAULT_RECORD_EPSILON;
    double sampleRate = 0;
    long stepsPerRound = 0;
    if (recordLevel) {
      // The silo with the fewest records samples at the largest q and spends the most: calibrate
      // the noise to it, so that every silo stays within ε.
      // The noise multiplier does not change q or the steps; 1 stands in until it is known.
      RecordLevelDp probe =
          new RecordLevelDp(
              RecordLevelDp.sampleRateFor(
                  demoData.expectedBatchSize(), demoData.smallestTrainingPart()),
              CLIP_NORM,
              1);
      sampleRate = probe.sampleRate();
      stepsPerRound = probe.steps(recordLevelEpochs(demoData));
      recordNoiseMultiplier =
          RecordLevelAccountant.requiredNoiseMultiplier(
              recordEpsilon, sampleRate, stepsPerRound * rounds, DELTA);
    }
    List<String> protection = new ArrayList<>();
    if (recordLevel) {
      protection.add(
          String.format(
              Locale.ROOT,
              "record-level DP (unit: %s; ε ≤ %s at δ = %s: q = %.4f, noise multiplier %.3f,"
                  + " %d DP-SGD steps a round)",
              PrivacySpend.UNIT_RECORD_DESCRIPTION,
              recordEpsilon,
              DELTA,
              sampleRate,
              recordNoiseMultiplier,
              stepsPerRound));
    }
    if (siloLevel) {
      protection.add(
          String.format(
              Locale.ROOT,
              "silo-level DP (unit: %s; ε ≤ %s at δ = %s: noise multiplier %.3f)",
              PrivacySpend.UNIT_SILO_DESCRIPTION,
              siloEpsilon,
              DELTA,
              noiseMultiplier));
    }
    console.printf(
        Locale.ROOT,
        "fedsum demo: %d silos, %d rounds, %s data, %s, secure aggregation (threshold %d)%n",
        silos,
        rounds,
        demoData.name(),
        dp ? String.join(" and ", protection) : "DP off",
        threshold);
    console.flush();

    List<String> siloIds = new ArrayList<>();
    for (int i = 1; i <= silos; i++) {
      siloIds.add("silo-" + i);
    }
    int port = freePort();
    FederationSpec federation =
        new FederationSpec(
            FEDERATION_ID,
            "aggregator",
            List.of("127.0.0.1", "localhost"),
            port,
            "127.0.0.1",
            URI.create("https://127.0.0.1:" + port),
            siloIds,
            List.of("operator"),
            2,
            1,
            1);
    new Provisioner(kits, new SecureRandom())
        .create(federation, demoData.kitSettings(dp, POLL_WAIT_SECONDS));

    Runtime.getRuntime().addShutdownHook(new Thread(this::cleanUp, "fedsum-demo-shutdown"));
    Kit aggregatorKit = Kit.open(kits.resolve("aggregator"), SiteRole.AGGREGATOR);
    synchronized (this) {
      server = AggregatorCommand.start(AggregatorCommand.config(aggregatorKit, null, null));
    }
    console.println("aggregator listening on https://127.0.0.1:" + server.port());
    for (String silo : siloIds) {
      startSilo(kits.resolve(silo), logs.resolve(silo + ".log"));
    }
    console.println(silos + " silo processes started (logs in " + logs + ")");
    console.flush();

    OperatorClient operator =
        OperatorClient.fromKit(
            Kit.open(kits.resolve("operator"), SiteRole.OPERATOR),
            java.time.Duration.ofSeconds(60));
    String runYaml =
        runYaml(
            siloIds,
            threshold,
            demoData,
            noiseMultiplier,
            recordLevel ? Optional.of(recordNoiseMultiplier) : Optional.empty());
    Files.writeString(folder.resolve("run.yaml"), runYaml);
    operator.post("/v1/runs", runYaml, "application/yaml");

    List<DemoResult.Round> results;
    String phase;
    try (LocalModel evaluator = LocalModel.create(demoData.spec(), 0)) {
      // Loads the engine (and its one-time warnings) before the first round's line.
      EvaluationReport initial = evaluator.evaluate(demoData.evaluation());
      console.printf(
          Locale.ROOT,
          "initial model: loss %.4f  accuracy %.3f on %d held-out examples%n",
          initial.loss(),
          initial.accuracy(),
          initial.examples());
      console.flush();
      // The run starts from the model just evaluated, not from the aggregator's all-zero default,
      // so the line above describes the run's real starting point.
      Path initialModel = folder.resolve("initial-model.bin");
      writeFloats(initialModel, evaluator.parameters());
      operator.put("/v1/runs/" + RUN_ID + "/initial-model", initialModel);
      operator.post("/v1/runs/" + RUN_ID + "/start", "", "text/plain");
      List<Path> journalFiles = new ArrayList<>();
      for (String silo : siloIds) {
        journalFiles.add(
            kits.resolve(silo).resolve(Provisioner.DATA_FOLDER).resolve(SiloJournal.FILE_NAME));
      }
      RunWatch watch =
          new RunWatch(operator, evaluator, demoData, console, silos, recordLevel, journalFiles);
      phase = watch.follow();
      results = watch.results();
    }

    Path model = folder.resolve("model.bin");
    operator.download("/v1/runs/" + RUN_ID + "/model", model);
    Path journals = Files.createDirectories(folder.resolve("journals"));
    Path aggregatorJournal = journals.resolve("aggregator.jsonl");
    operator.download("/v1/runs/" + RUN_ID + "/journal", aggregatorJournal);
    awaitSilos();
    cleanUp();

    Map<String, Path> siloJournals = new LinkedHashMap<>();
    for (String silo : siloIds) {
      siloJournals.put(
          silo, kits.resolve(silo).resolve(Provisioner.DATA_FOLDER).resolve(SiloJournal.FILE_NAME));
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    DemoResult result =
        new DemoResult(
            RUN_ID,
            FEDERATION_ID,
            phase,
            demoData.name(),
            siloIds,
            protectedUnits(siloLevel, recordLevel),
            noiseMultiplier,
            recordNoiseMultiplier,
            recordLevel ? demoData.expectedBatchSize() : 0,
            DELTA,
            results,
            model,
            kits.resolve(Provisioner.CA_FOLDER).resolve(Provisioner.CA_CERTIFICATE),
            kits.resolve(Provisioner.CA_FOLDER).resolve(Provisioner.CRL),
            aggregatorJournal,
            siloJournals,
            seconds);
    Path report = reportWriter.write(result, folder);
    Path summary = folder.resolve("summary.json");
    Files.writeString(summary, summaryJson(result, report).toPrettyString() + "\n");

    console.printf(
        Locale.ROOT,
        "run %s %s: %d of %d rounds finished in %.1f s%n",
        RUN_ID,
        phase,
        results.stream().filter(r -> r.outcome().equals("finished")).count(),
        rounds,
        seconds);
    console.println("model:    " + model + " (float32, little-endian)");
    console.println(
        "journals: "
            + aggregatorJournal
            + " (aggregator), "
            + kits.resolve("silo-*").resolve(Provisioner.DATA_FOLDER).resolve(SiloJournal.FILE_NAME)
            + " (silos)");
    console.println("report:   " + report);
    console.println("summary:  " + summary);
    console.flush();
    return phase.equals("COMPLETED") ? 0 : CliException.FAILURE;
  }

  /** Follows the run: one line per ended round, the model measured after each finished one. */
  private final class RunWatch {
    private final OperatorClient operator;
    private final LocalModel evaluator;
    private final DemoDataset data;
    private final PrintWriter console;
    private final int roster;
    private final Map<Integer, EvaluationReport> evaluations = new HashMap<>();
    private final List<DemoResult.Round> results = new ArrayList<>();
    private final Set<Long> reported = new HashSet<>();
    private final Set<Integer> deadSilos = new HashSet<>();
    private final boolean recordLevel;
    private final List<Path> siloJournals;
    private int finished;

    RunWatch(
        OperatorClient operator,
        LocalModel evaluator,
        DemoDataset data,
        PrintWriter console,
        int roster,
        boolean recordLevel,
        List<Path> siloJournals) {
      this.operator = operator;
      this.evaluator = evaluator;
      this.data = data;
      this.console = console;
      this.roster = roster;
      this.recordLevel = recordLevel;
      this.siloJournals = siloJournals;
    }

    /**
     * The record-level ε after {@code round}: the largest any silo's own ledger journaled (each
     * silo accounts for its own records; the demo reports the worst). A finished round's survivors
     * journal their spend just after the aggregator publishes the sum, so the demo waits a little
     * for them.
     */
    private Optional<Double> recordEpsilonAfter(long round, Set<String> survivors)
        throws InterruptedException {
      if (!recordLevel) {
        return Optional.empty();
      }
      for (int attempt = 0; ; attempt++) {
        Map<String, Double> latest = new HashMap<>();
        Set<String> spentThisRound = new HashSet<>();
        for (int i = 0; i < siloJournals.size(); i++) {
          String silo = "silo-" + (i + 1);
          for (JsonNode body : recordLevelSpends(siloJournals.get(i))) {
            long spentRound = body.path("round").asLong();
            if (spentRound <= round) {
              latest.put(silo, Double.parseDouble(body.path("epsilonSpent").asText()));
            }
            if (spentRound == round) {
              spentThisRound.add(silo);
            }
          }
        }
        if (spentThisRound.containsAll(survivors) || attempt >= 100) {
          return latest.values().stream().max(Double::compare).or(() -> Optional.of(0.0));
        }
        Thread.sleep(50);
      }
    }

    List<DemoResult.Round> results() {
      return results;
    }

    String follow() throws Exception {
      while (true) {
        String phase = operator.getJson("/v1/runs/" + RUN_ID).path("phase").asText();
        evaluateLatest();
        report(operator.getJson("/v1/runs/" + RUN_ID + "/rounds"));
        if (phase.equals("COMPLETED") || phase.equals("STOPPED") || phase.equals("FAILED")) {
          evaluateLatest();
          report(operator.getJson("/v1/runs/" + RUN_ID + "/rounds"));
          return phase;
        }
        watchSilos();
        Thread.sleep(250);
      }
    }

    private void evaluateLatest() throws Exception {
      GlobalModel model = server.federation().model(RUN_ID);
      if (model.roundsFinished() > 0 && !evaluations.containsKey(model.roundsFinished())) {
        evaluator.setParameters(model.values());
        evaluations.put(model.roundsFinished(), evaluator.evaluate(data.evaluation()));
      }
    }

    private void report(JsonNode history) throws Exception {
      for (JsonNode round : history.path("rounds")) {
        long number = round.path("round").asLong();
        String outcome = round.path("outcome").asText();
        if (outcome.equals("running") || reported.contains(number)) {
          continue;
        }
        reported.add(number);
        boolean done = outcome.equals("finished");
        int survivors = done ? round.path("survivors").size() : 0;
        Set<String> dropped = new HashSet<>();
        for (JsonNode stage : round.path("stages")) {
          stage.path("dropouts").forEach(id -> dropped.add(id.asText()));
        }
        Optional<EvaluationReport> evaluation = Optional.empty();
        if (done) {
          finished++;
          if (!evaluations.containsKey(finished)) {
            // The round ended between two looks: its model is normally still the latest.
            evaluateLatest();
          }
          evaluation = Optional.ofNullable(evaluations.get(finished));
        }
        JsonNode spent = round.path("privacySpent");
        Optional<Double> epsilonSpent =
            spent.isObject() ? Optional.of(spent.path("epsilon").asDouble()) : Optional.empty();
        Set<String> survivorIds = new HashSet<>();
        round.path("survivors").forEach(id -> survivorIds.add(id.asText()));
        Optional<Double> recordEpsilon = recordEpsilonAfter(number, done ? survivorIds : Set.of());
        double seconds = round.path("durationMillis").asDouble() / 1000;
        DemoResult.Round result =
            new DemoResult.Round(
                number,
                outcome,
                survivors,
                dropped.size(),
                evaluation.map(EvaluationReport::loss),
                evaluation.map(EvaluationReport::accuracy),
                epsilonSpent,
                recordEpsilon,
                seconds);
        results.add(result);
        console.println(line(result, round));
        console.flush();
      }
    }

    private String line(DemoResult.Round round, JsonNode json) {
      StringBuilder line = new StringBuilder();
      line.append(String.format(Locale.ROOT, "round %d/%d  ", round.round(), rounds));
      if (round.outcome().equals("finished")) {
        line.append(String.format(Locale.ROOT, "survivors %d/%d  ", round.survivors(), roster));
        line.append(
            round.loss().map(l -> String.format(Locale.ROOT, "loss %.4f  ", l)).orElse("loss -  "));
        line.append(
            round
                .accuracy()
                .map(a -> String.format(Locale.ROOT, "accuracy %.3f  ", a))
                .orElse("accuracy -  "));
      } else {
        JsonNode abort = json.path("abort");
        line.append(
            String.format(
                Locale.ROOT,
                "aborted in %s: %s  ",
                abort.path("stage").asText("?"),
                abort.path("reason").asText("?")));
      }
      if (recordLevel) {
        line.append(
            round
                .recordEpsilon()
                .map(e -> String.format(Locale.ROOT, "ε %.3f per record  ", e))
                .orElse("ε - per record  "));
      }
      if (round.epsilon().isPresent() || !recordLevel) {
        line.append(
            round
                .epsilon()
                .map(e -> String.format(Locale.ROOT, "ε %.3f per silo  ", e))
                .orElse("ε -  "));
      }
      line.append(String.format(Locale.ROOT, "%.1f s", round.seconds()));
      return line.toString();
    }

    private void watchSilos() {
      synchronized (DemoCommand.this) {
        for (int i = 0; i < siloProcesses.size(); i++) {
          Process process = siloProcesses.get(i);
          if (!process.isAlive() && process.exitValue() != 0 && deadSilos.add(i)) {
            console.printf(
                Locale.ROOT,
                "silo-%d exited with code %d; see its log (the run goes on without it)%n",
                i + 1,
                process.exitValue());
            console.flush();
          }
        }
      }
    }
  }

  private String runYaml(
      List<String> siloIds,
      int threshold,
      DemoDataset data,
      double noiseMultiplier,
      Optional<Double> recordNoiseMultiplier) {
    String recordLevel =
        recordNoiseMultiplier
            .map(
                z ->
                    "  recordLevel: {noiseMultiplier: "
                        + z
                        + ", clipNorm: "
                        + CLIP_NORM
                        + ", expectedBatchSize: "
                        + data.expectedBatchSize()
                        + "}\n")
            .orElse("");
    return String.join(
        "\n",
        "# The demo's run (docs/OPERATOR.md lists every key).",
        "runId: " + RUN_ID,
        "roster: [" + String.join(", ", siloIds) + "]",
        "rounds: " + rounds,
        "threshold: " + threshold,
        "deadlines: {advertiseKeys: 5m, shareKeys: 30s, maskedInput: 30s, consistencyCheck: 30s,"
            + " unmask: 30s}",
        "model: " + data.modelYaml(),
        "training: "
            + (recordNoiseMultiplier.isPresent() ? data.recordLevelTraining() : data.training()),
        "privacy:",
        "  clipNorm: " + CLIP_NORM,
        "  noiseMultiplier: " + noiseMultiplier,
        "  delta: " + DELTA,
        "  bits: " + BITS,
        recordLevel);
  }

  private ObjectNode summaryJson(DemoResult result, Path report) {
    ObjectNode summary = JSON.createObjectNode();
    summary.put("runId", result.runId());
    summary.put("phase", result.phase());
    summary.put("dataset", result.dataset());
    summary.put("silos", result.silos().size());
    ArrayNode units = summary.putArray("protectedUnits");
    result.protectedUnits().forEach(units::add);
    summary.put("noiseMultiplier", result.noiseMultiplier());
    if (result.protectedUnits().contains(PrivacySpend.UNIT_RECORD)) {
      ObjectNode recordLevel = summary.putObject("recordLevel");
      recordLevel.put("noiseMultiplier", result.recordNoiseMultiplier());
      recordLevel.put("clipNorm", CLIP_NORM);
      recordLevel.put("expectedBatchSize", result.expectedBatchSize());
    }
    summary.put("delta", result.delta());
    // The "epsilon" of each round is that of the run's main unit: record-level if on.
    String mainUnit =
        result.protectedUnits().contains(PrivacySpend.UNIT_RECORD)
            ? PrivacySpend.UNIT_RECORD
            : PrivacySpend.UNIT_SILO;
    summary.put("epsilonUnit", mainUnit);
    summary.put("seconds", result.seconds());
    ArrayNode roundList = summary.putArray("rounds");
    for (DemoResult.Round round : result.rounds()) {
      ObjectNode node = roundList.addObject();
      node.put("round", round.round());
      node.put("outcome", round.outcome());
      node.put("survivors", round.survivors());
      node.put("dropouts", round.dropouts());
      putOptional(node, "loss", round.loss());
      putOptional(node, "accuracy", round.accuracy());
      putOptional(
          node,
          "epsilon",
          mainUnit.equals(PrivacySpend.UNIT_RECORD) ? round.recordEpsilon() : round.epsilon());
      node.put("epsilonUnit", mainUnit);
      putOptional(node, "epsilonSilo", round.epsilon());
      putOptional(node, "epsilonRecord", round.recordEpsilon());
      node.put("seconds", round.seconds());
    }
    summary.put("model", result.model().toString());
    summary.put("ca", result.ca().toString());
    summary.put("crl", result.crl().toString());
    ObjectNode journals = summary.putObject("journals");
    journals.put("aggregator", result.aggregatorJournal().toString());
    ObjectNode siloJournals = journals.putObject("silos");
    result.siloJournals().forEach((id, path) -> siloJournals.put(id, path.toString()));
    summary.put("report", report.toString());
    return summary;
  }

  private static List<String> protectedUnits(boolean siloLevel, boolean recordLevel) {
    List<String> units = new ArrayList<>();
    if (siloLevel) {
      units.add(PrivacySpend.UNIT_SILO);
    }
    if (recordLevel) {
      units.add(PrivacySpend.UNIT_RECORD);
    }
    return List.copyOf(units);
  }

  /** The local epochs of the run's record-level training section. */
  private static int recordLevelEpochs(DemoDataset data) throws IOException {
    return new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
        .readTree(data.recordLevelTraining())
        .path("epochs")
        .asInt(1);
  }

  /**
   * The bodies of the record-level {@code privacy-spent} records of this demo's run in a silo's
   * journal, oldest first. The silo appends whole lines; a line still being written is skipped.
   */
  private static List<JsonNode> recordLevelSpends(Path journal) {
    List<JsonNode> bodies = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(journal);
    } catch (IOException e) {
      return bodies;
    }
    for (String line : lines) {
      if (!line.contains("\"privacy-spent\"")) {
        continue;
      }
      try {
        JsonNode record = JSON.readTree(line);
        JsonNode body = record.path("body");
        if (record.path("type").asText().equals("privacy-spent")
            && body.path("unit").asText().equals(PrivacySpend.UNIT_RECORD)
            && body.path("runId").asText().equals(RUN_ID)) {
          bodies.add(body);
        }
      } catch (IOException e) {
        // A line the silo is still writing.
      }
    }
    return bodies;
  }

  /** float32 little-endian, the operator API's model format. */
  private static void writeFloats(Path file, float[] values) throws IOException {
    ByteBuffer bytes =
        ByteBuffer.allocate(Float.BYTES * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    Files.write(file, bytes.array());
  }

  private static void putOptional(ObjectNode node, String key, Optional<Double> value) {
    if (value.isPresent()) {
      node.put(key, value.get());
    } else {
      node.putNull(key);
    }
  }

  /**
   * Takes the output folder for this demo: emptied if it holds an earlier demo, refused if it holds
   * anything else (the demo never deletes what it did not write) or if another demo is running
   * there. The marker file stays locked until the demo ends.
   */
  private static FileChannel lockOutput(Path folder) throws CliException, IOException {
    if (Files.exists(folder) && !Files.isDirectory(folder)) {
      throw new CliException("--out " + folder + " is a file, not a folder");
    }
    Files.createDirectories(folder);
    Path marker = folder.resolve(MARKER);
    if (!Files.exists(marker)) {
      try (Stream<Path> entries = Files.list(folder)) {
        if (entries.findAny().isPresent()) {
          throw new CliException(
              "--out "
                  + folder
                  + " holds files that are not an earlier demo's; choose another --out or empty"
                  + " it");
        }
      }
    }
    FileChannel channel =
        FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    if (channel.tryLock() == null) {
      channel.close();
      throw new CliException(
          "another fedsum demo is running in " + folder + "; give another --out");
    }
    try (Stream<Path> entries = Files.walk(folder)) {
      for (Path entry : entries.sorted(Comparator.reverseOrder()).toList()) {
        if (!entry.equals(folder) && !entry.equals(marker)) {
          Files.delete(entry);
        }
      }
    }
    channel.truncate(0);
    channel.write(
        ByteBuffer.wrap(
            "Output of 'fedsum demo': a later demo replaces this folder.\n"
                .getBytes(StandardCharsets.UTF_8)));
    return channel;
  }

  private void startSilo(Path kit, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-Dai.djl.offline=true");
    command.add("-Dai.djl.pytorch.num_threads=1");
    command.add("-cp");
    command.add(absoluteClassPath());
    command.add("org.fedsum.cli.Fedsum");
    command.add("silo");
    command.add("--kit");
    command.add(kit.toString());
    command.add("--once");
    command.add("--parent-pid");
    command.add(Long.toString(ProcessHandle.current().pid()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("OPT_OUT_TRACKING", "true");
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    synchronized (this) {
      if (cleanedUp) {
        return;
      }
      siloProcesses.add(builder.start());
    }
  }

  private static String absoluteClassPath() {
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(Path.of(entry).toAbsolutePath().toString());
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  /** Gives the silos a moment to see that the run is over and leave by themselves. */
  private void awaitSilos() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(POLL_WAIT_SECONDS + 8);
    List<Process> processes;
    synchronized (this) {
      processes = List.copyOf(siloProcesses);
    }
    for (Process process : processes) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        process.waitFor(left, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Stops the silo processes and the aggregator; runs once, on success, failure or Ctrl-C. */
  private synchronized void cleanUp() {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    for (Process process : siloProcesses) {
      process.destroy();
    }
    for (Process process : siloProcesses) {
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (server != null) {
      try {
        server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LoggerFactory.getLogger(DemoCommand.class).warn("the aggregator did not stop cleanly", e);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Sends this process's logging (the aggregator's) to {@code file} instead of the console. */
  private static void quietLogging(Path file) throws CliException {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    context.reset();
    context.putProperty("fedsum.demo.log", file.toString());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(DemoCommand.class.getResource("/org/fedsum/cli/demo-logback.xml"));
    } catch (JoranException e) {
      throw new CliException("cannot set up logging: " + e.getMessage(), CliException.FAILURE, e);
    }
  }
}
