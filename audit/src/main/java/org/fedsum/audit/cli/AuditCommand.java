package org.fedsum.audit.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedsum.audit.AuditFinding;
import org.fedsum.audit.AuditResult;
import org.fedsum.audit.AuditVerifier;
import org.fedsum.audit.JournalInput;
import org.fedsum.audit.report.RunReport;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedsum audit}: {@code verify} checks a run's journals offline against the federation CA
 * and cross-checks the silos' journals against the aggregator's; {@code report} renders the run as
 * HTML and JSON. Exit codes: {@value #VERIFIED} only when everything verifies, {@value
 * #NOT_VERIFIED} when a journal does not verify or the journals disagree (the report is still
 * written), {@value #BAD_INPUT} for a usage error or input that cannot be read (a missing file, a
 * CA that is not one).
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Verify a run's signed journals and render its compliance report.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Report.class})
public final class AuditCommand implements Callable<Integer> {
  /** Everything verifies. */
  public static final int VERIFIED = 0;

  /** A journal does not verify, or the journals disagree. */
  public static final int NOT_VERIFIED = 1;

  /** Usage error or unreadable input. */
  public static final int BAD_INPUT = 2;

  @Spec CommandSpec spec;

  /** A command line for this command, with the exit codes above; for the launcher and tests. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new AuditCommand());
    commandLine.setExitCodeExceptionMapper(exception -> BAD_INPUT);
    return commandLine;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return BAD_INPUT;
  }

  /** The federation CA and CRL options, shared by both subcommands. */
  static final class TrustOptions {
    @Option(
        names = "--ca",
        required = true,
        paramLabel = "<federation-ca.pem>",
        description = "The federation CA certificate (PEM).")
    Path ca;

    @Option(
        names = "--crl",
        paramLabel = "<crl.pem>",
        description =
            "The federation's current CRL (PEM). Needed: a journal is only accepted with a CRL"
                + " that is current at the audit time, so that a revoked writer cannot pass.")
    Path crl;

    FederationTrust load() throws InputException {
      X509Certificate caCertificate;
      try {
        caCertificate = Pem.decodeCertificate(read(ca, "--ca"));
      } catch (GeneralSecurityException e) {
        throw new InputException("--ca " + ca + " is not a PEM certificate: " + e.getMessage());
      }
      if (crl == null) {
        throw new InputException(
            "no --crl given: journals are verified against the federation's current CRL, so that"
                + " a revoked writer cannot pass; pass --crl <crl.pem>");
      }
      X509CRL revocations;
      try {
        revocations = Pem.decodeCrl(read(crl, "--crl"));
      } catch (GeneralSecurityException e) {
        throw new InputException("--crl " + crl + " is not a PEM CRL: " + e.getMessage());
      }
      try {
        return FederationTrust.create(caCertificate, revocations);
      } catch (GeneralSecurityException e) {
        throw new InputException(
            "--ca "
                + ca
                + " and --crl "
                + crl
                + " are not a federation CA and its CRL: "
                + e.getMessage());
      }
    }

    private static String read(Path file, String option) throws InputException {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new InputException(option + " " + file + " does not exist");
      } catch (IOException e) {
        throw new InputException(option + " " + file + " cannot be read: " + e.getMessage());
      }
    }
  }

  /** {@code fedsum audit verify <aggregator-journal> [<silo-journal>...] --ca … [--crl …]}. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Check each journal's hash chain and signatures against the federation CA and"
              + " cross-check the silo journals against the aggregator's. Exit code 0 only when"
              + " everything verifies.")
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "<aggregator-journal>",
        description = "The aggregator's journal of the run (journal.jsonl in the run's folder).")
    Path aggregatorJournal;

    @Parameters(
        index = "1..*",
        arity = "0..*",
        paramLabel = "<silo-journal>",
        description = "Silo journals to cross-check against the aggregator's.")
    List<Path> siloJournals = new ArrayList<>();

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    TrustOptions trust;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        List<Path> files = new ArrayList<>();
        files.add(aggregatorJournal);
        files.addAll(siloJournals);
        AuditResult result = AuditVerifier.verify(readAll(files), trust.load(), Instant.now());
        out.println(result.headline());
        for (AuditFinding finding : result.findings()) {
          out.println(
              (finding.fails() ? "FAILURE " : "note    ") + finding.check() + ": " + finding);
        }
        out.flush();
        return result.verified() ? VERIFIED : NOT_VERIFIED;
      } catch (InputException e) {
        err.println("fedsum audit verify: " + e.getMessage());
        err.flush();
        return BAD_INPUT;
      }
    }
  }

  /** {@code fedsum audit report <journals...> --out <dir> --ca … [--crl …]}. */
  @Command(
      name = "report",
      mixinStandardHelpOptions = true,
      description =
          "Render one run as report.html (self-contained, printable) and report.json. The"
              + " aggregator's journal comes first. Exit code 0 only when everything verifies;"
              + " the report is written either way and says so on its first line.")
  static final class Report implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        arity = "1..*",
        paramLabel = "<journals>",
        description = "The aggregator's journal, then the silos' journals.")
    List<Path> journals = new ArrayList<>();

    @Option(
        names = "--out",
        required = true,
        paramLabel = "<dir>",
        description = "Folder for report.html and report.json (made if missing).")
    Path out;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    TrustOptions trust;

    @Override
    public Integer call() {
      PrintWriter stdout = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        FederationTrust federationTrust = trust.load();
        RunReport report =
            RunReport.of(
                AuditVerifier.verify(readAll(journals), federationTrust, Instant.now()),
                federationTrust);
        try {
          report.write(out);
        } catch (IOException e) {
          throw new InputException("cannot write the report into " + out + ": " + e.getMessage());
        }
        stdout.println(report.audit().headline());
        stdout.println(
            "wrote "
                + out.resolve(RunReport.HTML_FILE)
                + " and "
                + out.resolve(RunReport.JSON_FILE));
        stdout.flush();
        return report.audit().verified() ? VERIFIED : NOT_VERIFIED;
      } catch (InputException e) {
        err.println("fedsum audit report: " + e.getMessage());
        err.flush();
        return BAD_INPUT;
      }
    }
  }

  private static List<JournalInput> readAll(List<Path> files) throws InputException {
    List<JournalInput> inputs = new ArrayList<>();
    for (Path file : files) {
      try {
        inputs.add(JournalInput.read(file));
      } catch (IOException e) {
        throw new InputException(e.getMessage());
      }
    }
    return inputs;
  }

  /** Input that cannot be used; its message is the one line the user sees. */
  static final class InputException extends Exception {
    private static final long serialVersionUID = 1L;

    InputException(String message) {
      super(message, null, false, false);
    }
  }
}
