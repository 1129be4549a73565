package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class X25519KeyPairTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void fromPrivateKey_ofGeneratedPrivateKey_rebuildsSamePublicKeyAndAgreements()
      throws GeneralSecurityException {
    X25519KeyPair original = X25519KeyPair.generate(RANDOM);
    X25519KeyPair peer = X25519KeyPair.generate(RANDOM);

    X25519KeyPair rebuilt = X25519KeyPair.fromPrivateKey(original.privateKey());

    assertThat(rebuilt.publicKey()).isEqualTo(original.publicKey());
    assertThat(rebuilt.privateKey().equalsConstantTime(original.privateKey())).isTrue();
    assertThat(rebuilt.agree(peer.publicKey()).equalsConstantTime(original.agree(peer.publicKey())))
        .isTrue();
  }

  @Test
  void privateKey_is32Bytes_andACopy() {
    X25519KeyPair pair = X25519KeyPair.generate(RANDOM);
    SecretBytes first = pair.privateKey();

    first.destroy();

    assertThat(pair.privateKey().length()).isEqualTo(32);
    assertThat(pair.privateKey().equalsConstantTime(first)).isFalse();
  }

  @Test
  void fromPrivateKey_callerDestroysInput_keyPairUnchanged() {
    SecretBytes privateKey = SecretBytes.random(32, RANDOM);
    X25519KeyPair pair = X25519KeyPair.fromPrivateKey(privateKey);
    X25519PublicKey publicKey = pair.publicKey();

    privateKey.destroy();

    assertThat(X25519KeyPair.fromPrivateKey(pair.privateKey()).publicKey()).isEqualTo(publicKey);
  }

  @Test
  void agree_bothDirections_giveSameSecret() throws GeneralSecurityException {
    X25519KeyPair alice = X25519KeyPair.generate(RANDOM);
    X25519KeyPair bob = X25519KeyPair.generate(RANDOM);

    SecretBytes aliceSide = alice.agree(bob.publicKey());
    SecretBytes bobSide = bob.agree(alice.publicKey());

    assertThat(aliceSide.length()).isEqualTo(32);
    assertThat(aliceSide.equalsConstantTime(bobSide)).isTrue();
  }

  @Test
  void agree_differentPeers_giveDifferentSecrets() throws GeneralSecurityException {
    X25519KeyPair alice = X25519KeyPair.generate(RANDOM);

    SecretBytes withBob = alice.agree(X25519KeyPair.generate(RANDOM).publicKey());
    SecretBytes withCarol = alice.agree(X25519KeyPair.generate(RANDOM).publicKey());

    assertThat(withBob.equalsConstantTime(withCarol)).isFalse();
  }

  @Test
  void agree_allZeroPublicKey_throws() throws GeneralSecurityException {
    X25519KeyPair pair = X25519KeyPair.generate(RANDOM);
    X25519PublicKey zero = X25519PublicKey.fromBytes(new byte[32]);

    assertThatThrownBy(() -> pair.agree(zero))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("all zero");
  }

  @Test
  void agree_lowOrderPublicKeyOne_throws() throws GeneralSecurityException {
    // u = 1 is a point of order 4 (RFC 7748 §6.1 warns about such inputs).
    byte[] one = new byte[32];
    one[0] = 1;
    X25519PublicKey lowOrder = X25519PublicKey.fromBytes(one);

    assertThatThrownBy(() -> X25519KeyPair.generate(RANDOM).agree(lowOrder))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void fromPrivateKey_not32Bytes_throwsNamingLength() {
    for (int length : new int[] {1, 31, 33, 64}) {
      SecretBytes wrong = SecretBytes.random(length, RANDOM);
      assertThatThrownBy(() -> X25519KeyPair.fromPrivateKey(wrong))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("32 bytes, not " + length);
    }
  }

  @Test
  void toString_leaksNoPrivateKey() {
    X25519KeyPair pair = X25519KeyPair.generate(RANDOM);
    byte[] privateKey = pair.privateKey().copySecretBytes(SecretAccess.GRANTED);
    HexFormat hex = HexFormat.of();

    String text = pair.toString();

    assertThat(text).contains("X25519KeyPair");
    assertThat(text)
        .doesNotContainIgnoringCase(hex.formatHex(privateKey))
        .doesNotContainIgnoringCase(hex.formatHex(privateKey, 0, 4));
  }

  @Test
  void publicKeyFromBytes_not32Bytes_throwsNamingLength() {
    for (int length : new int[] {0, 31, 33}) {
      assertThatThrownBy(() -> X25519PublicKey.fromBytes(new byte[length]))
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessage("X25519 public key must be 32 bytes, not " + length);
    }
  }

  @Test
  void publicKey_copiesInAndOut_equalOnBytes() throws GeneralSecurityException {
    byte[] encoded = X25519KeyPair.generate(RANDOM).publicKey().toBytes();
    X25519PublicKey key = X25519PublicKey.fromBytes(encoded);
    X25519PublicKey same = X25519PublicKey.fromBytes(encoded.clone());

    encoded[0] ^= 1;
    key.toBytes()[1] ^= 1;

    assertThat(key).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(key.toBytes()).isNotEqualTo(encoded);
    assertThat(key.toString()).contains(HexFormat.of().formatHex(same.toBytes()));
  }
}
