package org.fedsum.silo.training;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one place that loads DJL's PyTorch engine, after making sure it will not open a network
 * connection (DESIGN.md §8): without {@code OPT_OUT_TRACKING} DJL probes the EC2 metadata address
 * 169.254.169.254 at start-up, and without offline mode it may try to download a native library.
 * Both are set as system properties before the first DJL class that reads them is initialized.
 */
final class DjlRuntime {
  static final String ENGINE_NAME = "PyTorch";

  /**
   * Held around everything that needs DJL's process-wide state: PyTorch's gradient collector is one
   * per JVM, and the engine's random seed is global.
   */
  static final ReentrantLock ENGINE_LOCK = new ReentrantLock();

  static {
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.offline", "true");
  }

  private DjlRuntime() {}

  /** The PyTorch engine, loading its native library (from the Maven jar) on first use. */
  static Engine engine() {
    return Engine.getEngine(ENGINE_NAME);
  }

  /**
   * Runs {@code action} with PyTorch's autograd recording off. Grad mode is per thread and starts
   * enabled on every thread but the one that loaded the engine, so without this a silo evaluating
   * on a worker thread would record a backward graph for every batch and never use it.
   */
  static void withoutGradients(Runnable action) {
    engine();
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      action.run();
    } finally {
      JniUtils.setGradMode(previous);
    }
  }
}
