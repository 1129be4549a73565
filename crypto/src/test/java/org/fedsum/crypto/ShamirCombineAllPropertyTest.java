package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
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
import net.jqwik.api.constraints.IntRange;

class ShamirCombineAllPropertyTest {
  private static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);

  /** {@code 2 <= threshold <= shareCount <= 24}. */
  record Parameters(int shareCount, int threshold) {}

  @Provide
  Arbitrary<Parameters> parameters() {
    return Arbitraries.integers()
        .between(2, 24)
        .flatMap(
            n ->
                Combinators.combine(Arbitraries.just(n), Arbitraries.integers().between(2, n))
                    .as(Parameters::new));
  }

  @Property(tries = 100)
  void combineAll_randomSplits_equalsCombinePerSecret(
      @ForAll("parameters") Parameters parameters,
      @ForAll @IntRange(min = 1, max = 8) int secretCount,
      @ForAll long seed)
      throws GeneralSecurityException {
    Batch batch = batch(parameters, secretCount, seed);

    List<SecretBytes> combined =
        ShamirSecretSharing.combineAll(batch.sharesPerSecret(), parameters.threshold());

    assertThat(combined).hasSize(secretCount);
    for (int i = 0; i < secretCount; i++) {
      SecretBytes alone =
          ShamirSecretSharing.combine(batch.sharesPerSecret().get(i), parameters.threshold());
      assertThat(combined.get(i).copySecretBytes(SecretAccess.GRANTED))
          .as("secret %s", i)
          .isEqualTo(batch.secrets().get(i).copySecretBytes(SecretAccess.GRANTED))
          .isEqualTo(alone.copySecretBytes(SecretAccess.GRANTED));
    }
  }

  @Property(tries = 100)
  void combineAll_oneAlteredShareBeyondThreshold_refusedLikeCombineNamingTheSecret(
      @ForAll("parameters") Parameters parameters,
      @ForAll @IntRange(min = 1, max = 8) int secretCount,
      @ForAll long seed)
      throws GeneralSecurityException {
    Random choices = new Random(seed);
    Batch batch = batch(parameters, secretCount, seed);
    int victim = choices.nextInt(secretCount);
    List<ShamirShare> shares = new ArrayList<>(batch.sharesPerSecret().get(victim));
    if (shares.size() == parameters.threshold()) {
      shares.add(
          ShamirSecretSharing.split(
                  batch.secrets().get(victim),
                  parameters.threshold(),
                  parameters.shareCount(),
                  seeded(seed))
              .stream()
              .filter(share -> shares.stream().noneMatch(s -> s.x() == share.x()))
              .findFirst()
              .orElse(null));
      if (shares.contains(null)) {
        return; // every share already present: nothing beyond the threshold to alter
      }
      // That extra share came from another split of the same secret: inconsistent by itself.
    } else {
      int altered = choices.nextInt(shares.size());
      ShamirShare share = shares.get(altered);
      BigInteger[] ys = new BigInteger[share.blockCount()];
      for (int block = 0; block < ys.length; block++) {
        ys[block] = share.y(block);
      }
      int block = choices.nextInt(ys.length);
      ys[block] = ys[block].add(BigInteger.valueOf(1 + choices.nextInt(1000))).mod(PRIME);
      shares.set(altered, ShamirShare.of(share.x(), share.threshold(), share.secretLength(), ys));
    }
    List<List<ShamirShare>> sharesPerSecret = new ArrayList<>(batch.sharesPerSecret());
    sharesPerSecret.set(victim, shares);
    String alone;
    try {
      ShamirSecretSharing.combine(shares, parameters.threshold());
      throw new AssertionError("combine accepted an inconsistent set of shares");
    } catch (GeneralSecurityException e) {
      alone = e.getMessage();
    }

    assertThatThrownBy(
            () -> ShamirSecretSharing.combineAll(sharesPerSecret, parameters.threshold()))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("secret #" + victim + " of " + secretCount + ": " + alone);
  }

  record Batch(List<SecretBytes> secrets, List<List<ShamirShare>> sharesPerSecret) {}

  /**
   * {@code secretCount} secrets of random lengths, each split by {@code parameters}, and for each
   * at least {@code threshold} of its shares: one of two random x-sets, in a random order.
   */
  private static Batch batch(Parameters parameters, int secretCount, long seed) {
    Random choices = new Random(seed);
    SecureRandom random = seeded(seed);
    List<List<Integer>> xSets = List.of(xSet(parameters, choices), xSet(parameters, choices));
    List<SecretBytes> secrets = new ArrayList<>();
    List<List<ShamirShare>> sharesPerSecret = new ArrayList<>();
    for (int i = 0; i < secretCount; i++) {
      SecretBytes secret = SecretBytes.random(1 + choices.nextInt(150), random);
      secrets.add(secret);
      List<ShamirShare> all =
          ShamirSecretSharing.split(
              secret, parameters.threshold(), parameters.shareCount(), random);
      List<ShamirShare> chosen = new ArrayList<>();
      for (int x : xSets.get(choices.nextInt(2))) {
        chosen.add(all.get(x - 1));
      }
      Collections.shuffle(chosen, choices);
      sharesPerSecret.add(chosen);
    }
    return new Batch(secrets, sharesPerSecret);
  }

  private static List<Integer> xSet(Parameters parameters, Random choices) {
    List<Integer> xs = new ArrayList<>();
    for (int x = 1; x <= parameters.shareCount(); x++) {
      xs.add(x);
    }
    Collections.shuffle(xs, choices);
    int size =
        parameters.threshold()
            + choices.nextInt(parameters.shareCount() - parameters.threshold() + 1);
    return xs.subList(0, size);
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
