package org.fedsum.cli.site;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Kit;
import org.fedsum.cli.Yaml;
import org.fedsum.crypto.SiteRole;
import org.fedsum.silo.node.SiloConfig;
import org.fedsum.silo.node.SiloConfigException;
import org.fedsum.silo.node.SiloMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum silo --kit DIR}: runs a silo node until its run is over. */
@Command(
    name = "silo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a silo node from its kit: it connects to the aggregator and takes part in one run"
          + " after the other until it is stopped; with --once it exits 0 when its run is over.",
      "Its journal (with its privacy ledger) is in the kit's dataDirectory or --data-dir."
    })
public final class SiloCommand implements Callable<Integer> {
  /** Exit code when the process that started this silo went away (the demo's launcher). */
  public static final int PARENT_GONE = 3;

  @Option(names = "--kit", required = true, paramLabel = "DIR", description = "The silo's kit.")
  Path kit;

  @Option(
      names = "--data-dir",
      paramLabel = "PATH",
      description = "The journal here instead of the kit's dataDirectory.")
  Path dataDirectory;

  @Option(names = "--once", description = "Exit when the run this silo joined is over.")
  boolean once;

  // The demo's silos end with the launcher that started them, even if it is killed with SIGKILL.
  @Option(names = "--parent-pid", hidden = true)
  Long parentPid;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException, InterruptedException {
    SiloConfig config = config(Kit.open(kit, SiteRole.SILO), dataDirectory);
    if (parentPid != null) {
      ProcessHandle.of(parentPid)
          .ifPresentOrElse(
              parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(PARENT_GONE)),
              () -> Runtime.getRuntime().halt(PARENT_GONE));
    }
    int rounds;
    try {
      rounds = SiloMain.run(config, once);
    } catch (SiloConfigException e) {
      throw new CliException(kit + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new CliException(e.getMessage(), CliException.FAILURE, e);
    }
    if (SiloMain.stoppedByShutdown()) {
      // Stopped by SIGTERM: the shutdown hook says so once the journal is closed.
      return 0;
    }
    var out = spec.commandLine().getOut();
    out.println("fedsum silo " + config.siloId() + ": run over, " + rounds + " rounds finished");
    out.flush();
    return 0;
  }

  /** The configuration of the kit with the override applied, validated. */
  public static SiloConfig config(Kit kit, Path dataDirectory) throws CliException {
    ObjectNode tree = kit.configTree();
    if (dataDirectory != null) {
      tree.put("dataDirectory", dataDirectory.toAbsolutePath().normalize().toString());
    }
    try {
      return SiloConfig.parse(Yaml.write(tree), kit.folder());
    } catch (SiloConfigException e) {
      throw new CliException(kit.configFile() + ": " + e.getMessage(), e);
    }
  }
}
