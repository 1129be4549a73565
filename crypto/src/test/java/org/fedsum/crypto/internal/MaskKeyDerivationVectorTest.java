package org.fedsum.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.fedsum.crypto.Vectors;
import org.junit.jupiter.api.Test;

class MaskKeyDerivationVectorTest {
  @Test
  void hkdfSha256_rfc5869Vectors_match() {
    JsonNode root = Vectors.read("rfc5869_hkdf.json");
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (JsonNode test : root.get("tests")) {
      byte[] okm =
          MaskKeyDerivation.hkdfSha256(
              Vectors.hex(test.get("ikm").asText()),
              Vectors.hex(test.get("salt").asText()),
              Vectors.hex(test.get("info").asText()),
              test.get("L").asInt());
      String expected = test.get("okm").asText();
      if (!HexFormat.of().formatHex(okm).equals(expected)) {
        failures.add(test.get("id").asText() + ": " + test.get("comment").asText() + " — okm");
      }
      checked++;
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(3);
  }

  @Test
  void aes256Key_countingSeed_matchesKnownAnswer() {
    byte[] seed = new byte[32];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = (byte) i;
    }
    // Computed with Python's hmac module: HKDF-SHA256(salt = none, ikm = 00..1f,
    // info = "fedsum/mask-prg/v1/aes256-ctr", L = 32).
    assertThat(HexFormat.of().formatHex(MaskKeyDerivation.aes256Key(seed)))
        .isEqualTo("503ae2fea0b4f98941cc1e0eb89d198c72479ecc1b29b373c38a97ba47e29a78");
  }

  @Test
  void hkdfSha256_lengthOutOfRange_throwsNamingIt() {
    assertThatThrownBy(() -> MaskKeyDerivation.hkdfSha256(new byte[1], new byte[0], new byte[0], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("HKDF-SHA256 output must be 1..8160 bytes, not 0");
    assertThatThrownBy(
            () -> MaskKeyDerivation.hkdfSha256(new byte[1], new byte[0], new byte[0], 8161))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("HKDF-SHA256 output must be 1..8160 bytes, not 8161");
  }
}
