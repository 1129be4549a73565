package org.fedsum.cli.provision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Yaml;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.silo.client.FrameUpload;
import org.fedsum.silo.node.SiloConfig;

/**
 * Makes and maintains a federation's kits in one output folder (layout in package-info). The CA's
 * key is read from {@code ca/ca.key} only for as long as a command needs it.
 */
public final class Provisioner {
  /** The CA's folder under the output folder. */
  public static final String CA_FOLDER = "ca";

  public static final String CA_CERTIFICATE = "ca.pem";
  public static final String CA_KEY = "ca.key";
  public static final String CRL = "crl.pem";
  public static final String SITE_CERTIFICATE = "site.pem";
  public static final String SITE_KEY = "site.key";
  public static final String START_SCRIPT = "start.sh";
  public static final String FEDERATION_FILE = "federation.yaml";
  public static final String ISSUED_FOLDER = "issued";
  public static final String DATA_FOLDER = "data";

  private final Path out;
  private final SecureRandom random;

  public Provisioner(Path out, SecureRandom random) {
    this.out = out.toAbsolutePath().normalize();
    this.random = random;
  }

  /** The configuration file name of a kit of {@code role}. */
  public static String configFile(SiteRole role) {
    return role.uriSegment() + ".yaml";
  }

  /**
   * A new CA and every site's kit. Refuses, before writing anything, if the output folder already
   * holds the CA or any of the kits.
   *
   * @return the kit folders, aggregator first
   */
  public List<Path> create(FederationSpec spec, SiloKitSettings silo) throws CliException {
    List<Path> wanted = new ArrayList<>();
    wanted.add(out.resolve(CA_FOLDER));
    wanted.add(out.resolve(spec.aggregatorId()));
    spec.silos().forEach(id -> wanted.add(out.resolve(id)));
    spec.operators().forEach(id -> wanted.add(out.resolve(id)));
    for (Path folder : wanted) {
      if (Files.exists(folder)) {
        throw new CliException(
            folder
                + " already exists; provisioning never overwrites a CA or a kit (keys would be"
                + " lost): choose a new --out, or use 'fedsum provision add-site' for new sites");
      }
    }
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new CliException("cannot create " + out + ": " + e.getMessage(), e);
    }
    FederationCa ca =
        FederationCa.create(spec.federationId(), Duration.ofDays(spec.caDays()), random);
    Path caFolder = out.resolve(CA_FOLDER);
    KitFiles.createFolder(caFolder, KitFiles.PRIVATE_FOLDER);
    KitFiles.createFolder(caFolder.resolve(ISSUED_FOLDER), KitFiles.PRIVATE_FOLDER);
    KitFiles.createNew(
        caFolder.resolve(CA_CERTIFICATE),
        Pem.encodeCertificate(ca.certificate()),
        KitFiles.PUBLIC_FILE);
    KitFiles.createNew(
        caFolder.resolve(CA_KEY),
        ca.privateKeyPem(SecretAccess.GRANTED),
        KitFiles.OWNER_READ_WRITE);
    KitFiles.createNew(
        caFolder.resolve(CRL),
        Pem.encodeCrl(ca.emptyCrl(Instant.now(), Duration.ofDays(spec.crlDays()))),
        KitFiles.PUBLIC_FILE);
    KitFiles.createNew(
        caFolder.resolve(FEDERATION_FILE),
        header(spec) + Yaml.write(spec.toYaml()),
        KitFiles.PUBLIC_FILE);

    List<Path> kits = new ArrayList<>();
    kits.add(issueKit(ca, spec, SiteRole.AGGREGATOR, spec.aggregatorId(), silo, 0));
    for (int i = 0; i < spec.silos().size(); i++) {
      kits.add(issueKit(ca, spec, SiteRole.SILO, spec.silos().get(i), silo, i));
    }
    for (String operator : spec.operators()) {
      kits.add(issueKit(ca, spec, SiteRole.OPERATOR, operator, silo, 0));
    }
    return kits;
  }

  /**
   * A kit for a new site, leaving every other kit as it is. A new silo must also be added to the
   * aggregator's roster ({@code roster} in its aggregator.yaml) before it can connect.
   */
  public Path addSite(String siteId, SiteRole role, List<String> hosts, SiloKitSettings silo)
      throws CliException {
    FederationSpec.requireSiteId(siteId, "site id");
    if (siteId.equals(CA_FOLDER)) {
      throw new CliException("site id " + siteId + " is reserved (the CA's folder has that name)");
    }
    FederationSpec spec = loadSpec();
    Path kit = out.resolve(siteId);
    if (Files.exists(kit)) {
      throw new CliException(
          kit + " already exists; provisioning never overwrites a kit (keys would be lost)");
    }
    for (X509Certificate certificate : issued(siteId)) {
      if (!isRevoked(certificate)) {
        throw new CliException(
            "site "
                + siteId
                + " already holds a valid certificate (serial "
                + certificate.getSerialNumber().toString(16)
                + "); revoke it first with 'fedsum provision revoke --site "
                + siteId
                + "'");
      }
    }
    FederationSpec updated = spec;
    int index = 0;
    if (role == SiteRole.SILO) {
      index = spec.silos().indexOf(siteId);
      if (index < 0) {
        List<String> silos = new ArrayList<>(spec.silos());
        silos.add(siteId);
        index = silos.size() - 1;
        updated = withSites(spec, silos, spec.operators());
      }
    } else if (role == SiteRole.OPERATOR && !spec.operators().contains(siteId)) {
      List<String> operators = new ArrayList<>(spec.operators());
      operators.add(siteId);
      updated = withSites(spec, spec.silos(), operators);
    }
    if (role == SiteRole.AGGREGATOR && !hosts.isEmpty()) {
      updated =
          new FederationSpec(
              spec.federationId(),
              siteId,
              hosts,
              spec.port(),
              spec.listenHost(),
              spec.aggregatorUrl(),
              spec.silos(),
              spec.operators(),
              spec.caDays(),
              spec.certificateDays(),
              spec.crlDays());
    } else if (role == SiteRole.AGGREGATOR) {
      updated = withAggregatorId(spec, siteId);
    }
    Path result = issueKit(loadCa(), updated, role, siteId, silo, index);
    KitFiles.replace(
        out.resolve(CA_FOLDER).resolve(FEDERATION_FILE),
        header(updated) + Yaml.write(updated.toYaml()));
    return result;
  }

  /**
   * Revokes every certificate issued to {@code siteId} that is not revoked yet, and writes the new
   * CRL to the CA folder and to every kit under the output folder.
   *
   * @return the kits whose CRL was replaced
   */
  public List<Path> revoke(String siteId) throws CliException {
    FederationSpec spec = loadSpec();
    FederationCa ca = loadCa();
    X509CRL crl = currentCrl();
    boolean revokedAny = false;
    for (X509Certificate certificate : issued(siteId)) {
      if (crl.isRevoked(certificate)) {
        continue;
      }
      try {
        crl =
            ca.revoke(
                crl, certificate.getSerialNumber(), Instant.now(), Duration.ofDays(spec.crlDays()));
      } catch (GeneralSecurityException e) {
        throw new CliException(
            out.resolve(CA_FOLDER).resolve(CRL) + " is not a CRL of this CA: " + e.getMessage(), e);
      }
      revokedAny = true;
    }
    if (!revokedAny) {
      throw new CliException(
          issued(siteId).isEmpty()
              ? "no certificate was issued to site " + siteId + " from " + out
              : "every certificate of site " + siteId + " is already revoked");
    }
    String pem = Pem.encodeCrl(crl);
    KitFiles.replace(out.resolve(CA_FOLDER).resolve(CRL), pem);
    String caPem = KitFiles.read(out.resolve(CA_FOLDER).resolve(CA_CERTIFICATE));
    List<Path> updated = new ArrayList<>();
    try (Stream<Path> folders = Files.list(out)) {
      for (Path kit : folders.sorted().toList()) {
        if (kit.getFileName().toString().equals(CA_FOLDER)
            || !Files.isRegularFile(kit.resolve(CRL))
            || !Files.isRegularFile(kit.resolve(CA_CERTIFICATE))
            || !KitFiles.read(kit.resolve(CA_CERTIFICATE)).equals(caPem)) {
          continue;
        }
        KitFiles.replace(kit.resolve(CRL), pem);
        updated.add(kit);
      }
    } catch (IOException e) {
      throw new CliException("cannot list " + out + ": " + e.getMessage(), e);
    }
    return updated;
  }

  /** The certificates issued to {@code siteId}, oldest first. */
  public List<X509Certificate> issued(String siteId) throws CliException {
    Path folder = out.resolve(CA_FOLDER).resolve(ISSUED_FOLDER);
    if (!Files.isDirectory(folder)) {
      throw new CliException(
          out
              + " holds no federation CA ("
              + folder
              + " is missing); run 'fedsum provision"
              + " --config federation.yaml --out "
              + out
              + "' first");
    }
    List<X509Certificate> certificates = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        if (name.startsWith(siteId + "-")
            && name.endsWith(".pem")
            && name.substring(siteId.length() + 1, name.length() - 4).matches("[0-9a-f]+")) {
          certificates.add(Pem.decodeCertificate(KitFiles.read(file)));
        }
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException("cannot read the issued certificates in " + folder + ": " + e, e);
    }
    return certificates;
  }

  private boolean isRevoked(X509Certificate certificate) throws CliException {
    return currentCrl().isRevoked(certificate);
  }

  private X509CRL currentCrl() throws CliException {
    Path file = out.resolve(CA_FOLDER).resolve(CRL);
    try {
      return Pem.decodeCrl(KitFiles.read(file));
    } catch (GeneralSecurityException e) {
      throw new CliException(file + ": not a PEM CRL: " + e.getMessage(), e);
    }
  }

  /** The federation description kept in the CA folder. */
  public FederationSpec loadSpec() throws CliException {
    Path file = out.resolve(CA_FOLDER).resolve(FEDERATION_FILE);
    if (!Files.isRegularFile(file)) {
      throw new CliException(
          out
              + " holds no provisioned federation ("
              + file
              + " is missing); run 'fedsum"
              + " provision --config federation.yaml --out "
              + out
              + "' first");
    }
    return FederationSpec.load(file);
  }

  private FederationCa loadCa() throws CliException {
    Path folder = out.resolve(CA_FOLDER);
    try {
      return FederationCa.load(
          KitFiles.read(folder.resolve(CA_CERTIFICATE)), KitFiles.read(folder.resolve(CA_KEY)));
    } catch (GeneralSecurityException e) {
      throw new CliException(
          folder + ": the CA certificate and key cannot be used: " + e.getMessage(), e);
    }
  }

  private Path issueKit(
      FederationCa ca,
      FederationSpec spec,
      SiteRole role,
      String siteId,
      SiloKitSettings silo,
      int index)
      throws CliException {
    Path kit = out.resolve(siteId);
    KitFiles.createFolder(kit, KitFiles.FOLDER);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(random);
    X509Certificate certificate =
        ca.issue(
            new SiteIdentity(role, siteId),
            key.verifyingKey(),
            Duration.ofDays(spec.certificateDays()),
            role == SiteRole.AGGREGATOR ? spec.aggregatorHosts() : List.of());
    String certificatePem = Pem.encodeCertificate(certificate);
    KitFiles.createNew(
        out.resolve(CA_FOLDER)
            .resolve(ISSUED_FOLDER)
            .resolve(siteId + "-" + certificate.getSerialNumber().toString(16) + ".pem"),
        certificatePem,
        KitFiles.PUBLIC_FILE);
    KitFiles.createNew(
        kit.resolve(SITE_KEY), key.toPkcs8Pem(SecretAccess.GRANTED), KitFiles.OWNER_READ_WRITE);
    KitFiles.createNew(kit.resolve(SITE_CERTIFICATE), certificatePem, KitFiles.PUBLIC_FILE);
    KitFiles.createNew(
        kit.resolve(CA_CERTIFICATE),
        KitFiles.read(out.resolve(CA_FOLDER).resolve(CA_CERTIFICATE)),
        KitFiles.PUBLIC_FILE);
    KitFiles.createNew(
        kit.resolve(CRL), KitFiles.read(out.resolve(CA_FOLDER).resolve(CRL)), KitFiles.PUBLIC_FILE);
    String config =
        switch (role) {
          case AGGREGATOR -> aggregatorYaml(spec, siteId);
          case SILO -> siloYaml(spec, siteId, silo, index);
          case OPERATOR -> operatorYaml(spec, siteId);
        };
    KitFiles.createNew(kit.resolve(configFile(role)), config, KitFiles.PUBLIC_FILE);
    if (role != SiteRole.OPERATOR) {
      KitFiles.createFolder(kit.resolve(DATA_FOLDER), KitFiles.PRIVATE_FOLDER);
    }
    KitFiles.createNew(kit.resolve(START_SCRIPT), startScript(role), KitFiles.SCRIPT);
    return kit;
  }

  private static String aggregatorYaml(FederationSpec spec, String siteId) {
    return String.join(
        "\n",
        "# FedSum aggregator kit '" + siteId + "' of federation " + spec.federationId() + ".",
        "# Start: ./start.sh, or fedsum aggregator --kit <this folder>. Every key: docs/OPERATOR.md"
            + " and README.md.",
        "# Paths are relative to this folder.",
        "federationId: " + spec.federationId(),
        "listen:",
        "  host: " + spec.listenHost() + "            # 0.0.0.0 for every interface",
        "  port: " + spec.port(),
        "tls:",
        "  certificate: " + SITE_CERTIFICATE + "         # this aggregator's certificate",
        "  privateKey: " + SITE_KEY + "          # its key (mode 0600)",
        "  ca: " + CA_CERTIFICATE + "                    # the federation CA",
        "  crl: "
            + CRL
            + "                  # re-read when it changes: revocations need no"
            + " restart",
        "  crlCheckIntervalSeconds: 5",
        "dataDirectory: " + DATA_FOLDER + "              # journals and model checkpoints",
        "roster: [" + String.join(", ", spec.silos()) + "]   # the silos allowed to connect",
        "");
  }

  private static String siloYaml(
      FederationSpec spec, String siteId, SiloKitSettings silo, int index) {
    return String.join(
        "\n",
        "# FedSum silo kit '" + siteId + "' of federation " + spec.federationId() + ".",
        "# Start: ./start.sh, or fedsum silo --kit <this folder>. Every key: docs/SILO.md.",
        "# Paths are relative to this folder.",
        "siloId: " + siteId,
        "tls:",
        "  certificate: " + SITE_CERTIFICATE,
        "  privateKey: " + SITE_KEY + "          # mode 0600",
        "  ca: " + CA_CERTIFICATE,
        "  crl: " + CRL,
        "aggregator:",
        "  url: " + spec.aggregatorUrl(),
        "  pollWaitSeconds: " + silo.pollWaitSeconds(),
        "  requestTimeoutSeconds: "
            + SiloConfig.DEFAULT_REQUEST_TIMEOUT_SECONDS
            + "     # how long one request may take",
        // Written out, default and all, because the operator of a silo behind a proxy that caps
        // request bodies has to find this key to lower it.
        "  uploadPartKibibytes: "
            + FrameUpload.DEFAULT_PART_BYTES / 1024
            + "       # "
            + SiloConfig.MIN_UPLOAD_PART_KIBIBYTES
            + ".."
            + SiloConfig.MAX_UPLOAD_PART_KIBIBYTES
            + ": the masked vector is uploaded in parts of this size",
        "dataDirectory: "
            + DATA_FOLDER
            + "              # this silo's journal and privacy"
            + " ledger",
        "# Training data. For the silo's own data replace the block, e.g.",
        "#   data: {format: csv, train: /srv/fedsum/train.csv, test: /srv/fedsum/test.csv,"
            + " labelColumn: label}",
        "#   data: {format: idx, trainImages: /srv/fedsum/train-images-idx3-ubyte.gz,",
        "#          trainLabels: /srv/fedsum/train-labels-idx1-ubyte.gz}",
        "data:",
        silo.dataBlock(siteId, index),
        "privacy:",
        "  epsilonBudget: 0               # silo-level ε budget (unit: one silo's whole update per"
            + " round); 0: none",
        "  delta: 1.0e-5                  # δ of both budgets",
        "  recordLevel:                   # record-level DP (DP-SGD; unit: one record of this silo)",
        "    epsilonBudget: 0             # record-level ε budget over every run; 0: none",
        "    required: false              # refuse rounds that do not train with DP-SGD",
        "    minNoiseMultiplier: 0        # refuse DP-SGD with less noise",
        "  floor:                         # rounds below this floor are refused",
        "    requireDifferentialPrivacy: " + silo.requireDifferentialPrivacy(),
        "    minNoiseMultiplier: " + silo.minNoiseMultiplier(),
        "    minThreshold: 2",
        "    minSurvivors: 3",
        "threads: 1                       # the engine's threads (1 when cores are shared)",
        "");
  }

  private static String operatorYaml(FederationSpec spec, String siteId) {
    return String.join(
        "\n",
        "# FedSum operator kit '" + siteId + "' of federation " + spec.federationId() + ".",
        "# Use: fedsum operator --kit <this folder> status (README.md, CLI reference).",
        "# Paths are relative to this folder.",
        "operatorId: " + siteId,
        "aggregator:",
        "  url: " + spec.aggregatorUrl(),
        "tls:",
        "  certificate: " + SITE_CERTIFICATE,
        "  privateKey: " + SITE_KEY + "          # mode 0600",
        "  ca: " + CA_CERTIFICATE,
        "  crl: " + CRL,
        "");
  }

  private static String startScript(SiteRole role) {
    String launcher = System.getenv("FEDSUM_LAUNCHER");
    String fallback =
        launcher == null || launcher.isBlank() || launcher.contains("'") ? "fedsum" : launcher;
    String command = role == SiteRole.OPERATOR ? "operator" : role.uriSegment();
    return String.join(
        "\n",
        "#!/bin/sh",
        "# Runs this "
            + role.uriSegment()
            + " from its kit. FEDSUM names the fedsum launcher"
            + " (default: fedsum on the PATH,",
        "# else the one that provisioned this kit). Extra arguments go to 'fedsum "
            + command
            + "'.",
        "set -eu",
        "kit=\"$(cd \"$(dirname \"$0\")\" && pwd)\"",
        "launcher=\"${FEDSUM:-$(command -v fedsum || echo '" + fallback + "')}\"",
        "exec \"$launcher\" " + command + " --kit \"$kit\" \"$@\"",
        "");
  }

  private static String header(FederationSpec spec) {
    return String.format(
        Locale.ROOT,
        "# Federation %s as provisioned; read by 'fedsum provision add-site' and 'revoke'.%n",
        spec.federationId());
  }

  private static FederationSpec withSites(
      FederationSpec spec, List<String> silos, List<String> operators) {
    return new FederationSpec(
        spec.federationId(),
        spec.aggregatorId(),
        spec.aggregatorHosts(),
        spec.port(),
        spec.listenHost(),
        spec.aggregatorUrl(),
        silos,
        operators,
        spec.caDays(),
        spec.certificateDays(),
        spec.crlDays());
  }

  private static FederationSpec withAggregatorId(FederationSpec spec, String id) {
    return new FederationSpec(
        spec.federationId(),
        id,
        spec.aggregatorHosts(),
        spec.port(),
        spec.listenHost(),
        spec.aggregatorUrl(),
        spec.silos(),
        spec.operators(),
        spec.caDays(),
        spec.certificateDays(),
        spec.crlDays());
  }
}
