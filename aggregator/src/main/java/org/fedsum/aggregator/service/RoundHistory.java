package org.fedsum.aggregator.service;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.aggregator.config.RunConfig;
import org.fedsum.protocol.privacy.PrivacySpend;

/**
 * The rounds of a run and the privacy it has spent, as its journal records them (DESIGN.md §6: the
 * dashboard "shows rounds, survivors, metrics and privacy spent"). Immutable.
 *
 * <p><b>Privacy.</b> Silo-level distributed DP (DESIGN.md §5; unit {@value PrivacySpend#UNIT_SILO}:
 * one silo's whole update in one round). Every finished round is accounted with its real number of
 * survivors, which the aggregator knows first-hand, and the run's encoding parameters (clip norm C,
 * noise multiplier z, quantization step γ, threshold t, the padded length d' and the encoder's
 * conditional-rounding β), by both accountants of {@link
 * org.fedsum.protocol.privacy.PrivacyAccountant}: the Rényi bound for sums of discrete Gaussians
 * (the one that holds for the mechanism run) and the continuous Gaussian reference. Aborted rounds
 * publish nothing and spend nothing. A silo's own ledger may show more: until it has verified a
 * round's survivor list it assumes only t survived.
 *
 * @param runId the run
 * @param differentialPrivacy whether the run adds noise (noise multiplier &gt; 0); without it no ε
 *     is reported at all, since none is finite
 * @param noiseMultiplier the run's z
 * @param clipNorm the run's C
 * @param delta the δ at which ε is reported ({@code privacy.delta})
 * @param rounds every round the journal records, oldest first
 * @param privacySpent what the finished rounds spend together; empty without differential privacy
 * @param roundsAccounted how many finished rounds {@code privacySpent} counts
 */
public record RoundHistory(
    String runId,
    boolean differentialPrivacy,
    double noiseMultiplier,
    double clipNorm,
    double delta,
    List<RoundReport> rounds,
    Optional<PrivacySpend> privacySpent,
    int roundsAccounted,
    Optional<RunConfig.RecordLevel> recordLevel) {
  public RoundHistory {
    Objects.requireNonNull(runId, "runId");
    rounds = List.copyOf(rounds);
    Objects.requireNonNull(privacySpent, "privacySpent");
    Objects.requireNonNull(recordLevel, "recordLevel");
  }
}
