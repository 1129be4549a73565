package org.fedsum.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class HkdfTest {
  private static final SecretBytes INPUT_KEY_MATERIAL = SecretBytes.random(32, new SecureRandom());
  private static final byte[] SALT = "session id".getBytes(UTF_8);
  private static final byte[] INFO = "fedsum mask".getBytes(UTF_8);

  @Test
  void deriveSha256_emptyInfo_throws() {
    assertThatThrownBy(() -> Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, new byte[0], 32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void deriveSha256_nullInfo_throws() {
    assertThatThrownBy(() -> Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, null, 32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null");
  }

  @Test
  void deriveSha256_outputLengthOutOfRange_throwsNamingIt() {
    for (int length : new int[] {Integer.MIN_VALUE, -1, 0, 255 * 32 + 1, Integer.MAX_VALUE}) {
      assertThatThrownBy(() -> Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, length))
          .as("length %d", length)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not " + length);
    }
  }

  @Test
  void deriveSha256_outputLengthBounds_giveThatManyBytes() {
    assertThat(Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, 1).length()).isEqualTo(1);
    assertThat(Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, 8160).length()).isEqualTo(8160);
  }

  @Test
  void deriveSha256_shorterOutput_isPrefixOfLonger() {
    byte[] shorter = raw(Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, 40));
    byte[] longer = raw(Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, 100));

    assertThat(longer).startsWith(shorter);
  }

  @Test
  void deriveSha256_differentInfo_givesDifferentKeys() {
    SecretBytes mask = Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, 32);
    SecretBytes shares =
        Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, "fedsum share-encryption".getBytes(UTF_8), 32);

    assertThat(mask.equalsConstantTime(shares)).isFalse();
  }

  @Test
  void deriveSha256_emptySalt_equalsHashLenZeros() {
    SecretBytes empty = Hkdf.deriveSha256(INPUT_KEY_MATERIAL, new byte[0], INFO, 32);
    SecretBytes zeros = Hkdf.deriveSha256(INPUT_KEY_MATERIAL, new byte[32], INFO, 32);

    assertThat(empty.equalsConstantTime(zeros)).isTrue();
  }

  @Test
  void deriveSha256_callerChangesInfoAfterwards_resultUnchanged() {
    byte[] info = INFO.clone();
    SecretBytes first = Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, info, 32);
    info[0] ^= 1;
    SecretBytes second = Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, 32);

    assertThat(first.equalsConstantTime(second)).isTrue();
  }

  @Test
  void deriveSha256_result_toStringShowsNoBytes() {
    SecretBytes okm = Hkdf.deriveSha256(INPUT_KEY_MATERIAL, SALT, INFO, 32);

    assertThat(okm.toString()).doesNotContain(HexFormat.of().formatHex(raw(okm)));
  }

  private static byte[] raw(SecretBytes secret) {
    return secret.copySecretBytes(SecretAccess.GRANTED);
  }
}
