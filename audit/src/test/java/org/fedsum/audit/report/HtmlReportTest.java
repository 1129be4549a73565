package org.fedsum.audit.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOSTILE = "<script>alert(1)</script>\"' onload=\"x";

  /** A report document with hostile text wherever a journal's writer chooses the text. */
  private static ObjectNode hostileReport() {
    ObjectNode report = JSON.createObjectNode();
    report.put("headline", "TAMPERED OR INCONSISTENT: " + HOSTILE);
    report.put("verified", false);
    report.putObject("federation").put("runId", HOSTILE).put("federationId", HOSTILE);
    ObjectNode refusal = report.putObject("refusals").putArray("rounds").addObject();
    refusal.put("silo", HOSTILE).put("round", 1).put("category", "other").put("reason", HOSTILE);
    ObjectNode silo = report.putObject("privacy").putArray("silos").addObject();
    silo.put("siloId", HOSTILE);
    ObjectNode round = silo.putArray("rounds").addObject();
    round.put("round", 1).put("epsilon", 1.5).put("epsilonRdp", 1.5).put("epsilonGdp", 0.9);
    ObjectNode metrics = report.putObject("metrics").putArray("series").addObject();
    metrics.put("round", 1).put("modelAfterRound", 0).put(HOSTILE, 0.5);
    return report;
  }

  @Test
  void render_hostileJournalText_isEscapedEverywhere() {
    String html = HtmlReport.render(hostileReport());

    assertThat(html).doesNotContain("<script", "onload=\"x");
    assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39; onload=&quot;x");
  }

  @Test
  void render_tamperedReport_headlineIsTheFirstElementOfTheBody() {
    String html = HtmlReport.render(hostileReport());

    String body = html.substring(html.indexOf("<body>") + "<body>".length()).strip();
    assertThat(body).startsWith("<p id=\"headline\" class=\"tampered\">TAMPERED OR INCONSISTENT: ");
  }

  @Test
  void render_policyAllowsExactlyThePagesOwnStyleSheet() throws Exception {
    String html = HtmlReport.render(hostileReport());

    String style = html.substring(html.indexOf("<style>") + 7, html.indexOf("</style>"));
    String hash =
        "sha256-"
            + Base64.getEncoder()
                .encodeToString(
                    MessageDigest.getInstance("SHA-256")
                        .digest(style.getBytes(StandardCharsets.UTF_8)));
    assertThat(html)
        .contains("content=\"default-src 'none'; style-src '" + hash + "'")
        .doesNotContain("style=\"");
  }

  @Test
  void chart_everySeriesIsAPathScaledIntoThePlot() {
    String svg =
        SvgChart.render(
            "c",
            "t",
            "x",
            "y",
            List.of(
                new SvgChart.Series("a", false, List.of(new double[] {1, 2}, new double[] {2, 4})),
                new SvgChart.Series("b", true, List.of(new double[] {1, 1}))),
            List.of("a", "b"));

    assertThat(svg).startsWith("<svg id=\"c\"").endsWith("</svg>");
    assertThat(svg.split("class=\"series\"", -1)).hasSize(3);
    // Series a, on a 0..5 axis (4 rounded up) 235 px high from y = 20: from (1, 2) at the left
    // edge to (2, 4) at the right edge.
    assertThat(svg).contains("data-series=\"a\" d=\"M70.0 161.0 L540.0 67.0\"");
    assertThat(svg).contains(">5</text>");
    assertThat(svg).contains("stroke-dasharray");
  }
}
