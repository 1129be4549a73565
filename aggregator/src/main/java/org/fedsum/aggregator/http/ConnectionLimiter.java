package org.fedsum.aggregator.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.fedsum.crypto.SiteIdentity;

/**
 * Counts the open connections of each site ({@code limits.maxConnectionsPerSite}). A connection
 * counts from the end of its TLS handshake ({@link #opened}), when its certificate is known, until
 * it closes; requests on a connection beyond the limit are refused with {@code
 * TOO_MANY_CONNECTIONS} and the connection is then closed. A connection beyond the limit that sends
 * no complete request within {@link #OVER_LIMIT_GRACE} is closed: otherwise a site could hold any
 * number of connections by never finishing a request (slow loris), since only a finished request
 * reaches {@link #admit}.
 *
 * <p>Confined to the verticle's event loop: every method runs on it, so no locking is needed.
 */
final class ConnectionLimiter {
  /**
   * How long a connection beyond its site's limit may take to send its first request, which is then
   * refused with {@code TOO_MANY_CONNECTIONS} so the client learns why.
   */
  static final Duration OVER_LIMIT_GRACE = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final int maxPerSite;
  private final Map<String, Integer> openBySite = new HashMap<>();
  private final Map<HttpConnection, Boolean> withinLimit = new IdentityHashMap<>();

  ConnectionLimiter(Vertx vertx, int maxPerSite) {
    if (maxPerSite < 1) {
      throw new IllegalArgumentException("maxPerSite must be >= 1, not " + maxPerSite);
    }
    this.vertx = vertx;
    this.maxPerSite = maxPerSite;
  }

  /**
   * Counts {@code connection} for {@code site} as soon as its handshake is done. Beyond the limit,
   * it is closed after {@link #OVER_LIMIT_GRACE} unless a request has closed it first.
   */
  void opened(HttpConnection connection, SiteIdentity site) {
    if (register(connection, site)) {
      return;
    }
    vertx.setTimer(
        OVER_LIMIT_GRACE.toMillis(),
        fired -> {
          if (withinLimit.containsKey(connection)) {
            connection.close();
          }
        });
  }

  /**
   * Registers {@code connection} on its first request and checks it.
   *
   * @throws ApiException {@code TOO_MANY_CONNECTIONS} if the connection was opened while the site
   *     already held the maximum
   */
  void admit(HttpConnection connection, SiteIdentity site) {
    Boolean known = withinLimit.get(connection);
    // Connections normally arrive through opened(); one that did not is counted now.
    boolean admitted = known != null ? known : register(connection, site);
    if (!admitted) {
      throw ApiException.of(
          AggregatorErrorCode.TOO_MANY_CONNECTIONS,
          site.uri()
              + " already holds "
              + maxPerSite
              + " open connections; reuse one (HTTP/2 multiplexes requests) or close one");
    }
  }

  /** Counts a new connection; true if it is within its site's limit. */
  private boolean register(HttpConnection connection, SiteIdentity site) {
    String key = site.uri();
    int open = openBySite.merge(key, 1, Integer::sum);
    boolean admitted = open <= maxPerSite;
    withinLimit.put(connection, admitted);
    connection.closeHandler(closed -> release(connection, key));
    return admitted;
  }

  private void release(HttpConnection connection, String key) {
    withinLimit.remove(connection);
    openBySite.computeIfPresent(key, (site, open) -> open > 1 ? open - 1 : null);
  }
}
