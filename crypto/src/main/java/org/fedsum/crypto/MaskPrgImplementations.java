package org.fedsum.crypto;

import org.fedsum.crypto.internal.AesCtrKeystream;

/**
 * {@link MaskPrg} with a chosen keystream implementation, for the PRG benchmark ({@code fedsum
 * bench prg}, {@code org.fedsum.crypto.bench}), which times each implementation against OpenSSL.
 * The protocol always gets the preferred one through {@link MaskPrg#create(SecretBytes, int)}.
 */
public final class MaskPrgImplementations {
  private MaskPrgImplementations() {}

  /** A mask PRG that uses {@code implementation} for its keystream. */
  public static MaskPrg create(
      SecretBytes seed, int bits, AesCtrKeystream.Implementation implementation) {
    return MaskPrg.create(seed, bits, implementation);
  }
}
