package org.fedsum.aggregator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.fedsum.aggregator.round.RoundEvents;
import org.fedsum.aggregator.round.RunStatus;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.Stage;

/**
 * The aggregator's metrics, in a Micrometer registry of its own (never the global one, so two
 * servers in one JVM count apart) and exposed in the Prometheus text format by {@link #scrape}.
 * Counters count from the service's start; the journal is the durable record.
 *
 * <p>Names as Prometheus shows them (docs/API.md, "Dashboard and metrics", lists them with their
 * labels):
 *
 * <ul>
 *   <li>rounds: {@code fedsum_rounds_started_total}, {@code fedsum_rounds_finished_total}, {@code
 *       fedsum_rounds_aborted_total{stage,reason}}, {@code fedsum_round_duration_seconds{outcome}},
 *       {@code fedsum_round_survivors} (a summary: one sample per finished round);
 *   <li>stages: {@code fedsum_stage_duration_seconds{stage}}, {@code
 *       fedsum_stage_participants{stage}}, one sample per stage that closed normally;
 *   <li>traffic: {@code fedsum_http_requests_total{role,site}}, {@code
 *       fedsum_http_request_body_bytes_total{role,site}}, {@code
 *       fedsum_http_response_body_bytes_total{role,site}} for every request on every route, and
 *       {@code fedsum_http_refused_total{code}} for every error reply;
 *   <li>the active run, read at each scrape: {@code fedsum_run_active}, {@code
 *       fedsum_run_phase{phase}} (1 for the run's phase, 0 for the others), {@code
 *       fedsum_run_round}, {@code fedsum_run_consecutive_aborts};
 *   <li>the JVM's memory, threads, CPU and uptime (Micrometer's standard binders).
 * </ul>
 *
 * <p>The {@code site} label names silos and operators by their certificate's site id: the roster
 * bounds it, and it is why {@code GET /metrics} is for operators only.
 *
 * <p>Thread-safe: round events arrive from the coordinator's threads, traffic from event loops,
 * scrapes from workers.
 */
public final class AggregatorMetrics implements RoundEvents {
  /** The content type of {@link #scrape}'s text: the Prometheus text exposition format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The {@code role} and {@code site} label of a request whose caller was not authenticated. */
  public static final String UNAUTHENTICATED = "unauthenticated";

  private final PrometheusMeterRegistry registry;
  private final Counter roundsStarted;
  private final Counter roundsFinished;
  private final Timer finishedRoundDuration;
  private final Timer abortedRoundDuration;
  private final DistributionSummary survivors;
  private final Map<Stage, Timer> stageDurations = new EnumMap<>(Stage.class);
  private final Map<Stage, DistributionSummary> stageParticipants = new EnumMap<>(Stage.class);

  // The active run's status at the latest scrape; the gauges read it.
  private volatile Optional<RunStatus> activeRun = Optional.empty();

  private AggregatorMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    roundsStarted =
        Counter.builder("fedsum.rounds.started")
            .description("Rounds started since the service started")
            .register(registry);
    roundsFinished =
        Counter.builder("fedsum.rounds.finished")
            .description("Rounds whose sum was published and applied")
            .register(registry);
    finishedRoundDuration = roundDuration("finished");
    abortedRoundDuration = roundDuration("aborted");
    survivors =
        DistributionSummary.builder("fedsum.round.survivors")
            .description("Silos in the published sum, one sample per finished round")
            .register(registry);
    for (Stage stage : Stage.values()) {
      stageDurations.put(
          stage,
          Timer.builder("fedsum.stage.duration")
              .description("How long a protocol stage was open until it closed normally")
              .tag("stage", stage.name())
              .register(registry));
      stageParticipants.put(
          stage,
          DistributionSummary.builder("fedsum.stage.participants")
              .description("Silos whose message a stage accepted, one sample per closed stage")
              .tag("stage", stage.name())
              .register(registry));
    }
    Gauge.builder("fedsum.run.active", () -> activeRun.isPresent() ? 1 : 0)
        .description("1 while a run is active (created, running or paused), else 0")
        .register(registry);
    for (RunStatus.Phase phase : RunStatus.Phase.values()) {
      Gauge.builder(
              "fedsum.run.phase",
              () -> activeRun.map(status -> status.phase() == phase ? 1 : 0).orElse(0))
          .description("1 for the phase the active run is in, 0 for the others")
          .tag("phase", phase.name())
          .register(registry);
    }
    Gauge.builder("fedsum.run.round", () -> activeRun.map(RunStatus::currentRound).orElse(-1L))
        .description("The active run's current or last started round; -1 if none")
        .register(registry);
    Gauge.builder(
            "fedsum.run.consecutive.aborts",
            () -> activeRun.map(RunStatus::consecutiveAborts).orElse(0))
        .description("Aborted rounds of the active run since its last finished one")
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** A new, empty set of metrics with its own registry. */
  public static AggregatorMetrics create() {
    return new AggregatorMetrics();
  }

  private Timer roundDuration(String outcome) {
    return Timer.builder("fedsum.round.duration")
        .description("From a round's start to its end: the model's checkpoint or the abort")
        .tag("outcome", outcome)
        .register(registry);
  }

  @Override
  public void roundStarted(long round) {
    roundsStarted.increment();
  }

  @Override
  public void stageClosed(long round, Stage stage, Duration duration, int participants) {
    stageDurations.get(stage).record(duration);
    stageParticipants.get(stage).record(participants);
  }

  @Override
  public void roundFinished(long round, int survivorCount, Duration duration) {
    roundsFinished.increment();
    survivors.record(survivorCount);
    finishedRoundDuration.record(duration);
  }

  @Override
  public void roundAborted(long round, Stage stage, String reason, Duration duration) {
    Counter.builder("fedsum.rounds.aborted")
        .description("Rounds that ended without publishing a sum, by stage and reason")
        .tag("stage", stage.name())
        .tag("reason", reason)
        .register(registry)
        .increment();
    abortedRoundDuration.record(duration);
  }

  /**
   * Counts one request and the body bytes it read and wrote (the framing, headers and TLS records
   * are not counted).
   *
   * @param caller the authenticated caller, empty if authentication refused it
   */
  public void requestServed(
      Optional<SiteIdentity> caller, long bodyBytesRead, long bodyBytesWritten) {
    Objects.requireNonNull(caller, "caller");
    String role = caller.map(identity -> identity.role().uriSegment()).orElse(UNAUTHENTICATED);
    String site = caller.map(SiteIdentity::siteId).orElse(UNAUTHENTICATED);
    Counter.builder("fedsum.http.requests")
        .description("Requests served, by the caller's role and site id")
        .tags("role", role, "site", site)
        .register(registry)
        .increment();
    Counter.builder("fedsum.http.request.body")
        .description("Request body bytes read, by the caller's role and site id")
        .baseUnit("bytes")
        .tags("role", role, "site", site)
        .register(registry)
        .increment(Math.max(0, bodyBytesRead));
    Counter.builder("fedsum.http.response.body")
        .description("Response body bytes written, by the caller's role and site id")
        .baseUnit("bytes")
        .tags("role", role, "site", site)
        .register(registry)
        .increment(Math.max(0, bodyBytesWritten));
  }

  /** Counts one error reply with {@code code} (docs/ERRORS.md). */
  public void requestRefused(String code) {
    Counter.builder("fedsum.http.refused")
        .description("Error replies, by error code (docs/ERRORS.md)")
        .tag("code", Objects.requireNonNull(code, "code"))
        .register(registry)
        .increment();
  }

  /**
   * Every metric in the Prometheus text format ({@link #CONTENT_TYPE}), with the run gauges set
   * from {@code activeRun}, the status of the active run if any.
   */
  public String scrape(Optional<RunStatus> activeRun) {
    this.activeRun = Objects.requireNonNull(activeRun, "activeRun");
    return registry.scrape();
  }
}
