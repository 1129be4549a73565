package org.fedsum.protocol.encoding;

/**
 * What one silo's encoding did, for its journal and metrics. Holds no coordinate of the update.
 *
 * @param originalNorm the L2 norm of the update as handed in (before clipping and weighting)
 * @param clipped whether the update was scaled down to the clip norm
 * @param roundingAttempts how many randomized roundings conditional rounding drew (at least 1)
 * @param overflowCount how many coordinates of the rounded vector, before noise, exceed {@link
 *     EncodingParameters#perSiloSignalLimit()} (or are too large to represent at all): a positive
 *     count means the range is too small for this update and the sum may wrap in those coordinates
 *     (raise bits or gamma, or rotate a spiky update); see the limit for what a zero count
 *     guarantees
 * @param localNoiseStandardDeviation {@code σ_local} in grid units; 0 without DP
 * @param gamma {@code γ}
 * @param bits {@code b}
 */
public record EncodingReport(
    double originalNorm,
    boolean clipped,
    int roundingAttempts,
    long overflowCount,
    double localNoiseStandardDeviation,
    double gamma,
    int bits) {}
