package org.fedsum.protocol;

import java.util.Objects;

/** Round 2: a silo's masked vector {@code y_u = x_u + PRG(b_u) + Σ ±PRG(s_uv) mod 2^b}. */
public record MaskedInput(String siloId, long round, MaskedVector vector) implements SiloMessage {

  public MaskedInput {
    Objects.requireNonNull(siloId, "siloId");
    Objects.requireNonNull(vector, "vector");
  }

  @Override
  public Stage stage() {
    return Stage.MASKED_INPUT;
  }
}
