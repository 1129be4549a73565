package org.fedsum.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scaling chart: a readable PNG with each series drawn where its points are. */
class LineChartTest {
  @TempDir Path directory;

  @Test
  void writePng_pointsDrawnInTheirSeriesColourOnLogAxes() throws Exception {
    LineChart chart =
        new LineChart("round time", "parameters", "seconds")
            .add(
                new LineChart.Series(
                    "n = 3", List.of(new double[] {1e4, 0.05}, new double[] {1e6, 1.2}), false))
            .add(
                new LineChart.Series(
                    "plaintext", List.of(new double[] {1e4, 0.02}, new double[] {1e8, 40}), true));
    Path file = directory.resolve("chart.png");

    chart.writePng(file);

    BufferedImage image = ImageIO.read(file.toFile());
    assertThat(image.getWidth()).isEqualTo(LineChart.WIDTH);
    assertThat(image.getHeight()).isEqualTo(LineChart.HEIGHT);
    assertThat(new Color(image.getRGB(chart.pixelX(1e6), chart.pixelY(1.2))))
        .isEqualTo(LineChart.color(0));
    assertThat(new Color(image.getRGB(chart.pixelX(1e8), chart.pixelY(40))))
        .isEqualTo(LineChart.color(1));
    // Log axes: one decade of x is the same width wherever it is.
    assertThat(chart.pixelX(1e6) - chart.pixelX(1e5))
        .isEqualTo(chart.pixelX(1e8) - chart.pixelX(1e7));
    assertThat(chart.pixelY(10)).isLessThan(chart.pixelY(1));
    assertThat(new Color(image.getRGB(5, 5))).isEqualTo(Color.WHITE);
  }

  @Test
  void nonPositivePoint_refusedNamingTheSeries() {
    assertThatThrownBy(() -> new LineChart.Series("n = 10", List.of(new double[] {0, 1}), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("n = 10");
  }

  @Test
  void emptyChart_refused() {
    assertThatThrownBy(() -> new LineChart("t", "x", "y").render())
        .isInstanceOf(IllegalStateException.class);
  }
}
