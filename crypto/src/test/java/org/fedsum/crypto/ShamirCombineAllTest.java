package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShamirCombineAllTest {
  private static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);

  @Test
  void combineAll_manySecretsSameXs_equalsCombinePerSecret() throws Exception {
    SecureRandom random = seeded(1);
    Random shuffler = new Random(1);
    List<Integer> responders = List.of(2, 3, 5, 7, 8, 9, 11, 12, 13, 15); // 10 of 16, t = 6
    List<SecretBytes> secrets = new ArrayList<>();
    List<List<ShamirShare>> sharesPerSecret = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      // Lengths across block boundaries, so secrets of one call differ in their block count.
      SecretBytes secret = SecretBytes.random(1 + (i * 37) % 200, random);
      secrets.add(secret);
      List<ShamirShare> shares =
          select(ShamirSecretSharing.split(secret, 6, 16, random), responders);
      Collections.shuffle(shares, shuffler); // order within a collection does not matter
      sharesPerSecret.add(shares);
    }

    List<SecretBytes> combined = ShamirSecretSharing.combineAll(sharesPerSecret, 6);

    assertThat(combined).hasSize(40);
    for (int i = 0; i < 40; i++) {
      assertThat(combined.get(i).equalsConstantTime(secrets.get(i))).as("secret %s", i).isTrue();
      assertThat(
              combined
                  .get(i)
                  .equalsConstantTime(ShamirSecretSharing.combine(sharesPerSecret.get(i), 6)))
          .as("secret %s against combine", i)
          .isTrue();
    }
  }

  @Test
  void combineAll_differentXSetsInOneCall_equalsCombinePerSecret() throws Exception {
    SecureRandom random = seeded(2);
    List<List<Integer>> xSets =
        List.of(
            List.of(1, 2, 3, 4, 5, 6, 7),
            List.of(2, 4, 6, 8, 9),
            List.of(3, 4, 5, 6, 9), // exactly the threshold: nothing to check, still reconstructs
            List.of(1, 9, 65, 300, 1000, 4000));
    List<SecretBytes> secrets = new ArrayList<>();
    List<List<ShamirShare>> sharesPerSecret = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      SecretBytes secret = SecretBytes.random(i % 2 == 0 ? 32 : 100, random);
      secrets.add(secret);
      List<Integer> xs = xSets.get(i % xSets.size()); // interleaved, not grouped by the caller
      int shareCount = Collections.max(xs);
      sharesPerSecret.add(select(ShamirSecretSharing.split(secret, 5, shareCount, random), xs));
    }

    List<SecretBytes> combined = ShamirSecretSharing.combineAll(sharesPerSecret, 5);

    for (int i = 0; i < 24; i++) {
      assertThat(combined.get(i).equalsConstantTime(secrets.get(i))).as("secret %s", i).isTrue();
      assertThat(
              combined
                  .get(i)
                  .equalsConstantTime(ShamirSecretSharing.combine(sharesPerSecret.get(i), 5)))
          .as("secret %s against combine", i)
          .isTrue();
    }
  }

  @Test
  void combineAll_inconsistentShareInSecretK_refusedNamingKAndTheShare() throws Exception {
    SecureRandom random = seeded(3);
    for (int altered : new int[] {0, 1, 4, 6}) { // basis (lowest x), basis, basis, extra (x=7)
      List<List<ShamirShare>> sharesPerSecret = splits(20, 130, 5, 8, random);
      List<ShamirShare> victim = new ArrayList<>(sharesPerSecret.get(13));
      // The last of three blocks: a check that looked at block 0 only would miss it.
      victim.set(altered, withY(victim.get(altered), 2, BigInteger.ONE, true));
      sharesPerSecret.set(13, victim);
      String alone = messageOf(() -> ShamirSecretSharing.combine(victim, 5));

      assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 5))
          .as("altered share x=%s", altered + 1)
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessage("secret #13 of 20: " + alone)
          .hasMessageContaining("the 8 Shamir shares are inconsistent: x=");
    }
  }

  @Test
  void combineAll_twoInconsistentSecrets_namesTheLowerIndex() throws Exception {
    SecureRandom random = seeded(4);
    List<List<ShamirShare>> sharesPerSecret = splits(12, 32, 3, 6, random);
    for (int victim : new int[] {9, 4}) {
      List<ShamirShare> shares = new ArrayList<>(sharesPerSecret.get(victim));
      shares.set(5, withY(shares.get(5), 0, BigInteger.TWO, true));
      sharesPerSecret.set(victim, shares);
    }

    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 3))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage(
            "secret #4 of 12: the 6 Shamir shares are inconsistent: x=6 does not lie on the"
                + " polynomial of degree 2 through the shares before it");
  }

  @Test
  void combineAll_errorsThatCancelInAPlainSum_stillRefused() throws Exception {
    // +δ in secret 0 and -δ in secret 1 at the same share: Σ_s y_s is consistent, so a check with
    // equal weights would pass. Each secret's own weight must differ.
    SecureRandom random = seeded(5);
    BigInteger delta = new BigInteger(520, random);
    for (int first : new int[] {0, 1, 2}) {
      List<List<ShamirShare>> sharesPerSecret = splits(3, 32, 4, 7, random);
      List<ShamirShare> a = new ArrayList<>(sharesPerSecret.get(first));
      List<ShamirShare> b = new ArrayList<>(sharesPerSecret.get((first + 1) % 3));
      a.set(6, withY(a.get(6), 0, delta, true));
      b.set(6, withY(b.get(6), 0, delta, false));
      sharesPerSecret.set(first, a);
      sharesPerSecret.set((first + 1) % 3, b);
      int expected = Math.min(first, (first + 1) % 3);

      assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 4))
          .as("secrets %s and %s", first, (first + 1) % 3)
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessageStartingWith("secret #" + expected + " of 3: the 7 Shamir shares")
          .hasMessageContaining("x=7 does not lie on the polynomial");
    }
  }

  @Test
  void combineAll_foreignShareAtExactlyThreshold_refusedNamingSecret() throws Exception {
    SecureRandom random = seeded(6);
    List<List<ShamirShare>> sharesPerSecret = splits(5, 32, 2, 2, random);
    List<ShamirShare> mixed = new ArrayList<>(sharesPerSecret.get(3));
    mixed.set(0, ShamirSecretSharing.split(SecretBytes.random(32, random), 2, 2, random).get(0));
    sharesPerSecret.set(3, mixed);

    // Only the range check can catch it (chance 2^-265 to miss, see ShamirSecretSharingTest).
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage(
            "secret #3 of 5: the Shamir shares do not reconstruct a 32-byte secret: wrong or"
                + " inconsistent shares");
  }

  @Test
  void combineAll_tooFewSharesForOneSecret_refusedNamingIt() throws Exception {
    List<List<ShamirShare>> sharesPerSecret = splits(5, 32, 5, 9, seeded(7));
    sharesPerSecret.set(3, sharesPerSecret.get(3).subList(0, 4));

    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 5))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("secret #3 of 5: need at least 5 Shamir shares to reconstruct, got 4");
  }

  @Test
  void combineAll_mixedThresholds_refusedNamingSecretAndShare() throws Exception {
    SecureRandom random = seeded(8);
    List<List<ShamirShare>> sharesPerSecret = splits(4, 32, 3, 5, random);
    sharesPerSecret.set(2, ShamirSecretSharing.split(SecretBytes.random(32, random), 4, 5, random));
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 3))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("secret #2 of 4: Shamir share x=1 was made for threshold 4, not 3");

    // Within one secret too.
    List<List<ShamirShare>> mixedWithin = splits(4, 32, 3, 5, random);
    List<ShamirShare> mixed = new ArrayList<>(mixedWithin.get(1));
    mixed.set(4, ShamirSecretSharing.split(SecretBytes.random(32, random), 2, 5, random).get(4));
    mixedWithin.set(1, mixed);
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(mixedWithin, 3))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("secret #1 of 4: Shamir share x=5 was made for threshold 2, not 3");
  }

  @Test
  void combineAll_structuralProblems_refusedNamingSecret() throws Exception {
    SecureRandom random = seeded(9);
    List<List<ShamirShare>> duplicated = splits(3, 32, 2, 4, random);
    List<ShamirShare> withCopy = new ArrayList<>(duplicated.get(1));
    withCopy.set(0, withCopy.get(1));
    duplicated.set(1, withCopy);
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(duplicated, 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("secret #1 of 3: two Shamir shares have the same x-coordinate 2");

    List<List<ShamirShare>> lengths = splits(3, 32, 2, 4, random);
    List<ShamirShare> mixedLength = new ArrayList<>(lengths.get(2));
    mixedLength.set(
        3, ShamirSecretSharing.split(SecretBytes.random(33, random), 2, 4, random).get(3));
    lengths.set(2, mixedLength);
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(lengths, 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("secret #2 of 3: Shamir shares disagree on the secret length: 32 and 33 bytes");

    List<List<ShamirShare>> atZero = splits(3, 32, 2, 4, random);
    atZero.set(
        0,
        List.of(ShamirShare.of(0, 2, 32, new BigInteger[] {BigInteger.TEN}), atZero.get(0).get(1)));
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(atZero, 2))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("secret #0 of 3: Shamir share x-coordinate must not be 0");
  }

  @Test
  void combine_oneSecret_messagesCarryNoIndex() throws Exception {
    SecureRandom random = seeded(10);
    List<ShamirShare> shares =
        new ArrayList<>(ShamirSecretSharing.split(SecretBytes.random(32, random), 3, 5, random));
    shares.set(4, withY(shares.get(4), 0, BigInteger.ONE, true));

    assertThatThrownBy(() -> ShamirSecretSharing.combine(shares, 3))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage(
            "the 5 Shamir shares are inconsistent: x=5 does not lie on the polynomial of degree 2"
                + " through the shares before it");
  }

  @Test
  void combineAll_sameInput_sameResult() throws Exception {
    List<List<ShamirShare>> sharesPerSecret = splits(30, 70, 4, 9, seeded(11));

    List<SecretBytes> first = ShamirSecretSharing.combineAll(sharesPerSecret, 4);
    List<SecretBytes> second = ShamirSecretSharing.combineAll(sharesPerSecret, 4);
    List<List<ShamirShare>> reversed = new ArrayList<>();
    for (List<ShamirShare> shares : sharesPerSecret) {
      List<ShamirShare> copy = new ArrayList<>(shares);
      Collections.reverse(copy);
      reversed.add(copy);
    }
    List<SecretBytes> fromReversed = ShamirSecretSharing.combineAll(reversed, 4);

    for (int i = 0; i < 30; i++) {
      assertThat(first.get(i).equalsConstantTime(second.get(i))).as("secret %s", i).isTrue();
      assertThat(first.get(i).equalsConstantTime(fromReversed.get(i))).as("secret %s", i).isTrue();
    }
  }

  @Test
  void combineAll_sameInconsistentInput_sameRefusal() throws Exception {
    SecureRandom random = seeded(12);
    List<List<ShamirShare>> sharesPerSecret = splits(10, 32, 3, 6, random);
    List<ShamirShare> victim = new ArrayList<>(sharesPerSecret.get(6));
    victim.set(2, withY(victim.get(2), 0, BigInteger.ONE, true));
    sharesPerSecret.set(6, victim);

    String first = messageOf(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 3));
    String second = messageOf(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 3));

    assertThat(first).startsWith("secret #6 of 10: the 6 Shamir shares are inconsistent");
    assertThat(second).isEqualTo(first);
  }

  @Test
  void combineAll_emptyAndInvalidArguments() throws Exception {
    assertThat(ShamirSecretSharing.combineAll(List.of(), 3)).isEmpty();
    List<List<ShamirShare>> sharesPerSecret = splits(2, 32, 2, 3, seeded(13));
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not 1");
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(null, 2))
        .isInstanceOf(NullPointerException.class);
    List<List<ShamirShare>> withNull = new ArrayList<>(sharesPerSecret);
    withNull.add(null);
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(withNull, 2))
        .isInstanceOf(NullPointerException.class);
    List<ShamirShare> nullShare = new ArrayList<>(sharesPerSecret.get(0));
    nullShare.set(1, null);
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(List.of(nullShare), 2))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void combineAll_resultIsUnmodifiable() throws Exception {
    List<SecretBytes> combined = ShamirSecretSharing.combineAll(splits(2, 32, 2, 3, seeded(14)), 2);
    assertThatThrownBy(() -> combined.add(SecretBytes.copyOf(new byte[1])))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void combineAll_largeThreshold_reconstructsEveryExtraShareChecked() throws Exception {
    // A realistic shape, smaller: 40 secrets, t = 40, 60 responders of 70 with gaps in x.
    SecureRandom random = seeded(15);
    List<Integer> responders = new ArrayList<>();
    for (int x = 1; x <= 70; x++) {
      if (x % 7 != 3) {
        responders.add(x);
      }
    }
    List<SecretBytes> secrets = new ArrayList<>();
    List<List<ShamirShare>> sharesPerSecret = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      SecretBytes secret = SecretBytes.random(32, random);
      secrets.add(secret);
      sharesPerSecret.add(select(ShamirSecretSharing.split(secret, 40, 70, random), responders));
    }
    List<SecretBytes> combined = ShamirSecretSharing.combineAll(sharesPerSecret, 40);
    for (int i = 0; i < 40; i++) {
      assertThat(combined.get(i).equalsConstantTime(secrets.get(i))).as("secret %s", i).isTrue();
    }

    // Then the highest x of the last secret is altered: still caught.
    List<ShamirShare> victim = new ArrayList<>(sharesPerSecret.get(39));
    int last = victim.size() - 1;
    victim.set(last, withY(victim.get(last), 0, BigInteger.ONE, true));
    sharesPerSecret.set(39, victim);
    assertThatThrownBy(() -> ShamirSecretSharing.combineAll(sharesPerSecret, 40))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageStartingWith("secret #39 of 40: the " + responders.size() + " Shamir shares")
        .hasMessageContaining("x=70 does not lie");
  }

  /** {@code count} secrets of {@code length} bytes, each split t-of-n, all n shares kept. */
  private static List<List<ShamirShare>> splits(
      int count, int length, int threshold, int shareCount, SecureRandom random) {
    List<List<ShamirShare>> sharesPerSecret = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sharesPerSecret.add(
          ShamirSecretSharing.split(
              SecretBytes.random(length, random), threshold, shareCount, random));
    }
    return sharesPerSecret;
  }

  private static List<ShamirShare> select(List<ShamirShare> shares, Collection<Integer> xs) {
    HashSet<Integer> wanted = new HashSet<>(xs);
    List<ShamirShare> selected = new ArrayList<>();
    for (ShamirShare share : shares) {
      if (wanted.contains(share.x())) {
        selected.add(share);
      }
    }
    assertThat(selected).hasSize(wanted.size());
    return selected;
  }

  /** The share with {@code delta} added to (or subtracted from) block {@code block}'s y, mod p. */
  private static ShamirShare withY(ShamirShare share, int block, BigInteger delta, boolean add) {
    BigInteger[] ys = new BigInteger[share.blockCount()];
    for (int i = 0; i < ys.length; i++) {
      ys[i] = share.y(i);
    }
    ys[block] = (add ? ys[block].add(delta) : ys[block].subtract(delta)).mod(PRIME);
    return ShamirShare.of(share.x(), share.threshold(), share.secretLength(), ys);
  }

  private interface Call {
    void run() throws Exception;
  }

  private static String messageOf(Call call) {
    try {
      call.run();
    } catch (Exception e) {
      return e.getMessage();
    }
    throw new AssertionError("expected a refusal");
  }

  private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(seed);
    return random;
  }
}
