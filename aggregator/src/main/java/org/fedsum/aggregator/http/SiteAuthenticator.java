package org.fedsum.aggregator.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.ErrorCode;

/**
 * The first handler of every request (DESIGN.md §6: identity "checked against the roster and the
 * CRL on every request"). The TLS handshake has already checked the chain and the CRL as they were
 * when the connection opened; this re-checks the peer certificate with {@link
 * FederationTrust#verify} against the CRL in force now and the current time, so a certificate
 * revoked or expired during a long-lived connection stops working at its next request. It then
 * checks the roster and the per-site connection limit, and records the caller for {@link Access}.
 */
final class SiteAuthenticator implements Handler<RoutingContext> {
  private final Supplier<FederationTrust> trust;
  private final Set<String> roster;
  private final ConnectionLimiter connectionLimiter;
  private final Clock clock;

  /**
   * @param trust the trust in force at each call (it changes when the CRL is reloaded)
   * @param roster the silo ids allowed to connect
   */
  SiteAuthenticator(
      Supplier<FederationTrust> trust,
      Set<String> roster,
      ConnectionLimiter connectionLimiter,
      Clock clock) {
    this.trust = Objects.requireNonNull(trust, "trust");
    this.roster = Set.copyOf(roster);
    this.connectionLimiter = Objects.requireNonNull(connectionLimiter, "connectionLimiter");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void handle(RoutingContext context) {
    HttpConnection connection = context.request().connection();
    SiteIdentity caller;
    try {
      caller = authenticate(connection);
      connectionLimiter.admit(connection, caller);
    } catch (ApiException refusal) {
      context.fail(refusal);
      return;
    }
    Access.authenticated(context, caller);
    context.next();
  }

  /**
   * Counts a connection whose TLS handshake has just finished, under its certificate's site. A
   * connection whose certificate is refused is not counted: its first request gets the refusal.
   */
  void connectionOpened(HttpConnection connection) {
    SiteIdentity site;
    try {
      site = authenticate(connection);
    } catch (ApiException refusedAtFirstRequest) {
      return;
    }
    connectionLimiter.opened(connection, site);
  }

  private SiteIdentity authenticate(HttpConnection connection) {
    X509Certificate certificate = peerCertificate(connection);
    SiteIdentity caller;
    try {
      caller = trust.get().verify(certificate, clock.instant());
    } catch (GeneralSecurityException e) {
      // The message names the caller's own certificate (serial, subject) and the reason; it holds
      // nothing the caller does not already know.
      throw ApiException.of(AggregatorErrorCode.CERTIFICATE_REJECTED, e.getMessage());
    }
    if (caller.role() == SiteRole.SILO && !roster.contains(caller.siteId())) {
      throw ApiException.of(
          ErrorCode.UNKNOWN_SILO,
          "silo " + caller.siteId() + " is not in this federation's roster");
    }
    return caller;
  }

  private static X509Certificate peerCertificate(HttpConnection connection) {
    List<Certificate> chain;
    try {
      chain = connection.isSsl() ? connection.peerCertificates() : null;
    } catch (SSLPeerUnverifiedException e) {
      chain = null;
    }
    // Unreachable with ClientAuth.REQUIRED; refused anyway rather than trusted.
    if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate)) {
      throw ApiException.of(
          AggregatorErrorCode.CERTIFICATE_REJECTED, "the connection has no client certificate");
    }
    return (X509Certificate) chain.get(0);
  }
}
