package org.fedsum.silo.client;

import java.util.OptionalLong;

/**
 * The aggregator refused a request: its documented error (docs/ERRORS.md) with the HTTP status. The
 * message is the aggregator's, which never holds a secret.
 */
public final class AggregatorRefusal extends Exception {
  private static final long serialVersionUID = 1L;

  private final int httpStatus;
  private final String code;
  private final boolean retryable;
  private final Long round;

  public AggregatorRefusal(
      int httpStatus, String code, String message, Long round, boolean retryable) {
    super(code + " (HTTP " + httpStatus + "): " + message);
    this.httpStatus = httpStatus;
    this.code = code;
    this.retryable = retryable;
    this.round = round;
  }

  /** The HTTP status of the reply. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The stable error code, e.g. {@code STAGE_OUT_OF_ORDER}. */
  public String code() {
    return code;
  }

  /** Whether the same request may succeed later. */
  public boolean retryable() {
    return retryable;
  }

  /** The round the refusal is about, if any. */
  public OptionalLong round() {
    return round == null ? OptionalLong.empty() : OptionalLong.of(round);
  }
}
