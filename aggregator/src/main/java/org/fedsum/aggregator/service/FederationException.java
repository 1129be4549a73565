package org.fedsum.aggregator.service;

import java.util.Objects;

/**
 * An operator request the federation refuses. The {@link Reason} names the error code the API
 * answers with (docs/ERRORS.md); the message says what is wrong, never a secret.
 */
public final class FederationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why; each is an error code of the same name in docs/ERRORS.md. */
  public enum Reason {
    RUN_NOT_FOUND,
    RUN_EXISTS,
    RUN_ACTIVE,
    RUN_STATE_CONFLICT,
    INVALID_RUN_CONFIG,
    INVALID_MODEL
  }

  private final Reason reason;

  public FederationException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the request was refused. */
  public Reason reason() {
    return reason;
  }
}
