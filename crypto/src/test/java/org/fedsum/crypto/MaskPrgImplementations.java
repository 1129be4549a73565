package org.fedsum.crypto;

import org.fedsum.crypto.internal.AesCtrKeystream;

/**
 * Test-side access to {@link MaskPrg} with a chosen keystream implementation, for tests and
 * benchmarks in other packages. Production code always gets the preferred one.
 */
public final class MaskPrgImplementations {
  private MaskPrgImplementations() {}

  /** A mask PRG that uses {@code implementation} for its keystream. */
  public static MaskPrg create(
      SecretBytes seed, int bits, AesCtrKeystream.Implementation implementation) {
    return MaskPrg.create(seed, bits, implementation);
  }
}
