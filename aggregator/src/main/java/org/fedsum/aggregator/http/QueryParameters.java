package org.fedsum.aggregator.http;

import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Reads query parameters strictly: a malformed or out-of-range one is a {@code BAD_REQUEST}. */
final class QueryParameters {
  private QueryParameters() {}

  static long longValue(
      RoutingContext context, String name, long defaultValue, long min, long max) {
    List<String> values = context.queryParam(name);
    if (values.isEmpty()) {
      return defaultValue;
    }
    if (values.size() > 1) {
      throw ApiException.of(
          AggregatorErrorCode.BAD_REQUEST, "query parameter '" + name + "' is given twice");
    }
    long value;
    try {
      value = Long.parseLong(values.get(0));
    } catch (NumberFormatException e) {
      throw ApiException.of(
          AggregatorErrorCode.BAD_REQUEST, "query parameter '" + name + "' must be a whole number");
    }
    if (value < min || value > max) {
      throw ApiException.of(
          AggregatorErrorCode.BAD_REQUEST,
          "query parameter '"
              + name
              + "' must be between "
              + min
              + " and "
              + max
              + ", not "
              + value);
    }
    return value;
  }
}
