package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.fedsum.crypto.Vectors.WycheproofCase;
import org.fedsum.crypto.internal.AesGcm;
import org.junit.jupiter.api.Test;

/**
 * Every Wycheproof AES-GCM case through the raw primitive {@link AesGcm} (explicit IV, 128-, 192-
 * and 256-bit keys).
 *
 * <p>A valid case whose IV or tag size the primitive does not support would be counted as not
 * applicable; there is none in this file (the JDK takes any IV of at least one byte). The six
 * invalid zero-length-IV cases are checked like every invalid case: decryption must fail, and the
 * primitive refuses an empty IV as SP 800-38D §5.2.1.1 requires.
 */
class AesGcmVectorTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void wycheproof_everyApplicableCase_matchesOrFails() {
    List<WycheproofCase> cases = Vectors.wycheproof("aes_gcm_test.json");
    List<String> failures = new ArrayList<>();
    int checked = 0;
    int notApplicable = 0;
    int invalidRejected = 0;
    for (WycheproofCase c : cases) {
      byte[] key = c.bytes("key");
      byte[] iv = c.bytes("iv");
      byte[] aad = c.bytes("aad");
      byte[] msg = c.bytes("msg");
      byte[] tag = c.bytes("tag");
      byte[] ctAndTag = concat(c.bytes("ct"), tag);
      int tagLength = c.group().get("tagSize").asInt() / 8;
      boolean supported =
          AesGcm.supportsKeyLength(key.length)
              && AesGcm.supportsIvLength(iv.length)
              && AesGcm.supportsTagLength(tagLength);
      if (!supported && !"invalid".equals(c.result())) {
        notApplicable++;
        continue;
      }
      checked++;
      if ("invalid".equals(c.result())) {
        try {
          byte[] plaintext = AesGcm.decrypt(key, iv, ctAndTag, aad, tagLength);
          failures.add(c.describe("invalid case decrypted to " + HEX.formatHex(plaintext)));
        } catch (GeneralSecurityException expected) {
          invalidRejected++;
        }
        continue;
      }
      try {
        byte[] sealed = AesGcm.encrypt(key, iv, msg, aad, tagLength);
        if (!Arrays.equals(sealed, ctAndTag)) {
          failures.add(c.describe("encrypt gave " + HEX.formatHex(sealed)));
        }
        byte[] opened = AesGcm.decrypt(key, iv, ctAndTag, aad, tagLength);
        if (!Arrays.equals(opened, msg)) {
          failures.add(c.describe("decrypt gave " + HEX.formatHex(opened)));
        }
      } catch (GeneralSecurityException e) {
        failures.add(c.describe(c.result() + " case failed: " + e));
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(316);
    assertThat(notApplicable).isZero();
    assertThat(invalidRejected).isEqualTo(87);
  }

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }
}
