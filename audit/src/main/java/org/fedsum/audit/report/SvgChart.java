package org.fedsum.audit.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart as inline SVG: no script, no external resource, so it renders offline, under a
 * strict Content-Security-Policy and in print. Axes with a few labelled ticks, one path per series
 * with a marker per point, a legend.
 */
final class SvgChart {
  /** One series: a name, a dash style, and its points (x ascending). */
  record Series(String name, boolean dashed, List<double[]> points) {}

  private static final String[] COLOURS = {
    "#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#4338ca"
  };
  private static final int WIDTH = 720;
  private static final int HEIGHT = 300;
  private static final int LEFT = 70;
  private static final int RIGHT = 180;
  private static final int TOP = 20;
  private static final int BOTTOM = 45;

  private SvgChart() {}

  /**
   * The chart; {@code id} names it for tests and links, {@code colourKeys} pairs series with
   * colours (series with the same key share one).
   */
  static String render(
      String id,
      String title,
      String xLabel,
      String yLabel,
      List<Series> series,
      List<String> colourKeys) {
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double minY = 0;
    double maxY = -Double.MAX_VALUE;
    for (Series line : series) {
      for (double[] point : line.points()) {
        minX = Math.min(minX, point[0]);
        maxX = Math.max(maxX, point[0]);
        minY = Math.min(minY, point[1]);
        maxY = Math.max(maxY, point[1]);
      }
    }
    StringBuilder svg = new StringBuilder();
    svg.append("<svg id=\"")
        .append(id)
        .append("\" class=\"chart\" viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(HEIGHT)
        .append("\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(HEIGHT)
        .append("\" role=\"img\" aria-label=\"")
        .append(Html.escape(title))
        .append("\"><title>")
        .append(Html.escape(title))
        .append("</title>");
    if (maxY == -Double.MAX_VALUE) {
      svg.append("<text x=\"20\" y=\"40\" class=\"empty\">no data</text></svg>");
      return svg.toString();
    }
    if (maxX == minX) {
      maxX = minX + 1;
    }
    if (maxY <= minY) {
      maxY = minY + 1;
    }
    maxY = niceCeiling(maxY);
    int plotWidth = WIDTH - LEFT - RIGHT;
    int plotHeight = HEIGHT - TOP - BOTTOM;
    double x0 = minX;
    double x1 = maxX;
    double y0 = minY;
    double y1 = maxY;
    // Axes.
    svg.append(
        String.format(
            Locale.ROOT,
            "<path class=\"axis\" d=\"M%d %d V%d H%d\" fill=\"none\" stroke=\"#444\"/>",
            LEFT,
            TOP,
            TOP + plotHeight,
            LEFT + plotWidth));
    for (int tick = 0; tick <= 4; tick++) {
      double value = y0 + (y1 - y0) * tick / 4;
      double y = TOP + plotHeight - plotHeight * (value - y0) / (y1 - y0);
      svg.append(
          String.format(
              Locale.ROOT,
              "<path class=\"grid\" d=\"M%d %.1f H%d\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>",
              LEFT,
              y,
              LEFT + plotWidth,
              LEFT - 6,
              y + 4,
              format(value)));
    }
    List<Long> xTicks = new ArrayList<>();
    long step = Math.max(1, Math.round(Math.ceil((x1 - x0) / 10)));
    for (long x = (long) Math.ceil(x0); x <= x1; x += step) {
      xTicks.add(x);
    }
    for (long x : xTicks) {
      double px = LEFT + plotWidth * (x - x0) / (x1 - x0);
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tick\">%d</text>",
              px,
              TOP + plotHeight + 16,
              x));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"label\">%s</text>",
            LEFT + plotWidth / 2,
            HEIGHT - 8,
            Html.escape(xLabel)));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" class=\"label\""
                + " transform=\"rotate(-90 14 %d)\">%s</text>",
            TOP + plotHeight / 2,
            TOP + plotHeight / 2,
            Html.escape(yLabel)));
    for (int i = 0; i < series.size(); i++) {
      Series line = series.get(i);
      String colour = COLOURS[Math.floorMod(colourKeys.indexOf(colourKeys.get(i)), COLOURS.length)];
      StringBuilder path = new StringBuilder();
      StringBuilder markers = new StringBuilder();
      for (double[] point : line.points()) {
        double px = LEFT + plotWidth * (point[0] - x0) / (x1 - x0);
        double py = TOP + plotHeight - plotHeight * (point[1] - y0) / (y1 - y0);
        path.append(path.length() == 0 ? "M" : " L")
            .append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
        markers.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s: %s</title></circle>",
                px,
                py,
                colour,
                Html.escape(line.name()),
                format(point[1])));
      }
      if (line.points().size() == 1) {
        // A single point still gets a visible (short) stroke, so every series draws a path.
        path.append(" h0.01");
      }
      svg.append("<path class=\"series\" data-series=\"")
          .append(Html.escape(line.name()))
          .append("\" d=\"")
          .append(path)
          .append("\" fill=\"none\" stroke=\"")
          .append(colour)
          .append("\" stroke-width=\"2\"")
          .append(line.dashed() ? " stroke-dasharray=\"6 4\"" : "")
          .append("/>")
          .append(markers);
      int legendY = TOP + 14 + 18 * i;
      svg.append(
          String.format(
              Locale.ROOT,
              "<path d=\"M%d %d h24\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                  + "<text x=\"%d\" y=\"%d\" class=\"legend\">%s</text>",
              LEFT + plotWidth + 12,
              legendY,
              colour,
              line.dashed() ? " stroke-dasharray=\"6 4\"" : "",
              LEFT + plotWidth + 42,
              legendY + 4,
              Html.escape(line.name())));
    }
    return svg.append("</svg>").toString();
  }

  private static double niceCeiling(double value) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= value) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  static String format(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e9) {
      return Long.toString((long) value);
    }
    double magnitude = Math.abs(value);
    if (magnitude >= 100) {
      return String.format(Locale.ROOT, "%.0f", value);
    }
    if (magnitude >= 1) {
      return String.format(Locale.ROOT, "%.2f", value);
    }
    return String.format(Locale.ROOT, "%.3g", value);
  }
}
