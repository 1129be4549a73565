package org.fedsum.silo.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;

/**
 * A silo's TLS files as a provisioned kit has them, from a new federation CA: {@code ca.pem},
 * {@code crl.pem}, {@code silo.pem} and {@code silo.key} (mode 0600) in one folder.
 */
record SiloKitFiles(FederationCa ca, X509CRL crl) {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The YAML line that points a silo config at the files. */
  static final String TLS_YAML =
      "tls: {certificate: silo.pem, privateKey: silo.key, ca: ca.pem, crl: crl.pem}";

  static SiloKitFiles write(Path directory, String federation, String siloId)
      throws GeneralSecurityException, IOException {
    FederationCa ca = FederationCa.create(federation, Duration.ofDays(2), RANDOM);
    X509CRL crl = ca.emptyCrl(Instant.now(), Duration.ofDays(1));
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    X509Certificate certificate =
        ca.issue(
            new SiteIdentity(SiteRole.SILO, siloId),
            key.verifyingKey(),
            Duration.ofDays(1),
            List.of());
    Files.writeString(directory.resolve("ca.pem"), Pem.encodeCertificate(ca.certificate()));
    Files.writeString(directory.resolve("crl.pem"), Pem.encodeCrl(crl));
    Files.writeString(directory.resolve("silo.pem"), Pem.encodeCertificate(certificate));
    Path keyFile = directory.resolve("silo.key");
    Files.writeString(keyFile, key.toPkcs8Pem(SecretAccess.GRANTED));
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    return new SiloKitFiles(ca, crl);
  }
}
