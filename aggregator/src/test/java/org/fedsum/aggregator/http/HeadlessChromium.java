package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium, driven through Debian's chromedriver by Selenium, set up to reach an
 * aggregator over mutual TLS as an operator would, without any switch that weakens TLS:
 *
 * <ul>
 *   <li>a private {@code HOME} whose NSS database ({@code ~/.pki/nssdb}, made with {@code
 *       certutil}) trusts the federation CA for TLS servers and holds the operator's certificate
 *       and key (imported from PKCS#12 with {@code pk12util}), so Chromium verifies the
 *       aggregator's certificate against the federation CA like any other server's;
 *   <li>a managed Chromium policy, {@code AutoSelectCertificateForUrls}, in {@value
 *       #POLICY_DIRECTORY} (the only place Chromium on Linux reads policies from), naming the
 *       aggregator's origin and the federation CA as issuer: a headless browser cannot show the
 *       certificate chooser, and without the policy it sends no certificate at all.
 * </ul>
 *
 * <p>{@link #close()} quits the browser and its driver and removes the policy file (and the policy
 * folders if it made them); a shutdown hook removes the policy file if the JVM ends first. The
 * private {@code HOME} is the caller's temporary folder. The browser resolves no host name (only
 * 127.0.0.1 is reachable) and runs without background networking, so it contacts nothing but the
 * aggregator.
 *
 * <p>Needs the Debian packages {@code chromium}, {@code chromium-driver} and {@code libnss3-tools}
 * ({@code .ci/run} installs them), and write access to {@value #POLICY_DIRECTORY} (root, as in CI).
 */
final class HeadlessChromium implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final String POLICY_DIRECTORY = "/etc/chromium/policies/managed";

  private static final List<String> TOOLS =
      List.of(
          CHROMIUM.toString(), CHROMEDRIVER.toString(), "/usr/bin/certutil", "/usr/bin/pk12util");

  private final ChromeDriverService service;
  private final ChromeDriver driver;
  private final Path policyFile;
  private final List<Path> createdDirectories;
  private final Thread removePolicyOnExit;

  private HeadlessChromium(
      ChromeDriverService service,
      ChromeDriver driver,
      Path policyFile,
      List<Path> createdDirectories,
      Thread removePolicyOnExit) {
    this.service = service;
    this.driver = driver;
    this.policyFile = policyFile;
    this.createdDirectories = createdDirectories;
    this.removePolicyOnExit = removePolicyOnExit;
  }

  /**
   * Starts a browser that trusts {@code fixture}'s CA and presents {@code operator}'s certificate
   * to {@code https://127.0.0.1:<port>}.
   *
   * @param home an empty temporary folder: the browser's HOME, NSS database and profile
   */
  static HeadlessChromium start(
      Path home, FederationFixture fixture, FederationFixture.Party operator, int port)
      throws Exception {
    for (String tool : TOOLS) {
      assertThat(Files.isExecutable(Path.of(tool)))
          .as(
              "%s is missing: install the Debian packages chromium, chromium-driver and"
                  + " libnss3-tools (.ci/run does)",
              tool)
          .isTrue();
    }
    Path database = home.resolve(".pki/nssdb");
    Files.createDirectories(database);
    String nss = "sql:" + database;
    Path caFile = fixture.directory.resolve("ca.pem");
    run(home, "certutil", "-N", "-d", nss, "--empty-password");
    // "C,,": a CA trusted to issue TLS server certificates, nothing else.
    run(
        home,
        "certutil",
        "-A",
        "-d",
        nss,
        "-n",
        "fedsum-test-ca",
        "-t",
        "C,,",
        "-i",
        caFile.toString());
    String password = HexFormat.of().formatHex(SecureRandom.getSeed(12));
    Path pkcs12 = home.resolve("operator.p12");
    writePkcs12(pkcs12, operator, fixture, password.toCharArray());
    run(home, "pk12util", "-i", pkcs12.toString(), "-d", nss, "-W", password, "-K", "");
    Files.delete(pkcs12);

    List<Path> created = new ArrayList<>();
    Path policyDirectory = Path.of(POLICY_DIRECTORY);
    for (Path directory = policyDirectory;
        directory != null && !Files.exists(directory);
        directory = directory.getParent()) {
      created.add(0, directory);
    }
    Files.createDirectories(policyDirectory);
    Path policyFile =
        policyDirectory.resolve(
            "fedsum-test-" + HexFormat.of().formatHex(SecureRandom.getSeed(6)) + ".json");
    String issuerCommonName =
        new javax.naming.ldap.LdapName(fixture.ca.certificate().getSubjectX500Principal().getName())
            .getRdns().stream()
                .filter(rdn -> rdn.getType().equalsIgnoreCase("CN"))
                .map(rdn -> rdn.getValue().toString())
                .findFirst()
                .orElseThrow();
    // The policy value is a list of JSON documents, each written as a string.
    String rule =
        "{\"pattern\":\"https://127.0.0.1:"
            + port
            + "\",\"filter\":{\"ISSUER\":{\"CN\":\""
            + issuerCommonName
            + "\"}}}";
    Files.writeString(
        policyFile,
        "{\"AutoSelectCertificateForUrls\": [\"" + rule.replace("\"", "\\\"") + "\"]}\n",
        StandardCharsets.UTF_8);
    Thread removePolicyOnExit = new Thread(() -> deleteQuietly(policyFile, created));
    Runtime.getRuntime().addShutdownHook(removePolicyOnExit);

    ChromeDriverService service = null;
    try {
      service =
          new ChromeDriverService.Builder()
              .usingDriverExecutable(CHROMEDRIVER.toFile())
              .usingAnyFreePort()
              .withEnvironment(Map.of("HOME", home.toString()))
              .withLogFile(home.resolve("chromedriver.log").toFile())
              .build();
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments(
          "--headless=new",
          // Chromium refuses to run as root (CI) inside its sandbox.
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--user-data-dir=" + home.resolve("profile"),
          "--window-size=1400,1000",
          "--no-first-run",
          "--no-default-browser-check",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-domain-reliability",
          "--disable-sync",
          "--no-pings",
          "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1");
      options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
      ChromeDriver driver = new ChromeDriver(service, options);
      return new HeadlessChromium(service, driver, policyFile, created, removePolicyOnExit);
    } catch (RuntimeException | Error e) {
      if (service != null) {
        service.stop();
      }
      deleteQuietly(policyFile, created);
      Runtime.getRuntime().removeShutdownHook(removePolicyOnExit);
      throw e;
    }
  }

  ChromeDriver driver() {
    return driver;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
      deleteQuietly(policyFile, createdDirectories);
      Runtime.getRuntime().removeShutdownHook(removePolicyOnExit);
    }
  }

  /** The policy file is removed, and the folders made for it if they are empty again. */
  private static void deleteQuietly(Path policyFile, List<Path> createdDirectories) {
    try {
      Files.deleteIfExists(policyFile);
      for (int i = createdDirectories.size() - 1; i >= 0; i--) {
        Path directory = createdDirectories.get(i);
        try (var entries = Files.list(directory)) {
          if (entries.findAny().isEmpty()) {
            Files.delete(directory);
          }
        }
      }
    } catch (IOException e) {
      System.err.println("could not remove the test policy " + policyFile + ": " + e);
    }
  }

  /** The operator's key and certificate chain as PKCS#12, the format pk12util imports. */
  private static void writePkcs12(
      Path file, FederationFixture.Party party, FederationFixture fixture, char[] password)
      throws Exception {
    String pem = party.privateKeyPem();
    String base64 = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    PrivateKey key =
        KeyFactory.getInstance("EC")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        "operator",
        key,
        password,
        new Certificate[] {party.certificate(), fixture.ca.certificate()});
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password);
    }
  }

  private static void run(Path home, String... command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("HOME", home.toString());
    Process process = builder.start();
    process.getOutputStream().close();
    byte[] output = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s ends", command[0]).isTrue();
    assertThat(process.exitValue())
        .as("%s: %s", String.join(" ", command), new String(output, StandardCharsets.UTF_8))
        .isZero();
  }
}
