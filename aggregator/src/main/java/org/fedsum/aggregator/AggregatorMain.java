package org.fedsum.aggregator;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fedsum.aggregator.config.AggregatorConfig;
import org.fedsum.aggregator.config.AggregatorConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the aggregator service in this process until it is terminated: {@code java
 * org.fedsum.aggregator.AggregatorMain aggregator.yaml}. The {@code fedsum aggregator} command does
 * the same with more options. Exit status 2 for an unusable configuration (the message names the
 * key), 1 for any other start failure.
 */
public final class AggregatorMain {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorMain.class);

  private AggregatorMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 1) {
      System.err.println("usage: AggregatorMain <aggregator.yaml>");
      System.exit(2);
    }
    AggregatorConfig config;
    try {
      config = AggregatorConfig.load(Path.of(args[0]));
    } catch (AggregatorConfigException e) {
      System.err.println("fedsum aggregator: " + args[0] + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    AggregatorServer server;
    try {
      server =
          AggregatorServer.start(config)
              .toCompletionStage()
              .toCompletableFuture()
              .get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("fedsum aggregator: cannot start: " + cause.getMessage());
      LOG.debug("start failure", cause);
      System.exit(cause instanceof AggregatorConfigException ? 2 : 1);
      return;
    }
    // Printed for scripts and tests that start the service on port 0.
    System.out.println("fedsum aggregator listening on port " + server.port());
    System.out.flush();
    CountDownLatch stopped =
        server.closeOnShutdown(e -> LOG.warn("the aggregator did not stop cleanly", e));
    stopped.await();
  }
}
