package org.fedsum.aggregator.http;

import io.vertx.core.http.HttpServerRequest;

/**
 * The headers of a masked vector's upload in parts (docs/API.md, "Resumable uploads"; the names
 * follow the IETF draft "Resumable Uploads for HTTP"): {@value #UPLOAD_OFFSET} and {@value
 * #UPLOAD_COMPLETE}. Bad values are refused as {@code BAD_REQUEST} naming the header.
 */
public final class UploadParts {
  /** The frame bytes an upload has taken, or the byte a part goes on from. */
  public static final String UPLOAD_OFFSET = "Upload-Offset";

  /** {@code ?0} on a part that more parts follow; {@code ?1} (the default) on the last. */
  public static final String UPLOAD_COMPLETE = "Upload-Complete";

  private UploadParts() {}

  /**
   * Whether the request's part ends the frame: {@value #UPLOAD_COMPLETE} absent or {@code ?1}.
   *
   * @throws ApiException {@code BAD_REQUEST} for another value
   */
  public static boolean lastPart(HttpServerRequest request) {
    String value = request.getHeader(UPLOAD_COMPLETE);
    if (value == null || value.equals("?1")) {
      return true;
    }
    if (value.equals("?0")) {
      return false;
    }
    throw ApiException.of(
        AggregatorErrorCode.BAD_REQUEST,
        UPLOAD_COMPLETE
            + " must be ?0 (more parts follow) or ?1 (the last part), not '"
            + value
            + "'");
  }

  /**
   * The byte a {@code PATCH} goes on from, its {@value #UPLOAD_OFFSET}.
   *
   * @throws ApiException {@code BAD_REQUEST} if the header is missing or not a byte offset
   */
  public static long offset(HttpServerRequest request) {
    String value = request.getHeader(UPLOAD_OFFSET);
    if (value == null) {
      throw ApiException.of(
          AggregatorErrorCode.BAD_REQUEST,
          "a PATCH of a masked vector needs an "
              + UPLOAD_OFFSET
              + " header: the byte it goes on from");
    }
    if (!value.matches("[0-9]{1,18}")) {
      throw ApiException.of(
          AggregatorErrorCode.BAD_REQUEST,
          UPLOAD_OFFSET + " must be a byte offset (a non-negative integer), not '" + value + "'");
    }
    return Long.parseLong(value);
  }
}
