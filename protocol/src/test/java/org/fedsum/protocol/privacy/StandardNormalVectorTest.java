package org.fedsum.protocol.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Φ, log Φ and erfc against 50-digit mpmath values (standard_normal_mpmath.txt, whose header says
 * how it was generated): every line is checked, failures are collected and reported together.
 */
class StandardNormalVectorTest {
  private static final String RESOURCE = "standard_normal_mpmath.txt";
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  /** The documented accuracy is 6e-15; the check leaves a margin for other JVMs' Math.exp/log. */
  private static final double RELATIVE_TOLERANCE = 2e-14;

  @Test
  void cdfLogCdfAndErfc_everyMpmathValue_withinRelativeTolerance() throws IOException {
    List<String> failures = new ArrayList<>();
    int cdfCases = 0;
    int erfcCases = 0;
    for (String line : lines()) {
      String[] fields = WHITESPACE.split(line.trim(), -1);
      switch (fields[0]) {
        case "cdf" -> {
          cdfCases++;
          double x = Double.parseDouble(fields[1]);
          double expected = Double.parseDouble(fields[2]);
          double expectedLog = Double.parseDouble(fields[3]);
          check(failures, "Φ(" + x + ")", StandardNormal.cdf(x), expected);
          check(failures, "log Φ(" + x + ")", StandardNormal.logCdf(x), expectedLog);
        }
        case "erfc" -> {
          erfcCases++;
          double z = Double.parseDouble(fields[1]);
          check(failures, "erfc(" + z + ")", StandardNormal.erfc(z), Double.parseDouble(fields[2]));
        }
        default -> failures.add("unknown line kind: " + line);
      }
    }
    assertThat(failures).isEmpty();
    assertThat(cdfCases).isEqualTo(444);
    assertThat(erfcCases).isEqualTo(319);
  }

  private static void check(List<String> failures, String what, double actual, double expected) {
    if (expected == 0) {
      if (actual != 0) {
        failures.add(what + ": expected 0, got " + actual);
      }
      return;
    }
    if (Math.abs(expected) < Double.MIN_NORMAL) {
      // Subnormal results carry fewer digits by construction; two units of the last place.
      if (Math.abs(actual - expected) > 2 * Double.MIN_VALUE) {
        failures.add(what + ": expected " + expected + ", got " + actual);
      }
      return;
    }
    double relative = Math.abs(actual - expected) / Math.abs(expected);
    if (!(relative <= RELATIVE_TOLERANCE)) {
      failures.add(
          what + ": expected " + expected + ", got " + actual + " (relative " + relative + ")");
    }
  }

  private static List<String> lines() throws IOException {
    List<String> lines = new ArrayList<>();
    try (InputStream in =
            Objects.requireNonNull(
                StandardNormalVectorTest.class.getResourceAsStream(RESOURCE), RESOURCE);
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank() && !line.startsWith("#")) {
          lines.add(line);
        }
      }
    }
    return lines;
  }
}
