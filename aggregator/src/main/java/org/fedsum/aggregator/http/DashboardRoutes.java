package org.fedsum.aggregator.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedsum.crypto.SiteRole;

/**
 * The operator's dashboard (DESIGN.md §6: "a small dashboard page shows rounds, survivors, metrics
 * and privacy spent"): {@code GET /dashboard}, a static page whose script polls {@code GET
 * /v1/runs}, {@code GET /v1/runs/{runId}} and {@code GET /v1/runs/{runId}/rounds} with the
 * browser's operator certificate, and its assets under {@code /dashboard/}. Operator certificates
 * only, like the API it reads.
 *
 * <p>The files are in this module's resources and read once, at construction. They load nothing
 * from anywhere else (no CDN, no fonts, no inline script or style), and every reply carries {@code
 * Content-Security-Policy: default-src 'self'} with framing, {@code <base>} and form targets
 * refused, so even a silo id that somehow carried markup could not run script in the page (the
 * script also writes text only, never HTML).
 */
final class DashboardRoutes implements ApiRoutes {
  /** The page's policy: its own origin only, never framed. */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private static final String RESOURCES = "dashboard/";

  private record Asset(String contentType, Buffer content) {}

  private final Map<String, Asset> assets = new LinkedHashMap<>();

  /**
   * Reads the page and its assets from the classpath.
   *
   * @throws UncheckedIOException if one is missing, which is a packaging bug
   */
  DashboardRoutes() {
    assets.put("/dashboard", load("index.html", "text/html; charset=utf-8"));
    assets.put("/dashboard/dashboard.js", load("dashboard.js", "text/javascript; charset=utf-8"));
    assets.put("/dashboard/dashboard.css", load("dashboard.css", "text/css; charset=utf-8"));
    assets.put("/dashboard/icon.svg", load("icon.svg", "image/svg+xml"));
  }

  @Override
  public void mount(Router router) {
    var operator = Access.only(SiteRole.OPERATOR);
    assets.forEach(
        (path, asset) -> router.get(path).handler(operator).handler(c -> send(c, asset)));
  }

  private static void send(RoutingContext context, Asset asset) {
    context
        .response()
        .putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType())
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(asset.content());
  }

  private static Asset load(String name, String contentType) {
    try (InputStream in = DashboardRoutes.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IOException("bug: the resource " + RESOURCES + name + " is missing");
      }
      return new Asset(contentType, Buffer.buffer(in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
