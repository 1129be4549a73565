package org.fedsum.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.FederationCa;
import org.fedsum.crypto.Pem;
import org.fedsum.crypto.SecretAccess;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;

/**
 * Fuzzes the PEM readers every party uses for its kit (certificates, CRLs, PKCS#8 keys): each input
 * is read or refused with a {@link GeneralSecurityException}, and a refused key's message never
 * quotes the key.
 */
class PemFuzzTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static String certificatesPem;
  private static String crlPem;
  private static String keyPem;

  @BeforeContainer
  static void makeKit() throws GeneralSecurityException {
    FederationCa ca = FederationCa.create("fuzz-fed", Duration.ofDays(2), RANDOM);
    EcdsaP256SigningKey key = EcdsaP256SigningKey.generate(RANDOM);
    certificatesPem =
        Pem.encodeCertificate(
                ca.issue(
                    new SiteIdentity(SiteRole.SILO, "silo-1"),
                    key.verifyingKey(),
                    Duration.ofDays(1),
                    List.of()))
            + Pem.encodeCertificate(ca.certificate());
    crlPem =
        Pem.encodeCrl(
            ca.revoke(
                ca.emptyCrl(Instant.now(), Duration.ofDays(1)),
                java.math.BigInteger.TEN,
                Instant.now(),
                Duration.ofDays(1)));
    keyPem = key.toPkcs8Pem(SecretAccess.GRANTED);
  }

  @Property
  void certificates_readOrRefused(@ForAll("certificateInputs") String input) throws Exception {
    FuzzInputs.assertDecodesOrRefuses(
        () -> Pem.decodeCertificates(input), GeneralSecurityException.class);
  }

  @Property
  void crl_readOrRefused(@ForAll("crlInputs") String input) throws Exception {
    FuzzInputs.assertDecodesOrRefuses(() -> Pem.decodeCrl(input), GeneralSecurityException.class);
  }

  @Property
  void privateKey_readOrRefused_withoutQuotingIt(@ForAll("keyInputs") String input)
      throws Exception {
    AtomicReference<Exception> refusal = new AtomicReference<>();
    FuzzInputs.assertDecodesOrRefuses(
        () -> {
          try {
            return EcdsaP256SigningKey.fromPkcs8Pem(input);
          } catch (GeneralSecurityException e) {
            refusal.set(e);
            throw e;
          }
        },
        GeneralSecurityException.class);

    if (refusal.get() != null) {
      String message = String.valueOf(refusal.get().getMessage());
      for (String line : keyPem.split("\n")) {
        if (!line.startsWith("-----") && line.length() >= 16) {
          assertThat(message).doesNotContain(line.substring(0, 16));
        }
      }
    }
  }

  @Provide
  Arbitrary<String> certificateInputs() {
    return FuzzInputs.textMutationsOf(List.of(certificatesPem));
  }

  @Provide
  Arbitrary<String> crlInputs() {
    return FuzzInputs.textMutationsOf(List.of(crlPem));
  }

  @Provide
  Arbitrary<String> keyInputs() {
    return FuzzInputs.textMutationsOf(List.of(keyPem));
  }
}
