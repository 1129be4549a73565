package org.fedsum.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalRecord;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalVerifier;
import org.fedsum.silo.node.SiloJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The deployment end to end: builds the aggregator and silo images from deploy/container (FROM
 * scratch on a jlink-made JRE, built with no network), starts the aggregator and three silos as
 * containers on one container network, each from its own startup kit mounted read-only, with mutual
 * TLS between them, and drives a run through to the end from this JVM as the operator over mutual
 * TLS to the aggregator's published port.
 *
 * <p>It needs a container engine with a Docker-compatible API ({@code DOCKER_HOST}, rootful Podman
 * on our machines: deploy/podman-setup.sh); where none answers it is skipped, and says so.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DeploymentIT {
  private static final String FEDERATION = "deploy-it";
  private static final List<String> SILOS = List.of("silo-1", "silo-2", "silo-3");
  private static final String RUN = "containers-lr";
  private static final int ROUNDS = 3;
  private static final int CONTAINER_USER = 10001;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final Path DEPLOY = Path.of(System.getProperty("fedsum.deploy.dir", "."));
  private static final Path CONTEXT =
      Path.of(System.getProperty("fedsum.image.context", "target/image"));

  private static final List<GenericContainer<?>> CONTAINERS = new ArrayList<>();
  private static PodmanNetwork network;

  // Per test rather than per class, so that the report counts the test as skipped.
  @BeforeEach
  void engine() {
    boolean available;
    try {
      available = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      available = false;
    }
    if (!available) {
      String message =
          "DeploymentIT SKIPPED: no container engine answers at DOCKER_HOST="
              + System.getenv("DOCKER_HOST")
              + " (start one with deploy/podman-setup.sh, as root)";
      System.err.println(message);
      Assumptions.abort(message);
    }
  }

  @AfterAll
  static void stopAll() {
    for (GenericContainer<?> container : CONTAINERS) {
      container.stop();
    }
    if (network != null) {
      network.close();
    }
  }

  @Test
  void aggregatorAndThreeSilosInContainers_mutualTls_runCompletesWithEverySiloInEveryRound()
      throws Exception {
    long started = System.nanoTime();
    Path rootfs = assembleRootfs();
    System.out.printf("DeploymentIT: rootfs assembled in %d s%n", seconds(started));
    String aggregatorImage = build("aggregator", rootfs, List.of("rootfs-base"));
    String siloImage = build("silo", rootfs, List.of("rootfs-base", "rootfs-torch"));
    System.out.printf("DeploymentIT: images built in %d s%n", seconds(started));

    Path work = Files.createDirectories(CONTEXT.getParent().resolve("deployment-it"));
    deleteRecursively(work);
    Kits kits = Kits.provision(Files.createDirectories(work.resolve("kits")));

    network =
        PodmanNetwork.create("fedsum-deploy-it-" + HexFormat.of().toHexDigits(RANDOM.nextInt()));
    Path aggregatorData = ownedByContainerUser(work.resolve("aggregator-data"));
    GenericContainer<?> aggregator =
        site(aggregatorImage, kits.kit("aggregator"), aggregatorData)
            .withExposedPorts(8443)
            .waitingFor(
                Wait.forLogMessage(".*listening on.*\\n", 1)
                    .withStartupTimeout(Duration.ofSeconds(90)));
    aggregator.start();
    // The network has no DNS server (CNI without the dnsname plugin): the silos find the
    // aggregator through /etc/hosts, by the name its certificate carries.
    String aggregatorAddress =
        aggregator
            .getContainerInfo()
            .getNetworkSettings()
            .getNetworks()
            .get(network.getId())
            .getIpAddress();
    List<Path> siloStates = new ArrayList<>();
    for (String silo : SILOS) {
      Path state = ownedByContainerUser(work.resolve(silo + "-state"));
      siloStates.add(state);
      site(siloImage, kits.kit(silo), state).withExtraHost("aggregator", aggregatorAddress).start();
    }
    System.out.printf("DeploymentIT: four containers up at %d s%n", seconds(started));

    Operator operator =
        new Operator(
            kits.operatorClient(),
            "https://" + aggregator.getHost() + ":" + aggregator.getMappedPort(8443));
    operator.awaitHealth(Duration.ofSeconds(60));
    System.out.printf("DeploymentIT: operator reached /health at %d s%n", seconds(started));
    operator.send("POST", "/v1/runs", runConfiguration(), 201);
    operator.send("POST", "/v1/runs/" + RUN + "/start", "", 200);
    JsonNode view = operator.waitForEnd(Duration.ofMinutes(3));
    System.out.printf(
        "DeploymentIT: run %s after %d s: %s rounds finished%n",
        view.path("phase").asText(), seconds(started), view.path("roundsFinished"));
    for (GenericContainer<?> container : CONTAINERS) {
      Files.writeString(
          work.resolve(container.getContainerName().replace("/", "") + ".log"),
          container.getLogs());
    }

    assertThat(view.path("phase").asText()).as("%s", view).isEqualTo("COMPLETED");
    assertThat(view.path("roundsFinished").asInt()).isEqualTo(ROUNDS);
    assertThat(view.path("roundsAborted").asInt()).isZero();

    // Every round finished with all three silos surviving every stage.
    JsonNode rounds = JSON.readTree(operator.send("GET", "/v1/runs/" + RUN + "/rounds", "", 200));
    assertThat(rounds.path("rounds")).hasSize(ROUNDS);
    for (JsonNode round : rounds.path("rounds")) {
      assertThat(round.path("outcome").asText()).as("%s", round).isEqualTo("finished");
      List<String> survivors = new ArrayList<>();
      round.path("survivors").forEach(silo -> survivors.add(silo.asText()));
      assertThat(survivors).as("survivors of %s", round.path("round")).hasSameElementsAs(SILOS);
    }

    // The aggregator's journal verifies against the federation CA, and its last finished round
    // names the model the aggregator serves, byte for byte.
    FederationTrust trust = kits.trust();
    List<String> journal =
        new String(
                operator.send("GET", "/v1/runs/" + RUN + "/journal", "", 200),
                StandardCharsets.UTF_8)
            .lines()
            .toList();
    JournalVerification verification = JournalVerifier.verify(journal, trust, Instant.now());
    assertThat(verification.problem()).as("aggregator journal").isEmpty();
    List<JournalRecord> finished =
        verification.verifiedRecords().stream()
            .filter(record -> record.type().equals("round-finished"))
            .toList();
    assertThat(finished).hasSize(ROUNDS);
    String journaledModel = finished.get(ROUNDS - 1).body().path("modelSha256").asText();
    HttpResponse<byte[]> model = operator.get("/v1/runs/" + RUN + "/model");
    String servedModel =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model.body()));
    assertThat(model.headers().firstValue("X-FedSum-Model-Sha256")).contains(servedModel);
    assertThat(servedModel).isEqualTo(journaledModel).isEqualTo(view.path("modelSha256").asText());
    assertThat(model.body().length).isEqualTo(4 * parameters());
    assertThat(nonZero(model.body())).as("the model moved from zero").isGreaterThan(0);

    // Each silo's journal, written inside its container to its own volume, verifies and shows it
    // agreed to and spent privacy on every round.
    for (int i = 0; i < SILOS.size(); i++) {
      List<String> lines = Files.readAllLines(siloStates.get(i).resolve(SiloJournal.FILE_NAME));
      assertThat(JournalVerifier.verify(lines, trust, Instant.now()).problem())
          .as("journal of %s", SILOS.get(i))
          .isEmpty();
      assertThat(lines.stream().filter(line -> line.contains("\"privacy-spent\"")))
          .as("privacy-spent records of %s", SILOS.get(i))
          .hasSize(ROUNDS);
    }
    System.out.printf("DeploymentIT: verified in %d s%n", seconds(started));
  }

  private static GenericContainer<?> site(String image, Path kit, Path data) {
    GenericContainer<?> container =
        new GenericContainer<>(image)
            .withNetwork(network)
            .withFileSystemBind(kit.toString(), "/kit", BindMode.READ_ONLY)
            .withFileSystemBind(data.toString(), "/data", BindMode.READ_WRITE)
            // exec: Conscrypt and JNA unpack native libraries there and load them.
            .withTmpFs(Map.of("/tmp", "rw,exec,nosuid,nodev,size=128m"))
            .withEnv("JAVA_TOOL_OPTIONS", "-Xmx384m")
            .withCreateContainerCmdModifier(
                command -> command.getHostConfig().withReadonlyRootfs(true));
    CONTAINERS.add(container);
    return container;
  }

  /**
   * Runs deploy/container/assemble-rootfs.sh on the launcher's jars, unless a previous run of this
   * test assembled it from the same jars and script (a rerun in the same build tree).
   */
  private static Path assembleRootfs() throws Exception {
    Path rootfs = CONTEXT.resolve("rootfs");
    Path script = DEPLOY.resolve("container/assemble-rootfs.sh");
    Path done = rootfs.resolve(".assembled");
    if (Files.exists(done)) {
      long assembled = Files.getLastModifiedTime(done).toMillis();
      boolean current = Files.getLastModifiedTime(script).toMillis() < assembled;
      try (Stream<Path> jars = Files.list(CONTEXT.resolve("app/lib"))) {
        for (Path jar : jars.toList()) {
          current &= Files.getLastModifiedTime(jar).toMillis() < assembled;
        }
      }
      if (current) {
        return rootfs;
      }
    }
    Process process =
        new ProcessBuilder(
                "bash",
                DEPLOY.resolve("container/assemble-rootfs.sh").toString(),
                CONTEXT.resolve("app/lib").toString(),
                rootfs.toString())
            .redirectErrorStream(true)
            .redirectOutput(CONTEXT.resolve("assemble-rootfs.log").toFile())
            .start();
    assertThat(process.waitFor(4, TimeUnit.MINUTES)).as("assemble-rootfs.sh finished").isTrue();
    assertThat(process.exitValue())
        .as("assemble-rootfs.sh: %s", Files.readString(CONTEXT.resolve("assemble-rootfs.log")))
        .isZero();
    Files.writeString(done, Instant.now().toString());
    return rootfs;
  }

  /**
   * Builds deploy/container/Containerfile.KIND through the engine's API with no network. The build
   * context goes as a plain tar made by tar(1), which keeps the modes and owners the rootfs was
   * assembled with (/tmp 1777, /data the containers' user) and is not compressed: the silo's
   * context is 600 MB of mostly incompressible native code.
   */
  private static String build(String kind, Path rootfs, List<String> parts) throws Exception {
    String containerfile = "Containerfile." + kind;
    Files.copy(
        DEPLOY.resolve("container").resolve(containerfile),
        rootfs.resolve(containerfile),
        StandardCopyOption.REPLACE_EXISTING);
    List<String> command = new ArrayList<>(List.of("tar", "-C", rootfs.toString(), "-cf", "-"));
    command.add(containerfile);
    command.addAll(parts);
    Process tar = new ProcessBuilder(command).redirectError(Redirect.INHERIT).start();
    String tag = "localhost/fedsum-" + kind + ":it";
    try (InputStream context = tar.getInputStream()) {
      DockerClientFactory.instance()
          .client()
          .buildImageCmd(context)
          .withDockerfilePath(containerfile)
          .withNetworkMode("none")
          .withPull(false)
          .withTags(Set.of(tag))
          .exec(new BuildImageResultCallback())
          .awaitImageId(3, TimeUnit.MINUTES);
    }
    assertThat(tar.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(tar.exitValue()).as("tar of the %s context", kind).isZero();
    return tag;
  }

  private static String runConfiguration() {
    return String.join(
        "\n",
        "runId: " + RUN,
        "roster: [" + String.join(", ", SILOS) + "]",
        "rounds: " + ROUNDS,
        "threshold: 3",
        "deadlines: {advertiseKeys: 90s, shareKeys: 30s, maskedInput: 30s,"
            + " consistencyCheck: 30s, unmask: 30s}",
        "model: {kind: logistic-regression, parameters: "
            + parameters()
            + ", inputShape: [60], classes: 10}",
        "training: {epochs: 1, batchSize: 32, learningRate: 0.05, seed: 3}",
        "privacy: {clipNorm: 2.0, noiseMultiplier: 0.1, delta: 1.0e-5}",
        "");
  }

  /** FedProx synthetic data: 60 features, 10 classes, a weight matrix and a bias. */
  private static int parameters() {
    return 60 * 10 + 10;
  }

  private static int nonZero(byte[] littleEndianFloats) {
    int count = 0;
    for (int i = 0; i < littleEndianFloats.length; i += 4) {
      int bits =
          (littleEndianFloats[i] & 0xff)
              | (littleEndianFloats[i + 1] & 0xff) << 8
              | (littleEndianFloats[i + 2] & 0xff) << 16
              | (littleEndianFloats[i + 3] & 0xff) << 24;
      if (Float.intBitsToFloat(bits) != 0f) {
        count++;
      }
    }
    return count;
  }

  private static long seconds(long since) {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
  }

  /** A folder the containers' user (uid 10001) owns, for a site's data volume. */
  private static Path ownedByContainerUser(Path directory) throws IOException {
    Files.createDirectories(directory);
    Files.setAttribute(directory, "unix:uid", CONTAINER_USER);
    Files.setAttribute(directory, "unix:gid", CONTAINER_USER);
    return directory;
  }

  private static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(path);
      }
    }
  }

  /**
   * The startup kits, laid out as {@code fedsum provision} lays them out: one folder per site with
   * the federation CA, the CRL, the site's certificate and key (0600, owned by the containers'
   * user) and its configuration.
   */
  private static final class Kits {
    private final FederationCa ca;
    private final Path root;

    private Kits(FederationCa ca, Path root) {
      this.ca = ca;
      this.root = root;
    }

    static Kits provision(Path root) throws Exception {
      Kits kits = new Kits(FederationCa.create(FEDERATION, Duration.ofDays(2), RANDOM), root);
      kits.write(
          SiteRole.AGGREGATOR,
          "aggregator",
          List.of("aggregator", "localhost", "127.0.0.1"),
          "aggregator.yaml",
          String.join(
              "\n",
              "federationId: " + FEDERATION,
              "listen: {host: 0.0.0.0, port: 8443}",
              "tls: {certificate: site.pem, privateKey: site.key, ca: ca.pem, crl: crl.pem}",
              "dataDirectory: /data",
              "roster: [" + String.join(", ", SILOS) + "]",
              ""));
      for (int device = 0; device < SILOS.size(); device++) {
        String silo = SILOS.get(device);
        kits.write(
            SiteRole.SILO,
            silo,
            List.of(),
            "silo.yaml",
            String.join(
                "\n",
                "siloId: " + silo,
                "tls: {certificate: site.pem, privateKey: site.key, ca: ca.pem, crl: crl.pem}",
                "aggregator: {url: 'https://aggregator:8443', pollWaitSeconds: 5}",
                "dataDirectory: /data",
                "data: {format: synthetic, alpha: 0, beta: 0, examples: 400, device: "
                    + device
                    + ", seed: 11, heldOutFraction: 0.2}",
                "privacy:",
                "  floor: {requireDifferentialPrivacy: true, minNoiseMultiplier: 0.05}",
                ""));
      }
      return kits;
    }

    Path kit(String site) {
      return root.resolve(site);
    }

    FederationTrust trust() throws Exception {
      return FederationTrust.create(
          ca.certificate(), ca.emptyCrl(Instant.now(), Duration.ofDays(1)));
    }

    HttpClient operatorClient() throws Exception {
      EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
      var certificate =
          ca.issue(
              new SiteIdentity(SiteRole.OPERATOR, "operator"),
              key.verifyingKey(),
              Duration.ofDays(1),
              List.of());
      return HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(3))
          .sslContext(
              MutualTls.clientContext(
                  certificate, key, trust(), SiteRole.AGGREGATOR, Clock.systemUTC()))
          .build();
    }

    private void write(
        SiteRole role, String site, List<String> hosts, String configName, String config)
        throws Exception {
      Path kit = Files.createDirectories(root.resolve(site));
      EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
      var certificate =
          ca.issue(new SiteIdentity(role, site), key.verifyingKey(), Duration.ofDays(1), hosts);
      Files.writeString(kit.resolve("ca.pem"), Pem.encodeCertificate(ca.certificate()));
      Files.writeString(
          kit.resolve("crl.pem"), Pem.encodeCrl(ca.emptyCrl(Instant.now(), Duration.ofDays(1))));
      Files.writeString(kit.resolve("site.pem"), Pem.encodeCertificate(certificate));
      Path keyFile = kit.resolve("site.key");
      Files.writeString(keyFile, key.toPkcs8Pem(SecretAccess.GRANTED));
      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(kit.resolve(configName), config);
      // The key stays 0600: the containers' user owns it, as a site's service user would.
      try (Stream<Path> files = Files.walk(kit)) {
        for (Path file : files.toList()) {
          Files.setAttribute(file, "unix:uid", CONTAINER_USER);
          Files.setAttribute(file, "unix:gid", CONTAINER_USER);
        }
      }
    }
  }

  /** The operator's side of the API, over mutual TLS to the aggregator's published port. */
  private static final class Operator {
    private final HttpClient client;
    private final String base;

    Operator(HttpClient client, String base) {
      this.client = client;
      this.base = base;
    }

    byte[] send(String method, String path, String body, int expected) throws Exception {
      HttpResponse<byte[]> response =
          client.send(
              HttpRequest.newBuilder(URI.create(base + path))
                  .timeout(Duration.ofSeconds(30))
                  .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                  .header("Content-Type", "application/yaml")
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(response.statusCode())
          .as("%s %s: %s", method, path, new String(response.body(), StandardCharsets.UTF_8))
          .isEqualTo(expected);
      return response.body();
    }

    HttpResponse<byte[]> get(String path) throws Exception {
      HttpResponse<byte[]> response =
          client.send(
              HttpRequest.newBuilder(URI.create(base + path))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
      return response;
    }

    /**
     * Waits until GET /health answers over mutual TLS through the published port. The first
     * connections through a freshly published port can be lost (the SYN is dropped while the CNI
     * port mapping settles); each attempt is a new connection, so a retry gets through.
     */
    void awaitHealth(Duration limit) throws Exception {
      long deadline = System.nanoTime() + limit.toNanos();
      while (true) {
        try {
          HttpResponse<byte[]> health = get("/health");
          assertThat(new String(health.body(), StandardCharsets.UTF_8)).contains("ok");
          return;
        } catch (HttpConnectTimeoutException | ConnectException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(500);
        }
      }
    }

    JsonNode waitForEnd(Duration limit) throws Exception {
      long deadline = System.nanoTime() + limit.toNanos();
      JsonNode view = null;
      while (System.nanoTime() < deadline) {
        view = JSON.readTree(send("GET", "/v1/runs/" + RUN, "", 200));
        String phase = view.path("phase").asText();
        if (phase.equals("COMPLETED") || phase.equals("STOPPED") || phase.equals("FAILED")) {
          return view;
        }
        for (GenericContainer<?> container : CONTAINERS) {
          assertThat(container.isRunning())
              .as("%s running; its log:%n%s", container.getDockerImageName(), container.getLogs())
              .isTrue();
        }
        Thread.sleep(1000);
      }
      return view;
    }
  }

  /**
   * A container network made through Podman's own API. Podman's Docker-compatible API isolates the
   * networks it creates (CNI firewall ingressPolicy same-bridge), which also drops the host's
   * connections to published ports; its libpod API creates a plain bridge network, as {@code podman
   * network create} does. Removed through the Docker-compatible API.
   */
  private static final class PodmanNetwork implements Network {
    private final String name;

    private PodmanNetwork(String name) {
      this.name = name;
    }

    static PodmanNetwork create(String name) throws IOException {
      String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///run/podman/podman.sock");
      assertThat(host).as("DOCKER_HOST").startsWith("unix://");
      String body = "{\"name\":\"" + name + "\",\"driver\":\"bridge\"}";
      String request =
          "POST /v4.0.0/libpod/networks/create HTTP/1.1\r\nHost: podman\r\n"
              + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: "
              + body.getBytes(StandardCharsets.UTF_8).length
              + "\r\n\r\n"
              + body;
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(host.substring("unix://".length())));
        channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
        String response =
            new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
        assertThat(response).as("libpod network create").startsWith("HTTP/1.1 200");
      }
      return new PodmanNetwork(name);
    }

    @Override
    public String getId() {
      return name;
    }

    @Override
    public void close() {
      DockerClientFactory.instance().client().removeNetworkCmd(name).exec();
    }

    @Override
    public Statement apply(Statement base, Description description) {
      return base;
    }
  }
}
