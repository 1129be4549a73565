package org.fedsum.cli.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Yaml;
import org.fedsum.crypto.SiteIdentity;

/**
 * A federation as {@code federation.yaml} describes it (README.md, "Configuration reference"): its
 * id, the aggregator (site id, the host names in its certificate, port, listen address, the URL the
 * others reach it by), the silos and the operators, and how long the CA, the certificates and the
 * CRL are valid. Unknown keys are refused, like every FedSum configuration.
 *
 * @param federationId the federation's id; the CA is {@code CN=FedSum CA <federationId>}
 * @param aggregatorId the aggregator's site id
 * @param aggregatorHosts DNS names or IP literals in the aggregator certificate's SAN
 * @param port the aggregator's TCP port
 * @param listenHost the address the aggregator binds
 * @param aggregatorUrl the URL silos and operators connect to
 * @param silos the silos' site ids (the aggregator's roster), at least 3
 * @param operators the operators' site ids
 * @param caDays validity of the CA certificate
 * @param certificateDays validity of each site certificate
 * @param crlDays validity of each CRL (its nextUpdate); past it every site refuses the CRL
 */
public record FederationSpec(
    String federationId,
    String aggregatorId,
    List<String> aggregatorHosts,
    int port,
    String listenHost,
    URI aggregatorUrl,
    List<String> silos,
    List<String> operators,
    int caDays,
    int certificateDays,
    int crlDays) {

  public static final int DEFAULT_PORT = 8443;
  public static final int DEFAULT_CA_DAYS = 3650;
  public static final int DEFAULT_CERTIFICATE_DAYS = 365;
  public static final int DEFAULT_CRL_DAYS = 365;

  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]{1,253}");
  private static final Set<String> TOP_KEYS =
      Set.of("federationId", "aggregator", "silos", "operators", "validity");
  private static final Set<String> AGGREGATOR_KEYS = Set.of("id", "hosts", "port", "listen", "url");
  private static final Set<String> VALIDITY_KEYS = Set.of("caDays", "certificateDays", "crlDays");

  public FederationSpec {
    Objects.requireNonNull(federationId, "federationId");
    aggregatorHosts = List.copyOf(aggregatorHosts);
    silos = List.copyOf(silos);
    operators = List.copyOf(operators);
  }

  /** The example of {@code fedsum provision --example}. */
  public static String example() {
    return String.join(
        "\n",
        "# A FedSum federation: fedsum provision --config federation.yaml --out kits",
        "# makes a federation CA and one startup kit per site below.",
        "federationId: example            # [a-z0-9][a-z0-9._-]{0,62}; the CA is"
            + " \"FedSum CA example\"",
        "aggregator:",
        "  id: aggregator                 # the aggregator's site id",
        "  hosts: [127.0.0.1, localhost]  # names and IPs silos reach it by (its certificate's SAN);"
            + " add e.g. aggregator in containers",
        "  port: 8443                     # its TCP port",
        "  listen: 127.0.0.1              # the address it binds; 0.0.0.0 for every interface",
        "  # url: https://127.0.0.1:8443  # what silos and operators connect to;"
            + " default https://<first host>:<port>",
        "silos: [silo-1, silo-2, silo-3]  # the roster: at least 3 silo ids",
        "operators: [operator]            # operator ids (run control, metrics)",
        "validity:",
        "  caDays: 3650                   # the federation CA certificate",
        "  certificateDays: 365           # each site certificate",
        "  crlDays: 365                   # each CRL (its nextUpdate): sites refuse an expired CRL",
        "");
  }

  /** Reads and validates {@code file}. */
  public static FederationSpec load(Path file) throws CliException {
    return parse(Yaml.readMapping(file), file.toString());
  }

  /** Validates a parsed {@code federation.yaml}; {@code source} names it in messages. */
  public static FederationSpec parse(ObjectNode root, String source) throws CliException {
    allowOnly(root, TOP_KEYS, "", source);
    String federationId = siteId(root, "federationId", source);
    JsonNode aggregator = root.path("aggregator");
    if (!aggregator.isObject()) {
      throw new CliException(source + ": aggregator: missing (a mapping with id, hosts, port)");
    }
    allowOnly(aggregator, AGGREGATOR_KEYS, "aggregator.", source);
    String aggregatorId =
        aggregator.has("id") ? siteId(aggregator, "id", "aggregator.", source) : "aggregator";
    List<String> hosts = strings(aggregator.path("hosts"), "aggregator.hosts", source);
    if (hosts.isEmpty()) {
      throw new CliException(
          source + ": aggregator.hosts: at least one host name or IP address is needed");
    }
    for (int i = 0; i < hosts.size(); i++) {
      if (!HOST.matcher(hosts.get(i)).matches()) {
        throw new CliException(
            source + ": aggregator.hosts[" + i + "]: not a host name or IP: " + hosts.get(i));
      }
    }
    int port = integer(aggregator, "port", DEFAULT_PORT, 1, 65_535, "aggregator.", source);
    String listen = aggregator.path("listen").asText("127.0.0.1");
    if (!HOST.matcher(listen).matches()) {
      throw new CliException(source + ": aggregator.listen: not a host name or IP: " + listen);
    }
    URI url;
    String urlText =
        aggregator.has("url")
            ? aggregator.get("url").asText()
            : "https://" + bracketed(hosts.get(0)) + ":" + port;
    try {
      url = new URI(urlText);
    } catch (URISyntaxException e) {
      throw new CliException(source + ": aggregator.url: not a URL: " + urlText);
    }
    if (!"https".equals(url.getScheme()) || url.getHost() == null) {
      throw new CliException(source + ": aggregator.url: must be https://HOST:PORT, not " + url);
    }
    List<String> silos = siteIds(root.path("silos"), "silos", source);
    if (silos.size() < 3) {
      throw new CliException(
          source
              + ": silos: at least 3 silos are needed (a sum of two updates reveals each to the"
              + " other), not "
              + silos.size());
    }
    List<String> operators =
        root.has("operators") ? siteIds(root.get("operators"), "operators", source) : List.of();
    JsonNode validity = root.path("validity");
    if (!validity.isMissingNode()) {
      allowOnly(validity, VALIDITY_KEYS, "validity.", source);
    }
    int caDays = integer(validity, "caDays", DEFAULT_CA_DAYS, 1, 36_500, "validity.", source);
    int certificateDays =
        integer(
            validity, "certificateDays", DEFAULT_CERTIFICATE_DAYS, 1, 36_500, "validity.", source);
    int crlDays = integer(validity, "crlDays", DEFAULT_CRL_DAYS, 1, 36_500, "validity.", source);
    if (certificateDays >= caDays) {
      throw new CliException(
          source
              + ": validity.certificateDays: "
              + certificateDays
              + " must be below validity.caDays "
              + caDays
              + " (no certificate may outlast its CA)");
    }
    Set<String> seen = new HashSet<>();
    List<String> everyone = new ArrayList<>();
    everyone.add(aggregatorId);
    everyone.addAll(silos);
    everyone.addAll(operators);
    for (String id : everyone) {
      if (!seen.add(id)) {
        throw new CliException(
            source + ": site id " + id + " is used twice (every site needs its own id and kit)");
      }
      if (id.equals(Provisioner.CA_FOLDER)) {
        throw new CliException(
            source + ": site id " + id + " is reserved (the CA's folder has that name)");
      }
    }
    return new FederationSpec(
        federationId,
        aggregatorId,
        hosts,
        port,
        listen,
        url,
        silos,
        operators,
        caDays,
        certificateDays,
        crlDays);
  }

  /** This description as YAML, as kept in {@code ca/federation.yaml} for later commands. */
  public ObjectNode toYaml() {
    ObjectNode root = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    root.put("federationId", federationId);
    ObjectNode aggregator = root.putObject("aggregator");
    aggregator.put("id", aggregatorId);
    aggregatorHosts.forEach(aggregator.putArray("hosts")::add);
    aggregator.put("port", port);
    aggregator.put("listen", listenHost);
    aggregator.put("url", aggregatorUrl.toString());
    silos.forEach(root.putArray("silos")::add);
    operators.forEach(root.putArray("operators")::add);
    ObjectNode validity = root.putObject("validity");
    validity.put("caDays", caDays);
    validity.put("certificateDays", certificateDays);
    validity.put("crlDays", crlDays);
    return root;
  }

  private static String bracketed(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private static void allowOnly(JsonNode node, Set<String> keys, String prefix, String source)
      throws CliException {
    if (!node.isObject()) {
      throw new CliException(source + ": " + prefix + ": must be a mapping");
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!keys.contains(name)) {
        throw new CliException(
            source
                + ": "
                + prefix
                + name
                + ": unknown key (known: "
                + String.join(", ", keys.stream().sorted().toList())
                + ")");
      }
    }
  }

  private static String siteId(JsonNode node, String key, String source) throws CliException {
    return siteId(node, key, "", source);
  }

  private static String siteId(JsonNode node, String key, String prefix, String source)
      throws CliException {
    JsonNode value = node.path(key);
    if (!value.isTextual() || value.asText().isBlank()) {
      throw new CliException(source + ": " + prefix + key + ": missing (the key is required)");
    }
    requireSiteId(value.asText(), source + ": " + prefix + key);
    return value.asText();
  }

  /** Refuses an id that is not a valid site id; {@code where} starts the message. */
  static void requireSiteId(String id, String where) throws CliException {
    if (!SiteIdentity.isValidSiteId(id)) {
      throw new CliException(where + ": must match [a-z0-9][a-z0-9._-]{0,62}, not \"" + id + "\"");
    }
  }

  private static List<String> siteIds(JsonNode node, String key, String source)
      throws CliException {
    List<String> ids = strings(node, key, source);
    for (int i = 0; i < ids.size(); i++) {
      requireSiteId(ids.get(i), source + ": " + key + "[" + i + "]");
    }
    return ids;
  }

  private static List<String> strings(JsonNode node, String key, String source)
      throws CliException {
    if (node.isMissingNode()) {
      throw new CliException(source + ": " + key + ": missing (the key is required)");
    }
    if (!node.isArray()) {
      throw new CliException(source + ": " + key + ": must be a list, e.g. [a, b, c]");
    }
    List<String> values = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      if (!node.get(i).isTextual() && !node.get(i).isNumber()) {
        throw new CliException(source + ": " + key + "[" + i + "]: must be a text value");
      }
      values.add(node.get(i).asText());
    }
    return values;
  }

  private static int integer(
      JsonNode node, String key, int defaultValue, int min, int max, String prefix, String source)
      throws CliException {
    JsonNode value = node.path(key);
    if (value.isMissingNode()) {
      return defaultValue;
    }
    if (!value.isIntegralNumber() || value.asLong() < min || value.asLong() > max) {
      throw new CliException(
          source
              + ": "
              + prefix
              + key
              + ": must be a whole number from "
              + min
              + " to "
              + max
              + ", not "
              + value);
    }
    return value.asInt();
  }
}
