package org.fedsum.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.fedsum.crypto.internal.AesGcm;
import org.junit.jupiter.api.Test;

class AeadTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] PLAINTEXT = "share of b_u for silo 7".getBytes(UTF_8);
  private static final byte[] ASSOCIATED_DATA = "round 3, stage SHARE_KEYS, 2->7".getBytes(UTF_8);

  private final SecretBytes key = SecretBytes.random(32, RANDOM);
  private final Aead aead = AeadSuite.AES256_GCM.create(key);

  @Test
  void decrypt_ofEncrypt_returnsPlaintext() throws GeneralSecurityException {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);

    assertThat(ciphertext).hasSize(12 + PLAINTEXT.length + 16);
    assertThat(aead.decrypt(ciphertext, ASSOCIATED_DATA)).isEqualTo(PLAINTEXT);
  }

  @Test
  void decrypt_emptyPlaintextAndAssociatedData_roundTrips() throws GeneralSecurityException {
    byte[] ciphertext = aead.encrypt(new byte[0], new byte[0]);

    assertThat(ciphertext).hasSize(28);
    assertThat(aead.decrypt(ciphertext, new byte[0])).isEmpty();
  }

  @Test
  void decrypt_withAnotherAeadOnTheSameKey_returnsPlaintext() throws GeneralSecurityException {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);

    assertThat(AeadSuite.AES256_GCM.create(key).decrypt(ciphertext, ASSOCIATED_DATA))
        .isEqualTo(PLAINTEXT);
  }

  @Test
  void encrypt_layout_isNonceThenGcmCiphertextAndTag() throws Exception {
    byte[] nonce = new byte[12];
    fixedRandom(42).nextBytes(nonce);
    Aead fixed = AeadSuite.AES256_GCM.create(key, fixedRandom(42));

    byte[] ciphertext = fixed.encrypt(PLAINTEXT, ASSOCIATED_DATA);

    assertThat(Arrays.copyOf(ciphertext, 12)).isEqualTo(nonce);
    byte[] expected =
        AesGcm.encrypt(
            key.copySecretBytes(SecretAccess.GRANTED), nonce, PLAINTEXT, ASSOCIATED_DATA, 16);
    assertThat(Arrays.copyOfRange(ciphertext, 12, ciphertext.length)).isEqualTo(expected);
  }

  @Test
  void encrypt_samePlaintextTwice_differs() {
    byte[] first = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);
    byte[] second = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);

    assertThat(first).isNotEqualTo(second);
    assertThat(Arrays.copyOf(first, 12)).isNotEqualTo(Arrays.copyOf(second, 12));
  }

  @Test
  void decrypt_anyFlippedByte_fails() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);
    // Every byte: the nonce (0..11), the ciphertext proper, and the tag (last 16).
    for (int i = 0; i < ciphertext.length; i++) {
      byte[] tampered = ciphertext.clone();
      tampered[i] ^= 0x01;
      assertThatThrownBy(() -> aead.decrypt(tampered, ASSOCIATED_DATA))
          .as("flipped byte %d", i)
          .isInstanceOf(GeneralSecurityException.class);
    }
  }

  @Test
  void decrypt_tamperedNonce_failsWithoutLeaking() {
    assertFailsWithoutLeaking(flip(aead.encrypt(PLAINTEXT, ASSOCIATED_DATA), 0), ASSOCIATED_DATA);
  }

  @Test
  void decrypt_tamperedCiphertext_failsWithoutLeaking() {
    assertFailsWithoutLeaking(flip(aead.encrypt(PLAINTEXT, ASSOCIATED_DATA), 12), ASSOCIATED_DATA);
  }

  @Test
  void decrypt_tamperedTag_failsWithoutLeaking() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);
    assertFailsWithoutLeaking(flip(ciphertext, ciphertext.length - 1), ASSOCIATED_DATA);
  }

  @Test
  void decrypt_wrongAssociatedData_failsWithoutLeaking() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);
    assertFailsWithoutLeaking(ciphertext, "round 3, stage SHARE_KEYS, 2->8".getBytes(UTF_8));
    assertFailsWithoutLeaking(ciphertext, new byte[0]);
  }

  @Test
  void decrypt_wrongKey_fails() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);
    Aead other = AeadSuite.AES256_GCM.create(SecretBytes.random(32, RANDOM));

    assertThatThrownBy(() -> other.decrypt(ciphertext, ASSOCIATED_DATA))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("tag");
  }

  @Test
  void decrypt_truncated_fails() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, ASSOCIATED_DATA);
    for (int length : new int[] {0, 1, 12, 27, 28, ciphertext.length - 1}) {
      byte[] truncated = Arrays.copyOf(ciphertext, length);
      assertThatThrownBy(() -> aead.decrypt(truncated, ASSOCIATED_DATA))
          .as("truncated to %d bytes", length)
          .isInstanceOf(GeneralSecurityException.class);
    }
  }

  @Test
  void decrypt_shorterThanNonceAndTag_namesTheLength() {
    assertThatThrownBy(() -> aead.decrypt(new byte[27], ASSOCIATED_DATA))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("at least 28")
        .hasMessageContaining("27");
  }

  @Test
  void create_keyNot32Bytes_throwsNamingLength() {
    for (int length : new int[] {1, 16, 24, 31, 33, 64}) {
      SecretBytes wrong = SecretBytes.random(length, RANDOM);
      assertThatThrownBy(() -> AeadSuite.AES256_GCM.create(wrong))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("32 bytes, not " + length);
    }
  }

  @Test
  void create_callerDestroysKey_aeadStillWorks() throws GeneralSecurityException {
    SecretBytes own = SecretBytes.random(32, RANDOM);
    Aead sealed = AeadSuite.AES256_GCM.create(own);
    byte[] ciphertext = sealed.encrypt(PLAINTEXT, ASSOCIATED_DATA);

    own.destroy();

    assertThat(sealed.decrypt(ciphertext, ASSOCIATED_DATA)).isEqualTo(PLAINTEXT);
  }

  @Test
  void toString_showsNoKey() {
    String hex = HexFormat.of().formatHex(key.copySecretBytes(SecretAccess.GRANTED));

    assertThat(aead.toString()).contains("AES256_GCM").doesNotContain(hex);
  }

  private void assertFailsWithoutLeaking(byte[] ciphertext, byte[] associatedData) {
    HexFormat hex = HexFormat.of();
    String keyHex = hex.formatHex(key.copySecretBytes(SecretAccess.GRANTED));
    assertThatThrownBy(() -> aead.decrypt(ciphertext, associatedData))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("tag")
        .message()
        .doesNotContainIgnoringCase(keyHex)
        .doesNotContainIgnoringCase(hex.formatHex(PLAINTEXT))
        .doesNotContain(new String(PLAINTEXT, UTF_8));
  }

  private static byte[] flip(byte[] bytes, int index) {
    byte[] copy = bytes.clone();
    copy[index] ^= (byte) 0x80;
    return copy;
  }

  /** A deterministic source: SHA1PRNG seeded before first use repeats its output. */
  private static SecureRandom fixedRandom(long seed) throws NoSuchAlgorithmException {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(seed);
    return random;
  }
}
