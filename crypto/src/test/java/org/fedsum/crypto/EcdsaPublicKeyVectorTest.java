package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.fedsum.crypto.Vectors.WycheproofCase;
import org.junit.jupiter.api.Test;

/**
 * The public keys of Wycheproof's ECDH P-256 file, used where it applies to FedSum: FedSum does no
 * P-256 ECDH, but it parses peers' P-256 public keys (SubjectPublicKeyInfo) from certificates and
 * messages. Each case's {@code public} field goes through {@link
 * EcdsaP256VerifyingKey#fromSubjectPublicKeyInfo}; the private key and shared secret are ignored.
 *
 * <p>How each outcome is decided:
 *
 * <ul>
 *   <li>"valid" (flags Normal, AdditionChain, EdgeCaseDoubling, EdgeCaseEphemeralKey,
 *       EdgeCaseSharedSecret, CVE-2017-8932): a valid named-curve key with an uncompressed point;
 *       must be accepted.
 *   <li>"invalid" (InvalidCurveAttack, InvalidPublic, ModifiedPublicPoint, ModifiedGroup,
 *       ModifiedPrime, WrongCurve, WrongOrder, WeakPublicKey, LargeCofactor, NegativeCofactor,
 *       NoCofactor, InvalidCompressedPublic, InvalidEncoding): off-curve points, other curves,
 *       broken encodings; must be refused.
 *   <li>"acceptable" with InvalidAsn: an alternative (BER or otherwise altered) encoding of the
 *       key. Refused: FedSum accepts only the one DER encoding, so a key has one fingerprint.
 *   <li>"acceptable" with CompressedPublic / CompressedPoint: a valid key in compressed form.
 *       Refused: FedSum keys are always written uncompressed, and one form per key keeps
 *       fingerprints unique.
 *   <li>"acceptable" with UnnamedCurve (ModifiedCofactor, ModifiedGenerator,
 *       ModifiedCurveParameter, NoCofactor, WrongOrder with UnusedParam): explicit curve
 *       parameters. Refused: only the named curve prime256v1 is accepted (RFC 5480 §2.1.1 forbids
 *       explicit parameters).
 * </ul>
 *
 * So every "acceptable" case must be refused.
 */
class EcdsaPublicKeyVectorTest {
  private static final int CASES = 612;
  private static final int VALID = 330;
  private static final int INVALID = 52;
  private static final int ACCEPTABLE = 230;
  private static final Set<String> REFUSED_ACCEPTABLE_FLAGS =
      Set.of("InvalidAsn", "CompressedPublic", "UnnamedCurve");

  @Test
  void fromSubjectPublicKeyInfo_everyWycheproofEcdhPublicKey_matchesPolicy() {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    int accepted = 0;
    int valid = 0;
    int invalid = 0;
    int acceptable = 0;
    for (WycheproofCase c : Vectors.wycheproof("ecdh_secp256r1_test.json")) {
      checked++;
      boolean isAccepted;
      try {
        EcdsaP256VerifyingKey key =
            EcdsaP256VerifyingKey.fromSubjectPublicKeyInfo(c.bytes("public"));
        isAccepted = true;
        if (!Arrays.equals(key.toSubjectPublicKeyInfo(), c.bytes("public"))) {
          failures.add(c.describe("accepted key does not re-encode to the input"));
        }
      } catch (GeneralSecurityException e) {
        isAccepted = false;
      }
      if (isAccepted) {
        accepted++;
      }
      switch (c.result()) {
        case "valid" -> {
          valid++;
          if (!isAccepted) {
            failures.add(c.describe("valid P-256 public key refused"));
          }
        }
        case "invalid" -> {
          invalid++;
          if (isAccepted) {
            failures.add(c.describe("invalid public key accepted"));
          }
        }
        case "acceptable" -> {
          acceptable++;
          if (REFUSED_ACCEPTABLE_FLAGS.stream().noneMatch(c::hasFlag)) {
            failures.add(c.describe("acceptable case with flags not covered by the policy"));
          } else if (isAccepted) {
            failures.add(c.describe("unusual encoding accepted; policy refuses it"));
          }
        }
        default -> failures.add(c.describe("unknown result " + c.result()));
      }
    }

    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(CASES);
    assertThat(valid).isEqualTo(VALID);
    assertThat(invalid).isEqualTo(INVALID);
    assertThat(acceptable).isEqualTo(ACCEPTABLE);
    assertThat(accepted).isEqualTo(VALID);
  }
}
