package org.fedsum.crypto;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Shamir's {@code t}-of-{@code n} secret sharing (Shamir, "How to Share a Secret", CACM 1979) over
 * the prime field {@code GF(p)}, {@code p = 2^521 - 1} (a Mersenne prime, the field of NIST P-521).
 *
 * <p>A secret of any length is cut into 64-byte blocks (the last one possibly shorter); each block,
 * read as a big-endian unsigned integer below {@code 2^512 < p}, is the constant term of its own
 * random polynomial of degree {@code t - 1}, whose other coefficients are uniform in {@code GF(p)}
 * and drawn from the caller's {@link SecureRandom}. Share {@code i} (x-coordinate {@code i}, from 1
 * to {@code n}) holds every polynomial's value at {@code i}. Any {@code t} shares determine the
 * polynomials, hence the secret, by Lagrange interpolation at 0; any {@code t - 1} shares are
 * uniformly distributed whatever the secret, so they tell nothing about it (Shamir 1979, §2).
 *
 * <p>Cost: splitting takes {@code n·t} multiplications by 16-bit numbers per block, each a pass
 * over 17 limbs of 32 bits (about 2 ms of CPU per block at {@code t = 252}, {@code n = 500}; large
 * splits spread the x-coordinates over the common fork-join pool). Combining takes {@code O(t²)}
 * multiplications by 16-bit numbers and one inversion per set of x-coordinates, {@code O(t·(m -
 * t))} multiplications to check the {@code m - t} shares beyond the threshold, and {@code t + m}
 * per block; {@link #combineAll} shares the first two among all secrets with the same
 * x-coordinates. Splitting keeps the secret and the coefficients in arrays that it overwrites after
 * use; the big integers of combining cannot be wiped.
 */
public final class ShamirSecretSharing {
  private static final BigInteger PRIME = ShamirShare.PRIME;
  private static final int PRIME_BITS = 521;
  // Below this many Horner steps (about 0.1 ms of work) a split stays on the calling thread.
  private static final long PARALLEL_HORNER_STEPS = 1 << 13;

  private ShamirSecretSharing() {}

  /**
   * Splits {@code secret} into {@code shareCount} shares with x-coordinates {@code 1..shareCount},
   * in that order, any {@code threshold} of which reconstruct it.
   *
   * @throws IllegalArgumentException unless {@code 2 <= threshold <= shareCount <= 65535}
   */
  public static List<ShamirShare> split(
      SecretBytes secret, int threshold, int shareCount, SecureRandom random) {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(random, "random");
    checkThreshold(threshold);
    if (shareCount > ShamirShare.MAX_X) {
      throw new IllegalArgumentException(
          "shareCount must be at most " + ShamirShare.MAX_X + ", not " + shareCount);
    }
    if (shareCount < threshold) {
      throw new IllegalArgumentException(
          "shareCount must be at least the threshold " + threshold + ", not " + shareCount);
    }
    int secretLength = secret.length();
    int blocks = ShamirShare.blockCount(secretLength);
    int width = MersenneField521.BYTES;
    // Share x's y values, encoded back to back as ShamirShare stores them.
    byte[][] yValues = new byte[shareCount][blocks * width];
    byte[] secretBytes = secret.copySecretBytes(SecretAccess.GRANTED);
    long[] coefficients = new long[threshold * MersenneField521.LIMBS];
    long[] limbs = new long[MersenneField521.LIMBS];
    byte[] randomBytes = new byte[width];
    try {
      for (int block = 0; block < blocks; block++) {
        int from = block * ShamirShare.BLOCK_BYTES;
        MersenneField521.readBigEndian(
            secretBytes, from, Math.min(ShamirShare.BLOCK_BYTES, secretLength - from), limbs);
        System.arraycopy(limbs, 0, coefficients, 0, MersenneField521.LIMBS);
        for (int k = 1; k < threshold; k++) {
          randomFieldElement(random, randomBytes);
          MersenneField521.readBigEndian(randomBytes, 0, width, limbs);
          System.arraycopy(
              limbs, 0, coefficients, k * MersenneField521.LIMBS, MersenneField521.LIMBS);
        }
        evaluateAtEveryX(coefficients, threshold, shareCount, yValues, block * width);
      }
    } finally {
      Arrays.fill(secretBytes, (byte) 0);
      Arrays.fill(coefficients, 0L);
      Arrays.fill(limbs, 0L);
      Arrays.fill(randomBytes, (byte) 0);
    }
    List<ShamirShare> shares = new ArrayList<>(shareCount);
    for (int x = 1; x <= shareCount; x++) {
      shares.add(ShamirShare.ofEncodedYValues(x, threshold, secretLength, yValues[x - 1]));
    }
    return List.copyOf(shares);
  }

  /**
   * Reconstructs the secret from at least {@code threshold} shares of one split.
   *
   * <p>Every share beyond the first {@code threshold} (by x-coordinate) is checked to lie on the
   * polynomials those determine, so a corrupted or foreign share among more than {@code threshold}
   * shares is detected rather than silently changing the result. With exactly {@code threshold}
   * shares a wrong share cannot be detected in general (any {@code t} points lie on some polynomial
   * of degree {@code t - 1}): it is refused only when the result does not fit the secret's length,
   * which catches a share from another split with probability about {@code 1 - 2^(8·L - 521)} per
   * block of {@code L} bytes, but not a small change to one y value. The shares' authenticity must
   * come from their encryption (AEAD) in transit.
   *
   * <p>This is {@link #combineAll} for one secret. With one block the check is exact; with several
   * blocks it is the random linear combination described there.
   *
   * @param threshold the threshold the caller expects the shares to have been made for
   * @throws GeneralSecurityException if there are fewer than {@code threshold} shares, two shares
   *     have the same x-coordinate, a share has x-coordinate 0, the shares do not all have this
   *     threshold and the same secret length, or they are inconsistent
   * @throws IllegalArgumentException if {@code threshold} is not in [2, 65535]
   */
  public static SecretBytes combine(Collection<ShamirShare> shares, int threshold)
      throws GeneralSecurityException {
    Objects.requireNonNull(shares, "shares");
    checkThreshold(threshold);
    return reconstruct(List.of(shares), threshold, false).get(0);
  }

  /**
   * Reconstructs several secrets whose shares come from the same silos (same x-coordinates), e.g.
   * every survivor's self-mask seed at the end of a round (Bonawitz et al. 2017, Round 4). Element
   * {@code k} of the result is what {@link #combine combine(sharesPerSecret.get(k), threshold)}
   * returns, with the same guarantees and the same refusals per secret; a refusal's message starts
   * with {@code "secret #k of N: "} so the caller can tell which secret failed. Secrets may differ
   * in length and in their x-coordinates; the work is shared among the secrets with one set of
   * x-coordinates.
   *
   * <p><b>Cost.</b> The Lagrange coefficients are computed once per distinct set of x-coordinates
   * ({@code O(t²)} multiplications by 16-bit numbers and one field inversion), not per secret.
   * Reconstruction then takes {@code t} multiplications per block of each secret, and the
   * consistency check of the shares beyond the first {@code t} takes {@code m} multiplications per
   * block ({@code m} shares per secret) plus {@code O(t·(m - t))} once, instead of {@code O(t·(m -
   * t))} per block.
   *
   * <p><b>Consistency check by random linear combination.</b> Number the blocks of all secrets with
   * one x-set as columns {@code c = 1..C}, and let {@code y_{i,c}} be share {@code i}'s y value in
   * column {@code c}. The shares are consistent when, for every column, the points {@code (x_i,
   * y_{i,c})} lie on one polynomial of degree {@code t - 1}; the map from a column to its
   * "syndrome" {@code e_c} (for each extra share, its y minus the value at its x of the polynomial
   * through the first {@code t} shares) is linear, and column {@code c} is consistent iff {@code
   * e_c = 0}. Instead of checking {@code C} syndromes, this checks one: that of the combined shares
   * {@code Y_i = Σ_c r_c·y_{i,c} mod p}, which is {@code Σ_c r_c·e_c}. If every column is
   * consistent it is 0. If some column {@code c ≠ 1} is not, pick a coordinate where {@code e_c} is
   * non-zero: for any values of the other challenges exactly one value of {@code r_c} makes that
   * coordinate of the sum 0, so the check passes with probability at most {@code 1/p = 2^-521} over
   * a uniform {@code r_c}; if column 1 is the only inconsistent one, the sum is {@code e_1 ≠ 0} and
   * the check always fails (hence {@code r_1 = 1}, which also makes the check of a single block
   * exact). The challenges {@code r_c} are drawn uniformly from {@code GF(p)} (rejection sampling,
   * no bias) by expanding a SHA-256 hash of every share's encoding, of every secret, in x order
   * (Fiat–Shamir): they are fixed only once all shares are, so a party choosing its shares cannot
   * aim at them; in the random-oracle model each attempt of such a party (a new set of shares, a
   * new hash) passes with probability at most {@code 1/p}. When the combined check fails, each
   * secret of the x-set is checked on its own, in index order, so the refusal names the first
   * inconsistent secret and share exactly as {@link #combine} does.
   *
   * @param sharesPerSecret for each secret, at least {@code threshold} shares of its split
   * @param threshold the threshold the caller expects every share to have been made for
   * @return the secrets, in the order of {@code sharesPerSecret}; empty if it is empty
   * @throws GeneralSecurityException if {@link #combine} would refuse one of the secrets; the
   *     message names the lowest such index
   * @throws IllegalArgumentException if {@code threshold} is not in [2, 65535]
   * @throws NullPointerException if the list, one of its collections or a share is null
   */
  public static List<SecretBytes> combineAll(
      List<? extends Collection<ShamirShare>> sharesPerSecret, int threshold)
      throws GeneralSecurityException {
    Objects.requireNonNull(sharesPerSecret, "sharesPerSecret");
    checkThreshold(threshold);
    return reconstruct(sharesPerSecret, threshold, true);
  }

  private static void checkThreshold(int threshold) {
    if (threshold < 2 || threshold > ShamirShare.MAX_X) {
      throw new IllegalArgumentException(
          "threshold must be between 2 and " + ShamirShare.MAX_X + ", not " + threshold);
    }
  }

  /** combine and combineAll; {@code nameSecrets} prefixes refusals with the secret's index. */
  private static List<SecretBytes> reconstruct(
      List<? extends Collection<ShamirShare>> sharesPerSecret, int threshold, boolean nameSecrets)
      throws GeneralSecurityException {
    int secretCount = sharesPerSecret.size();
    String[] labels = new String[secretCount];
    List<ShamirShare[]> sortedShares = new ArrayList<>(secretCount);
    for (int secret = 0; secret < secretCount; secret++) {
      labels[secret] = nameSecrets ? "secret #" + secret + " of " + secretCount + ": " : "";
      Collection<ShamirShare> shares =
          Objects.requireNonNull(
              sharesPerSecret.get(secret), "sharesPerSecret must not contain null");
      sortedShares.add(validatedAndSorted(shares, threshold, labels[secret]));
    }

    // Secrets shared among the same silos share their interpolation work.
    Map<List<Integer>, EvaluationPoints> pointsByXs = new LinkedHashMap<>();
    EvaluationPoints[] pointsOfSecret = new EvaluationPoints[secretCount];
    for (int secret = 0; secret < secretCount; secret++) {
      ShamirShare[] shares = sortedShares.get(secret);
      List<Integer> xs = new ArrayList<>(shares.length);
      for (ShamirShare share : shares) {
        xs.add(share.x());
      }
      EvaluationPoints points =
          pointsByXs.computeIfAbsent(xs, key -> new EvaluationPoints(key, threshold));
      points.secrets.add(secret);
      pointsOfSecret[secret] = points;
    }

    Challenges challenges = new Challenges(sortedShares, threshold);
    boolean anyInconsistent = false;
    for (EvaluationPoints points : pointsByXs.values()) {
      anyInconsistent |= !points.combinationConsistent(sortedShares, challenges);
    }
    if (anyInconsistent) {
      for (int secret = 0; secret < secretCount; secret++) {
        if (!pointsOfSecret[secret].consistent) {
          pointsOfSecret[secret].requireConsistent(sortedShares.get(secret), labels[secret]);
        }
      }
      throw new IllegalStateException(
          "bug: a random linear combination of consistent Shamir shares was inconsistent");
    }

    List<SecretBytes> secrets = new ArrayList<>(secretCount);
    for (int secret = 0; secret < secretCount; secret++) {
      secrets.add(
          pointsOfSecret[secret].interpolateSecret(sortedShares.get(secret), labels[secret]));
    }
    return Collections.unmodifiableList(secrets);
  }

  /**
   * The shares of one secret sorted by x-coordinate, after the checks that need no arithmetic:
   * enough shares, distinct non-zero x-coordinates, one threshold and one secret length.
   */
  private static ShamirShare[] validatedAndSorted(
      Collection<ShamirShare> shares, int threshold, String label) throws GeneralSecurityException {
    ShamirShare[] sorted = new ShamirShare[shares.size()];
    int count = 0;
    for (ShamirShare share : shares) {
      sorted[count++] = Objects.requireNonNull(share, "shares must not contain null");
    }
    if (count < threshold) {
      throw new GeneralSecurityException(
          label + "need at least " + threshold + " Shamir shares to reconstruct, got " + count);
    }
    int secretLength = sorted[0].secretLength();
    Set<Integer> seen = new HashSet<>();
    for (ShamirShare share : sorted) {
      if (share.x() == 0) {
        throw new GeneralSecurityException(label + "Shamir share x-coordinate must not be 0");
      }
      if (!seen.add(share.x())) {
        throw new GeneralSecurityException(
            label + "two Shamir shares have the same x-coordinate " + share.x());
      }
      if (share.threshold() != threshold) {
        throw new GeneralSecurityException(
            label
                + "Shamir share x="
                + share.x()
                + " was made for threshold "
                + share.threshold()
                + ", not "
                + threshold);
      }
      if (share.secretLength() != secretLength) {
        throw new GeneralSecurityException(
            label
                + "Shamir shares disagree on the secret length: "
                + secretLength
                + " and "
                + share.secretLength()
                + " bytes");
      }
    }
    Arrays.sort(sorted, Comparator.comparingInt(ShamirShare::x));
    return sorted;
  }

  /**
   * One set of x-coordinates {@code x_0 < ... < x_{m-1}} and what interpolation through the first
   * {@code t} of them (the basis) needs, computed once for every secret shared among them: the
   * barycentric weights {@code w_i = 1 / Π_{j≠i} (x_i - x_j)}, the Lagrange coefficients at 0, and
   * for each further x (an extra) {@code ℓ(x) = Π_j (x - x_j)} and the inverses of {@code x - x_j}.
   * The basis polynomial's value at {@code z} is then {@code ℓ(z) · Σ_i w_i·y_i / (z - x_i)} (the
   * first barycentric form), which needs {@code t} multiplications per evaluation and no inversion.
   */
  private static final class EvaluationPoints {
    final int[] xs;
    final int threshold;
    final List<Integer> secrets = new ArrayList<>();
    final BigInteger[] barycentricWeights;
    final BigInteger[] lagrangeAtZero;
    // At the extras (index e for x_{t+e}): ℓ(x), and 1 / (x - x_i) for each basis point i.
    final BigInteger[] nodePolynomialAtExtra;
    final BigInteger[][] inverseDistanceFromExtra;
    // Whether the random linear combination of this x-set's secrets passed the check.
    boolean consistent = true;

    EvaluationPoints(List<Integer> xs, int threshold) {
      this.xs = xs.stream().mapToInt(Integer::intValue).toArray();
      this.threshold = threshold;
      int extras = this.xs.length - threshold;
      int largest = this.xs[this.xs.length - 1];

      // Every small integer whose inverse is needed, inverted together: 1/x_i for the Lagrange
      // coefficients at 0, and 1/(x_e - x_i) > 0 (the xs are sorted) for the extras.
      boolean[] needed = new boolean[largest + 1];
      for (int i = 0; i < threshold; i++) {
        needed[this.xs[i]] = true;
        for (int e = threshold; e < this.xs.length; e++) {
          needed[this.xs[e] - this.xs[i]] = true;
        }
      }
      BigInteger[] smallInverses = invertSmallIntegers(needed);

      BigInteger[] products = new BigInteger[threshold];
      for (int i = 0; i < threshold; i++) {
        products[i] = productOfDifferences(this.xs[i], this.xs, threshold, i);
      }
      barycentricWeights = invertAll(products);

      // λ_i(0) = ℓ(0) · w_i / (0 - x_i)
      BigInteger minusNodePolynomialAtZero =
          negate(productOfDifferences(0, this.xs, threshold, -1));
      lagrangeAtZero = new BigInteger[threshold];
      for (int i = 0; i < threshold; i++) {
        lagrangeAtZero[i] =
            reduce(
                reduce(minusNodePolynomialAtZero.multiply(barycentricWeights[i]))
                    .multiply(smallInverses[this.xs[i]]));
      }

      nodePolynomialAtExtra = new BigInteger[extras];
      inverseDistanceFromExtra = new BigInteger[extras][threshold];
      for (int e = 0; e < extras; e++) {
        int x = this.xs[threshold + e];
        nodePolynomialAtExtra[e] = productOfDifferences(x, this.xs, threshold, -1);
        for (int i = 0; i < threshold; i++) {
          inverseDistanceFromExtra[e][i] = smallInverses[x - this.xs[i]];
        }
      }
    }

    /**
     * Checks the combination {@code Y_i = Σ_c r_c·y_{i,c}} over every block {@code c} of every
     * secret with these x-coordinates (see {@link #combineAll}); records and returns the result.
     */
    boolean combinationConsistent(List<ShamirShare[]> sortedShares, Challenges challenges) {
      if (xs.length == threshold) {
        return true; // nothing beyond the basis to check
      }
      BigInteger[] combined = new BigInteger[xs.length];
      Arrays.fill(combined, BigInteger.ZERO);
      boolean first = true;
      for (int secret : secrets) {
        ShamirShare[] shares = sortedShares.get(secret);
        for (int block = 0; block < shares[0].blockCount(); block++) {
          if (first) {
            // r = 1 for the first column: exact for one block, and no weaker for more.
            for (int i = 0; i < xs.length; i++) {
              combined[i] = shares[i].y(block);
            }
            first = false;
          } else {
            BigInteger challenge = challenges.challenge(secret, block);
            for (int i = 0; i < xs.length; i++) {
              // Sums of products stay unreduced until the end: one fold per share, not per term.
              combined[i] = combined[i].add(challenge.multiply(shares[i].y(block)));
            }
          }
        }
      }
      for (int i = 0; i < xs.length; i++) {
        combined[i] = reduce(combined[i]);
      }
      consistent = firstInconsistentExtra(combined) < 0;
      return consistent;
    }

    /** Checks one secret's shares block by block, naming the first share off the polynomial. */
    void requireConsistent(ShamirShare[] shares, String label) throws GeneralSecurityException {
      int firstInconsistent = Integer.MAX_VALUE;
      BigInteger[] ys = new BigInteger[xs.length];
      for (int block = 0; block < shares[0].blockCount(); block++) {
        for (int i = 0; i < xs.length; i++) {
          ys[i] = shares[i].y(block);
        }
        int extra = firstInconsistentExtra(ys);
        if (extra >= 0) {
          firstInconsistent = Math.min(firstInconsistent, extra);
        }
      }
      if (firstInconsistent != Integer.MAX_VALUE) {
        throw new GeneralSecurityException(
            label
                + "the "
                + xs.length
                + " Shamir shares are inconsistent: x="
                + xs[threshold + firstInconsistent]
                + " does not lie on the polynomial of degree "
                + (threshold - 1)
                + " through the shares before it");
      }
    }

    /**
     * The index among the extras of the first point {@code (x_{t+e}, ys[t+e])} that is not on the
     * polynomial through the basis points, or -1 if all are.
     */
    private int firstInconsistentExtra(BigInteger[] ys) {
      BigInteger[] weighted = new BigInteger[threshold];
      for (int i = 0; i < threshold; i++) {
        weighted[i] = reduce(barycentricWeights[i].multiply(ys[i]));
      }
      for (int e = 0; e < nodePolynomialAtExtra.length; e++) {
        BigInteger sum = BigInteger.ZERO;
        BigInteger[] inverseDistances = inverseDistanceFromExtra[e];
        for (int i = 0; i < threshold; i++) {
          sum = sum.add(weighted[i].multiply(inverseDistances[i]));
        }
        BigInteger expected = reduce(reduce(sum).multiply(nodePolynomialAtExtra[e]));
        if (!equalFieldElements(expected, ys[threshold + e])) {
          return e;
        }
      }
      return -1;
    }

    /** The secret, block by block {@code Σ_i λ_i(0)·y_i} over the basis shares. */
    SecretBytes interpolateSecret(ShamirShare[] shares, String label)
        throws GeneralSecurityException {
      int secretLength = shares[0].secretLength();
      byte[] secretBytes = new byte[secretLength];
      try {
        for (int block = 0; block < shares[0].blockCount(); block++) {
          int offset = block * ShamirShare.BLOCK_BYTES;
          int width = Math.min(ShamirShare.BLOCK_BYTES, secretLength - offset);
          BigInteger sum = BigInteger.ZERO;
          for (int i = 0; i < threshold; i++) {
            sum = sum.add(lagrangeAtZero[i].multiply(shares[i].y(block)));
          }
          BigInteger value = reduce(sum);
          if (value.bitLength() > 8 * width) {
            throw new GeneralSecurityException(
                label
                    + "the Shamir shares do not reconstruct a "
                    + secretLength
                    + "-byte secret: wrong or inconsistent shares");
          }
          ShamirShare.writeFixedWidth(value, secretBytes, offset, width);
        }
        return SecretBytes.copyOf(secretBytes);
      } finally {
        Arrays.fill(secretBytes, (byte) 0);
      }
    }
  }

  /**
   * The challenges {@code r_c} of the consistency check: uniform field elements expanded from a
   * SHA-256 hash of every share of every secret, computed on first use (a call with exactly {@code
   * t} shares per secret, or one block in all, needs none).
   */
  private static final class Challenges {
    private static final byte[] DOMAIN =
        "FedSum Shamir batch consistency v1".getBytes(StandardCharsets.US_ASCII);
    private final List<ShamirShare[]> sortedShares;
    private final int threshold;
    private byte[] seed;

    Challenges(List<ShamirShare[]> sortedShares, int threshold) {
      this.sortedShares = sortedShares;
      this.threshold = threshold;
    }

    /** {@code r} for {@code block} of {@code secret}, uniform in {@code [0, p)}. */
    BigInteger challenge(int secret, int block) {
      if (seed == null) {
        seed = hashOfAllShares();
      }
      MessageDigest sha256 = sha256();
      byte[] expanded = new byte[3 * 32]; // 768 bits, of which the low 521 are kept
      for (int attempt = 0; ; attempt++) {
        for (int part = 0; part < 3; part++) {
          sha256.update(seed);
          updateInt(sha256, secret);
          updateInt(sha256, block);
          updateInt(sha256, attempt);
          sha256.update((byte) part);
          System.arraycopy(sha256.digest(), 0, expanded, 32 * part, 32);
        }
        // PRIME is also the mask of the low 521 bits; the only value to reject is p itself.
        BigInteger candidate = new BigInteger(1, expanded).and(PRIME);
        if (candidate.compareTo(PRIME) < 0) {
          return candidate;
        }
      }
    }

    private byte[] hashOfAllShares() {
      MessageDigest sha256 = sha256();
      sha256.update(DOMAIN);
      updateInt(sha256, threshold);
      updateInt(sha256, sortedShares.size());
      for (ShamirShare[] shares : sortedShares) {
        // Each encoding's length follows from its header, so the concatenation is unambiguous.
        updateInt(sha256, shares.length);
        for (ShamirShare share : shares) {
          share.updateDigestWithEncoding(sha256);
        }
      }
      return sha256.digest();
    }

    private static void updateInt(MessageDigest digest, int value) {
      digest.update((byte) (value >>> 24));
      digest.update((byte) (value >>> 16));
      digest.update((byte) (value >>> 8));
      digest.update((byte) value);
    }

    private static MessageDigest sha256() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
      }
    }
  }

  /**
   * Writes the polynomial's value at every x in [1, shareCount] into {@code yValues[x - 1]} at
   * {@code offset}. Large splits (the paper's n = 500, t = 252 is 125,000 Horner steps) run on the
   * common fork-join pool, after every coefficient has been drawn, so the shares stay a function of
   * the random source alone.
   */
  private static void evaluateAtEveryX(
      long[] coefficients, int threshold, int shareCount, byte[][] yValues, int offset) {
    IntStream points = IntStream.rangeClosed(1, shareCount);
    if ((long) threshold * shareCount >= PARALLEL_HORNER_STEPS) {
      points = points.parallel();
    }
    points.forEach(
        x -> {
          long[] value = new long[MersenneField521.LIMBS];
          MersenneField521.evaluate(coefficients, threshold, x, value);
          MersenneField521.writeBigEndian(value, yValues[x - 1], offset);
          Arrays.fill(value, 0L);
        });
  }

  /**
   * Writes a uniform element of [0, p) to {@code out} (66 bytes, big-endian): 521 random bits are
   * uniform in [0, 2^521 - 1], of which only p itself is rejected. Draws exactly what {@code new
   * BigInteger(521, random)} draws (66 bytes from {@code nextBytes}, the top 7 bits cleared), so
   * the same random source gives the same shares as the BigInteger implementation did.
   */
  private static void randomFieldElement(SecureRandom random, byte[] out) {
    do {
      random.nextBytes(out);
      out[0] &= 1;
    } while (!MersenneField521.isBelowPrime(out, 0));
  }

  /**
   * {@code Π_{j < count, j ≠ skip} (from - xs[j]) mod p}. The factors are below {@code 2^16} in
   * magnitude, so three of them are multiplied in a {@code long} before each big-integer
   * multiplication.
   */
  private static BigInteger productOfDifferences(int from, int[] xs, int count, int skip) {
    BigInteger product = BigInteger.ONE;
    long pending = 1;
    boolean negative = false;
    for (int j = 0; j < count; j++) {
      if (j == skip) {
        continue;
      }
      int difference = from - xs[j];
      if (difference < 0) {
        negative = !negative;
        difference = -difference;
      }
      if (pending > (Long.MAX_VALUE >>> 16)) {
        product = reduce(product.multiply(BigInteger.valueOf(pending)));
        pending = 1;
      }
      pending *= difference;
    }
    product = reduce(product.multiply(BigInteger.valueOf(pending)));
    return negative ? negate(product) : product;
  }

  /**
   * The inverses of the non-zero field elements {@code values}, with one modular inversion and
   * three multiplications per value (Montgomery's trick: invert the product of all, then peel).
   */
  private static BigInteger[] invertAll(BigInteger[] values) {
    int count = values.length;
    BigInteger[] prefixProducts = new BigInteger[count + 1];
    prefixProducts[0] = BigInteger.ONE;
    for (int i = 0; i < count; i++) {
      prefixProducts[i + 1] = reduce(prefixProducts[i].multiply(values[i]));
    }
    BigInteger inverseOfPrefix = prefixProducts[count].modInverse(PRIME);
    BigInteger[] inverses = new BigInteger[count];
    for (int i = count - 1; i >= 0; i--) {
      inverses[i] = reduce(inverseOfPrefix.multiply(prefixProducts[i]));
      inverseOfPrefix = reduce(inverseOfPrefix.multiply(values[i]));
    }
    return inverses;
  }

  /** An array whose entry {@code d} is {@code 1/d mod p} wherever {@code needed[d]}, else null. */
  private static BigInteger[] invertSmallIntegers(boolean[] needed) {
    int count = 0;
    for (boolean isNeeded : needed) {
      count += isNeeded ? 1 : 0;
    }
    int[] integers = new int[count];
    BigInteger[] values = new BigInteger[count];
    int next = 0;
    for (int d = 1; d < needed.length; d++) {
      if (needed[d]) {
        integers[next] = d;
        values[next] = BigInteger.valueOf(d);
        next++;
      }
    }
    BigInteger[] inverses = invertAll(values);
    BigInteger[] byInteger = new BigInteger[needed.length];
    for (int i = 0; i < count; i++) {
      byInteger[integers[i]] = inverses[i];
    }
    return byInteger;
  }

  /** {@code -value mod p} for a field element. */
  private static BigInteger negate(BigInteger value) {
    return value.signum() == 0 ? value : PRIME.subtract(value);
  }

  /**
   * {@code value mod p} for {@code value >= 0}, using {@code 2^521 ≡ 1 (mod p)}: fold the bits
   * above 521 onto the low bits instead of dividing.
   */
  private static BigInteger reduce(BigInteger value) {
    BigInteger result = value;
    while (result.bitLength() > PRIME_BITS) {
      result = result.and(PRIME).add(result.shiftRight(PRIME_BITS));
    }
    return result.compareTo(PRIME) >= 0 ? result.subtract(PRIME) : result;
  }

  /** Compares two field elements through their fixed-width encodings in constant time. */
  private static boolean equalFieldElements(BigInteger a, BigInteger b) {
    byte[] left = new byte[ShamirShare.FIELD_ELEMENT_BYTES];
    byte[] right = new byte[ShamirShare.FIELD_ELEMENT_BYTES];
    ShamirShare.writeFixedWidth(a, left, 0, ShamirShare.FIELD_ELEMENT_BYTES);
    ShamirShare.writeFixedWidth(b, right, 0, ShamirShare.FIELD_ELEMENT_BYTES);
    boolean equal = MessageDigest.isEqual(left, right);
    Arrays.fill(left, (byte) 0);
    Arrays.fill(right, (byte) 0);
    return equal;
  }
}
