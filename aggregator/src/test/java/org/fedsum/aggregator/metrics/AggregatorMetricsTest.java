package org.fedsum.aggregator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedsum.aggregator.round.RunStatus;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.Stage;
import org.junit.jupiter.api.Test;

class AggregatorMetricsTest {
  private static RunStatus collecting(long round, int consecutiveAborts) {
    return new RunStatus(
        RunStatus.Phase.COLLECTING,
        round,
        Optional.of(Stage.SHARE_KEYS),
        Map.of(),
        0,
        consecutiveAborts,
        consecutiveAborts,
        Optional.empty(),
        Optional.empty(),
        false);
  }

  private static List<String> lines(String text) {
    return text.lines().filter(line -> !line.startsWith("#")).toList();
  }

  @Test
  void roundEvents_countedByNameAndLabels() {
    AggregatorMetrics metrics = AggregatorMetrics.create();
    metrics.roundStarted(1);
    metrics.stageClosed(1, Stage.ADVERTISE_KEYS, Duration.ofMillis(1500), 5);
    metrics.stageClosed(1, Stage.SHARE_KEYS, Duration.ofMillis(500), 4);
    metrics.roundAborted(1, Stage.MASKED_INPUT, "THRESHOLD_NOT_MET", Duration.ofSeconds(4));
    metrics.roundStarted(2);
    metrics.roundFinished(2, 4, Duration.ofSeconds(10));

    List<String> lines = lines(metrics.scrape(Optional.empty()));

    assertThat(lines)
        .contains(
            "fedsum_rounds_started_total 2.0",
            "fedsum_rounds_finished_total 1.0",
            "fedsum_rounds_aborted_total{reason=\"THRESHOLD_NOT_MET\",stage=\"MASKED_INPUT\"} 1.0",
            "fedsum_round_survivors_count 1",
            "fedsum_round_survivors_sum 4.0",
            "fedsum_round_duration_seconds_count{outcome=\"aborted\"} 1",
            "fedsum_round_duration_seconds_sum{outcome=\"aborted\"} 4.0",
            "fedsum_round_duration_seconds_sum{outcome=\"finished\"} 10.0",
            "fedsum_stage_duration_seconds_count{stage=\"ADVERTISE_KEYS\"} 1",
            "fedsum_stage_duration_seconds_sum{stage=\"ADVERTISE_KEYS\"} 1.5",
            "fedsum_stage_duration_seconds_count{stage=\"MASKED_INPUT\"} 0",
            "fedsum_stage_participants_sum{stage=\"SHARE_KEYS\"} 4.0",
            "fedsum_run_active 0.0",
            "fedsum_run_round -1.0");
  }

  @Test
  void traffic_countedPerSiteAndUnauthenticatedApart() {
    AggregatorMetrics metrics = AggregatorMetrics.create();
    SiteIdentity silo = new SiteIdentity(SiteRole.SILO, "hospital-a");
    metrics.requestServed(Optional.of(silo), 1000, 20);
    metrics.requestServed(Optional.of(silo), 24, 8000);
    metrics.requestServed(Optional.empty(), 0, 150);
    metrics.requestRefused("WRONG_ROLE");
    metrics.requestRefused("WRONG_ROLE");
    metrics.requestRefused("CERTIFICATE_REJECTED");

    List<String> lines = lines(metrics.scrape(Optional.empty()));

    assertThat(lines)
        .contains(
            "fedsum_http_requests_total{role=\"silo\",site=\"hospital-a\"} 2.0",
            "fedsum_http_request_body_bytes_total{role=\"silo\",site=\"hospital-a\"} 1024.0",
            "fedsum_http_response_body_bytes_total{role=\"silo\",site=\"hospital-a\"} 8020.0",
            "fedsum_http_response_body_bytes_total{role=\"unauthenticated\","
                + "site=\"unauthenticated\"} 150.0",
            "fedsum_http_refused_total{code=\"WRONG_ROLE\"} 2.0",
            "fedsum_http_refused_total{code=\"CERTIFICATE_REJECTED\"} 1.0");
  }

  @Test
  void scrape_activeRun_setsPhaseRoundAndAbortGauges() {
    AggregatorMetrics metrics = AggregatorMetrics.create();

    List<String> lines = lines(metrics.scrape(Optional.of(collecting(7, 2))));

    assertThat(lines)
        .contains(
            "fedsum_run_active 1.0",
            "fedsum_run_phase{phase=\"COLLECTING\"} 1.0",
            "fedsum_run_phase{phase=\"IDLE\"} 0.0",
            "fedsum_run_round 7.0",
            "fedsum_run_consecutive_aborts 2.0");
    assertThat(lines(metrics.scrape(Optional.empty())))
        .contains("fedsum_run_active 0.0", "fedsum_run_phase{phase=\"COLLECTING\"} 0.0");
  }

  @Test
  void create_twice_registriesAreSeparate() {
    AggregatorMetrics first = AggregatorMetrics.create();
    AggregatorMetrics second = AggregatorMetrics.create();
    first.roundStarted(1);

    assertThat(lines(second.scrape(Optional.empty()))).contains("fedsum_rounds_started_total 0.0");
  }
}
