package org.fedsum.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The public parameters of one round, agreed by every party before it starts. Validated on
 * construction: a bad value is refused with its name, never clamped.
 *
 * @param federationId the federation's id, bound into every signature and derived key
 * @param round the round number, bound likewise
 * @param protocolVersion {@link #PROTOCOL_VERSION}
 * @param roster every silo that may take part, sorted by id (the order fixes Shamir x-coordinates)
 * @param threshold the Shamir threshold {@code t}: any {@code t} silos can unmask, fewer learn
 *     nothing
 * @param minSurvivors no sum of fewer silos is ever unmasked (at least 3, DESIGN.md §1)
 * @param bits the masked vectors live in {@code Z_{2^bits}}, 1 to 32
 * @param vectorLength the number of coordinates of every masked vector
 * @param securityModel the adversary the threshold must withstand
 * @param assumedColluders how many silos may collude with the aggregator ({@code c})
 */
public record RoundConfig(
    String federationId,
    long round,
    int protocolVersion,
    List<String> roster,
    int threshold,
    int minSurvivors,
    int bits,
    int vectorLength,
    SecurityModel securityModel,
    int assumedColluders) {

  /** The version of the round protocol this code speaks. */
  public static final int PROTOCOL_VERSION = 1;

  /** A federation never has fewer silos, and no sum of fewer silos is ever published. */
  public static final int MINIMUM_SURVIVORS_FLOOR = 3;

  private static final Pattern SILO_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  public RoundConfig {
    Objects.requireNonNull(federationId, "federationId");
    Objects.requireNonNull(roster, "roster");
    Objects.requireNonNull(securityModel, "securityModel");
    if (federationId.isBlank()) {
      throw new IllegalArgumentException("federationId must not be blank");
    }
    if (round < 0) {
      throw new IllegalArgumentException("round must be >= 0, not " + round);
    }
    if (protocolVersion != PROTOCOL_VERSION) {
      throw new IllegalArgumentException(
          "protocolVersion must be " + PROTOCOL_VERSION + ", not " + protocolVersion);
    }
    Set<String> seen = new HashSet<>();
    for (String siloId : roster) {
      if (siloId == null || !SILO_ID.matcher(siloId).matches()) {
        throw new IllegalArgumentException(
            "roster entry must match " + SILO_ID.pattern() + ", not '" + siloId + "'");
      }
      if (!seen.add(siloId)) {
        throw new IllegalArgumentException("roster lists silo '" + siloId + "' twice");
      }
    }
    int n = roster.size();
    if (n < MINIMUM_SURVIVORS_FLOOR) {
      throw new IllegalArgumentException(
          "roster must have at least " + MINIMUM_SURVIVORS_FLOOR + " silos, not " + n);
    }
    List<String> sorted = new ArrayList<>(roster);
    Collections.sort(sorted);
    roster = List.copyOf(sorted);
    if (minSurvivors < MINIMUM_SURVIVORS_FLOOR || minSurvivors > n) {
      throw new IllegalArgumentException(
          "minSurvivors must be between "
              + MINIMUM_SURVIVORS_FLOOR
              + " and the roster size "
              + n
              + ", not "
              + minSurvivors);
    }
    if (threshold < 2 || threshold > n) {
      throw new IllegalArgumentException(
          "threshold must be between 2 and the roster size " + n + ", not " + threshold);
    }
    if (assumedColluders < 0 || assumedColluders >= n) {
      throw new IllegalArgumentException(
          "assumedColluders must be between 0 and " + (n - 1) + ", not " + assumedColluders);
    }
    switch (securityModel) {
      case HONEST_BUT_CURIOUS -> {
        if (threshold <= assumedColluders) {
          throw new IllegalArgumentException(
              "threshold "
                  + threshold
                  + " must exceed assumedColluders "
                  + assumedColluders
                  + " against an honest-but-curious aggregator");
        }
      }
      case ACTIVE_AGGREGATOR -> {
        if (2 * threshold <= n + assumedColluders) {
          throw new IllegalArgumentException(
              "threshold "
                  + threshold
                  + " must exceed (n + assumedColluders) / 2 = ("
                  + n
                  + " + "
                  + assumedColluders
                  + ") / 2 against an active aggregator");
        }
      }
    }
    if (bits < 1 || bits > 32) {
      throw new IllegalArgumentException("bits must be between 1 and 32, not " + bits);
    }
    if (vectorLength < 1) {
      throw new IllegalArgumentException("vectorLength must be >= 1, not " + vectorLength);
    }
  }

  /**
   * How many silos every stage needs for the round to go on: the threshold, and never fewer than
   * {@link #minSurvivors()}.
   */
  public int required() {
    return Math.max(threshold, minSurvivors);
  }

  /** Whether {@code siloId} is in the roster. */
  public boolean inRoster(String siloId) {
    return Collections.binarySearch(roster, siloId) >= 0;
  }

  /**
   * The Shamir x-coordinate of {@code siloId}'s shares: its position in the sorted roster, plus
   * one.
   */
  public int shamirX(String siloId) {
    int index = Collections.binarySearch(roster, siloId);
    if (index < 0) {
      throw new IllegalArgumentException("silo '" + siloId + "' is not in the roster");
    }
    return index + 1;
  }

  /** A copy of this configuration for another round number. */
  public RoundConfig withRound(long nextRound) {
    return new RoundConfig(
        federationId,
        nextRound,
        protocolVersion,
        roster,
        threshold,
        minSurvivors,
        bits,
        vectorLength,
        securityModel,
        assumedColluders);
  }
}
