package org.fedsum.crypto;

import java.security.GeneralSecurityException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who a certificate belongs to: a role and a site id, written in the certificate as the single SAN
 * URI {@code urn:fedsum:<role>:<siteId>} (RFC 5280 §4.2.1.6).
 *
 * <p>A site id is 1 to 63 characters of lower-case letters, digits, {@code .}, {@code _} and {@code
 * -}, starting with a letter or digit: safe in a URI, a file name, a DNS label and a log line
 * without escaping, and unambiguous (no case folding, no {@code :}).
 *
 * @param role the party's role
 * @param siteId the party's id, unique within the federation
 */
public record SiteIdentity(SiteRole role, String siteId) {
  private static final Pattern SITE_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final String URI_PREFIX = "urn:fedsum:";
  private static final int MAX_QUOTED_LENGTH = 80;

  /**
   * Validates the site id.
   *
   * @throws IllegalArgumentException if {@code siteId} does not match {@code
   *     [a-z0-9][a-z0-9._-]{0,62}}
   */
  public SiteIdentity {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(siteId, "siteId");
    if (!isValidSiteId(siteId)) {
      throw new IllegalArgumentException(
          "site id must match [a-z0-9][a-z0-9._-]{0,62}, not " + quote(siteId));
    }
  }

  /** True if {@code siteId} is a well-formed site id. */
  public static boolean isValidSiteId(String siteId) {
    return siteId != null && SITE_ID.matcher(siteId).matches();
  }

  /** The identity URI, e.g. {@code urn:fedsum:silo:hospital-a}. */
  public String uri() {
    return URI_PREFIX + role.uriSegment() + ":" + siteId;
  }

  /**
   * Parses an identity URI as written by {@link #uri()}. Exactly that form is accepted: lower-case
   * {@code urn:fedsum:}, a known role segment, a valid site id, nothing else.
   *
   * @throws GeneralSecurityException if {@code uri} (typically read from a peer's certificate) is
   *     not such a URI; the message quotes it, shortened
   */
  public static SiteIdentity fromUri(String uri) throws GeneralSecurityException {
    Objects.requireNonNull(uri, "uri");
    if (!uri.startsWith(URI_PREFIX)) {
      throw new GeneralSecurityException(
          "identity URI must start with " + URI_PREFIX + ", not " + quote(uri));
    }
    String rest = uri.substring(URI_PREFIX.length());
    int colon = rest.indexOf(':');
    if (colon < 0) {
      throw new GeneralSecurityException(
          "identity URI must be urn:fedsum:<role>:<id>, not " + quote(uri));
    }
    String roleSegment = rest.substring(0, colon);
    String siteId = rest.substring(colon + 1);
    SiteRole role = null;
    for (SiteRole candidate : SiteRole.values()) {
      if (candidate.uriSegment().equals(roleSegment)) {
        role = candidate;
      }
    }
    if (role == null) {
      throw new GeneralSecurityException("identity URI has an unknown role: " + quote(uri));
    }
    if (!isValidSiteId(siteId)) {
      throw new GeneralSecurityException("identity URI has an invalid site id: " + quote(uri));
    }
    return new SiteIdentity(role, siteId);
  }

  // Untrusted text in messages: bounded, and with control characters made visible.
  private static String quote(String value) {
    StringBuilder quoted = new StringBuilder("\"");
    int end = Math.min(value.length(), MAX_QUOTED_LENGTH);
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    if (value.length() > MAX_QUOTED_LENGTH) {
      quoted.append("...");
    }
    return quoted.append('"').toString();
  }
}
