/**
 * The federation as a service: the runs of one aggregator data directory, at most one of them
 * active, each with its own journal, checkpoints and spool, created from an operator's run
 * configuration and recovered after a restart. Blocking (journal fsyncs, file reads): call from
 * worker threads.
 *
 * <p>Owns the layout {@code <dataDirectory>/runs/<runId>/}. Knows nothing of HTTP or Vert.x: the
 * {@code http} package calls it; it must not depend on {@code http}, and never on DJL.
 */
package org.fedsum.aggregator.service;
