package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedsum.crypto.Vectors.WycheproofCase;
import org.fedsum.crypto.internal.P256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every case of Wycheproof's ECDSA P-256 / SHA-256 verification files (C2SP/wycheproof
 * testvectors_v1), DER and IEEE P1363. "valid" must verify; "invalid" must be refused. Neither file
 * has "acceptable" cases; the tests assert that, so a future file that adds some fails here until
 * someone decides how to treat them (FedSum's default would be to refuse them: a signature scheme
 * has no use for a second accepted encoding).
 *
 * <p>The files run through the public methods (the verifier production code uses) and once more
 * through each verifier behind them, Conscrypt's BoringSSL and Bouncy Castle, so the fallback is
 * held to the same answers.
 */
class EcdsaVectorTest {
  private static final int DER_CASES = 484;
  private static final int DER_VALID = 174;
  private static final int P1363_CASES = 262;
  private static final int P1363_VALID = 173;

  @FunctionalInterface
  private interface Verification {
    void verify(EcdsaP256VerifyingKey key, byte[] signature, byte[] message)
        throws GeneralSecurityException;
  }

  @Test
  void verify_everyWycheproofDerCase_matchesExpectedResult() {
    Outcome outcome = check("ecdsa_secp256r1_sha256_test.json", EcdsaP256VerifyingKey::verify);

    assertThat(outcome.failures).isEmpty();
    assertThat(outcome.checked).isEqualTo(DER_CASES);
    assertThat(outcome.acceptedValid).isEqualTo(DER_VALID);
    assertThat(outcome.acceptable).isZero();
  }

  @Test
  void verifyP1363_everyWycheproofP1363Case_matchesExpectedResult() {
    Outcome outcome =
        check("ecdsa_secp256r1_sha256_p1363_test.json", EcdsaP256VerifyingKey::verifyP1363);

    assertThat(outcome.failures).isEmpty();
    assertThat(outcome.checked).isEqualTo(P1363_CASES);
    assertThat(outcome.acceptedValid).isEqualTo(P1363_VALID);
    assertThat(outcome.acceptable).isZero();
  }

  @ParameterizedTest
  @EnumSource(P256.Verifier.class)
  void verify_everyWycheproofDerCase_eachVerifier_matchesExpectedResult(P256.Verifier verifier) {
    assumeAvailable(verifier);
    Outcome outcome =
        check(
            "ecdsa_secp256r1_sha256_test.json",
            (key, signature, message) -> key.verify(signature, message, verifier));

    assertThat(outcome.failures).isEmpty();
    assertThat(outcome.checked).isEqualTo(DER_CASES);
    assertThat(outcome.acceptedValid).isEqualTo(DER_VALID);
    assertThat(outcome.acceptable).isZero();
  }

  @ParameterizedTest
  @EnumSource(P256.Verifier.class)
  void verifyP1363_everyWycheproofP1363Case_eachVerifier_matchesExpectedResult(
      P256.Verifier verifier) {
    assumeAvailable(verifier);
    Outcome outcome =
        check(
            "ecdsa_secp256r1_sha256_p1363_test.json",
            (key, signature, message) -> key.verifyP1363(signature, message, verifier));

    assertThat(outcome.failures).isEmpty();
    assertThat(outcome.checked).isEqualTo(P1363_CASES);
    assertThat(outcome.acceptedValid).isEqualTo(P1363_VALID);
    assertThat(outcome.acceptable).isZero();
  }

  @Test
  void preferredVerifier_conscryptLoaded_isConscrypt() {
    // The public methods above must exercise the fast path wherever it exists.
    assertThat(P256.preferredVerifier())
        .isEqualTo(
            P256.conscryptVerifierAvailable()
                ? P256.Verifier.CONSCRYPT
                : P256.Verifier.BOUNCY_CASTLE);
  }

  private static void assumeAvailable(P256.Verifier verifier) {
    assumeTrue(
        verifier != P256.Verifier.CONSCRYPT || P256.conscryptVerifierAvailable(),
        "Conscrypt's native library did not load");
  }

  private static final class Outcome {
    final List<String> failures = new ArrayList<>();
    int checked;
    int acceptedValid;
    int acceptable;
  }

  private static Outcome check(String file, Verification verification) {
    Outcome outcome = new Outcome();
    Map<String, EcdsaP256VerifyingKey> keys = new HashMap<>();
    for (WycheproofCase c : Vectors.wycheproof(file)) {
      outcome.checked++;
      String keyDer = c.group().get("publicKeyDer").asText();
      EcdsaP256VerifyingKey key = keys.get(keyDer);
      if (key == null) {
        try {
          key = EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(Vectors.hex(keyDer));
          keys.put(keyDer, key);
        } catch (GeneralSecurityException e) {
          // Every group key in these files is a valid P-256 key.
          outcome.failures.add(c.describe("group public key refused: " + e.getMessage()));
          continue;
        }
      }
      boolean accepted;
      try {
        verification.verify(key, c.bytes("sig"), c.bytes("msg"));
        accepted = true;
      } catch (GeneralSecurityException e) {
        accepted = false;
      }
      switch (c.result()) {
        case "valid" -> {
          if (accepted) {
            outcome.acceptedValid++;
          } else {
            outcome.failures.add(c.describe("valid signature refused"));
          }
        }
        case "invalid" -> {
          if (accepted) {
            outcome.failures.add(c.describe("invalid signature accepted"));
          }
        }
        default -> {
          outcome.acceptable++;
          outcome.failures.add(c.describe("unexpected result " + c.result() + ": decide a policy"));
        }
      }
    }
    return outcome;
  }
}
