package org.fedsum.cli.demo;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a demo run produced, for the report and {@code summary.json}.
 *
 * @param runId the run's id
 * @param federationId the federation's id
 * @param phase the run's final phase ({@code COMPLETED} when it went through)
 * @param dataset what the silos trained on
 * @param silos the silo ids
 * @param protectedUnits the units DP protects: {@code silo}, {@code record}, both, or none
 * @param noiseMultiplier silo-level z, 0 without silo-level DP
 * @param recordNoiseMultiplier record-level (DP-SGD) z, 0 without record-level DP
 * @param expectedBatchSize the DP-SGD expected batch, 0 without record-level DP
 * @param delta δ of the ε figures
 * @param rounds one entry per round the journal records
 * @param model the final model, float32 little-endian
 * @param ca the federation CA certificate
 * @param crl the federation CRL
 * @param aggregatorJournal the aggregator's journal of the run
 * @param siloJournals silo id to its journal
 * @param seconds the whole run's wall time
 */
public record DemoResult(
    String runId,
    String federationId,
    String phase,
    String dataset,
    List<String> silos,
    List<String> protectedUnits,
    double noiseMultiplier,
    double recordNoiseMultiplier,
    int expectedBatchSize,
    double delta,
    List<Round> rounds,
    Path model,
    Path ca,
    Path crl,
    Path aggregatorJournal,
    Map<String, Path> siloJournals,
    double seconds) {

  /**
   * One round.
   *
   * @param round its number
   * @param outcome {@code finished} or {@code aborted}
   * @param survivors silos whose input is in the sum (0 if aborted)
   * @param dropouts silos of the roster that dropped out of it
   * @param loss the model's loss on the evaluation data after the round, if measured
   * @param accuracy its accuracy there
   * @param epsilon silo-level ε spent by the run after it, at {@code delta}; empty without
   *     silo-level DP
   * @param recordEpsilon record-level ε after it, at {@code delta}: the largest any silo's ledger
   *     journaled; empty without record-level DP
   * @param seconds the round's duration
   */
  public record Round(
      long round,
      String outcome,
      int survivors,
      int dropouts,
      Optional<Double> loss,
      Optional<Double> accuracy,
      Optional<Double> epsilon,
      Optional<Double> recordEpsilon,
      double seconds) {}
}
