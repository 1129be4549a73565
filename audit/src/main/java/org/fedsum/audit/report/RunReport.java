package org.fedsum.audit.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.fedsum.audit.AuditResult;
import org.fedsum.audit.AuditVerifier;
import org.fedsum.audit.JournalInput;
import org.fedsum.crypto.FederationTrust;

/**
 * {@code fedsum audit report}: one run as {@value #JSON_FILE} and {@value #HTML_FILE}. The HTML is
 * rendered from the JSON document, so both hold the same figures; both lead with the audit's
 * headline, which for a run whose journals do not verify or agree starts with {@code TAMPERED OR
 * INCONSISTENT}.
 */
public final class RunReport {
  /** The JSON file written into the output folder. */
  public static final String JSON_FILE = "report.json";

  /** The HTML file written into the output folder. */
  public static final String HTML_FILE = "report.html";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final AuditResult audit;
  private final ObjectNode json;
  private final String html;

  private RunReport(AuditResult audit, ObjectNode json) {
    this.audit = audit;
    this.json = json;
    this.html = HtmlReport.render(json);
  }

  /** The report of {@code audit}; {@code trust}'s CRL lists the revoked certificates shown. */
  public static RunReport of(AuditResult audit, FederationTrust trust) {
    Objects.requireNonNull(audit, "audit");
    Objects.requireNonNull(trust, "trust");
    return new RunReport(audit, ReportJson.build(audit, trust.crl()));
  }

  /**
   * Audits the journals (the aggregator's first) and writes the report into {@code outDir}: the one
   * call {@code fedsum demo} needs.
   */
  public static RunReport write(
      List<Path> journals, FederationTrust trust, Instant auditTime, Path outDir)
      throws IOException {
    List<JournalInput> inputs = new ArrayList<>();
    for (Path journal : journals) {
      inputs.add(JournalInput.read(journal));
    }
    RunReport report = of(AuditVerifier.verify(inputs, trust, auditTime), trust);
    report.write(outDir);
    return report;
  }

  /** The audit the report shows. */
  public AuditResult audit() {
    return audit;
  }

  /** A copy of the JSON document. */
  public ObjectNode json() {
    return json.deepCopy();
  }

  /** The HTML page. */
  public String html() {
    return html;
  }

  /**
   * Writes {@value #JSON_FILE} and {@value #HTML_FILE} into {@code outDir} (made if missing), each
   * through a temporary file and an atomic rename, so a reader never sees half a report.
   */
  public void write(Path outDir) throws IOException {
    Files.createDirectories(outDir);
    writeAtomically(outDir.resolve(JSON_FILE), JSON.writeValueAsString(json) + "\n");
    writeAtomically(outDir.resolve(HTML_FILE), html);
  }

  private static void writeAtomically(Path file, String text) throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(temporary, text, StandardCharsets.UTF_8);
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
