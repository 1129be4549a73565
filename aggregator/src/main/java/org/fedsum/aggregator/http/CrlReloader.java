package org.fedsum.aggregator.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileProps;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.function.Function;
import org.fedsum.crypto.FederationTrust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the federation CRL file when it changes, so a newly revoked certificate is refused
 * without a restart (DESIGN.md §1, Transport). Each {@link #check()} reads the file; if its bytes
 * differ from the CRL in force and form a valid CRL of the federation CA that is not older than it,
 * the TLS layer is updated first (new handshakes) and then the trust used on every request.
 *
 * <p>A file that cannot be read, is not a valid CRL, or would roll the CRL back is ignored and
 * logged once; the CRL in force stays. Confined to the verticle's event loop.
 */
final class CrlReloader {
  private static final Logger LOG = LoggerFactory.getLogger(CrlReloader.class);
  private static final long MAX_CRL_BYTES = 16L << 20;

  private final Vertx vertx;
  private final Path file;
  private final X509Certificate caCertificate;
  private final Function<CrlSnapshot, Future<?>> applyToTls;
  private volatile CrlSnapshot current;
  private boolean tlsBehind;
  private boolean checking;
  private String lastProblem;

  /**
   * @param applyToTls installs a CRL in the TLS layer (a server SSL options update)
   */
  CrlReloader(
      Vertx vertx,
      Path file,
      X509Certificate caCertificate,
      CrlSnapshot initial,
      Function<CrlSnapshot, Future<?>> applyToTls) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.file = Objects.requireNonNull(file, "file");
    this.caCertificate = Objects.requireNonNull(caCertificate, "caCertificate");
    this.current = Objects.requireNonNull(initial, "initial");
    this.applyToTls = Objects.requireNonNull(applyToTls, "applyToTls");
  }

  /** The trust in force: the federation CA with the newest accepted CRL. */
  FederationTrust trust() {
    return current.trust();
  }

  /**
   * Checks the file once. Completes with true if a new CRL was put in force; never fails (problems
   * are logged).
   */
  Future<Boolean> check() {
    if (checking) {
      return Future.succeededFuture(false);
    }
    checking = true;
    return vertx
        .fileSystem()
        .props(file.toString())
        .compose(this::readIfSmall)
        .compose(this::applyIfChanged)
        .recover(this::report)
        .onComplete(done -> checking = false);
  }

  private Future<Buffer> readIfSmall(FileProps props) {
    if (props.size() > MAX_CRL_BYTES) {
      return Future.failedFuture(
          new GeneralSecurityException(props.size() + " bytes, too large for a CRL file"));
    }
    return vertx.fileSystem().readFile(file.toString());
  }

  private Future<Boolean> applyIfChanged(Buffer content) {
    byte[] bytes = content.getBytes();
    if (current.hasContent(bytes)) {
      lastProblem = null;
      return tlsBehind ? install(current) : Future.succeededFuture(false);
    }
    CrlSnapshot next;
    try {
      next = CrlSnapshot.parse(caCertificate, bytes);
    } catch (GeneralSecurityException e) {
      return Future.failedFuture(
          new GeneralSecurityException("not a valid CRL of the federation CA: " + e.getMessage()));
    }
    if (next.thisUpdate().isBefore(current.thisUpdate())) {
      // An old CRL would un-revoke certificates; only an operator replacing the CA may go back.
      return Future.failedFuture(
          new GeneralSecurityException(
              "its thisUpdate "
                  + next.thisUpdate()
                  + " is older than that of the CRL in force ("
                  + current.thisUpdate()
                  + ")"));
    }
    lastProblem = null;
    return install(next);
  }

  private Future<Boolean> install(CrlSnapshot next) {
    return applyToTls
        .apply(next)
        .transform(
            tlsUpdate -> {
              tlsBehind = tlsUpdate.failed();
              if (tlsBehind) {
                LOG.error(
                    "could not install the CRL from {} in the TLS layer; requests still check it,"
                        + " and the update is retried",
                    file,
                    tlsUpdate.cause());
              }
              boolean changed = next != current;
              current = next;
              if (changed) {
                LOG.info(
                    "CRL reloaded from {}: thisUpdate {}, nextUpdate {}, {} revoked certificates",
                    file,
                    next.thisUpdate(),
                    next.nextUpdate(),
                    next.revokedCount());
              }
              return Future.succeededFuture(changed);
            });
  }

  private Future<Boolean> report(Throwable problem) {
    String message = problem.getMessage() == null ? problem.toString() : problem.getMessage();
    if (!message.equals(lastProblem)) {
      LOG.warn("CRL file {} ignored, the CRL in force stays: {}", file, message);
      lastProblem = message;
    }
    return Future.succeededFuture(false);
  }
}
