/**
 * The aggregator's operational metrics (Micrometer, exposed in the Prometheus text format): round
 * and stage events from the coordinator, traffic and refusals from the HTTP front, and the active
 * run's phase.
 *
 * <p>Depends on {@code round} for its events and statuses; knows nothing of HTTP or Vert.x (the
 * {@code http} package feeds it and serves {@code GET /metrics}).
 */
package org.fedsum.aggregator.metrics;
