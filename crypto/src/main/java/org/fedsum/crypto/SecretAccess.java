package org.fedsum.crypto;

/**
 * A token that a caller passes to read raw secret bytes. It carries no power of its own: it exists
 * so that every place that handles raw secret material says so in its source, and can be found by a
 * search for {@code SecretAccess.GRANTED}.
 */
public final class SecretAccess {
  /** The token. Use it only where raw key material must leave its wrapper. */
  public static final SecretAccess GRANTED = new SecretAccess();

  private SecretAccess() {}
}
