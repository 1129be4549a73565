package org.fedsum.silo.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.SiloContext;
import org.fedsum.protocol.Stage;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.training.TrainingProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a silo node in this process: {@code java org.fedsum.silo.node.SiloMain silo.yaml [--once]}.
 * Without {@code --once} it is a long-lived service that takes part in one run after the other;
 * with it, it exits once the run it joined is over. Exit status 0 when that run is over, 2 for an
 * unusable configuration or TLS material (the message names the key), 1 for anything else.
 *
 * <p>Test and drill options, system properties: {@code fedsum.drill.stopBefore=<STAGE>} makes the
 * silo go silent before that stage's message in every round; {@code
 * fedsum.test.exportEncodedUpdates=<folder>} writes each round's encoded update (this silo's
 * individual, unmasked update: for tests that check the aggregator's sum, never in production) to
 * {@code <folder>/<siloId>-round-<n>.words} as little-endian 32-bit words.
 *
 * <p>SIGTERM (or any orderly JVM exit) stops the node cleanly through a shutdown hook ({@link
 * SiloNode#stop}): the round loop is left at the next wait, the journal step in progress finishes,
 * the journal is closed, all within {@value #STOP_SECONDS} s even if the aggregator is unreachable.
 */
public final class SiloMain {
  private static final Logger LOG = LoggerFactory.getLogger(SiloMain.class);

  /** How long a shutdown waits for the round loop to end and the journal to close. */
  static final int STOP_SECONDS = 10;

  // Set by the shutdown hook: the node was stopped, its run is not over.
  private static volatile boolean stopped;

  private SiloMain() {}

  public static void main(String[] args) throws InterruptedException {
    boolean once = args.length == 2 && args[1].equals("--once");
    if (args.length != 1 && !once) {
      System.err.println("usage: SiloMain <silo.yaml> [--once]");
      System.exit(2);
    }
    try {
      SiloConfig config = SiloConfig.load(Path.of(args[0]));
      int rounds = run(config, once);
      if (stopped) {
        // The shutdown hook says so once the journal is closed.
        return;
      }
      System.out.println(
          "fedsum silo " + config.siloId() + ": run over, " + rounds + " rounds finished");
      System.exit(0);
    } catch (SiloConfigException e) {
      System.err.println("fedsum silo: " + args[0] + ": " + e.getMessage());
      System.exit(2);
    } catch (IOException | RuntimeException e) {
      System.err.println("fedsum silo: " + e.getMessage());
      LOG.debug("failure", e);
      System.exit(1);
    }
  }

  /**
   * Whether the JVM's shutdown (SIGTERM) stopped the node: {@link #run} then returns without its
   * run being over, and the shutdown hook reports the stop.
   */
  public static boolean stoppedByShutdown() {
    return stopped;
  }

  /** Runs the silo node described by {@code config} until the run it joined is over. */
  public static int run(SiloConfig config)
      throws SiloConfigException, IOException, InterruptedException {
    return run(config, true);
  }

  /**
   * Runs the silo node described by {@code config}: until the run it joined is over if {@code
   * once}, else as a service that returns only by an exception.
   *
   * @return the rounds finished in the run it joined ({@code once})
   */
  public static int run(SiloConfig config, boolean once)
      throws SiloConfigException, IOException, InterruptedException {
    // The engine reads these when it loads: before any training class is touched.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(config.threads()));
    Material material = Material.load(config);
    Clock clock = Clock.systemUTC();
    AggregatorClient client = aggregatorClient(config, material, clock);
    SiloContext context =
        new SiloContext(
            config.siloId(),
            material.key,
            encoded(material.certificate),
            material.trust,
            new SecureRandom(),
            config.privacy().floor().minSurvivors());
    Optional<Stage> drill =
        Optional.ofNullable(System.getProperty("fedsum.drill.stopBefore")).map(Stage::valueOf);
    boolean interactive = System.console() != null;
    java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<SiloNode> running =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread hook =
        new Thread(() -> stopOnShutdown(config.siloId(), running, closed), "fedsum-silo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try (SiloJournal journal = openJournal(config, material, clock);
        DjlLocalTrainer trainer =
            new DjlLocalTrainer(
                config.data(), TrainingProgressListener.forConsole(interactive, System.out))) {
      LOG.info(
          "silo {} of federation {}: connecting to {}",
          config.siloId(),
          material.federationId,
          config.aggregator().url());
      SiloNode node = new SiloNode(config, client, context, journal, trainer, clock, drill);
      running.set(node);
      String export = System.getProperty("fedsum.test.exportEncodedUpdates");
      if (export != null) {
        LOG.warn("exporting this silo's unmasked encoded updates to {}: for tests only", export);
        node.observeEncodedUpdates(
            (round, words) -> exportWords(Path.of(export), config.siloId(), round, words));
      }
      if (once) {
        return node.run();
      }
      node.serve();
      return 0;
    } finally {
      closed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running: it waits for the latch just released.
      }
    }
  }

  /**
   * The shutdown hook: stops the node (if it got as far as running) and waits until the journal is
   * closed, at most {@value #STOP_SECONDS} s in all.
   */
  private static void stopOnShutdown(
      String siloId,
      java.util.concurrent.atomic.AtomicReference<SiloNode> running,
      java.util.concurrent.CountDownLatch closed) {
    stopped = true;
    long deadline = System.nanoTime() + Duration.ofSeconds(STOP_SECONDS).toNanos();
    try {
      SiloNode node = running.get();
      if (node != null && !node.stop(Duration.ofSeconds(STOP_SECONDS))) {
        LOG.warn("the silo node did not leave its round loop within {} s", STOP_SECONDS);
      }
      long left = deadline - System.nanoTime();
      if (closed.await(Math.max(0, left), java.util.concurrent.TimeUnit.NANOSECONDS)) {
        System.out.println("fedsum silo " + siloId + ": stopped");
      } else {
        LOG.warn("the silo's journal was not closed within {} s; exiting anyway", STOP_SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static SiloJournal openJournal(SiloConfig config, Material material, Clock clock)
      throws IOException, SiloConfigException {
    try {
      return SiloJournal.open(
          config.dataDirectory(),
          material.federationId,
          new SiteIdentity(SiteRole.SILO, config.siloId()),
          material.certificate,
          material.key,
          clock.instant());
    } catch (GeneralSecurityException e) {
      throw new SiloConfigException(
          "dataDirectory", "the journal there cannot be continued: " + e.getMessage());
    }
  }

  private static void exportWords(Path folder, String siloId, long round, int[] words) {
    java.nio.ByteBuffer bytes =
        java.nio.ByteBuffer.allocate(4 * words.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.asIntBuffer().put(words);
    try {
      Files.write(folder.resolve(siloId + "-round-" + round + ".words"), bytes.array());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException("bug: a parsed certificate cannot be encoded", e);
    }
  }

  /** The client of the configured aggregator, with the configured timeout and upload parts. */
  static AggregatorClient aggregatorClient(SiloConfig config, Material material, Clock clock)
      throws SiloConfigException {
    try {
      return AggregatorClient.create(
          config.aggregator().url(),
          MutualTls.clientContext(
              material.certificate, material.key, material.trust, SiteRole.AGGREGATOR, clock),
          Duration.ofSeconds(config.aggregator().requestTimeoutSeconds()),
          config.aggregator().uploadPartBytes());
    } catch (GeneralSecurityException e) {
      throw new SiloConfigException("tls.privateKey", e.getMessage());
    }
  }

  /** The silo's TLS material, checked: the certificate is the federation's, the silo's, valid. */
  static final class Material {
    final X509Certificate certificate;
    final EcdsaP256SigningKey key;
    final FederationTrust trust;
    final String federationId;

    private Material(
        X509Certificate certificate,
        EcdsaP256SigningKey key,
        FederationTrust trust,
        String federationId) {
      this.certificate = certificate;
      this.key = key;
      this.trust = trust;
      this.federationId = federationId;
    }

    static Material load(SiloConfig config) throws SiloConfigException, IOException {
      X509Certificate ca;
      X509CRL crl;
      X509Certificate certificate;
      EcdsaP256SigningKey key;
      FederationTrust trust;
      try {
        ca = Pem.decodeCertificate(read(config.tls().ca()));
      } catch (GeneralSecurityException e) {
        throw new SiloConfigException("tls.ca", "not one PEM certificate: " + e.getMessage());
      }
      try {
        crl = Pem.decodeCrl(read(config.tls().crl()));
        trust = FederationTrust.create(ca, crl);
      } catch (GeneralSecurityException e) {
        throw new SiloConfigException(
            "tls.crl", "not a CRL of the federation CA: " + e.getMessage());
      }
      try {
        certificate = Pem.decodeCertificate(read(config.tls().certificate()));
        SiteIdentity identity =
            trust.verify(certificate, SiteRole.SILO, Clock.systemUTC().instant());
        if (!identity.siteId().equals(config.siloId())) {
          throw new SiloConfigException(
              "siloId",
              "is "
                  + config.siloId()
                  + ", the certificate in tls.certificate is "
                  + identity.uri());
        }
      } catch (GeneralSecurityException e) {
        throw new SiloConfigException(
            "tls.certificate", "not a usable silo certificate: " + e.getMessage());
      }
      try {
        key = EcdsaP256SigningKey.fromPkcs8Pem(read(config.tls().privateKey()));
      } catch (GeneralSecurityException e) {
        throw new SiloConfigException(
            "tls.privateKey", "not a PKCS#8 ECDSA P-256 private key: " + e.getMessage());
      }
      String subject = ca.getSubjectX500Principal().getName(X500Principal.RFC2253);
      String prefix = "CN=FedSum CA ";
      if (!subject.startsWith(prefix)) {
        throw new SiloConfigException("tls.ca", "not a FedSum federation CA: " + subject);
      }
      return new Material(certificate, key, trust, subject.substring(prefix.length()));
    }

    private static String read(Path file) throws IOException {
      return Files.readString(file, StandardCharsets.US_ASCII);
    }
  }
}
