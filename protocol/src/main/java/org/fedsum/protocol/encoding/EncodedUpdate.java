package org.fedsum.protocol.encoding;

import java.util.Objects;

/** One silo's encoded update: words in {@code [0, 2^b)}, ready to be masked, and its report. */
public final class EncodedUpdate {
  private final int[] words;
  private final EncodingReport report;

  EncodedUpdate(int[] words, EncodingReport report) {
    this.words = Objects.requireNonNull(words, "words");
    this.report = Objects.requireNonNull(report, "report");
  }

  /** A copy of the words, each in {@code [0, 2^b)}; {@link EncodingParameters#encodedLength()}. */
  public int[] words() {
    return words.clone();
  }

  /** The number of words. */
  public int length() {
    return words.length;
  }

  /** What the encoding did. */
  public EncodingReport report() {
    return report;
  }

  @Override
  public String toString() {
    return "EncodedUpdate[" + words.length + " words, " + report + "]";
  }
}
