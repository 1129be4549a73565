package org.fedsum.aggregator.store;

import java.security.cert.X509Certificate;
import java.util.Objects;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.SiteIdentity;

/**
 * Who writes a journal: the federation it belongs to, the writer's identity, the certificate that
 * the journal's opening record carries and the key that signs every record (DESIGN.md §7).
 *
 * @param federationId the federation the journal belongs to; a journal of another federation is
 *     refused on resume
 * @param writer the writer's identity, named by {@code certificate}
 * @param certificate the writer's certificate; used in the opening record of a new journal
 * @param key the key of {@code certificate}; a resumed journal must have been opened with it
 */
public record JournalOwner(
    String federationId,
    SiteIdentity writer,
    X509Certificate certificate,
    EcdsaP256SigningKey key) {
  /** Checks that no part is null; the rest is checked when a journal is opened or resumed. */
  public JournalOwner {
    Objects.requireNonNull(federationId, "federationId");
    Objects.requireNonNull(writer, "writer");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
  }

  /** Writer and federation; never the key, and not the whole certificate. */
  @Override
  public String toString() {
    return "JournalOwner[" + writer.uri() + " in " + federationId + "]";
  }
}
