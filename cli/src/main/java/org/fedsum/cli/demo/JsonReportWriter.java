package org.fedsum.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalVerifier;

/**
 * The default report: {@code report.json} with the run's outcome, its privacy spent, the final
 * model's figures, and whether each journal verifies against the federation CA (signatures, hash
 * chain, certificates).
 */
public final class JsonReportWriter implements ReportWriter {
  /** The report's file name. */
  public static final String FILE_NAME = "report.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public Path write(DemoResult run, Path folder) throws IOException {
    ObjectNode report = JSON.createObjectNode();
    report.put("runId", run.runId());
    report.put("federationId", run.federationId());
    report.put("phase", run.phase());
    report.put("dataset", run.dataset());
    report.put("silos", run.silos().size());
    report.put("noiseMultiplier", run.noiseMultiplier());
    report.put("delta", run.delta());
    long finished = run.rounds().stream().filter(r -> r.outcome().equals("finished")).count();
    report.put("roundsFinished", finished);
    report.put("roundsAborted", run.rounds().size() - finished);
    if (!run.rounds().isEmpty()) {
      DemoResult.Round last = run.rounds().get(run.rounds().size() - 1);
      last.accuracy()
          .ifPresentOrElse(
              a -> report.put("finalAccuracy", a), () -> report.putNull("finalAccuracy"));
      last.loss()
          .ifPresentOrElse(l -> report.put("finalLoss", l), () -> report.putNull("finalLoss"));
      last.epsilon()
          .ifPresentOrElse(
              e -> report.put("epsilonSpent", e), () -> report.putNull("epsilonSpent"));
    }
    report.put("seconds", run.seconds());
    ObjectNode journals = report.putObject("journalsVerified");
    FederationTrust trust;
    try {
      trust =
          FederationTrust.create(
              Pem.decodeCertificate(Files.readString(run.ca())),
              Pem.decodeCrl(Files.readString(run.crl())));
    } catch (GeneralSecurityException e) {
      throw new IOException("the federation CA or CRL cannot be read: " + e.getMessage(), e);
    }
    journals.set("aggregator", verification(run.aggregatorJournal(), trust));
    ObjectNode silos = journals.putObject("silos");
    for (Map.Entry<String, Path> silo : run.siloJournals().entrySet()) {
      silos.set(silo.getKey(), verification(silo.getValue(), trust));
    }
    Path file = folder.resolve(FILE_NAME);
    Files.writeString(file, report.toPrettyString() + "\n");
    return file;
  }

  private static ObjectNode verification(Path journal, FederationTrust trust) throws IOException {
    ObjectNode node = JSON.createObjectNode();
    node.put("path", journal.toString());
    if (!Files.isRegularFile(journal)) {
      node.put("valid", false);
      node.put("problem", "missing");
      return node;
    }
    List<String> lines = Files.readAllLines(journal);
    JournalVerification result = JournalVerifier.verify(lines, trust, Instant.now());
    node.put("valid", result.isValid());
    node.put("records", lines.size());
    result.problem().ifPresent(problem -> node.put("problem", problem.toString()));
    return node;
  }
}
