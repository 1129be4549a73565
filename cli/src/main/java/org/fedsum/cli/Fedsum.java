package org.fedsum.cli;

import java.io.PrintWriter;
import org.fedsum.audit.cli.AuditCommand;
import org.fedsum.cli.bench.BenchCommand;
import org.fedsum.cli.demo.DemoCommand;
import org.fedsum.cli.operator.OperatorCommand;
import org.fedsum.cli.privacy.PrivacyCommand;
import org.fedsum.cli.provision.ProvisionCommand;
import org.fedsum.cli.site.AggregatorCommand;
import org.fedsum.cli.site.SiloCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

/** The {@code fedsum} command: its subcommands, and how failures are reported. */
@Command(
    name = "fedsum",
    mixinStandardHelpOptions = true,
    versionProvider = Fedsum.Version.class,
    description = "Cross-silo federated learning with secure aggregation and differential privacy.",
    subcommands = {
      DemoCommand.class,
      ProvisionCommand.class,
      AggregatorCommand.class,
      SiloCommand.class,
      OperatorCommand.class,
      PrivacyCommand.class,
      AuditCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Fedsum implements Runnable {
  @Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "On failure, print the stack trace after the message.")
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed");
  }

  public static void main(String[] args) {
    System.exit(
        execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code (tests call this in-process). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = commandLine();
    commandLine.setOut(out);
    commandLine.setErr(err);
    return commandLine.execute(args);
  }

  /** The command tree with the launcher's error reporting. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Fedsum());
    commandLine.setParameterExceptionHandler(Fedsum::parameterFailure);
    commandLine.setExecutionExceptionHandler(Fedsum::executionFailure);
    return commandLine;
  }

  private static int parameterFailure(CommandLine.ParameterException failure, String[] args) {
    CommandLine command = failure.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(command.getCommandSpec().qualifiedName() + ": " + failure.getMessage());
    err.println("Run '" + command.getCommandSpec().qualifiedName() + " --help' for the options.");
    if (verbose(command)) {
      failure.printStackTrace(err);
    }
    err.flush();
    return CliException.USAGE;
  }

  private static int executionFailure(
      Exception failure, CommandLine command, ParseResult parseResult) {
    PrintWriter err = command.getErr();
    String name = command.getCommandSpec().qualifiedName();
    int code;
    String message;
    if (failure instanceof CliException cli) {
      code = cli.exitCode();
      message = cli.getMessage();
    } else {
      code = CliException.FAILURE;
      message =
          failure.getMessage() == null
              ? failure.getClass().getSimpleName()
              : failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }
    err.println(name + ": " + oneLine(message));
    if (verbose(command)) {
      failure.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  private static boolean verbose(CommandLine command) {
    CommandLine root = command;
    while (root.getParent() != null) {
      root = root.getParent();
    }
    return root.getCommand() instanceof Fedsum fedsum && fedsum.verbose;
  }

  private static String oneLine(String message) {
    return message.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  /** The version from the jar's manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Fedsum.class.getPackage().getImplementationVersion();
      return new String[] {"fedsum " + (version == null ? "(development build)" : version)};
    }
  }
}
