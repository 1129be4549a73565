package org.fedsum.aggregator.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;

/**
 * Who is calling, and which roles a route admits. The verticle authenticates every request before
 * any route runs and records the caller's {@link SiteIdentity} in the routing context; routes read
 * it with {@link #identity(RoutingContext)} and restrict themselves with {@link #only(SiteRole)}.
 */
public final class Access {
  private static final String IDENTITY_KEY = Access.class.getName() + ".identity";

  private Access() {}

  /**
   * The authenticated caller of this request.
   *
   * @throws IllegalStateException if the route was mounted without the verticle's authentication,
   *     which is a bug
   */
  public static SiteIdentity identity(RoutingContext context) {
    return identityIfAuthenticated(context)
        .orElseThrow(
            () -> new IllegalStateException("bug: route reached without an authenticated caller"));
  }

  /** The caller, if authentication has run and accepted it. */
  public static Optional<SiteIdentity> identityIfAuthenticated(RoutingContext context) {
    return Optional.ofNullable(context.get(IDENTITY_KEY));
  }

  /**
   * A handler that lets only callers of {@code role} through and fails the others with {@code
   * WRONG_ROLE} (403).
   */
  public static Handler<RoutingContext> only(SiteRole role) {
    Objects.requireNonNull(role, "role");
    return context -> {
      SiteIdentity caller = identity(context);
      if (caller.role() == role) {
        context.next();
      } else {
        context.fail(
            ApiException.of(
                AggregatorErrorCode.WRONG_ROLE,
                "this route is for "
                    + role.uriSegment()
                    + " certificates; the caller is "
                    + caller.uri()));
      }
    };
  }

  static void authenticated(RoutingContext context, SiteIdentity identity) {
    context.put(IDENTITY_KEY, Objects.requireNonNull(identity, "identity"));
  }
}
