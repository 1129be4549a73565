package org.fedsum.audit.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Renders the report's JSON document as one self-contained HTML page: no script, no external
 * resource, inline SVG charts, a Content-Security-Policy that allows only the page's own style
 * sheet (by hash), and print rules. Every value is read from the JSON, so the page cannot show a
 * figure the JSON does not hold; key figures carry {@code data-figure} and {@code data-value}
 * attributes for machine comparison.
 */
final class HtmlReport {
  private static final String STYLE =
      String.join(
          "\n",
          "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#111;"
              + "margin:24px auto;max-width:1100px;padding:0 16px}",
          "#headline{font-size:17px;font-weight:600;padding:10px 14px;border-radius:4px;margin:0 0 16px}",
          "#headline.verified{background:#e7f6ea;border:1px solid #15803d}",
          "#headline.tampered{background:#fde8e8;border:2px solid #b91c1c;color:#7f1d1d}",
          "h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;"
              + "border-bottom:1px solid #ccc;padding-bottom:4px}",
          "table{border-collapse:collapse;margin:8px 0;width:100%}",
          "th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}",
          "th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}",
          ".hash{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}",
          ".fail{color:#b91c1c;font-weight:600}.note{color:#92400e}.ok{color:#15803d}",
          "dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px}dt{font-weight:600}",
          "dd{margin:0}svg.chart{max-width:100%;height:auto}svg .tick,svg .legend{font-size:11px}",
          "svg .label{font-size:12px}.muted{color:#555}",
          "@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
              + "table,svg{break-inside:avoid}#headline{border-width:2px}}");

  private HtmlReport() {}

  static String render(JsonNode report) {
    StringBuilder html = new StringBuilder(32_768);
    boolean verified = report.path("verified").asBoolean();
    String headline = report.path("headline").asText();
    JsonNode federation = report.path("federation");
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
        .append(" style-src '")
        .append(styleHash())
        .append("'; img-src data:; base-uri 'none'; form-action 'none'\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(verified ? "" : "TAMPERED OR INCONSISTENT - ")
        .append("FedSum audit report: run ")
        .append(Html.escape(federation.path("runId").asText("(unnamed)")))
        .append("</title><style>")
        .append(STYLE)
        .append("</style></head><body>\n");
    html.append("<p id=\"headline\" class=\"")
        .append(verified ? "verified" : "tampered")
        .append("\">")
        .append(Html.escape(headline))
        .append("</p>\n");
    html.append("<h1>FedSum audit report</h1>");
    JsonNode software = report.path("software");
    definitions(
        html,
        "summary",
        new String[][] {
          {"Federation", federation.path("federationId").asText("")},
          {"Run", federation.path("runId").asText("(no signed record names the run)")},
          {"Run id from", federation.path("runIdSource").asText()},
          {"Audit time", report.path("auditTime").asText()},
          {"Protocol version", software.path("protocolVersion").asText("")},
          {"Journal format", software.path("journalFormat").asText()},
          {"Audit tool", software.path("auditToolVersion").asText()},
          {
            "Audit tool build SHA-256",
            software.path("auditToolBuildSha256").asText("(class folder)")
          },
        });
    html.append("<p class=\"muted\">")
        .append(Html.escape(software.path("note").asText()))
        .append("</p>");
    verification(html, report.path("verification"));
    participants(html, report.path("participants"));
    configuration(html, report.path("configuration"));
    rounds(html, report.path("rounds"));
    privacy(html, report.path("privacy"));
    metrics(html, report.path("metrics"));
    refusals(html, report.path("refusals"));
    controls(html, report.path("controls"));
    html.append("\n</body></html>\n");
    return html.toString();
  }

  /** The CSP source for the style sheet: {@code sha256-<base64>} of its exact text. */
  static String styleHash() {
    try {
      return "sha256-"
          + Base64.getEncoder()
              .encodeToString(
                  MessageDigest.getInstance("SHA-256")
                      .digest(STYLE.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
  }

  private static void verification(StringBuilder html, JsonNode verification) {
    html.append("<h2 id=\"verification\">Verification (fedsum audit verify)</h2>");
    boolean verified = verification.path("verified").asBoolean();
    html.append("<p class=\"")
        .append(verified ? "ok" : "fail")
        .append("\" data-figure=\"verified\" data-value=\"")
        .append(verified)
        .append("\">")
        .append(Html.escape(verification.path("summary").asText()))
        .append("</p>");
    html.append(
        "<table><thead><tr><th>Journal</th><th>Writer</th><th>Lines</th><th>Records verified</th>"
            + "<th>Head SHA-256</th><th>Problem</th></tr></thead><tbody>");
    for (JsonNode journal : verification.path("journals")) {
      html.append("<tr><td class=\"hash\">")
          .append(Html.escape(journal.path("file").asText()))
          .append("</td><td>")
          .append(Html.escape(journal.path("writer").asText("(not established)")))
          .append("</td><td class=\"num\">")
          .append(journal.path("lines").asInt())
          .append("</td><td class=\"num\">")
          .append(journal.path("recordsVerified").asInt())
          .append("</td><td class=\"hash\">")
          .append(Html.escape(journal.path("headSha256").asText("")))
          .append("</td><td")
          .append(journal.path("valid").asBoolean() ? ">none" : " class=\"fail\">")
          .append(
              journal.path("valid").asBoolean()
                  ? ""
                  : Html.escape(journal.path("problem").asText()))
          .append("</td></tr>");
    }
    html.append("</tbody></table>");
    JsonNode findings = verification.path("findings");
    if (findings.isEmpty()) {
      html.append("<p>No findings.</p>");
      return;
    }
    html.append(
        "<table id=\"findings\"><thead><tr><th>Severity</th><th>Check</th><th>Where</th>"
            + "<th>What differs</th></tr></thead><tbody>");
    for (JsonNode finding : findings) {
      boolean failure = finding.path("severity").asText().equals("failure");
      String where =
          finding.path("file").asText()
              + (finding.path("line").asInt() > 0 ? ":" + finding.path("line").asInt() : "")
              + (finding.path("seq").isNull() ? "" : " seq " + finding.path("seq").asLong())
              + (finding.path("recordType").asText().isEmpty()
                  ? ""
                  : " (" + finding.path("recordType").asText() + ")");
      html.append("<tr><td class=\"")
          .append(failure ? "fail" : "note")
          .append("\">")
          .append(failure ? "FAILURE" : "note")
          .append("</td><td>")
          .append(Html.escape(finding.path("check").asText()))
          .append("</td><td class=\"hash\">")
          .append(Html.escape(where))
          .append("</td><td>")
          .append(Html.escape(finding.path("detail").asText()))
          .append("</td></tr>");
    }
    html.append("</tbody></table>");
  }

  private static void participants(StringBuilder html, JsonNode participants) {
    html.append("<h2 id=\"participants\">Participants</h2>");
    html.append(
        "<table><thead><tr><th>Identity</th><th>Certificate SHA-256</th><th>Serial</th>"
            + "<th>Valid from</th><th>Valid until</th><th>Revoked</th><th>In roster</th>"
            + "<th>Journal</th></tr></thead><tbody>");
    for (JsonNode participant : participants) {
      html.append("<tr><td>")
          .append(Html.escape(participant.path("identity").asText()))
          .append("</td><td class=\"hash\">")
          .append(Html.escape(participant.path("certificateSha256").asText("(no journal given)")))
          .append("</td><td class=\"hash\">")
          .append(Html.escape(participant.path("serial").asText("")))
          .append("</td><td>")
          .append(Html.escape(participant.path("notBefore").asText("")))
          .append("</td><td>")
          .append(Html.escape(participant.path("notAfter").asText("")))
          .append("</td><td>")
          .append(
              participant.path("revoked").isNull()
                  ? "unknown"
                  : participant.path("revoked").asBoolean()
                      ? "<span class=\"fail\">yes</span>"
                      : "no")
          .append("</td><td>")
          .append(
              participant.path("inRoster").asBoolean() ? "yes" : "<span class=\"fail\">no</span>")
          .append("</td><td class=\"hash\">")
          .append(Html.escape(participant.path("journal").asText("")))
          .append("</td></tr>");
    }
    html.append("</tbody></table>");
  }

  private static void configuration(StringBuilder html, JsonNode configuration) {
    html.append("<h2 id=\"configuration\">Run configuration</h2>");
    List<String> roster = new ArrayList<>();
    configuration.path("roster").forEach(silo -> roster.add(silo.asText()));
    JsonNode dp = configuration.path("differentialPrivacy");
    JsonNode suite = configuration.path("cryptography");
    definitions(
        html,
        "configuration-list",
        new String[][] {
          {"Roster", String.join(", ", roster)},
          {"Threshold t", configuration.path("threshold").asText("")},
          {"Minimum survivors", configuration.path("minSurvivors").asText("")},
          {"Security model", configuration.path("securityModel").asText("")},
          {"Assumed colluders", configuration.path("assumedColluders").asText("")},
          {"Bits per word", configuration.path("bits").asText("")},
          {"Vector length", configuration.path("vectorLength").asText("")},
          {"Stage deadlines (ms)", configuration.path("deadlineMillis").toString()},
          {"Server strategy", configuration.path("strategy").asText("")},
          {"Initial model SHA-256", configuration.path("initialModelSha256").asText("")},
          {"Final model SHA-256", configuration.path("finalModelSha256").asText("")},
          {"Mask PRG", suite.path("maskPrg").asText()},
          {"Key agreement (curve)", suite.path("keyAgreement").asText()},
          {"Signatures", suite.path("signatures").asText()},
          {"Share encryption", suite.path("shareEncryption").asText()},
          {"Secret sharing", suite.path("secretSharing").asText()},
          {"Transport", suite.path("transport").asText()},
          {"Clip norm C (silo-level)", dp.path("clipNorm").asText("")},
          {"Noise multiplier z (silo-level)", dp.path("noiseMultiplier").asText("")},
          {"Quantization step γ", dp.path("gamma").asText("")},
          {"δ", dp.path("delta").asText("")},
          {"Privacy unit (silo-level)", dp.path("unitDescription").asText()},
          {
            "Record-level DP (DP-SGD)",
            dp.path("recordLevel").isObject()
                ? "unit: "
                    + dp.path("recordLevel").path("unitDescription").asText()
                    + "; z = "
                    + dp.path("recordLevel").path("noiseMultiplier").asText()
                    + ", per-example clip C = "
                    + dp.path("recordLevel").path("clipNorm").asText()
                : "not used"
          },
          {
            "Sources",
            configuration.path("configurationSource").asText() + "; " + dp.path("source").asText()
          },
        });
    html.append(
        "<table><thead><tr><th>Silo</th><th>Privacy floor</th><th>ε budget (unit: silo)</th>"
            + "<th>ε budget (unit: record)</th><th>δ</th><th>Source</th></tr></thead><tbody>");
    for (JsonNode silo : configuration.path("silos")) {
      html.append("<tr><td>")
          .append(Html.escape(silo.path("siloId").asText()))
          .append("</td><td>")
          .append(Html.escape(floor(silo.path("privacyFloor"))))
          .append("</td><td>")
          .append(Html.escape(budget(silo.path("epsilonBudget").asText(""))))
          .append("</td><td>")
          .append(Html.escape(budget(silo.path("recordLevel").path("epsilonBudget").asText(""))))
          .append("</td><td>")
          .append(Html.escape(silo.path("delta").asText("")))
          .append("</td><td class=\"hash\">")
          .append(Html.escape(silo.path("source").asText()))
          .append("</td></tr>");
    }
    html.append("</tbody></table>");
  }

  private static String floor(JsonNode floor) {
    if (floor.isMissingNode() || floor.isNull()) {
      return "(not journaled)";
    }
    return "DP required: "
        + floor.path("requireDifferentialPrivacy").asBoolean()
        + "; z ≥ "
        + floor.path("minNoiseMultiplier").asText()
        + "; t ≥ "
        + floor.path("minThreshold").asText()
        + "; survivors ≥ "
        + floor.path("minSurvivors").asText();
  }

  private static String budget(String budget) {
    return budget.equals("0.0") ? "none" : budget;
  }

  private static void rounds(StringBuilder html, JsonNode rounds) {
    html.append("<h2 id=\"rounds\">Rounds</h2>");
    html.append(
        "<table id=\"rounds-table\"><thead><tr><th>Round</th><th>Outcome</th><th>Survivors</th>"
            + "<th>Participants and dropouts per stage</th><th>Shares revealed (by silo: for whom)"
            + "</th><th>Model SHA-256 (start → published)</th><th>Metrics (start model)</th>"
            + "</tr></thead><tbody>");
    for (JsonNode round : rounds) {
      long number = round.path("round").asLong();
      html.append("<tr data-round=\"")
          .append(number)
          .append("\"><td class=\"num\">")
          .append(number);
      html.append("</td><td>").append(Html.escape(round.path("outcome").asText()));
      if (!round.path("abort").isNull()) {
        JsonNode abort = round.path("abort");
        html.append("<br><span class=\"fail\">")
            .append(
                Html.escape(abort.path("reason").asText() + " in " + abort.path("stage").asText()))
            .append("</span><br>")
            .append(Html.escape(abort.path("detail").asText()));
      }
      html.append("</td><td data-figure=\"survivors-")
          .append(number)
          .append("\" data-value=\"")
          .append(round.path("survivors").size())
          .append("\">")
          .append(Html.escape(join(round.path("survivors"))))
          .append("</td><td>");
      for (JsonNode stage : round.path("stages")) {
        html.append("<div><b>")
            .append(Html.escape(stage.path("stage").asText()))
            .append("</b>: ")
            .append(Html.escape(join(stage.path("participants"))));
        if (!stage.path("dropouts").isEmpty()) {
          html.append(" <span class=\"note\">dropped: ")
              .append(Html.escape(join(stage.path("dropouts"))))
              .append("</span>");
        }
        html.append("</div>");
      }
      html.append("</td><td>");
      for (JsonNode share : round.path("sharesRevealed")) {
        html.append("<div>")
            .append(Html.escape(share.path("silo").asText()))
            .append(": self-mask shares for ")
            .append(Html.escape(join(share.path("selfMaskSharesRevealedFor"))))
            .append("; masking-key shares for ")
            .append(Html.escape(orNone(join(share.path("maskingKeySharesRevealedFor")))))
            .append("</div>");
      }
      html.append("</td><td class=\"hash\">")
          .append(Html.escape(round.path("startModelSha256").asText("?")))
          .append(" → ")
          .append(Html.escape(round.path("modelSha256").asText("(none)")))
          .append("</td><td>");
      for (Map.Entry<String, JsonNode> metric : properties(round.path("metrics"))) {
        if (!metric.getKey().equals("silos")) {
          html.append("<div>")
              .append(Html.escape(metric.getKey()))
              .append(": ")
              .append(SvgChart.format(metric.getValue().asDouble()))
              .append("</div>");
        }
      }
      html.append("</td></tr>");
    }
    html.append("</tbody></table>");
  }

  private static void privacy(StringBuilder html, JsonNode privacy) {
    html.append("<h2 id=\"privacy\">Privacy spent per silo</h2>");
    html.append("<h3>Silo-level DP</h3>");
    html.append("<p>Unit: ")
        .append(Html.escape(privacy.path("unitDescription").asText()))
        .append(". ")
        .append(Html.escape(privacy.path("accountants").asText()))
        .append(
            ". Recomputed by the audit from each silo's signed privacy-spent records with the"
                + " protocol's accountant.</p>");
    List<SvgChart.Series> series = new ArrayList<>();
    List<String> colours = new ArrayList<>();
    for (JsonNode silo : privacy.path("silos")) {
      List<double[]> rdp = new ArrayList<>();
      List<double[]> gdp = new ArrayList<>();
      for (JsonNode round : silo.path("rounds")) {
        rdp.add(new double[] {round.path("round").asDouble(), round.path("epsilonRdp").asDouble()});
        gdp.add(new double[] {round.path("round").asDouble(), round.path("epsilonGdp").asDouble()});
      }
      if (rdp.isEmpty()) {
        continue;
      }
      String id = silo.path("siloId").asText();
      series.add(new SvgChart.Series(id + " ε (RDP)", false, rdp));
      colours.add(id);
      series.add(new SvgChart.Series(id + " ε (GDP)", true, gdp));
      colours.add(id);
    }
    html.append(
        SvgChart.render(
            "privacy-chart",
            "Cumulative ε per silo over rounds (silo-level DP)",
            "round",
            "ε (cumulative)",
            series,
            colours));
    html.append(
        "<table id=\"privacy-table\"><thead><tr><th>Silo</th><th>Round</th><th>Survivors"
            + " accounted</th><th>ε (enforced)</th><th>ε RDP (discrete)</th><th>ε GDP"
            + " (continuous)</th><th>δ</th><th>ε the silo wrote</th><th>Matches</th></tr></thead>"
            + "<tbody>");
    for (JsonNode silo : privacy.path("silos")) {
      String id = silo.path("siloId").asText();
      for (JsonNode round : silo.path("rounds")) {
        html.append("<tr><td>")
            .append(Html.escape(id))
            .append("</td><td class=\"num\">")
            .append(round.path("round").asLong())
            .append("</td><td class=\"num\">")
            .append(round.path("survivors").asInt())
            .append(round.path("survivorsVerified").asBoolean() ? " (verified)" : " (assumed t)")
            .append("</td>");
        figureCell(
            html, "epsilon-" + id + "-" + round.path("round").asLong(), round.path("epsilon"));
        figureCell(
            html,
            "epsilon-rdp-" + id + "-" + round.path("round").asLong(),
            round.path("epsilonRdp"));
        figureCell(
            html,
            "epsilon-gdp-" + id + "-" + round.path("round").asLong(),
            round.path("epsilonGdp"));
        recordedAndChecked(html, round);
      }
    }
    html.append("</tbody></table>");
    html.append(
        "<table id=\"privacy-totals\"><thead><tr><th>Silo</th><th>ε spent (enforced)</th>"
            + "<th>ε RDP</th><th>ε GDP</th><th>δ</th></tr></thead><tbody>");
    for (JsonNode silo : privacy.path("silos")) {
      String id = silo.path("siloId").asText();
      JsonNode spent = silo.path("spent");
      html.append("<tr><td>").append(Html.escape(id)).append("</td>");
      if (spent.isNull() || spent.isMissingNode()) {
        html.append("<td colspan=\"4\">no privacy spent (no sum with this silo's input)</td></tr>");
        continue;
      }
      figureCell(html, "epsilon-" + id, spent.path("epsilon"));
      figureCell(html, "epsilon-rdp-" + id, spent.path("epsilonRdp"));
      figureCell(html, "epsilon-gdp-" + id, spent.path("epsilonGdp"));
      html.append("<td class=\"num\">").append(spent.path("delta").asText()).append("</td></tr>");
    }
    html.append("</tbody></table>");
    recordLevelPrivacy(html, privacy.path("recordLevel"));
  }

  private static void recordLevelPrivacy(StringBuilder html, JsonNode recordLevel) {
    html.append("<h3 id=\"privacy-record-level\">Record-level DP (DP-SGD at each silo)</h3>");
    if (recordLevel.path("silos").isEmpty()) {
      html.append(
          "<p>No silo journaled record-level spend: the run did not train with DP-SGD.</p>");
      return;
    }
    html.append("<p>Unit: ")
        .append(Html.escape(recordLevel.path("unitDescription").asText()))
        .append(". ")
        .append(Html.escape(recordLevel.path("accountant").asText()))
        .append(
            ". Recomputed by the audit from each silo's signed record-level privacy-spent records"
                + " (q, z, steps).</p>");
    html.append(
        "<table id=\"privacy-record-table\"><thead><tr><th>Silo</th><th>Round</th><th>q</th>"
            + "<th>z</th><th>Steps</th><th>ε per record (cumulative)</th><th>δ</th>"
            + "<th>ε the silo wrote</th><th>Matches</th></tr></thead><tbody>");
    for (JsonNode silo : recordLevel.path("silos")) {
      String id = silo.path("siloId").asText();
      for (JsonNode round : silo.path("rounds")) {
        html.append("<tr><td>")
            .append(Html.escape(id))
            .append("</td><td class=\"num\">")
            .append(round.path("round").asLong())
            .append("</td><td class=\"num\">")
            .append(Html.escape(round.path("sampleRate").asText()))
            .append("</td><td class=\"num\">")
            .append(Html.escape(round.path("noiseMultiplier").asText()))
            .append("</td><td class=\"num\">")
            .append(round.path("steps").asLong())
            .append("</td>");
        figureCell(
            html,
            "epsilon-record-" + id + "-" + round.path("round").asLong(),
            round.path("epsilon"));
        recordedAndChecked(html, round);
      }
    }
    html.append("</tbody></table>");
  }

  private static void figureCell(StringBuilder html, String figure, JsonNode value) {
    html.append("<td class=\"num\" data-figure=\"")
        .append(Html.escape(figure))
        .append("\" data-value=\"")
        .append(Html.escape(value.asText()))
        .append("\">")
        .append(SvgChart.format(value.asDouble()))
        .append("</td>");
  }

  private static void metrics(StringBuilder html, JsonNode metrics) {
    html.append("<h2 id=\"metrics\">Accuracy and loss over rounds</h2><p>")
        .append(Html.escape(metrics.path("description").asText()))
        .append(".</p>");
    List<String> names = new ArrayList<>();
    for (JsonNode point : metrics.path("series")) {
      point
          .fieldNames()
          .forEachRemaining(
              name -> {
                if (!List.of("round", "modelAfterRound", "silos", "examples").contains(name)
                    && !names.contains(name)) {
                  names.add(name);
                }
              });
    }
    List<SvgChart.Series> series = new ArrayList<>();
    for (String name : names) {
      List<double[]> points = new ArrayList<>();
      for (JsonNode point : metrics.path("series")) {
        if (point.has(name)) {
          points.add(
              new double[] {point.path("modelAfterRound").asDouble(), point.path(name).asDouble()});
        }
      }
      series.add(new SvgChart.Series(name, false, points));
    }
    html.append(
        SvgChart.render(
            "metrics-chart",
            "Global model on the silos' held-out data",
            "global model after round",
            "mean over silos",
            series,
            names));
  }

  private static void refusals(StringBuilder html, JsonNode refusals) {
    html.append("<h2 id=\"refusals\">Refusals</h2>");
    JsonNode counts = refusals.path("countsByCategory");
    html.append(
            "<p>Rounds refused by silos: privacy floor <b data-figure=\"refusals-privacy-floor\" data-value=\"")
        .append(counts.path("privacy-floor").asInt())
        .append("\">")
        .append(counts.path("privacy-floor").asInt())
        .append("</b>, privacy budget <b data-figure=\"refusals-privacy-budget\" data-value=\"")
        .append(counts.path("privacy-budget").asInt())
        .append("\">")
        .append(counts.path("privacy-budget").asInt())
        .append("</b>, other <b>")
        .append(counts.path("other").asInt())
        .append("</b>.</p>");
    if (!refusals.path("rounds").isEmpty()) {
      html.append(
          "<table><thead><tr><th>Silo</th><th>Round</th><th>Category</th><th>Reason</th>"
              + "<th>Record</th></tr></thead><tbody>");
      for (JsonNode refusal : refusals.path("rounds")) {
        html.append("<tr><td>")
            .append(Html.escape(refusal.path("silo").asText()))
            .append("</td><td class=\"num\">")
            .append(refusal.path("round").asLong())
            .append("</td><td>")
            .append(Html.escape(refusal.path("category").asText()))
            .append("</td><td>")
            .append(Html.escape(refusal.path("reason").asText()))
            .append("</td><td class=\"hash\">")
            .append(Html.escape(refusal.path("record").asText()))
            .append("</td></tr>");
      }
      html.append("</tbody></table>");
    }
    html.append("<p>Revoked certificates in the CRL: ");
    if (refusals.path("revokedCertificates").isEmpty()) {
      html.append("none");
    }
    for (JsonNode revoked : refusals.path("revokedCertificates")) {
      html.append("<br>serial ")
          .append(Html.escape(revoked.path("serial").asText()))
          .append(" since ")
          .append(Html.escape(revoked.path("revokedAt").asText()))
          .append(
              revoked.path("participant").isNull()
                  ? ""
                  : " (" + Html.escape(revoked.path("participant").asText()) + ")");
    }
    html.append(".</p><p>Requests refused by the aggregator, by error code: ");
    JsonNode byCode = refusals.path("badInput").path("byCode");
    if (byCode.isEmpty()) {
      html.append("none");
    }
    String separator = "";
    for (var codes = byCode.fields(); codes.hasNext(); ) {
      var code = codes.next();
      html.append(separator)
          .append(Html.escape(code.getKey()))
          .append(" <b data-figure=\"refused-")
          .append(Html.escape(code.getKey()))
          .append("\" data-value=\"")
          .append(code.getValue().asLong())
          .append("\">")
          .append(code.getValue().asLong())
          .append("</b>");
      separator = ", ";
    }
    html.append(".</p><p class=\"muted\">")
        .append(Html.escape(refusals.path("badInput").path("note").asText()))
        .append(".</p>");
  }

  private static void controls(StringBuilder html, JsonNode controls) {
    html.append("<h2 id=\"controls\">Controls mapping (GDPR, HIPAA)</h2>");
    html.append(
        "<p class=\"muted\">What these records evidence for each control; whether the"
            + " control is met is the auditor's judgement.</p>");
    html.append(
        "<table><thead><tr><th>Control</th><th>Evidence in this run</th><th>Records</th>"
            + "<th>Status</th></tr></thead><tbody>");
    for (JsonNode control : controls) {
      boolean evidenced = control.path("status").asText().startsWith("evidenced");
      html.append("<tr><td><b>")
          .append(
              Html.escape(
                  control.path("framework").asText() + " " + control.path("reference").asText()))
          .append("</b><br>")
          .append(Html.escape(control.path("title").asText()))
          .append("</td><td>")
          .append(Html.escape(control.path("evidence").asText()))
          .append("</td><td>")
          .append(Html.escape(join(control.path("records"))))
          .append("</td><td class=\"")
          .append(evidenced ? "ok" : "fail")
          .append("\">")
          .append(Html.escape(control.path("status").asText()))
          .append("</td></tr>");
    }
    html.append("</tbody></table>");
  }

  private static void definitions(StringBuilder html, String id, String[][] rows) {
    html.append("<dl id=\"").append(id).append("\">");
    for (String[] row : rows) {
      html.append("<dt>")
          .append(Html.escape(row[0]))
          .append("</dt><dd>")
          .append(Html.escape(row[1]))
          .append("</dd>");
    }
    html.append("</dl>");
  }

  private static String join(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return String.join(", ", values);
  }

  private static String orNone(String text) {
    return text.isEmpty() ? "none" : text;
  }

  private static Iterable<Map.Entry<String, JsonNode>> properties(JsonNode node) {
    return node.properties();
  }

  /**
   * The cells that end a round's privacy row: δ, the ε the silo journaled, and whether they agree.
   */
  private static void recordedAndChecked(StringBuilder html, JsonNode round) {
    html.append("<td class=\"num\">")
        .append(round.path("delta").asText())
        .append("</td><td class=\"num\">")
        .append(Html.escape(round.path("recordedEpsilon").asText()))
        .append("</td><td class=\"")
        .append(round.path("matchesRecord").asBoolean() ? "ok\">yes" : "fail\">NO")
        .append("</td></tr>");
  }
}
