package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class ShamirPropertyTest {

  /** A split's parameters: {@code 2 <= threshold <= shareCount <= 30}. */
  record Parameters(int shareCount, int threshold) {}

  @Provide
  Arbitrary<Parameters> parameters() {
    return Arbitraries.integers()
        .between(2, 30)
        .flatMap(
            n ->
                Combinators.combine(Arbitraries.just(n), Arbitraries.integers().between(2, n))
                    .as(Parameters::new));
  }

  @Property(tries = 200)
  void combine_randomThresholdSubset_reconstructs(
      @ForAll @Size(min = 1, max = 200) byte[] secret,
      @ForAll("parameters") Parameters parameters,
      @ForAll long seed)
      throws GeneralSecurityException {
    List<ShamirShare> shares = split(secret, parameters, seed);
    List<ShamirShare> subset = new ArrayList<>(shares);
    Collections.shuffle(subset, new Random(seed));
    subset = subset.subList(0, parameters.threshold());

    SecretBytes combined = ShamirSecretSharing.combine(subset, parameters.threshold());

    assertThat(combined.copySecretBytes(SecretAccess.GRANTED)).isEqualTo(secret);
  }

  @Property(tries = 200)
  void combine_allShares_reconstruct(
      @ForAll @Size(min = 1, max = 200) byte[] secret,
      @ForAll("parameters") Parameters parameters,
      @ForAll long seed)
      throws GeneralSecurityException {
    List<ShamirShare> shares = new ArrayList<>(split(secret, parameters, seed));
    Collections.shuffle(shares, new Random(seed));

    SecretBytes combined = ShamirSecretSharing.combine(shares, parameters.threshold());

    assertThat(combined.copySecretBytes(SecretAccess.GRANTED)).isEqualTo(secret);
  }

  @Property(tries = 200)
  void combine_oneShareShort_refused(
      @ForAll @Size(min = 1, max = 200) byte[] secret,
      @ForAll("parameters") Parameters parameters,
      @ForAll long seed) {
    List<ShamirShare> shares = new ArrayList<>(split(secret, parameters, seed));
    Collections.shuffle(shares, new Random(seed));
    List<ShamirShare> tooFew = shares.subList(0, parameters.threshold() - 1);

    assertThatThrownBy(() -> ShamirSecretSharing.combine(tooFew, parameters.threshold()))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("need at least " + parameters.threshold())
        .hasMessageContaining("got " + (parameters.threshold() - 1));
  }

  @Property(tries = 200)
  void decode_ofEncode_roundTrips(
      @ForAll @Size(min = 1, max = 200) byte[] secret,
      @ForAll("parameters") Parameters parameters,
      @ForAll long seed)
      throws GeneralSecurityException {
    List<ShamirShare> shares = split(secret, parameters, seed);
    List<ShamirShare> decoded = new ArrayList<>();
    for (int i = 0; i < shares.size(); i++) {
      ShamirShare share = shares.get(i);
      assertThat(share.x()).isEqualTo(i + 1);
      assertThat(share.threshold()).isEqualTo(parameters.threshold());
      assertThat(share.secretLength()).isEqualTo(secret.length);
      byte[] encoded = share.encode(SecretAccess.GRANTED);
      assertThat(encoded).hasSize(9 + 66 * ((secret.length + 63) / 64));
      ShamirShare copy = ShamirShare.decode(encoded);
      assertThat(copy.x()).isEqualTo(share.x());
      assertThat(copy.threshold()).isEqualTo(share.threshold());
      assertThat(copy.secretLength()).isEqualTo(share.secretLength());
      assertThat(copy.encode(SecretAccess.GRANTED)).isEqualTo(encoded);
      decoded.add(copy);
    }
    SecretBytes combined =
        ShamirSecretSharing.combine(
            decoded.subList(0, parameters.threshold()), parameters.threshold());
    assertThat(combined.copySecretBytes(SecretAccess.GRANTED)).isEqualTo(secret);
  }

  private static List<ShamirShare> split(byte[] secret, Parameters parameters, long seed) {
    return ShamirSecretSharing.split(
        SecretBytes.copyOf(secret), parameters.threshold(), parameters.shareCount(), seeded(seed));
  }

  private static SecureRandom seeded(long seed) {
    try {
      SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
      random.setSeed(seed);
      return random;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA1PRNG missing from the JDK", e);
    }
  }
}
