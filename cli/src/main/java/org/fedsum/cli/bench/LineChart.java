package org.fedsum.cli.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * A line chart on logarithmic axes, drawn with Java 2D and written as PNG: what {@code fedsum bench
 * scaling} puts in BENCHMARKS.md (round time against parameters, one line per silo count).
 * Headless; it needs only the JDK and a font (Debian's fonts-dejavu-core).
 */
final class LineChart {
  static final int WIDTH = 960;
  static final int HEIGHT = 600;
  private static final int LEFT = 90;
  private static final int RIGHT = 230;
  private static final int TOP = 60;
  private static final int BOTTOM = 70;
  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xd62728),
    new Color(0x2ca02c),
    new Color(0x9467bd),
    new Color(0xff7f0e),
    new Color(0x8c564b)
  };

  /** One line: its legend label, its points (x and y positive), and whether it is dashed. */
  record Series(String label, List<double[]> points, boolean dashed) {
    Series {
      Objects.requireNonNull(label, "label");
      points = List.copyOf(points);
      for (double[] point : points) {
        if (point.length != 2 || !(point[0] > 0) || !(point[1] > 0)) {
          throw new IllegalArgumentException(
              "series " + label + ": points must be (x, y) with both positive on log axes");
        }
      }
    }
  }

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();
  private double minX = Double.POSITIVE_INFINITY;
  private double maxX = Double.NEGATIVE_INFINITY;
  private double minY = Double.POSITIVE_INFINITY;
  private double maxY = Double.NEGATIVE_INFINITY;

  LineChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  LineChart add(Series line) {
    series.add(line);
    for (double[] point : line.points()) {
      minX = Math.min(minX, point[0]);
      maxX = Math.max(maxX, point[0]);
      minY = Math.min(minY, point[1]);
      maxY = Math.max(maxY, point[1]);
    }
    return this;
  }

  /** The colour of the {@code index}-th series, as drawn. */
  static Color color(int index) {
    return PALETTE[index % PALETTE.length];
  }

  // Axes span whole decades, so that every tick is a power of ten.
  private double lowDecade(double value) {
    return Math.floor(Math.log10(value));
  }

  private double highDecade(double value, double low) {
    return Math.max(Math.ceil(Math.log10(value)), low + 1);
  }

  /** The pixel column of {@code x}. */
  int pixelX(double x) {
    double low = lowDecade(minX);
    double high = highDecade(maxX, low);
    double plotWidth = WIDTH - LEFT - RIGHT;
    return (int) Math.round(LEFT + (Math.log10(x) - low) / (high - low) * plotWidth);
  }

  /** The pixel row of {@code y}. */
  int pixelY(double y) {
    double low = lowDecade(minY);
    double high = highDecade(maxY, low);
    double plotHeight = HEIGHT - TOP - BOTTOM;
    return (int) Math.round(HEIGHT - BOTTOM - (Math.log10(y) - low) / (high - low) * plotHeight);
  }

  BufferedImage render() {
    if (series.isEmpty() || series.stream().allMatch(line -> line.points().isEmpty())) {
      throw new IllegalStateException("a chart needs at least one point");
    }
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D graphics = image.createGraphics();
    try {
      graphics.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      graphics.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      graphics.setColor(Color.WHITE);
      graphics.fillRect(0, 0, WIDTH, HEIGHT);
      drawAxes(graphics);
      for (int index = 0; index < series.size(); index++) {
        drawSeries(graphics, series.get(index), color(index));
      }
      drawLegend(graphics);
    } finally {
      graphics.dispose();
    }
    return image;
  }

  void writePng(Path file) throws IOException {
    if (!ImageIO.write(render(), "png", file.toFile())) {
      throw new IOException("no PNG writer in this JDK");
    }
  }

  private void drawAxes(Graphics2D graphics) {
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    graphics.setFont(font);
    FontMetrics metrics = graphics.getFontMetrics();
    int plotRight = WIDTH - RIGHT;
    int plotBottom = HEIGHT - BOTTOM;
    double lowX = lowDecade(minX);
    double highX = highDecade(maxX, lowX);
    for (int decade = (int) lowX; decade <= (int) highX; decade++) {
      int x = pixelX(Math.pow(10, decade));
      graphics.setColor(new Color(0xe0e0e0));
      graphics.drawLine(x, TOP, x, plotBottom);
      graphics.setColor(Color.DARK_GRAY);
      String label = powerOfTen(decade);
      graphics.drawString(label, x - metrics.stringWidth(label) / 2, plotBottom + 20);
    }
    double lowY = lowDecade(minY);
    double highY = highDecade(maxY, lowY);
    for (int decade = (int) lowY; decade <= (int) highY; decade++) {
      int y = pixelY(Math.pow(10, decade));
      graphics.setColor(new Color(0xe0e0e0));
      graphics.drawLine(LEFT, y, plotRight, y);
      graphics.setColor(Color.DARK_GRAY);
      String label = powerOfTen(decade);
      graphics.drawString(label, LEFT - 10 - metrics.stringWidth(label), y + 5);
    }
    graphics.setColor(Color.BLACK);
    graphics.drawRect(LEFT, TOP, plotRight - LEFT, plotBottom - TOP);
    graphics.drawString(
        xLabel, LEFT + (plotRight - LEFT - metrics.stringWidth(xLabel)) / 2, HEIGHT - 25);
    Graphics2D rotated = (Graphics2D) graphics.create();
    try {
      rotated.rotate(-Math.PI / 2);
      rotated.drawString(yLabel, -(TOP + (plotBottom - TOP + metrics.stringWidth(yLabel)) / 2), 30);
    } finally {
      rotated.dispose();
    }
    graphics.setFont(font.deriveFont(Font.BOLD, 16f));
    graphics.drawString(title, LEFT, 35);
  }

  private void drawSeries(Graphics2D graphics, Series line, Color color) {
    graphics.setColor(color);
    graphics.setStroke(stroke(line));
    Path2D path = new Path2D.Double();
    boolean first = true;
    for (double[] point : line.points()) {
      if (first) {
        path.moveTo(pixelX(point[0]), pixelY(point[1]));
        first = false;
      } else {
        path.lineTo(pixelX(point[0]), pixelY(point[1]));
      }
    }
    graphics.draw(path);
    graphics.setStroke(new BasicStroke(1f));
    for (double[] point : line.points()) {
      graphics.fill(new Ellipse2D.Double(pixelX(point[0]) - 4, pixelY(point[1]) - 4, 8, 8));
    }
  }

  private static BasicStroke stroke(Series line) {
    return line.dashed()
        ? new BasicStroke(
            2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {9f, 6f}, 0f)
        : new BasicStroke(2.5f);
  }

  private void drawLegend(Graphics2D graphics) {
    graphics.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    int x = WIDTH - RIGHT + 20;
    int y = TOP + 10;
    for (int index = 0; index < series.size(); index++) {
      Series line = series.get(index);
      graphics.setColor(color(index));
      graphics.setStroke(stroke(line));
      graphics.drawLine(x, y + 20 * index + 2, x + 24, y + 20 * index + 2);
      graphics.setColor(Color.BLACK);
      graphics.drawString(line.label(), x + 32, y + 20 * index + 6);
    }
  }

  private static String powerOfTen(int exponent) {
    String digits = Integer.toString(exponent);
    StringBuilder superscript = new StringBuilder("10");
    for (char digit : digits.toCharArray()) {
      superscript.append(
          digit == '-'
              ? '\u207b'
              : "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079".charAt(digit - '0'));
    }
    return superscript.toString();
  }
}
