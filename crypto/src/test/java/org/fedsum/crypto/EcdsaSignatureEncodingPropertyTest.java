package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.SignatureException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.BigRange;

class EcdsaSignatureEncodingPropertyTest {
  private static final String N_MINUS_ONE =
      "115792089210356248762697446949407573529996955224135760342422259061068512044368";

  @Property(tries = 500)
  void decodeDer_ofEncodeDer_givesBackValues(
      @ForAll @BigRange(min = "1", max = N_MINUS_ONE) BigInteger r,
      @ForAll @BigRange(min = "1", max = N_MINUS_ONE) BigInteger s)
      throws SignatureException {
    byte[] der = EcdsaSignatureEncoding.encodeDer(r, s);

    assertThat(EcdsaSignatureEncoding.decodeDer(der)).containsExactly(r, s);
    assertThat(der.length).isLessThanOrEqualTo(72);
  }

  @Property(tries = 200)
  void decodeDer_anyOneByteChange_neverGivesSameValues(
      @ForAll @BigRange(min = "1", max = N_MINUS_ONE) BigInteger r,
      @ForAll @BigRange(min = "1", max = N_MINUS_ONE) BigInteger s,
      @ForAll int position,
      @ForAll byte delta) {
    // DER has one encoding per value pair: a changed byte string must not decode to (r, s).
    byte[] der = EcdsaSignatureEncoding.encodeDer(r, s);
    int index = Math.floorMod(position, der.length);
    byte change = delta == 0 ? 1 : delta;
    der[index] += change;
    try {
      assertThat(EcdsaSignatureEncoding.decodeDer(der)).isNotEqualTo(new BigInteger[] {r, s});
    } catch (SignatureException expected) {
      // refused: fine
    }
  }
}
