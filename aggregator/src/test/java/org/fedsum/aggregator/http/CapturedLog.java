package org.fedsum.aggregator.http;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/** Collects the formatted messages one logger emits, safely across threads. */
final class CapturedLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final Logger logger;
  private final List<String> messages = new CopyOnWriteArrayList<>();

  private CapturedLog(Class<?> source) {
    this.logger = (Logger) LoggerFactory.getLogger(source);
  }

  static CapturedLog of(Class<?> source) {
    CapturedLog log = new CapturedLog(source);
    log.start();
    log.logger.addAppender(log);
    return log;
  }

  @Override
  protected void append(ILoggingEvent event) {
    messages.add(event.getLevel() + " " + event.getFormattedMessage());
  }

  List<String> messages() {
    return List.copyOf(messages);
  }

  /** Waits up to 15 seconds for a message containing {@code text} and returns it. */
  String awaitMessage(String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      for (String message : messages) {
        if (message.contains(text)) {
          return message;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no log message containing \"" + text + "\" in " + messages);
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    stop();
  }
}
