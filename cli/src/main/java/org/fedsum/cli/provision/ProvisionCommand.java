package org.fedsum.cli.provision;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedsum.cli.CliException;
import org.fedsum.crypto.SiteRole;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fedsum provision}: the federation CA and the sites' startup kits. */
@Command(
    name = "provision",
    mixinStandardHelpOptions = true,
    description = {
      "Makes a federation CA and one startup kit per site from a federation.yaml.",
      "Each kit DIR/<site-id>/ holds ca.pem, crl.pem, site.pem, site.key (mode 0600), the site's"
          + " configuration file and start.sh; the CA's key stays in DIR/ca/.",
      "Existing keys are never overwritten."
    },
    subcommands = {ProvisionCommand.Revoke.class, ProvisionCommand.AddSite.class})
public final class ProvisionCommand implements Callable<Integer> {
  @Option(names = "--example", description = "Print a commented example federation.yaml.")
  boolean example;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "The federation.yaml to provision.")
  Path config;

  @Option(names = "--out", paramLabel = "DIR", description = "Where the CA and the kits go.")
  Path out;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws CliException {
    if (example) {
      if (config != null || out != null) {
        throw new CliException("--example prints the example only; drop --config and --out");
      }
      spec.commandLine().getOut().print(FederationSpec.example());
      spec.commandLine().getOut().flush();
      return 0;
    }
    if (config == null || out == null) {
      throw new CliException(
          "give --config federation.yaml and --out DIR (or --example for a federation.yaml to"
              + " start from)");
    }
    FederationSpec federation = FederationSpec.load(config);
    List<Path> kits =
        new Provisioner(out, new SecureRandom()).create(federation, SiloKitSettings.defaults());
    var printer = spec.commandLine().getOut();
    printer.println(
        "federation "
            + federation.federationId()
            + ": CA in "
            + out.resolve(Provisioner.CA_FOLDER)
            + " (keep ca.key offline; it never goes into a kit)");
    for (Path kit : kits) {
      printer.println("kit " + kit);
    }
    printer.println(
        "next: copy each kit to its site and run its start.sh (README.md, \"Real deployment\")");
    printer.flush();
    return 0;
  }

  /** {@code fedsum provision revoke}. */
  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = {
        "Revokes a site's certificate and writes the new CRL into DIR/ca/ and every kit under DIR.",
        "A running aggregator reads its kit's new CRL without a restart; copy the CRL to kits"
            + " already handed out."
      })
  static final class Revoke implements Callable<Integer> {
    @Option(names = "--site", required = true, paramLabel = "ID", description = "The site id.")
    String site;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "The provisioned folder.")
    Path out;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CliException {
      FederationSpec.requireSiteId(site, "--site");
      List<Path> kits = new Provisioner(out, new SecureRandom()).revoke(site);
      var printer = spec.commandLine().getOut();
      printer.println("revoked " + site + "; new CRL written to " + kits.size() + " kits:");
      for (Path kit : kits) {
        printer.println("  " + kit.resolve(Provisioner.CRL));
      }
      printer.flush();
      return 0;
    }
  }

  /** {@code fedsum provision add-site}. */
  @Command(
      name = "add-site",
      mixinStandardHelpOptions = true,
      description = {
        "Issues a kit for a new site under DIR without touching the other kits.",
        "A new silo must also be added to 'roster' in the aggregator's aggregator.yaml (and the"
            + " aggregator restarted) before it can connect."
      })
  static final class AddSite implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "The new site's id.")
    String site;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "The provisioned folder.")
    Path out;

    @Option(
        names = "--role",
        paramLabel = "ROLE",
        defaultValue = "silo",
        description = "silo (default), operator or aggregator.")
    String role;

    @Option(
        names = "--host",
        paramLabel = "HOST",
        description = "For an aggregator: a host name or IP for its certificate (repeatable).")
    List<String> hosts = List.of();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CliException {
      SiteRole siteRole =
          switch (role) {
            case "silo" -> SiteRole.SILO;
            case "operator" -> SiteRole.OPERATOR;
            case "aggregator" -> SiteRole.AGGREGATOR;
            default ->
                throw new CliException(
                    "--role must be silo, operator or aggregator, not \"" + role + "\"");
          };
      if (!hosts.isEmpty() && siteRole != SiteRole.AGGREGATOR) {
        throw new CliException("--host is for an aggregator's certificate only");
      }
      Path kit =
          new Provisioner(out, new SecureRandom())
              .addSite(site, siteRole, hosts, SiloKitSettings.defaults());
      var printer = spec.commandLine().getOut();
      printer.println("kit " + kit);
      if (siteRole == SiteRole.SILO) {
        printer.println(
            "next: add "
                + site
                + " to 'roster' in the aggregator's aggregator.yaml and restart the aggregator;"
                + " copy the kit to the site and run its start.sh");
      }
      printer.flush();
      return 0;
    }
  }
}
