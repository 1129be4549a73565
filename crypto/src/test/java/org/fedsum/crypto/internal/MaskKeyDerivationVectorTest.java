package org.fedsum.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Pins the mask PRG's key derivation; HKDF itself is checked by {@code HkdfVectorTest}. */
class MaskKeyDerivationVectorTest {
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
}
