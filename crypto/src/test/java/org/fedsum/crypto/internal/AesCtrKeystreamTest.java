package org.fedsum.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.fedsum.crypto.internal.AesCtrKeystream.Implementation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AesCtrKeystreamTest {
  private static final byte[] KEY = key();

  private static byte[] key() {
    byte[] key = new byte[32];
    new SplittableRandom(1).nextBytes(key);
    return key;
  }

  /** The JDK's own AES/CTR from counter block {@code firstBlock}: an independent reference. */
  private static byte[] jdkCounterMode(long firstBlock, int blocks) throws Exception {
    byte[] iv = new byte[16];
    for (int i = 0; i < 8; i++) {
      iv[15 - i] = (byte) (firstBlock >>> (8 * i));
    }
    Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"), new IvParameterSpec(iv));
    return cipher.doFinal(new byte[16 * blocks]);
  }

  private static void assumeAvailable(Implementation implementation) {
    assumeTrue(
        implementation != Implementation.CONSCRYPT_AES_CTR || AesCtrKeystream.conscryptAvailable(),
        "Conscrypt's native library did not load");
  }

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void generate_matchesJdkCounterMode_forSequentialAndSeekingCalls(Implementation implementation)
      throws Exception {
    assumeAvailable(implementation);
    AesCtrKeystream keystream = AesCtrKeystream.create(KEY, implementation);
    assertThat(keystream.implementation()).isEqualTo(implementation);
    // Continuing calls, a jump back, a jump across the 2^32 carry, then continuing again; the
    // Conscrypt generator re-keys only on jumps, so each kind of transition is exercised.
    long[][] calls = {
      {0, 5}, {5, 4100}, {4105, 1}, {3, 2}, {(1L << 32) - 2, 5}, {(1L << 32) + 3, 7}, {9, 5000}
    };
    for (long[] call : calls) {
      int blocks = (int) call[1];
      byte[] out = new byte[16 * blocks + 16];
      keystream.generate(call[0], out, blocks);
      assertThat(Arrays.copyOf(out, 16 * blocks))
          .as("blocks [%d, +%d)", call[0], blocks)
          .isEqualTo(jdkCounterMode(call[0], blocks));
      assertThat(Arrays.copyOfRange(out, 16 * blocks, out.length)).containsOnly(0);
    }
  }

  @Test
  void create_keyNot32Bytes_throwsNamingLength() {
    assertThatThrownBy(() -> AesCtrKeystream.create(new byte[16]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("AES-256 key must be 32 bytes, not 16");
  }

  @Test
  void create_copiesTheKey() throws Exception {
    byte[] key = KEY.clone();
    AesCtrKeystream keystream = AesCtrKeystream.create(key);
    Arrays.fill(key, (byte) 0);
    byte[] out = new byte[32];
    keystream.generate(0, out, 2);
    assertThat(out).isEqualTo(jdkCounterMode(0, 2));
  }

  @Test
  void defaultImplementation_isConscryptExactlyWhenItLoads() {
    assertThat(AesCtrKeystream.defaultImplementation())
        .isEqualTo(
            AesCtrKeystream.conscryptAvailable()
                ? Implementation.CONSCRYPT_AES_CTR
                : Implementation.JDK_AES_ECB_COUNTER);
  }

  @Test
  void preferredImplementation_isTheJdkCounterModeExactlyWhenMeasuredFaster() throws Exception {
    AesCtrKeystream.preferredImplementation();
    // The measurement warms the JDK's cipher and then times it for at most about ten seconds.
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (AesCtrKeystream.jdkCounterModeChoice().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(AesCtrKeystream.jdkCounterModeChoice()).as("the measurement ended").isPresent();
    assertThat(AesCtrKeystream.preferredImplementation())
        .isEqualTo(
            AesCtrKeystream.jdkCounterModeChoice().orElseThrow()
                ? Implementation.JDK_AES_CTR
                : AesCtrKeystream.defaultImplementation());
  }

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void generate_badRanges_throw(Implementation implementation) {
    assumeAvailable(implementation);
    AesCtrKeystream keystream = AesCtrKeystream.create(KEY, implementation);
    assertThatThrownBy(() -> keystream.generate(-1, new byte[16], 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("counter blocks must lie in [0, 2^63), not start -1 count 1");
    assertThatThrownBy(() -> keystream.generate(Long.MAX_VALUE, new byte[32], 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> keystream.generate(0, new byte[31], 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("2 blocks do not fit in an output of 31 bytes");
  }
}
