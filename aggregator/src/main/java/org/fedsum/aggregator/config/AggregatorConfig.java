package org.fedsum.aggregator.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.fedsum.crypto.SiteIdentity;

/**
 * The aggregator service's configuration, read once from one YAML file and validated before the
 * service starts (DESIGN.md §6). Every bad value is refused with an {@link
 * AggregatorConfigException} naming the key and the reason; nothing is clamped or guessed, and an
 * unknown key is an error (a misspelt optional key would otherwise silently keep its default).
 * Relative paths are resolved against the folder holding the configuration file.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code federationId}</td><td>required</td><td>the federation's id, as in the CA's
 *       subject {@code CN=FedSum CA <federationId>}; matches {@code [a-z0-9][a-z0-9._-]{0,62}}</td></tr>
 *   <tr><td>{@code listen.host}</td><td>{@code 127.0.0.1}</td><td>address to listen on (an IP
 *       literal or a host name); {@code 0.0.0.0} for every interface</td></tr>
 *   <tr><td>{@code listen.port}</td><td>{@code 8443}</td><td>TCP port, 0 to 65535; 0 picks a free
 *       port (tests)</td></tr>
 *   <tr><td>{@code tls.certificate}</td><td>required</td><td>PEM file with the aggregator's own
 *       certificate, issued by the federation CA for role {@code aggregator}, with the host names
 *       silos connect to in its SAN</td></tr>
 *   <tr><td>{@code tls.privateKey}</td><td>required</td><td>PEM file ({@code PRIVATE KEY}, PKCS#8)
 *       with the key of {@code tls.certificate}; keep it readable by the service user only</td></tr>
 *   <tr><td>{@code tls.ca}</td><td>required</td><td>PEM file with the federation CA certificate,
 *       the only trust anchor for client certificates</td></tr>
 *   <tr><td>{@code tls.crl}</td><td>required</td><td>PEM file with the federation CA's current
 *       CRL; re-read when it changes, so a revocation takes effect without a restart</td></tr>
 *   <tr><td>{@code tls.crlCheckIntervalSeconds}</td><td>{@code 5}</td><td>how often the CRL file
 *       is checked for changes, 1 to 3600 seconds</td></tr>
 *   <tr><td>{@code dataDirectory}</td><td>required</td><td>existing, writable folder for the
 *       journal and model checkpoints; never created by the service, so that a mistyped path
 *       cannot silently start an empty federation</td></tr>
 *   <tr><td>{@code roster}</td><td>required</td><td>list of the silo ids allowed to connect; at
 *       least 3 (DESIGN.md §1: a sum of two updates reveals each to the other), no repeats</td></tr>
 *   <tr><td>{@code limits.maxControlMessageBytes}</td><td>{@code 8388608} (8 MiB)</td><td>largest
 *       request body of any JSON route, 1 KiB to 1 GiB; larger bodies get {@code
 *       MESSAGE_TOO_LARGE}</td></tr>
 *   <tr><td>{@code limits.maxModelParameters}</td><td>{@code 100000000}</td><td>largest model
 *       (number of coordinates) a run may declare, 1 to 2147483647</td></tr>
 *   <tr><td>{@code limits.maxConnectionsPerSite}</td><td>{@code 8}</td><td>open TLS connections
 *       one site (silo or operator) may hold at once, 1 to 1024; requests on further connections
 *       get {@code TOO_MANY_CONNECTIONS}</td></tr>
 *   <tr><td>{@code storageRecoveryIntervalSeconds}</td><td>{@code 5}</td><td>while the active
 *       run has failed writing the data directory (full or read-only disk), how often the
 *       aggregator tries to reopen it from the directory, as a restart would; 1 to 3600
 *       seconds</td></tr>
 * </table>
 *
 * <p>Instances are made by {@link #load(Path)} or {@link #parse(String, Path)}, which validate
 * every value; the record constructors only check for nulls and copy the roster.
 *
 * @param federationId the federation's id
 * @param listen where the HTTPS server listens
 * @param tls the server's certificate, key and the federation's trust anchor and CRL
 * @param dataDirectory absolute path of the data folder
 * @param roster the silo ids allowed to connect, in file order
 * @param limits size and connection limits
 * @param storageRecoveryInterval {@code storageRecoveryIntervalSeconds}
 */
public record AggregatorConfig(
    String federationId,
    Listen listen,
    Tls tls,
    Path dataDirectory,
    List<String> roster,
    Limits limits,
    Duration storageRecoveryInterval) {

  /** Default of {@code listen.host}: loopback only, so nothing is exposed by accident. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Default of {@code listen.port}. */
  public static final int DEFAULT_PORT = 8443;

  /** Default of {@code tls.crlCheckIntervalSeconds}. */
  public static final int DEFAULT_CRL_CHECK_INTERVAL_SECONDS = 5;

  /** Default of {@code limits.maxControlMessageBytes}: 8 MiB. */
  public static final long DEFAULT_MAX_CONTROL_MESSAGE_BYTES = 8L << 20;

  /** Default of {@code limits.maxModelParameters}. */
  public static final int DEFAULT_MAX_MODEL_PARAMETERS = 100_000_000;

  /** Default of {@code limits.maxConnectionsPerSite}. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_SITE = 8;

  /** Default of {@code storageRecoveryIntervalSeconds}. */
  public static final int DEFAULT_STORAGE_RECOVERY_INTERVAL_SECONDS = 5;

  /** DESIGN.md §1: minimum federation size. */
  public static final int MIN_ROSTER_SIZE = 3;

  // A configuration file is small; anything larger is a mistake (a model file passed by accident).
  private static final long MAX_FILE_BYTES = 1 << 20;
  private static final int MAX_QUOTED_LENGTH = 80;
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]{1,253}");

  private static final Set<String> TOP_LEVEL_KEYS =
      Set.of(
          "federationId",
          "listen",
          "tls",
          "dataDirectory",
          "roster",
          "limits",
          "storageRecoveryIntervalSeconds");
  private static final Set<String> LISTEN_KEYS = Set.of("host", "port");
  private static final Set<String> TLS_KEYS =
      Set.of("certificate", "privateKey", "ca", "crl", "crlCheckIntervalSeconds");
  private static final Set<String> LIMITS_KEYS =
      Set.of("maxControlMessageBytes", "maxModelParameters", "maxConnectionsPerSite");

  public AggregatorConfig {
    Objects.requireNonNull(federationId, "federationId");
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(dataDirectory, "dataDirectory");
    roster = List.copyOf(roster);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(storageRecoveryInterval, "storageRecoveryInterval");
  }

  /** As the canonical constructor, with the default {@code storageRecoveryIntervalSeconds}. */
  public AggregatorConfig(
      String federationId,
      Listen listen,
      Tls tls,
      Path dataDirectory,
      List<String> roster,
      Limits limits) {
    this(
        federationId,
        listen,
        tls,
        dataDirectory,
        roster,
        limits,
        Duration.ofSeconds(DEFAULT_STORAGE_RECOVERY_INTERVAL_SECONDS));
  }

  /**
   * Where the HTTPS server listens.
   *
   * @param host {@code listen.host}
   * @param port {@code listen.port}, 0 for a free port
   */
  public record Listen(String host, int port) {
    public Listen {
      Objects.requireNonNull(host, "host");
    }
  }

  /**
   * TLS material, all absolute paths of PEM files.
   *
   * @param certificate {@code tls.certificate}
   * @param privateKey {@code tls.privateKey}
   * @param ca {@code tls.ca}
   * @param crl {@code tls.crl}
   * @param crlCheckInterval {@code tls.crlCheckIntervalSeconds}
   */
  public record Tls(
      Path certificate, Path privateKey, Path ca, Path crl, Duration crlCheckInterval) {
    public Tls {
      Objects.requireNonNull(certificate, "certificate");
      Objects.requireNonNull(privateKey, "privateKey");
      Objects.requireNonNull(ca, "ca");
      Objects.requireNonNull(crl, "crl");
      Objects.requireNonNull(crlCheckInterval, "crlCheckInterval");
    }
  }

  /**
   * Size and connection limits.
   *
   * @param maxControlMessageBytes {@code limits.maxControlMessageBytes}
   * @param maxModelParameters {@code limits.maxModelParameters}
   * @param maxConnectionsPerSite {@code limits.maxConnectionsPerSite}
   */
  public record Limits(
      long maxControlMessageBytes, int maxModelParameters, int maxConnectionsPerSite) {}

  /**
   * Reads and validates a configuration file (UTF-8 YAML). Relative paths in it are resolved
   * against the file's folder.
   *
   * @throws AggregatorConfigException naming the key and the reason, or with key {@code ""} if the
   *     file cannot be read or is not a YAML mapping
   */
  public static AggregatorConfig load(Path file) throws AggregatorConfigException {
    Objects.requireNonNull(file, "file");
    Path absolute = file.toAbsolutePath().normalize();
    String text;
    try {
      long size = Files.size(absolute);
      if (size > MAX_FILE_BYTES) {
        throw new AggregatorConfigException(
            "", "configuration file " + absolute + " is " + size + " bytes, more than 1 MiB");
      }
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(Files.readAllBytes(absolute)))
              .toString();
    } catch (CharacterCodingException e) {
      throw new AggregatorConfigException("", "configuration file " + absolute + " is not UTF-8");
    } catch (IOException e) {
      throw new AggregatorConfigException(
          "", "cannot read configuration file " + absolute + ": " + e, e);
    }
    return parse(text, absolute.getParent());
  }

  /**
   * Parses and validates configuration text.
   *
   * @param baseDirectory the folder relative paths are resolved against
   * @throws AggregatorConfigException naming the key and the reason
   */
  public static AggregatorConfig parse(String yaml, Path baseDirectory)
      throws AggregatorConfigException {
    Objects.requireNonNull(yaml, "yaml");
    Objects.requireNonNull(baseDirectory, "baseDirectory");
    YamlSection root =
        new YamlSection("", YamlSection.readTree(yaml), baseDirectory.toAbsolutePath().normalize());
    root.allowOnly(TOP_LEVEL_KEYS);

    String federationId = root.requiredString("federationId");
    if (!SiteIdentity.isValidSiteId(federationId)) {
      throw new AggregatorConfigException(
          "federationId",
          "must match [a-z0-9][a-z0-9._-]{0,62}, not " + YamlSection.quote(federationId));
    }

    YamlSection listenSection = root.section("listen");
    listenSection.allowOnly(LISTEN_KEYS);
    String host = listenSection.optionalString("host", DEFAULT_HOST);
    if (!HOST.matcher(host).matches()) {
      throw new AggregatorConfigException(
          "listen.host",
          "must be an IP address or a host name (letters, digits, '.', ':', '-'), not "
              + YamlSection.quote(host));
    }
    int port = (int) listenSection.optionalInteger("port", DEFAULT_PORT, 0, 65_535);

    YamlSection tlsSection = root.section("tls");
    tlsSection.allowOnly(TLS_KEYS);
    Tls tls =
        new Tls(
            tlsSection.readableFile("certificate"),
            tlsSection.readableFile("privateKey"),
            tlsSection.readableFile("ca"),
            tlsSection.readableFile("crl"),
            Duration.ofSeconds(
                tlsSection.optionalInteger(
                    "crlCheckIntervalSeconds", DEFAULT_CRL_CHECK_INTERVAL_SECONDS, 1, 3600)));

    Path dataDirectory = root.writableDirectory("dataDirectory");
    List<String> roster = root.roster("roster");

    YamlSection limitsSection = root.section("limits");
    limitsSection.allowOnly(LIMITS_KEYS);
    Limits limits =
        new Limits(
            limitsSection.optionalInteger(
                "maxControlMessageBytes", DEFAULT_MAX_CONTROL_MESSAGE_BYTES, 1L << 10, 1L << 30),
            (int)
                limitsSection.optionalInteger(
                    "maxModelParameters", DEFAULT_MAX_MODEL_PARAMETERS, 1, Integer.MAX_VALUE),
            (int)
                limitsSection.optionalInteger(
                    "maxConnectionsPerSite", DEFAULT_MAX_CONNECTIONS_PER_SITE, 1, 1024));

    Duration storageRecoveryInterval =
        Duration.ofSeconds(
            root.optionalInteger(
                "storageRecoveryIntervalSeconds",
                DEFAULT_STORAGE_RECOVERY_INTERVAL_SECONDS,
                1,
                3600));

    return new AggregatorConfig(
        federationId,
        new Listen(host, port),
        tls,
        dataDirectory,
        roster,
        limits,
        storageRecoveryInterval);
  }
}
