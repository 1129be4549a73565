package org.fedsum.cli.demo;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes the demo's run report, whose path {@code summary.json} gives as {@code report}. The
 * default, {@link AuditReportWriter}, writes the compliance audit's report of the run.
 */
@FunctionalInterface
public interface ReportWriter {
  /**
   * Writes the report of {@code run} into {@code folder}.
   *
   * @return the report's path
   */
  Path write(DemoResult run, Path folder) throws IOException;
}
