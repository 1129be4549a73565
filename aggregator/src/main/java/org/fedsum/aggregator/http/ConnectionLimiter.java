package org.fedsum.aggregator.http;

import io.vertx.core.http.HttpConnection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.fedsum.crypto.SiteIdentity;

/**
 * Counts the open connections of each site ({@code limits.maxConnectionsPerSite}). A connection
 * counts from its first request, when its certificate has been checked, until it closes; requests
 * on a connection beyond the limit are refused with {@code TOO_MANY_CONNECTIONS} and the connection
 * is then closed.
 *
 * <p>Confined to the verticle's event loop: every method runs on it, so no locking is needed.
 */
final class ConnectionLimiter {
  private final int maxPerSite;
  private final Map<String, Integer> openBySite = new HashMap<>();
  private final Map<HttpConnection, Boolean> withinLimit = new IdentityHashMap<>();

  ConnectionLimiter(int maxPerSite) {
    if (maxPerSite < 1) {
      throw new IllegalArgumentException("maxPerSite must be >= 1, not " + maxPerSite);
    }
    this.maxPerSite = maxPerSite;
  }

  /**
   * Registers {@code connection} on its first request and checks it.
   *
   * @throws ApiException {@code TOO_MANY_CONNECTIONS} if the connection was opened while the site
   *     already held the maximum
   */
  void admit(HttpConnection connection, SiteIdentity site) {
    Boolean admitted = withinLimit.get(connection);
    if (admitted == null) {
      String key = site.uri();
      int open = openBySite.merge(key, 1, Integer::sum);
      admitted = open <= maxPerSite;
      withinLimit.put(connection, admitted);
      connection.closeHandler(closed -> release(connection, key));
    }
    if (!admitted) {
      throw ApiException.of(
          AggregatorErrorCode.TOO_MANY_CONNECTIONS,
          site.uri()
              + " already holds "
              + maxPerSite
              + " open connections; reuse one (HTTP/2 multiplexes requests) or close one");
    }
  }

  private void release(HttpConnection connection, String key) {
    withinLimit.remove(connection);
    openBySite.computeIfPresent(key, (site, open) -> open > 1 ? open - 1 : null);
  }
}
