package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.fedsum.crypto.Vectors.WycheproofCase;
import org.fedsum.crypto.internal.HkdfSha256;
import org.junit.jupiter.api.Test;

/**
 * Known answers for HKDF-SHA256: RFC 5869 Appendix A.1–A.3 and every Wycheproof case, through the
 * raw primitive (which allows the empty info of some vectors) and, where info is not empty, through
 * the public {@link Hkdf} as well.
 */
class HkdfVectorTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void rfc5869_appendixA_prkAndOkmMatch() {
    JsonNode root = Vectors.read("rfc5869_hkdf.json");
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (JsonNode vector : root.get("tests")) {
      String id = vector.get("id").asText();
      byte[] ikm = Vectors.hex(vector.get("ikm").asText());
      byte[] salt = Vectors.hex(vector.get("salt").asText());
      byte[] info = Vectors.hex(vector.get("info").asText());
      int length = vector.get("L").asInt();
      String okm = vector.get("okm").asText();

      String prk = HEX.formatHex(HkdfSha256.extract(salt, ikm));
      if (!prk.equals(vector.get("prk").asText())) {
        failures.add(id + " — PRK " + prk);
      }
      String raw = HEX.formatHex(HkdfSha256.derive(ikm, salt, info, length));
      if (!raw.equals(okm)) {
        failures.add(id + " — raw OKM " + raw);
      }
      if (info.length > 0) {
        String wrapped = derivePublic(ikm, salt, info, length);
        if (!wrapped.equals(okm)) {
          failures.add(id + " — Hkdf.deriveSha256 OKM " + wrapped);
        }
      }
      checked++;
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(3);
  }

  @Test
  void rfc5869_a3EmptyInfo_refusedByPublicApi() {
    JsonNode a3 = Vectors.read("rfc5869_hkdf.json").get("tests").get(2);
    assertThat(a3.get("info").asText()).isEmpty();
    assertThatThrownBy(
            () ->
                Hkdf.deriveSha256(
                    SecretBytes.copyOf(Vectors.hex(a3.get("ikm").asText())),
                    new byte[0],
                    new byte[0],
                    a3.get("L").asInt()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void wycheproof_everyCase_matchesOrIsRejected() {
    List<WycheproofCase> cases = Vectors.wycheproof("hkdf_sha256_test.json");
    List<String> failures = new ArrayList<>();
    int checked = 0;
    int rejected = 0;
    int checkedThroughPublicApi = 0;
    for (WycheproofCase c : cases) {
      checked++;
      byte[] ikm = c.bytes("ikm");
      byte[] salt = c.bytes("salt");
      byte[] info = c.bytes("info");
      int size = c.test().get("size").asInt();
      if ("invalid".equals(c.result())) {
        if (!throwsIllegalArgument(() -> HkdfSha256.derive(ikm, salt, info, size))) {
          failures.add(c.describe("raw HKDF accepted output size " + size));
        }
        if (!throwsIllegalArgument(() -> derivePublic(ikm, salt, info, size))) {
          failures.add(c.describe("Hkdf.deriveSha256 accepted output size " + size));
        }
        rejected++;
        continue;
      }
      String expected = HEX.formatHex(c.bytes("okm"));
      String raw;
      try {
        raw = HEX.formatHex(HkdfSha256.derive(ikm, salt, info, size));
      } catch (IllegalArgumentException e) {
        failures.add(c.describe("raw HKDF refused a valid case: " + e.getMessage()));
        continue;
      }
      if (!raw.equals(expected)) {
        failures.add(c.describe("raw OKM " + raw));
      }
      if (info.length > 0) {
        checkedThroughPublicApi++;
        String wrapped = derivePublic(ikm, salt, info, size);
        if (!wrapped.equals(expected)) {
          failures.add(c.describe("Hkdf.deriveSha256 OKM " + wrapped));
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(86);
    assertThat(rejected).isEqualTo(3);
    assertThat(checkedThroughPublicApi).isEqualTo(52);
  }

  private static String derivePublic(byte[] ikm, byte[] salt, byte[] info, int length) {
    SecretBytes okm = Hkdf.deriveSha256(SecretBytes.copyOf(ikm), salt, info, length);
    assertThat(okm.length()).isEqualTo(length);
    return HEX.formatHex(okm.copySecretBytes(SecretAccess.GRANTED));
  }

  private static boolean throwsIllegalArgument(Runnable action) {
    try {
      action.run();
      return false;
    } catch (IllegalArgumentException e) {
      return true;
    }
  }
}
