package org.fedsum.aggregator.http;

import java.util.Objects;
import java.util.OptionalLong;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;

/**
 * A refused request, carrying what the JSON error body says: a code from {@link ErrorCatalog}, a
 * message for the caller, and the round when one applies. Handlers fail their routing context with
 * it; the failure handler turns it into the response. Messages name what is wrong, never a secret.
 *
 * <p>Unchecked because it travels through Vert.x handlers; it has no stack trace, since a refusal
 * is an expected outcome, not a bug.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final int httpStatus;
  private final boolean retryable;
  private final long round;
  private final boolean hasRound;
  private final long uploadOffset;

  private ApiException(ErrorCatalog.Entry entry, String message, long round, boolean hasRound) {
    this(entry.code(), entry.httpStatus(), entry.retryable(), message, round, hasRound, -1);
  }

  private ApiException(
      String code,
      int httpStatus,
      boolean retryable,
      String message,
      long round,
      boolean hasRound,
      long uploadOffset) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    this.code = code;
    this.httpStatus = httpStatus;
    this.retryable = retryable;
    this.round = round;
    this.hasRound = hasRound;
    this.uploadOffset = uploadOffset;
  }

  /**
   * This refusal, telling the caller where its upload goes on from: the reply gets an {@code
   * Upload-Offset} header.
   */
  public ApiException withUploadOffset(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("an upload offset is not negative, not " + offset);
    }
    return new ApiException(code, httpStatus, retryable, getMessage(), round, hasRound, offset);
  }

  /** The offset for the reply's {@code Upload-Offset} header, if the refusal has one. */
  public OptionalLong uploadOffset() {
    return uploadOffset < 0 ? OptionalLong.empty() : OptionalLong.of(uploadOffset);
  }

  /** A refusal with an aggregator transport code, not tied to a round. */
  public static ApiException of(AggregatorErrorCode code, String message) {
    return new ApiException(ErrorCatalog.of(code), message, 0, false);
  }

  /** A refusal with a protocol code, not tied to a round. */
  public static ApiException of(ErrorCode code, String message) {
    return new ApiException(ErrorCatalog.of(code), message, 0, false);
  }

  /** A refusal with a protocol code about {@code round}. */
  public static ApiException of(ErrorCode code, long round, String message) {
    return new ApiException(ErrorCatalog.of(code), message, round, true);
  }

  /**
   * The protocol core's refusal, with its code and round. A negative round (the core's "no round",
   * e.g. for a message too malformed to name one) becomes no round: {@code null} on the wire, as
   * docs/ERRORS.md promises, never a made-up round number.
   */
  public static ApiException from(ProtocolException refusal) {
    String message = refusal.getMessage();
    // ProtocolException prefixes its message with the code, which the body carries separately.
    String prefix = refusal.code().name() + ": ";
    if (message != null && message.startsWith(prefix)) {
      message = message.substring(prefix.length());
    }
    String text = message == null ? refusal.code().name() : message;
    return refusal.round() < 0
        ? of(refusal.code(), text)
        : of(refusal.code(), refusal.round(), text);
  }

  /** The stable code string, e.g. {@code UNKNOWN_SILO}. */
  public String code() {
    return code;
  }

  /** The HTTP status of the code, from {@link ErrorCatalog}. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Whether the same request, sent again later, can succeed. */
  public boolean retryable() {
    return retryable;
  }

  /** The round the refusal is about, if any. */
  public OptionalLong round() {
    return hasRound ? OptionalLong.of(round) : OptionalLong.empty();
  }
}
