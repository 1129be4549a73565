package org.fedsum.aggregator.service;

import java.util.Objects;
import org.fedsum.aggregator.config.RunConfig;
import org.fedsum.aggregator.round.RunStatus;

/**
 * A run as the operator API shows it.
 *
 * @param config the run's configuration
 * @param status where the run is (for a run that is over, rebuilt from its journal)
 * @param active whether this is the federation's active run
 */
public record RunView(RunConfig config, RunStatus status, boolean active) {
  public RunView {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(status, "status");
  }
}
