package org.fedsum.protocol;

import java.util.Objects;

/** Round 3: a silo's signature over the survivor list U3 it was shown. */
public record ConsistencySignature(String siloId, long round, byte[] signature)
    implements SiloMessage {

  public ConsistencySignature {
    Objects.requireNonNull(siloId, "siloId");
    signature = Objects.requireNonNull(signature, "signature").clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public Stage stage() {
    return Stage.CONSISTENCY_CHECK;
  }
}
