package org.fedsum.aggregator.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.fedsum.protocol.ErrorCode;

/**
 * The one place where wire error codes get their HTTP status (DESIGN.md §6). Covers every {@link
 * ErrorCode} of the protocol and every {@link AggregatorErrorCode}; {@code docs/ERRORS.md} lists
 * the same table for clients, and a test keeps the two equal.
 *
 * <p>The switches have no default branch, so a code added to either enum does not compile until it
 * has a status here.
 */
public final class ErrorCatalog {
  private ErrorCatalog() {}

  /**
   * One wire error code.
   *
   * @param code the stable code string, e.g. {@code UNKNOWN_SILO}
   * @param httpStatus the HTTP status the aggregator answers it with
   * @param retryable whether the same request, sent again later, can succeed
   */
  public record Entry(String code, int httpStatus, boolean retryable) {
    public Entry {
      Objects.requireNonNull(code, "code");
    }
  }

  /** The entry of a protocol error code. */
  public static Entry of(ErrorCode code) {
    int status =
        switch (code) {
          case MALFORMED_MESSAGE -> 400;
          case UNKNOWN_SILO, NOT_A_PARTICIPANT -> 403;
          case STAGE_OUT_OF_ORDER,
              DUPLICATE_SUBMISSION,
              ROUND_MISMATCH,
              THRESHOLD_NOT_MET,
              INCONSISTENT_SURVIVORS,
              NOT_READY ->
              409;
          case ROUND_CLOSED -> 410;
          case VECTOR_LENGTH_MISMATCH,
              INVALID_SIGNATURE,
              INVALID_KEY,
              INVALID_SHARE,
              BELOW_PRIVACY_FLOOR ->
              422;
        };
    return new Entry(code.name(), status, code.retryable());
  }

  /** The entry of an aggregator transport error code. */
  public static Entry of(AggregatorErrorCode code) {
    int status =
        switch (code) {
          case CERTIFICATE_REJECTED, WRONG_ROLE -> 403;
          case NOT_FOUND, RUN_NOT_FOUND, UPLOAD_NOT_FOUND -> 404;
          case RUN_EXISTS, RUN_ACTIVE, RUN_STATE_CONFLICT, UPLOAD_OFFSET_MISMATCH -> 409;
          case INVALID_RUN_CONFIG, INVALID_MODEL -> 422;
          case BAD_REQUEST -> 400;
          case METHOD_NOT_ALLOWED -> 405;
          case MESSAGE_TOO_LARGE -> 413;
          case TOO_MANY_CONNECTIONS -> 429;
          case STORAGE_FAILED -> 503;
          case INTERNAL_ERROR -> 500;
        };
    return new Entry(code.name(), status, code.retryable());
  }

  /** Every code the aggregator can answer with: the protocol's, then the transport's. */
  public static List<Entry> all() {
    List<Entry> entries = new ArrayList<>();
    for (ErrorCode code : ErrorCode.values()) {
      entries.add(of(code));
    }
    for (AggregatorErrorCode code : AggregatorErrorCode.values()) {
      entries.add(of(code));
    }
    return List.copyOf(entries);
  }
}
