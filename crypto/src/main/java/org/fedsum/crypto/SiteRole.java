package org.fedsum.crypto;

import java.util.Locale;

/**
 * The role a party plays in a federation, fixed in its certificate (DESIGN.md §1). The role is the
 * second segment of the party's identity URI {@code urn:fedsum:<role>:<id>}.
 */
public enum SiteRole {
  /** Runs the aggregation server; its certificate is valid for TLS server and client use. */
  AGGREGATOR,
  /** An institution's node holding data; a TLS client only. */
  SILO,
  /** A person or tool driving the operator API; a TLS client only. */
  OPERATOR;

  /** The URI segment: the name in lower case ({@code "aggregator"}, {@code "silo"}, ...). */
  public String uriSegment() {
    return name().toLowerCase(Locale.ROOT);
  }
}
