package org.fedsum.protocol.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The paper benchmark's ratios against Bonawitz et al. 2017, and its refused settings. */
class PaperBenchmarkTest {
  private static PaperBenchmark.Row row(int clients, int percent, double client, double server) {
    return new PaperBenchmark.Row(
        clients, percent, 100_000, client, client, server, server / 2, Map.of());
  }

  @Test
  void figures_speedupsAreThePapersSecondsOverOursAtFiveHundredClients() {
    List<PaperBenchmark.Row> rows =
        List.of(
            row(500, 0, 0.05, 2.0),
            row(500, 10, 0.085, 6.2),
            row(500, 30, 0.09, 14.4),
            row(1000, 10, 0.2, 30));

    Map<String, Object> figures =
        PaperBenchmark.figures(rows, "0.00", new PrintWriter(new StringWriter()));

    assertThat((Double) figures.get("client_speedup")).isCloseTo(10.0, within(1e-9));
    assertThat((Double) figures.get("server_speedup_10")).isCloseTo(10.0, within(1e-9));
    assertThat((Double) figures.get("server_speedup_30")).isCloseTo(143 / 14.4, within(1e-9));
    // 143 / 14.4 < 10: one ratio under the goal is enough to miss it.
    assertThat(figures.get("goal_met")).isEqualTo(false);
    assertThat((List<?>) figures.get("rows")).hasSize(4);
  }

  @Test
  void figures_allThreeAtLeastTen_goalMet() {
    Map<String, Object> figures =
        PaperBenchmark.figures(
            List.of(row(500, 10, 0.08, 6.0), row(500, 30, 0.08, 14.0)),
            "0.00",
            new PrintWriter(new StringWriter()));

    assertThat(figures.get("goal_met")).isEqualTo(true);
  }

  @Test
  void options_refuseSettingsThatCannotFinish() {
    assertThatThrownBy(() -> new PaperBenchmark.Options(List.of(2), 10, List.of(0)))
        .hasMessageContaining("at least 3");
    assertThatThrownBy(() -> new PaperBenchmark.Options(List.of(10), 10, List.of(40)))
        .hasMessageContaining("threshold");
    assertThatThrownBy(() -> new PaperBenchmark.Options(List.of(500), 0, List.of(10)))
        .hasMessageContaining("dimension");
    assertThatThrownBy(() -> new PaperBenchmark.Options(List.of(500), 10, List.of(50)))
        .hasMessageContaining("[0, 50)");
  }
}
