package org.fedsum.crypto.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedsum.crypto.internal.P256;
import org.fedsum.crypto.internal.X25519Function;

/**
 * What a benchmark figure was measured on (BENCHMARKS.md: every figure names its machine): the CPU
 * model, the cores this JVM may use, the JDK, and the load average, which says how busy the machine
 * was with other work.
 */
public final class Machine {
  private Machine() {}

  /**
   * {@code cpu_model}, {@code cpus}, {@code jdk}, and the libraries that run the public-key
   * operations here ({@code x25519}, {@code ecdsa_verify}: each has a native and a Java
   * implementation, at different speeds), in that order.
   */
  public static Map<String, Object> describe() {
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cpu_model", cpuModel());
    machine.put("cpus", Runtime.getRuntime().availableProcessors());
    machine.put(
        "jdk",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    machine.put("x25519", X25519Function.preferredImplementation().label());
    machine.put("ecdsa_verify", P256.preferredVerifier().label());
    return machine;
  }

  /** The three load averages and the rest of {@code /proc/loadavg}, or why they are unknown. */
  public static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }
}
