package org.fedsum.silo.node;

/**
 * A silo configuration that cannot be used; the message starts with the dotted key at fault (e.g.
 * {@code privacy.floor.minThreshold: must be >= 1, not 0}).
 */
public final class SiloConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String key;

  public SiloConfigException(String key, String reason) {
    super(key.isEmpty() ? reason : key + ": " + reason);
    this.key = key;
  }

  /** The dotted key at fault; empty for the file as a whole. */
  public String key() {
    return key;
  }
}
