package org.fedsum.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

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
 * <p>Cost: splitting takes {@code n·t} multiplications per block, combining {@code O(t²)} plus
 * {@code O(t)} per block and per share beyond the threshold. Intermediate big integers cannot be
 * wiped; byte arrays holding the secret are overwritten after use.
 */
public final class ShamirSecretSharing {
  private static final BigInteger PRIME = ShamirShare.PRIME;
  private static final int PRIME_BITS = 521;

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
    BigInteger[][] ys = new BigInteger[shareCount][blocks];
    byte[] secretBytes = secret.copySecretBytes(SecretAccess.GRANTED);
    try {
      BigInteger[] coefficients = new BigInteger[threshold];
      for (int block = 0; block < blocks; block++) {
        coefficients[0] = new BigInteger(1, blockBytes(secretBytes, block));
        for (int k = 1; k < threshold; k++) {
          coefficients[k] = randomFieldElement(random);
        }
        for (int x = 1; x <= shareCount; x++) {
          ys[x - 1][block] = evaluate(coefficients, x);
        }
      }
      Arrays.fill(coefficients, null);
    } finally {
      Arrays.fill(secretBytes, (byte) 0);
    }
    List<ShamirShare> shares = new ArrayList<>(shareCount);
    for (int x = 1; x <= shareCount; x++) {
      shares.add(ShamirShare.of(x, threshold, secretLength, ys[x - 1]));
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
    List<ShamirShare> sorted = new ArrayList<>(shares.size());
    for (ShamirShare share : shares) {
      sorted.add(Objects.requireNonNull(share, "shares must not contain null"));
    }
    if (sorted.size() < threshold) {
      throw new GeneralSecurityException(
          "need at least " + threshold + " Shamir shares to reconstruct, got " + sorted.size());
    }
    int secretLength = sorted.get(0).secretLength();
    Set<Integer> seen = new HashSet<>();
    for (ShamirShare share : sorted) {
      if (share.x() == 0) {
        throw new GeneralSecurityException("Shamir share x-coordinate must not be 0");
      }
      if (!seen.add(share.x())) {
        throw new GeneralSecurityException(
            "two Shamir shares have the same x-coordinate " + share.x());
      }
      if (share.threshold() != threshold) {
        throw new GeneralSecurityException(
            "Shamir share x="
                + share.x()
                + " was made for threshold "
                + share.threshold()
                + ", not "
                + threshold);
      }
      if (share.secretLength() != secretLength) {
        throw new GeneralSecurityException(
            "Shamir shares disagree on the secret length: "
                + secretLength
                + " and "
                + share.secretLength()
                + " bytes");
      }
    }
    sorted.sort(Comparator.comparingInt(ShamirShare::x));
    List<ShamirShare> basis = sorted.subList(0, threshold);
    int blocks = ShamirShare.blockCount(secretLength);
    BigInteger[][] basisYs = new BigInteger[threshold][];
    for (int i = 0; i < threshold; i++) {
      basisYs[i] = ys(basis.get(i), blocks);
    }
    BigInteger[] barycentricWeights = barycentricWeights(basis);

    for (ShamirShare extra : sorted.subList(threshold, sorted.size())) {
      BigInteger[] lagrange = lagrangeAt(extra.x(), basis, barycentricWeights);
      boolean consistent = true;
      for (int block = 0; block < blocks; block++) {
        BigInteger expected = interpolate(lagrange, basisYs, block);
        consistent &= equalFieldElements(expected, extra.y(block));
      }
      if (!consistent) {
        throw new GeneralSecurityException(
            "the "
                + sorted.size()
                + " Shamir shares are inconsistent: x="
                + extra.x()
                + " does not lie on the polynomial of degree "
                + (threshold - 1)
                + " through the shares before it");
      }
    }

    BigInteger[] lagrangeAtZero = lagrangeAt(0, basis, barycentricWeights);
    byte[] secretBytes = new byte[secretLength];
    try {
      for (int block = 0; block < blocks; block++) {
        int offset = block * ShamirShare.BLOCK_BYTES;
        int width = Math.min(ShamirShare.BLOCK_BYTES, secretLength - offset);
        BigInteger value = interpolate(lagrangeAtZero, basisYs, block);
        if (value.bitLength() > 8 * width) {
          throw new GeneralSecurityException(
              "the Shamir shares do not reconstruct a "
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

  private static void checkThreshold(int threshold) {
    if (threshold < 2 || threshold > ShamirShare.MAX_X) {
      throw new IllegalArgumentException(
          "threshold must be between 2 and " + ShamirShare.MAX_X + ", not " + threshold);
    }
  }

  private static byte[] blockBytes(byte[] secret, int block) {
    int from = block * ShamirShare.BLOCK_BYTES;
    return Arrays.copyOfRange(
        secret, from, Math.min(secret.length, from + ShamirShare.BLOCK_BYTES));
  }

  /** Uniform in [0, p): 521 random bits are uniform in [0, 2^521] minus one value, p itself. */
  private static BigInteger randomFieldElement(SecureRandom random) {
    while (true) {
      BigInteger candidate = new BigInteger(PRIME_BITS, random);
      if (candidate.compareTo(PRIME) < 0) {
        return candidate;
      }
    }
  }

  /** Horner's rule; {@code x} is small, so each step multiplies by at most 16 bits. */
  private static BigInteger evaluate(BigInteger[] coefficients, int x) {
    BigInteger xValue = BigInteger.valueOf(x);
    BigInteger result = coefficients[coefficients.length - 1];
    for (int k = coefficients.length - 2; k >= 0; k--) {
      result = reduce(result.multiply(xValue).add(coefficients[k]));
    }
    return result;
  }

  /**
   * {@code w_i = 1 / Π_{j≠i} (x_i - x_j)}: the part of every Lagrange coefficient that does not
   * depend on where the polynomial is evaluated, computed once per combine.
   */
  private static BigInteger[] barycentricWeights(List<ShamirShare> basis) {
    int count = basis.size();
    BigInteger[] weights = new BigInteger[count];
    for (int i = 0; i < count; i++) {
      BigInteger product = BigInteger.ONE;
      for (int j = 0; j < count; j++) {
        if (j != i) {
          product =
              reduce(
                  product.multiply(
                      BigInteger.valueOf(basis.get(i).x() - basis.get(j).x()).mod(PRIME)));
        }
      }
      weights[i] = product.modInverse(PRIME);
    }
    return weights;
  }

  /**
   * The Lagrange coefficients {@code λ_i(target) = w_i · Π_{j≠i} (target - x_j)}, with the products
   * over {@code j≠i} from prefix and suffix products (no division).
   */
  private static BigInteger[] lagrangeAt(
      int target, List<ShamirShare> basis, BigInteger[] barycentricWeights) {
    int count = basis.size();
    BigInteger[] differences = new BigInteger[count];
    for (int j = 0; j < count; j++) {
      differences[j] = BigInteger.valueOf(target - basis.get(j).x()).mod(PRIME);
    }
    BigInteger[] prefix = new BigInteger[count + 1];
    prefix[0] = BigInteger.ONE;
    for (int j = 0; j < count; j++) {
      prefix[j + 1] = reduce(prefix[j].multiply(differences[j]));
    }
    BigInteger[] coefficients = new BigInteger[count];
    BigInteger suffix = BigInteger.ONE;
    for (int i = count - 1; i >= 0; i--) {
      coefficients[i] = reduce(reduce(prefix[i].multiply(suffix)).multiply(barycentricWeights[i]));
      suffix = reduce(suffix.multiply(differences[i]));
    }
    return coefficients;
  }

  private static BigInteger interpolate(BigInteger[] lagrange, BigInteger[][] ys, int block) {
    BigInteger sum = BigInteger.ZERO;
    for (int i = 0; i < lagrange.length; i++) {
      sum = sum.add(lagrange[i].multiply(ys[i][block]));
    }
    return reduce(sum);
  }

  private static BigInteger[] ys(ShamirShare share, int blocks) {
    BigInteger[] ys = new BigInteger[blocks];
    for (int block = 0; block < blocks; block++) {
      ys[block] = share.y(block);
    }
    return ys;
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
