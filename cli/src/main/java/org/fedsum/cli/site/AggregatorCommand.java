package org.fedsum.cli.site;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.fedsum.aggregator.AggregatorServer;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Kit;
import org.fedsum.cli.Yaml;
import org.fedsum.crypto.SiteRole;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedsum aggregator --kit DIR}: runs the aggregator service until it is terminated. */
@Command(
    name = "aggregator",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the aggregator from its kit until it is stopped (Ctrl-C or SIGTERM).",
      "Prints one line 'listening on https://HOST:PORT' once it accepts connections."
    })
public final class AggregatorCommand implements Callable<Integer> {
  @Option(
      names = "--kit",
      required = true,
      paramLabel = "DIR",
      description = "The aggregator's kit.")
  Path kit;

  @Option(
      names = "--data-dir",
      paramLabel = "PATH",
      description = "Journals and checkpoints here instead of the kit's dataDirectory.")
  Path dataDirectory;

  @Option(
      names = "--listen",
      paramLabel = "HOST[:PORT]",
      description = "Listen here instead of the kit's listen.host and listen.port.")
  String listen;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException, InterruptedException {
    AggregatorConfig config = config(Kit.open(kit, SiteRole.AGGREGATOR), dataDirectory, listen);
    AggregatorServer server = start(config);
    CountDownLatch stopped =
        server.closeOnShutdown(
            e -> System.err.println("fedsum aggregator: did not stop cleanly: " + e.getMessage()));
    var out = spec.commandLine().getOut();
    out.println(
        "fedsum aggregator: listening on https://"
            + hostForUrl(config.listen().host())
            + ":"
            + server.port());
    out.flush();
    stopped.await();
    return 0;
  }

  /** The configuration of the kit with the overrides applied, validated. */
  public static AggregatorConfig config(Kit kit, Path dataDirectory, String listen)
      throws CliException {
    ObjectNode tree = kit.configTree();
    if (dataDirectory != null) {
      tree.put("dataDirectory", dataDirectory.toAbsolutePath().normalize().toString());
    }
    if (listen != null) {
      ObjectNode listenNode = tree.with("listen");
      int colon = listen.lastIndexOf(':');
      boolean bareIpv6 = listen.indexOf(':') != colon;
      if (colon >= 0 && !bareIpv6) {
        listenNode.put("host", listen.substring(0, colon));
        try {
          listenNode.put("port", Integer.parseInt(listen.substring(colon + 1)));
        } catch (NumberFormatException e) {
          throw new CliException("--listen " + listen + ": the port is not a number");
        }
      } else {
        listenNode.put("host", listen);
      }
    }
    try {
      return AggregatorConfig.parse(Yaml.write(tree), kit.folder());
    } catch (AggregatorConfigException e) {
      throw new CliException(kit.configFile() + ": " + e.getMessage(), e);
    }
  }

  /** Starts the aggregator; returns once it accepts connections. */
  public static AggregatorServer start(AggregatorConfig config)
      throws CliException, InterruptedException {
    try {
      return AggregatorServer.start(config)
          .toCompletionStage()
          .toCompletableFuture()
          .get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new CliException(
          "cannot start: " + cause.getMessage(),
          cause instanceof AggregatorConfigException ? CliException.USAGE : CliException.FAILURE,
          cause);
    } catch (TimeoutException e) {
      throw new CliException("cannot start: no answer within 120 s", CliException.FAILURE, e);
    }
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }
}
