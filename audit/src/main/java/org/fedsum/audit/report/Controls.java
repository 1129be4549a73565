package org.fedsum.audit.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The report's mapping of journal records to the controls auditors ask about. It states what the
 * records evidence, never that a control is met: that judgement is the auditor's, and a report of
 * journals that do not verify evidences nothing.
 */
final class Controls {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Control(
      String framework, String reference, String title, String evidence, List<String> records) {}

  private static final List<Control> CONTROLS =
      List.of(
          new Control(
              "GDPR",
              "Art. 5(1)(c)",
              "Data minimisation",
              "Silos send only clipped, noised, quantized and masked model updates; the aggregator"
                  + " learns only the sum of at least minSurvivors silos. Journals hold SHA-256"
                  + " digests of what was sent, never data, updates, keys, seeds or shares.",
              List.of("message-accepted", "round-outcome", "local-update")),
          new Control(
              "GDPR",
              "Art. 25",
              "Data protection by design and by default",
              "Secure aggregation threshold and minimum survivors per round; each silo's own"
                  + " privacy floor and ε budgets (silo-level and record-level), enforced by the"
                  + " silo, with its refusals; DP noise added before masking, and DP-SGD at each"
                  + " silo when the run protects records.",
              List.of("round-started", "silo-configured", "round-agreed", "round-refused")),
          new Control(
              "GDPR",
              "Art. 30",
              "Records of processing activities",
              "Append-only, hash-chained journals signed by each party: which run and model, which"
                  + " silos took part in which round and stage, when, and what each published.",
              List.of("journal-opened", "round-started", "stage-closed", "round-finished")),
          new Control(
              "GDPR",
              "Art. 32",
              "Security of processing",
              "Mutual TLS 1.3 with certificates from the federation CA and its CRL; every"
                  + " key-exchange message and journal record signed (ECDSA P-256); shares"
                  + " encrypted with AES-256-GCM; the verification result of this report.",
              List.of("journal-opened", "message-accepted")),
          new Control(
              "GDPR",
              "Art. 35",
              "Data protection impact assessment",
              "The inputs a DPIA needs: the privacy unit, ε per silo under two accountants at the"
                  + " silo's δ, record-level ε per silo (DP-SGD) when the run protects records,"
                  + " noise and clipping parameters, the collusion assumptions (threshold,"
                  + " security model), dropouts per stage and refusals.",
              List.of("privacy-spent", "round-started", "round-finished", "round-refused")),
          new Control(
              "HIPAA",
              "§164.312(b)",
              "Audit controls",
              "Tamper-evident journals on both sides: each record signed by its writer and chained"
                  + " to the previous one; this audit verifies them offline against the federation"
                  + " CA and cross-checks each silo's journal against the aggregator's.",
              List.of("all records")),
          new Control(
              "HIPAA",
              "§164.312(e)(1)",
              "Transmission security",
              "All traffic over TLS 1.3 with client certificates (integrity and encryption in"
                  + " transit); silos open outbound connections only; message digests on both sides"
                  + " show what crossed the wire was not altered.",
              List.of("message-accepted", "round-outcome")));

  private Controls() {}

  static ArrayNode mapping(boolean verified) {
    ArrayNode array = JSON.createArrayNode();
    for (Control control : CONTROLS) {
      ObjectNode node = array.addObject();
      node.put("framework", control.framework());
      node.put("reference", control.reference());
      node.put("title", control.title());
      node.put("evidence", control.evidence());
      ArrayNode records = node.putArray("records");
      control.records().forEach(records::add);
      node.put(
          "status",
          verified
              ? "evidenced by verified journals"
              : "NOT evidenced: the journals did not verify (see the verification section)");
    }
    return array;
  }
}
