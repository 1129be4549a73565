package org.fedsum.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.fedsum.audit.report.RunReport;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;

/**
 * The demo's report is the compliance audit's ({@code fedsum audit report}, docs/AUDIT.md): every
 * journal verified against the federation CA and cross-checked, then {@code report.html} and {@code
 * report.json} in the output folder. The HTML page is the report {@code summary.json} names.
 */
public final class AuditReportWriter implements ReportWriter {
  @Override
  public Path write(DemoResult run, Path folder) throws IOException {
    FederationTrust trust;
    try {
      trust =
          FederationTrust.create(
              Pem.decodeCertificate(Files.readString(run.ca())),
              Pem.decodeCrl(Files.readString(run.crl())));
    } catch (GeneralSecurityException e) {
      throw new IOException("the federation CA or CRL cannot be read: " + e.getMessage(), e);
    }
    List<Path> journals = new ArrayList<>();
    journals.add(run.aggregatorJournal());
    journals.addAll(run.siloJournals().values());
    RunReport.write(journals, trust, Instant.now(), folder);
    return folder.resolve(RunReport.HTML_FILE);
  }
}
