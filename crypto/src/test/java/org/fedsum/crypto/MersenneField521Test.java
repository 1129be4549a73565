package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MersenneField521Test {
  private static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);
  private static final BigInteger[] EDGE_VALUES = {
    BigInteger.ZERO,
    BigInteger.ONE,
    PRIME.subtract(BigInteger.ONE),
    PRIME.subtract(BigInteger.TWO),
    BigInteger.ONE.shiftLeft(520),
    BigInteger.ONE.shiftLeft(512).subtract(BigInteger.ONE),
    BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE),
    BigInteger.ONE.shiftLeft(520).subtract(BigInteger.ONE)
  };

  @Test
  void evaluate_edgeCoefficientsAndPoints_matchesBigIntegerHorner() {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    Random random = new Random(521);
    for (int count : new int[] {2, 3, 31, 252, 600}) {
      for (int pattern = 0; pattern < EDGE_VALUES.length + 2; pattern++) {
        BigInteger[] coefficients = new BigInteger[count];
        for (int k = 0; k < count; k++) {
          coefficients[k] =
              pattern < EDGE_VALUES.length
                  ? EDGE_VALUES[pattern]
                  : pattern == EDGE_VALUES.length
                      ? EDGE_VALUES[random.nextInt(EDGE_VALUES.length)]
                      : new BigInteger(521, random).mod(PRIME);
        }
        for (int x : new int[] {0, 1, 2, 3, 255, 256, 40_000, 65_534, 65_535}) {
          BigInteger expected = BigInteger.ZERO;
          for (int k = count - 1; k >= 0; k--) {
            expected = expected.multiply(BigInteger.valueOf(x)).add(coefficients[k]).mod(PRIME);
          }
          BigInteger actual = evaluate(coefficients, x);
          if (!actual.equals(expected)) {
            failures.add("count " + count + " pattern " + pattern + " x " + x + ": " + actual);
          }
          checked++;
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isEqualTo(5 * (EDGE_VALUES.length + 2) * 9);
  }

  @Test
  void readAndWriteBigEndian_edgeValues_roundTrip() {
    for (BigInteger value : EDGE_VALUES) {
      long[] limbs = new long[MersenneField521.LIMBS];
      MersenneField521.readBigEndian(encode(value), 0, MersenneField521.BYTES, limbs);
      byte[] written = new byte[MersenneField521.BYTES];
      MersenneField521.writeBigEndian(limbs, written, 0);
      assertThat(new BigInteger(1, written)).isEqualTo(value);
    }
  }

  @Test
  void readBigEndian_shortInput_isTheUnsignedInteger() {
    byte[] bytes = {(byte) 0x80, 0, 1};
    long[] limbs = new long[MersenneField521.LIMBS];
    MersenneField521.readBigEndian(bytes, 0, 3, limbs);
    byte[] written = new byte[MersenneField521.BYTES];
    MersenneField521.writeBigEndian(limbs, written, 0);
    assertThat(new BigInteger(1, written)).isEqualTo(BigInteger.valueOf(0x800001));
  }

  @Test
  void isBelowPrime_aroundP_onlyValuesBelowP() {
    assertThat(MersenneField521.isBelowPrime(encode(PRIME.subtract(BigInteger.ONE)), 0)).isTrue();
    assertThat(MersenneField521.isBelowPrime(encode(BigInteger.ZERO), 0)).isTrue();
    assertThat(MersenneField521.isBelowPrime(encode(BigInteger.ONE.shiftLeft(520)), 0)).isTrue();
    assertThat(MersenneField521.isBelowPrime(encode(PRIME), 0)).isFalse();
    byte[] aboveP = encode(BigInteger.ZERO);
    aboveP[0] = 2;
    assertThat(MersenneField521.isBelowPrime(aboveP, 0)).isFalse();
  }

  private static BigInteger evaluate(BigInteger[] coefficients, int x) {
    long[] packed = new long[coefficients.length * MersenneField521.LIMBS];
    long[] limbs = new long[MersenneField521.LIMBS];
    for (int k = 0; k < coefficients.length; k++) {
      MersenneField521.readBigEndian(encode(coefficients[k]), 0, MersenneField521.BYTES, limbs);
      System.arraycopy(limbs, 0, packed, k * MersenneField521.LIMBS, MersenneField521.LIMBS);
    }
    MersenneField521.evaluate(packed, coefficients.length, x, limbs);
    byte[] written = new byte[MersenneField521.BYTES];
    MersenneField521.writeBigEndian(limbs, written, 0);
    return new BigInteger(1, written);
  }

  private static byte[] encode(BigInteger value) {
    byte[] out = new byte[MersenneField521.BYTES];
    byte[] magnitude = value.toByteArray();
    int significant = Math.min(out.length, magnitude.length);
    System.arraycopy(
        magnitude, magnitude.length - significant, out, out.length - significant, significant);
    return out;
  }
}
