package org.fedsum.protocol;

import java.util.Objects;

/**
 * A message or event that the protocol refuses. Refusals never change the state they were applied
 * to. Messages name what is wrong, never secret values.
 */
public final class ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final long round;

  public ProtocolException(ErrorCode code, long round, String message) {
    super(Objects.requireNonNull(code, "code") + ": " + message);
    this.code = code;
    this.round = round;
  }

  public ErrorCode code() {
    return code;
  }

  public long round() {
    return round;
  }
}
