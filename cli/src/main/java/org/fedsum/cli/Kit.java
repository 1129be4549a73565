package org.fedsum.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.fedsum.cli.provision.KitFiles;
import org.fedsum.cli.provision.Provisioner;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;

/**
 * A site's startup kit as {@code fedsum provision} writes it: a folder with its configuration file
 * and TLS files. The configuration is read as a YAML tree so that command-line overrides (data
 * folder, listen address) replace keys before the configuration is validated.
 */
public final class Kit {
  private final Path folder;
  private final SiteRole role;

  private Kit(Path folder, SiteRole role) {
    this.folder = folder;
    this.role = role;
  }

  /** The kit in {@code folder}, which must hold the configuration file of {@code role}. */
  public static Kit open(Path folder, SiteRole role) throws CliException {
    Path absolute = folder.toAbsolutePath().normalize();
    if (!Files.isDirectory(absolute)) {
      throw new CliException("--kit " + folder + ": no such folder");
    }
    Path config = absolute.resolve(Provisioner.configFile(role));
    if (!Files.isRegularFile(config)) {
      throw new CliException(
          "--kit "
              + folder
              + ": no "
              + config.getFileName()
              + " there; is this a "
              + role.uriSegment()
              + " kit from 'fedsum provision'?");
    }
    return new Kit(absolute, role);
  }

  /** The kit's folder, absolute. */
  public Path folder() {
    return folder;
  }

  /** The kit's configuration file. */
  public Path configFile() {
    return folder.resolve(Provisioner.configFile(role));
  }

  /** The configuration file's YAML tree. */
  public ObjectNode configTree() throws CliException {
    return Yaml.readMapping(configFile());
  }

  /** A file named in the configuration, resolved against the kit folder. */
  public Path resolve(String relative) {
    return folder.resolve(relative).normalize();
  }

  /** TLS material of a kit whose configuration has a {@code tls} section of four PEM files. */
  public record Tls(
      X509Certificate certificate,
      EcdsaP256SigningKey key,
      FederationTrust trust,
      SiteIdentity identity) {}

  /** Loads and checks the kit's TLS files: the certificate chains to the CA for this role. */
  public Tls tls() throws CliException {
    ObjectNode tree = configTree();
    var tls = tree.path("tls");
    Path certificateFile = resolve(tls.path("certificate").asText(Provisioner.SITE_CERTIFICATE));
    Path keyFile = resolve(tls.path("privateKey").asText(Provisioner.SITE_KEY));
    Path caFile = resolve(tls.path("ca").asText(Provisioner.CA_CERTIFICATE));
    Path crlFile = resolve(tls.path("crl").asText(Provisioner.CRL));
    X509Certificate ca = certificate(caFile);
    X509CRL crl;
    try {
      crl = Pem.decodeCrl(KitFiles.read(crlFile));
    } catch (GeneralSecurityException e) {
      throw new CliException(crlFile + ": not a PEM CRL: " + e.getMessage(), e);
    }
    FederationTrust trust;
    try {
      trust = FederationTrust.create(ca, crl);
    } catch (GeneralSecurityException e) {
      throw new CliException(
          crlFile + ": not a CRL of the CA in " + caFile + ": " + e.getMessage(), e);
    }
    X509Certificate certificate = certificate(certificateFile);
    SiteIdentity identity;
    try {
      identity = trust.verify(certificate, role, Instant.now());
    } catch (GeneralSecurityException e) {
      throw new CliException(
          certificateFile
              + ": not a usable "
              + role.uriSegment()
              + " certificate: "
              + e.getMessage(),
          e);
    }
    EcdsaP256SigningKey key;
    try {
      key = EcdsaP256SigningKey.fromPkcs8Pem(KitFiles.read(keyFile));
    } catch (GeneralSecurityException e) {
      // The message of a key parse failure names the problem, never the key.
      throw new CliException(keyFile + ": not a PKCS#8 P-256 private key: " + e.getMessage(), e);
    }
    return new Tls(certificate, key, trust, identity);
  }

  private static X509Certificate certificate(Path file) throws CliException {
    try {
      return Pem.decodeCertificate(KitFiles.read(file));
    } catch (GeneralSecurityException e) {
      throw new CliException(file + ": not one PEM certificate: " + e.getMessage(), e);
    }
  }
}
