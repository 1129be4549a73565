package org.fedsum.aggregator.round;

import java.util.Objects;
import org.fedsum.aggregator.store.SpooledVector;
import org.fedsum.protocol.MaskedVector;

/**
 * A spooled masked vector as the protocol core sees it: length and digest, both checked by the
 * spool before it handed the vector over. The words stay on disk until the core accepts the vector.
 */
final class SpooledMaskedVector implements MaskedVector {
  private final SpooledVector spooled;

  SpooledMaskedVector(SpooledVector spooled) {
    this.spooled = Objects.requireNonNull(spooled, "spooled");
  }

  SpooledVector spooled() {
    return spooled;
  }

  @Override
  public int length() {
    return spooled.length();
  }

  @Override
  public byte[] sha256() {
    return spooled.sha256();
  }

  @Override
  public String toString() {
    return "SpooledMaskedVector[" + spooled + "]";
  }
}
