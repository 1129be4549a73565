package org.fedsum.aggregator.http;

/**
 * Error codes that belong to the aggregator's transport, next to the protocol's own {@link
 * org.fedsum.protocol.ErrorCode}. Stable strings on the wire; never rename one. Their HTTP statuses
 * are in {@link ErrorCatalog}, the one place that maps codes to statuses.
 */
public enum AggregatorErrorCode {
  /**
   * The client certificate passed the TLS handshake but not the federation's rules at this request:
   * expired or revoked since the connection opened, not issued by the federation CA, or without a
   * valid {@code urn:fedsum:<role>:<id>} identity.
   */
  CERTIFICATE_REJECTED(false),
  /** The route is for another role (silo routes refuse operators and vice versa). */
  WRONG_ROLE(false),
  /** The site already holds {@code limits.maxConnectionsPerSite} open connections. */
  TOO_MANY_CONNECTIONS(true),
  /** The request body exceeds {@code limits.maxControlMessageBytes}. */
  MESSAGE_TOO_LARGE(false),
  /** No route has this path. */
  NOT_FOUND(false),
  /** The path exists but not for this HTTP method. */
  METHOD_NOT_ALLOWED(false),
  /** No run has this id. */
  RUN_NOT_FOUND(false),
  /** A run with this id exists already (run ids are never reused: their journals are records). */
  RUN_EXISTS(false),
  /** Another run is active (created, running or paused); stop it or let it complete first. */
  RUN_ACTIVE(false),
  /**
   * The operation does not fit the run's phase: starting a run twice, pausing a paused run,
   * uploading an initial model after the start, changing a run that is over.
   */
  RUN_STATE_CONFLICT(false),
  /** The run configuration is invalid; the message names the key and the reason. */
  INVALID_RUN_CONFIG(false),
  /** An uploaded model has the wrong size or holds a value that is not finite. */
  INVALID_MODEL(false),
  /** The request is not well formed: a bad query parameter, content type or path parameter. */
  BAD_REQUEST(false),
  /**
   * A masked vector's upload is resumed at an offset other than the bytes the aggregator has taken;
   * the reply's {@code Upload-Offset} header says where to go on from.
   */
  UPLOAD_OFFSET_MISMATCH(false),
  /**
   * There is no upload of the silo's masked vector for the round to resume (it never started, or
   * was refused, or superseded): start it again from its first byte.
   */
  UPLOAD_NOT_FOUND(false),
  /**
   * The active run failed because the aggregator could not write its data directory (a full or
   * read-only disk): it takes no silo request until the directory can be written again (the
   * aggregator retries by itself) or it is restarted, and then goes on from its journal. Ask again
   * later.
   */
  STORAGE_FAILED(true),
  /**
   * An unexpected failure inside the aggregator; the details are in its log, never in the reply.
   */
  INTERNAL_ERROR(true);

  private final boolean retryable;

  AggregatorErrorCode(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether the same request, sent again later, can succeed. */
  public boolean retryable() {
    return retryable;
  }
}
