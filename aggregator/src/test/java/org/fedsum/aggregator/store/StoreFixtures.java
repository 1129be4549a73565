package org.fedsum.aggregator.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalVerification;
import org.fedsum.protocol.journal.JournalVerifier;

/** The federation PKI of the store tests, made with the project's own CA helpers. */
final class StoreFixtures {
  static final String FEDERATION_ID = "store-test";
  static final SiteIdentity AGGREGATOR = new SiteIdentity(SiteRole.AGGREGATOR, "aggregator");

  final Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  final FederationCa ca;
  final FederationTrust trust;
  final EcdsaP256SigningKey aggregatorKey;
  final X509Certificate aggregatorCertificate;
  final JournalOwner owner;

  StoreFixtures() {
    SecureRandom random = new SecureRandom();
    ca = FederationCa.create(FEDERATION_ID, Duration.ofDays(400), random);
    aggregatorKey = EcdsaP256SigningKey.generate(random);
    aggregatorCertificate =
        ca.issue(
            AGGREGATOR, aggregatorKey.verifyingKey(), Duration.ofDays(30), List.of("127.0.0.1"));
    try {
      trust = FederationTrust.create(ca.certificate(), ca.emptyCrl(start, Duration.ofDays(7)));
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
    owner = new JournalOwner(FEDERATION_ID, AGGREGATOR, aggregatorCertificate, aggregatorKey);
  }

  /** The time of the n-th record in the tests' journals: one second apart. */
  Instant timeOf(long n) {
    return start.plusSeconds(n);
  }

  /** A small round record body, as a coordinator would journal it. */
  static Map<String, Object> body(long round) {
    return Map.of("round", round, "survivors", List.of("silo-1", "silo-2", "silo-3"));
  }

  /** Verifies a journal file with the federation CA, as an auditor would. */
  JournalVerification verify(Path journal) throws java.io.IOException {
    return JournalVerifier.verify(Files.readAllLines(journal), trust, timeOf(100));
  }
}
