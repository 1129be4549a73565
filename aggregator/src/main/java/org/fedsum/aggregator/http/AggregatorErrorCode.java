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
