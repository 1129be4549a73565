package org.fedsum.aggregator.config;

import java.util.Objects;

/**
 * A configuration file that cannot be used. The message names the key (dotted path, e.g. {@code
 * listen.port}) and the reason, so the operator can fix the file without reading code.
 */
public final class AggregatorConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String reason;

  /**
   * @param key the dotted path of the offending key, or {@code ""} when the file as a whole is
   *     unusable (unreadable, not YAML, not a mapping)
   * @param reason what is wrong, never a secret value
   */
  public AggregatorConfigException(String key, String reason) {
    this(key, reason, null);
  }

  public AggregatorConfigException(String key, String reason, Throwable cause) {
    super(
        (Objects.requireNonNull(key, "key").isEmpty() ? "" : key + ": ")
            + Objects.requireNonNull(reason, "reason"),
        cause);
    this.key = key;
    this.reason = reason;
  }

  /** The dotted path of the offending key; {@code ""} for the file as a whole. */
  public String key() {
    return key;
  }

  /** What is wrong with the key's value. */
  public String reason() {
    return reason;
  }
}
