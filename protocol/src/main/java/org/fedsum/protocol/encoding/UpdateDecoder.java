package org.fedsum.protocol.encoding;

import java.util.Objects;
import org.fedsum.crypto.RandomizedHadamard;

/**
 * Decodes the unmasked sum of the survivors' encodings (DESIGN.md §4 step 7): centred lift of each
 * word of {@code Z_{2^b}} to {@code [-2^(b-1), 2^(b-1))}, multiplication by {@code γ}, inverse
 * rotation and removal of the padding; when weighted, the last word is the total weight {@code Σ
 * n_k}, read as an unsigned number below {@code 2^b}.
 *
 * <p>The decoded sum equals the true sum of the (clipped, weighted) updates plus the summed noise
 * and the rounding errors, as long as no coordinate of the sum left the modular range. Each silo's
 * rounding error is below {@code γ} per coordinate on the grid; without rotation the sum of {@code
 * s} survivors is therefore within {@code s·γ} of the true sum in every coordinate; with rotation,
 * which is orthonormal, within {@code s·γ·√d'} in L2 norm ({@code d'} = {@link
 * EncodingParameters#signalLength()}, the rotation's padded length). Immutable and thread-safe.
 */
public final class UpdateDecoder {
  private final EncodingParameters parameters;
  private final RandomizedHadamard rotation;

  private UpdateDecoder(EncodingParameters parameters) {
    this.parameters = parameters;
    this.rotation =
        parameters.rotation()
            ? RandomizedHadamard.create(parameters.dimension(), parameters.rotationSeed())
            : null;
  }

  /** A decoder for sums of encodings made with {@code parameters}. */
  public static UpdateDecoder create(EncodingParameters parameters) {
    return new UpdateDecoder(Objects.requireNonNull(parameters, "parameters"));
  }

  /** The parameters this decoder follows. */
  public EncodingParameters parameters() {
    return parameters;
  }

  /**
   * Decodes a sum.
   *
   * @param sumWords the sum of {@code survivors} encodings modulo {@code 2^b}, {@link
   *     EncodingParameters#encodedLength()} words; words may also be the sum modulo {@code 2^32}
   *     (only their low {@code b} bits are read, which is the same residue since {@code 2^b}
   *     divides {@code 2^32}); not modified
   * @param survivors how many encodings were summed, 1 to {@link EncodingParameters#silos()}
   * @throws IllegalArgumentException if the length or the survivor count is wrong, or if, when
   *     weighted, the total weight is not between {@code survivors} and {@code survivors·maxWeight}
   *     (the words are then not a sum of {@code survivors} weighted encodings)
   */
  public DecodedUpdate decode(int[] sumWords, int survivors) {
    Summary summary = summarize(sumWords, survivors);
    int signalLength = parameters.signalLength();
    double[] signal = new double[signalLength];
    liftRange(sumWords, 0, signal, 0, signalLength);
    double[] sum = rotation != null ? rotation.inverse(signal) : signal;
    return new DecodedUpdate(
        sum,
        summary.totalWeight,
        survivors,
        summary.noiseStandardDeviation,
        summary.outerBandCount);
  }

  /**
   * Decodes a sum for reading range by range ({@link DecodedRanges}), so that the caller never
   * holds the whole decoded sum as doubles, with the same arithmetic as {@link #decode}, so the
   * values are the same bit for bit. Without rotation nothing of size {@link
   * EncodingParameters#dimension()} is allocated and every read lifts its words from {@code
   * sumWords} on the spot. The inverse rotation mixes the coordinates within each of its blocks
   * only ({@link RandomizedHadamard}), so with rotation a read decodes the block it falls in and
   * the result keeps that one block: at most one block of doubles, at most {@link
   * RandomizedHadamard#MAX_BLOCK} = 2^20 of them, 8 MiB, whatever m (a whole decode holds the
   * padded signal twice, then the sum).
   *
   * @param sumWords as for {@link #decode}; the result reads it, so it must not change while the
   *     result is in use
   * @param survivors as for {@link #decode}
   * @throws IllegalArgumentException as {@link #decode} does
   */
  public DecodedRanges decodeRanges(int[] sumWords, int survivors) {
    Summary summary = summarize(sumWords, survivors);
    if (rotation != null) {
      return DecodedRanges.rotatingBlocks(
          this,
          rotation,
          sumWords,
          summary.totalWeight,
          survivors,
          summary.noiseStandardDeviation,
          summary.outerBandCount);
    }
    return DecodedRanges.lifting(
        this,
        sumWords,
        summary.totalWeight,
        survivors,
        summary.noiseStandardDeviation,
        summary.outerBandCount);
  }

  /**
   * Words {@code [from, from + length)} of the signal, centred and scaled by {@code γ}, into {@code
   * into} from {@code offset}: {@link #decode}'s first step, also used range by range.
   */
  void liftRange(int[] sumWords, int from, double[] into, int offset, int length) {
    long modulus = 1L << parameters.bits();
    long unsignedMask = modulus - 1;
    long half = modulus >>> 1;
    double gamma = parameters.gamma();
    for (int i = 0; i < length; i++) {
      long residue = sumWords[from + i] & unsignedMask;
      long centred = residue >= half ? residue - modulus : residue;
      into[offset + i] = centred * gamma;
    }
  }

  /** The checks and the figures of a sum that need no decoded coordinate. */
  private record Summary(long totalWeight, double noiseStandardDeviation, long outerBandCount) {}

  private Summary summarize(int[] sumWords, int survivors) {
    Objects.requireNonNull(sumWords, "sumWords");
    if (sumWords.length != parameters.encodedLength()) {
      throw new IllegalArgumentException(
          "sumWords must have encodedLength = "
              + parameters.encodedLength()
              + " words, not "
              + sumWords.length);
    }
    if (survivors < 1 || survivors > parameters.silos()) {
      throw new IllegalArgumentException(
          "survivors must be between 1 and silos = " + parameters.silos() + ", not " + survivors);
    }
    int bits = parameters.bits();
    long modulus = 1L << bits;
    long unsignedMask = modulus - 1;
    long half = modulus >>> 1;
    double outerBand = 0.75 * half;
    int signalLength = parameters.signalLength();
    long outerBandCount = 0;
    for (int i = 0; i < signalLength; i++) {
      long residue = sumWords[i] & unsignedMask;
      long centred = residue >= half ? residue - modulus : residue;
      if (Math.abs(centred) >= outerBand) {
        outerBandCount++;
      }
    }
    long totalWeight = survivors;
    if (parameters.weighted()) {
      totalWeight = sumWords[signalLength] & unsignedMask;
      long most = survivors * parameters.maxWeight();
      if (totalWeight < survivors || totalWeight > most) {
        throw new IllegalArgumentException(
            "the total weight in the last word is "
                + totalWeight
                + ", not between survivors = "
                + survivors
                + " and survivors * maxWeight = "
                + most
                + ": the words are not a sum of "
                + survivors
                + " weighted encodings");
      }
    }
    double noiseStandardDeviation =
        parameters.localNoiseStandardDeviation() * parameters.gamma() * Math.sqrt(survivors);
    return new Summary(totalWeight, noiseStandardDeviation, outerBandCount);
  }

  @Override
  public String toString() {
    return "UpdateDecoder[" + parameters + "]";
  }
}
