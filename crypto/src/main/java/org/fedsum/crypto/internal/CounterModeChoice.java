package org.fedsum.crypto.internal;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedsum.crypto.internal.AesCtrKeystream.Implementation;

/**
 * Decides, by measuring on this machine, whether the JDK's AES/CTR should replace the default mask
 * keystream (BoringSSL's AES-CTR through Conscrypt).
 *
 * <p>Why measure rather than pick one: on a CPU with AVX-512 VAES, HotSpot's AES-CTR stub produces
 * 20–28 GB/s against BoringSSL's 5–6 GB/s (BENCHMARKS.md, mask PRG section), so a silo masking
 * against 500 peers spends several times less on keystream; but the stub only runs once C2 has
 * compiled the cipher's call path, and until then the JDK computes AES in plain Java at about 0.15
 * GB/s. Waiting for real masking work to compile it would make a silo's first rounds 30 times
 * slower. So the first request for the preferred implementation starts one background thread that
 * calls the JDK's cipher many thousand times on a single block (tens of milliseconds even in plain
 * Java, enough for C2 to compile the path), then times 64 KiB calls of it and of the default, and
 * switches only when the JDK is clearly faster; it tries for about ten seconds, with more warm-up
 * calls before each try, because on a busy machine the JIT's queue can hold the compilation back. A
 * CPU without AES instructions, or a JVM where the intrinsic does not engage, simply keeps the
 * default.
 *
 * <p>The key timed is a constant: it protects nothing, and no mask is ever produced by this class.
 *
 * <p>{@code -Dfedsum.mask-prg.jdk-aes-ctr=false} turns the measurement off and keeps the default,
 * for comparisons and for a JVM where the switch is unwanted.
 */
final class CounterModeChoice {
  // Single-block calls that warm the JDK's CTR path; 20,000 took 30 ms on the reference machine
  // and were enough for C2 (its default compile threshold is 10,000-15,000 invocations).
  private static final int WARM_UP_CALLS = 30_000;
  // More such calls before every later attempt: on a busy machine the JIT's queue is long, and a
  // method compiled by C1 only after the first burst needs further calls to reach C2.
  private static final int WARM_UP_CALLS_PER_ATTEMPT = 5_000;
  // The JDK must beat the default by this factor: a margin over timing noise on a busy machine.
  private static final double REQUIRED_SPEED_UP = 1.5;
  // 40 attempts 250 ms apart: the JDK has ten seconds to get compiled, even at a load of 10 or
  // more.
  private static final int ATTEMPTS = 40;
  private static final long PAUSE_MILLIS = 250;
  private static final int SAMPLE_BLOCKS = 64 * 1024 / AesCtrKeystream.BLOCK_BYTES;

  /** The system property that, set to {@code false}, keeps the default keystream. */
  static final String SWITCH_PROPERTY = "fedsum.mask-prg.jdk-aes-ctr";

  private static final AtomicBoolean started = new AtomicBoolean();
  private static volatile boolean jdkFaster;
  private static volatile boolean decided;

  private CounterModeChoice() {}

  /** Whether the JDK's AES/CTR has been measured faster; starts the measurement on first call. */
  static boolean jdkCounterModeFaster() {
    if (!started.get() && started.compareAndSet(false, true)) {
      Thread measurement = new Thread(CounterModeChoice::measure, "fedsum-aes-ctr-choice");
      measurement.setDaemon(true);
      measurement.setPriority(Thread.MIN_PRIORITY);
      measurement.start();
    }
    return jdkFaster;
  }

  /** Empty until the measurement has ended; then whether the JDK's AES/CTR was found faster. */
  static Optional<Boolean> decision() {
    return decided ? Optional.of(jdkFaster) : Optional.empty();
  }

  private static void measure() {
    if ("false".equals(System.getProperty(SWITCH_PROPERTY))) {
      decided = true;
      return;
    }
    try {
      byte[] constantKey = new byte[32];
      AesCtrKeystream jdk = AesCtrKeystream.create(constantKey, Implementation.JDK_AES_CTR);
      AesCtrKeystream incumbent =
          AesCtrKeystream.create(constantKey, AesCtrKeystream.defaultImplementation());
      byte[] out = new byte[SAMPLE_BLOCKS * AesCtrKeystream.BLOCK_BYTES];
      // Consecutive blocks, so the cipher is initialised once and every call is a plain update.
      for (int block = 0; block < WARM_UP_CALLS; block++) {
        jdk.generate(block, out, 1);
      }
      long next = WARM_UP_CALLS;
      for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        Thread.sleep(PAUSE_MILLIS);
        if (attempt > 0) {
          for (int call = 0; call < WARM_UP_CALLS_PER_ATTEMPT; call++) {
            jdk.generate(next++, out, 1);
          }
        }
        long jdkNanos = Long.MAX_VALUE;
        long incumbentNanos = Long.MAX_VALUE;
        // Best of three, alternating, so that a burst of load on the machine hits both.
        for (int sample = 0; sample < 3; sample++) {
          long begin = System.nanoTime();
          jdk.generate(next, out, SAMPLE_BLOCKS);
          jdkNanos = Math.min(jdkNanos, System.nanoTime() - begin);
          begin = System.nanoTime();
          incumbent.generate(next, out, SAMPLE_BLOCKS);
          incumbentNanos = Math.min(incumbentNanos, System.nanoTime() - begin);
          next += SAMPLE_BLOCKS;
        }
        if (jdkNanos * REQUIRED_SPEED_UP < incumbentNanos) {
          jdkFaster = true;
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // The default stays; it is correct everywhere, only slower.
    } finally {
      decided = true;
    }
  }
}
