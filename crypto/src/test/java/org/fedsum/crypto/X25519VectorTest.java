package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.fedsum.crypto.Vectors.WycheproofCase;
import org.fedsum.crypto.internal.X25519Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Known answers for X25519: RFC 7748 §5.2 and §6.1, and every Wycheproof case. */
class X25519VectorTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void rfc7748Function_everyVector_matches() {
    JsonNode root = Vectors.read("rfc7748_x25519.json");
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (JsonNode vector : root.get("x25519_function")) {
      byte[] output =
          X25519Function.scalarMultiply(
              Vectors.hex(vector.get("scalar").asText()), Vectors.hex(vector.get("u").asText()));
      if (!HEX.formatHex(output).equals(vector.get("output").asText())) {
        failures.add(vector.get("id").asText() + " — got " + HEX.formatHex(output));
      }
      checked++;
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(2);
  }

  /**
   * The iterated test of RFC 7748 §5.2 after 1 and 1000 steps. The 1,000,000-step value is not run:
   * it takes minutes; the vector file records that it was checked with the JDK.
   */
  @Test
  void rfc7748Iterated_after1And1000Steps_matches() {
    JsonNode iterated = Vectors.read("rfc7748_x25519.json").get("x25519_iterated");
    byte[] k = Vectors.hex(iterated.get("start_k").asText());
    byte[] u = Vectors.hex(iterated.get("start_u").asText());
    List<String> failures = new ArrayList<>();
    for (int step = 1; step <= 1000; step++) {
      byte[] result = X25519Function.scalarMultiply(k, u);
      u = k;
      k = result;
      JsonNode expected = iterated.get("after").get(Integer.toString(step));
      if (expected != null && !HEX.formatHex(k).equals(expected.asText())) {
        failures.add("after " + step + " — got " + HEX.formatHex(k));
      }
    }
    assertThat(failures).isEmpty();
    assertThat(HEX.formatHex(k)).isEqualTo(iterated.get("after").get("1000").asText());
  }

  @Test
  void rfc7748DiffieHellman_section6_1_bothSidesAgree() throws GeneralSecurityException {
    JsonNode dh = Vectors.read("rfc7748_x25519.json").get("diffie_hellman");
    X25519KeyPair alice = keyPair(dh.get("alice_private").asText());
    X25519KeyPair bob = keyPair(dh.get("bob_private").asText());

    assertThat(HEX.formatHex(alice.publicKey().toBytes()))
        .isEqualTo(dh.get("alice_public").asText());
    assertThat(HEX.formatHex(bob.publicKey().toBytes())).isEqualTo(dh.get("bob_public").asText());
    assertThat(hex(alice.agree(bob.publicKey()))).isEqualTo(dh.get("shared").asText());
    assertThat(hex(bob.agree(alice.publicKey()))).isEqualTo(dh.get("shared").asText());
  }

  /**
   * Every Wycheproof X25519 case through the public API ({@code fromPrivateKey} then {@code
   * agree}), and through the raw function.
   *
   * <p>Decisions for "acceptable" cases:
   *
   * <ul>
   *   <li>All-zero shared secret (flag ZeroSharedSecret, low-order public keys): refused with a
   *       GeneralSecurityException. Wycheproof allows computing it, but a peer or an aggregator
   *       substituting keys could then force a known pairwise mask.
   *   <li>Every other acceptable case (public keys on the twist, non-canonical u-coordinates at or
   *       above p, edge-case shared secrets): accepted, and the secret must equal Wycheproof's. RFC
   *       7748 §5 says implementations MUST accept non-canonical values and reduce them, and X25519
   *       is twist-secure by design, so these give a secret no one else can predict.
   * </ul>
   *
   * <p>The raw function must still compute Wycheproof's value for every case, zero ones included,
   * which shows that a refusal is policy, not a wrong computation.
   */
  @Test
  void wycheproof_everyCase_agreesOrRefusesAllZero() {
    List<WycheproofCase> cases = Vectors.wycheproof("x25519_test.json");
    List<String> failures = new ArrayList<>();
    int checked = 0;
    int refusedAllZero = 0;
    int acceptedAcceptable = 0;
    for (WycheproofCase c : cases) {
      checked++;
      byte[] privateKey = c.bytes("private");
      byte[] publicKey = c.bytes("public");
      byte[] expected = c.bytes("shared");
      boolean expectedAllZero = isAllZero(expected);
      if (expectedAllZero != c.hasFlag("ZeroSharedSecret")) {
        failures.add(c.describe("flag ZeroSharedSecret disagrees with the expected secret"));
      }
      if (publicKey.length == 32 && privateKey.length == 32) {
        byte[] raw = X25519Function.scalarMultiply(privateKey, publicKey);
        if (!"invalid".equals(c.result()) && !Arrays.equals(raw, expected)) {
          failures.add(c.describe("raw X25519 gave " + HEX.formatHex(raw)));
        }
      }

      SecretBytes shared;
      try {
        shared =
            X25519KeyPair.fromPrivateKey(SecretBytes.copyOf(privateKey))
                .agree(X25519PublicKey.fromBytes(publicKey));
      } catch (GeneralSecurityException e) {
        if (expectedAllZero || "invalid".equals(c.result())) {
          if (expectedAllZero) {
            refusedAllZero++;
          }
        } else {
          failures.add(c.describe("refused a " + c.result() + " case: " + e.getMessage()));
        }
        continue;
      }
      if (expectedAllZero) {
        failures.add(c.describe("accepted an all-zero shared secret"));
      } else if ("invalid".equals(c.result())) {
        failures.add(c.describe("accepted an invalid case"));
      } else if (!hex(shared).equals(HEX.formatHex(expected))) {
        failures.add(c.describe("shared secret " + hex(shared)));
      } else if ("acceptable".equals(c.result())) {
        acceptedAcceptable++;
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(518);
    assertThat(refusedAllZero).isEqualTo(31);
    assertThat(acceptedAcceptable).isEqualTo(223);
  }

  /**
   * Every Wycheproof case through each implementation of the shared secret that works here: the
   * same secret where Wycheproof expects a non-zero one, a refusal exactly where it expects all
   * zero. With libsodium preferred, the public-API test above runs libsodium; this one keeps Bouncy
   * Castle, the fallback, checked too.
   */
  @ParameterizedTest
  @EnumSource(X25519Function.Implementation.class)
  void wycheproof_eachImplementation_sameSecretOrRefusesAllZero(
      X25519Function.Implementation implementation) {
    assumeTrue(
        implementation != X25519Function.Implementation.LIBSODIUM
            || X25519Function.libsodiumAvailable(),
        "libsodium does not load on this machine");
    List<String> failures = new ArrayList<>();
    int agreed = 0;
    int refused = 0;
    for (WycheproofCase c : Vectors.wycheproof("x25519_test.json")) {
      byte[] privateKey = c.bytes("private");
      byte[] publicKey = c.bytes("public");
      byte[] expected = c.bytes("shared");
      if (privateKey.length != 32 || publicKey.length != 32) {
        continue;
      }
      try {
        byte[] shared = X25519Function.sharedSecret(privateKey, publicKey, implementation);
        if (isAllZero(expected) || !Arrays.equals(shared, expected)) {
          failures.add(c.describe("gave " + HEX.formatHex(shared)));
        } else {
          agreed++;
        }
      } catch (GeneralSecurityException e) {
        if (isAllZero(expected)) {
          refused++;
        } else {
          failures.add(c.describe("refused: " + e.getMessage()));
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(agreed).isEqualTo(518 - 31);
    assertThat(refused).isEqualTo(31);
  }

  /**
   * Random scalars against random 32-byte strings (points on the curve or its twist, bit 255 set or
   * not, non-canonical values now and then): libsodium and Bouncy Castle agree on every one.
   */
  @Test
  void libsodiumAndBouncyCastle_randomInputs_agree() throws GeneralSecurityException {
    assumeTrue(X25519Function.libsodiumAvailable(), "libsodium does not load on this machine");
    Random random = new Random(20261124L);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      byte[] scalar = new byte[32];
      byte[] uCoordinate = new byte[32];
      random.nextBytes(scalar);
      random.nextBytes(uCoordinate);
      byte[] bouncyCastle =
          X25519Function.sharedSecret(
              scalar, uCoordinate, X25519Function.Implementation.BOUNCY_CASTLE);
      byte[] libsodium =
          X25519Function.sharedSecret(scalar, uCoordinate, X25519Function.Implementation.LIBSODIUM);
      if (!Arrays.equals(bouncyCastle, libsodium)) {
        failures.add("case " + i + ": u " + HEX.formatHex(uCoordinate));
      }
    }
    assertThat(failures).isEmpty();
  }

  /**
   * Where Debian's libsodium is installed (as {@code .ci/run} makes sure), it must be the one in
   * use: a silent fallback would halve the speed of every silo's key agreements.
   */
  @Test
  void preferredImplementation_libsodiumInstalled_isLibsodium() {
    boolean installed =
        Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libsodium.so.23"))
            && "amd64".equals(System.getProperty("os.arch"));
    assumeTrue(installed, "Debian's libsodium23 is not installed here");
    assertThat(X25519Function.preferredImplementation())
        .isEqualTo(X25519Function.Implementation.LIBSODIUM);
  }

  private static X25519KeyPair keyPair(String privateHex) {
    return X25519KeyPair.fromPrivateKey(SecretBytes.copyOf(Vectors.hex(privateHex)));
  }

  private static String hex(SecretBytes secret) {
    return HEX.formatHex(secret.copySecretBytes(SecretAccess.GRANTED));
  }

  private static boolean isAllZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
