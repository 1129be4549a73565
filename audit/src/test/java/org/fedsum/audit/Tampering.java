package org.fedsum.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.protocol.journal.JournalRecord;
import org.fedsum.protocol.journal.JournalWriter;

/** The tamperings the audit must detect, applied to copies of a journal's lines. */
final class Tampering {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SIG = Pattern.compile(",\"sig\":\"([A-Za-z0-9+/=]+)\"");

  private Tampering() {}

  /** The 0-based index of the first line whose record has {@code type}. */
  static int indexOf(List<String> lines, String type) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("\"type\":\"" + type + "\"")) {
        return i;
      }
    }
    throw new AssertionError("no " + type + " record");
  }

  /** Replaces the character at {@code column} of line {@code index} with a different one. */
  static List<String> flipByte(List<String> lines, int index, int column) {
    List<String> copy = new ArrayList<>(lines);
    String line = copy.get(index);
    char original = line.charAt(column);
    char replacement = original == '0' ? '1' : original == 'a' ? 'b' : '0';
    copy.set(index, line.substring(0, column) + replacement + line.substring(column + 1));
    return copy;
  }

  static List<String> remove(List<String> lines, int index) {
    List<String> copy = new ArrayList<>(lines);
    copy.remove(index);
    return copy;
  }

  static List<String> swap(List<String> lines, int index) {
    List<String> copy = new ArrayList<>(lines);
    copy.set(index, lines.get(index + 1));
    copy.set(index + 1, lines.get(index));
    return copy;
  }

  static List<String> insert(List<String> lines, int index, String line) {
    List<String> copy = new ArrayList<>(lines);
    copy.add(index, line);
    return copy;
  }

  /**
   * Line {@code index} with its signature replaced by {@code key}'s over the same signed bytes: the
   * record's canonical line without its {@code sig} member, after the journal's context prefix.
   */
  static List<String> resign(List<String> lines, int index, EcdsaP256SigningKey key) {
    List<String> copy = new ArrayList<>(lines);
    String line = copy.get(index);
    Matcher matcher = SIG.matcher(line);
    if (!matcher.find()) {
      throw new AssertionError("no sig in " + line);
    }
    String unsigned = line.substring(0, matcher.start()) + line.substring(matcher.end());
    byte[] signature =
        key.sign((JournalRecord.SIGNATURE_CONTEXT + unsigned).getBytes(StandardCharsets.UTF_8));
    copy.set(
        index,
        line.substring(0, matcher.start(1))
            + Base64.getEncoder().encodeToString(signature)
            + line.substring(matcher.end(1)));
    return copy;
  }

  /**
   * The journal written again, record by record, by {@code writer} with {@code key}, with {@code
   * edit} applied to each record (as JSON) first: what a party holding a certificate key can forge.
   */
  static List<String> rewrite(
      List<String> lines,
      String federationId,
      SiteIdentity writer,
      X509Certificate certificate,
      EcdsaP256SigningKey key,
      UnaryOperator<JsonNode> edit)
      throws Exception {
    List<String> out = new ArrayList<>();
    JournalWriter journal = null;
    for (String line : lines) {
      JsonNode record = edit.apply(JSON.readTree(line));
      Instant time = Instant.parse(record.path("time").asText());
      if (record.path("type").asText().equals(JournalRecord.OPENING_TYPE)) {
        JournalWriter.Opened opened =
            JournalWriter.open(federationId, writer, certificate, key, time);
        journal = opened.writer();
        out.add(opened.line());
        continue;
      }
      Map<String, Object> body = new LinkedHashMap<>();
      record.path("body").properties().forEach(entry -> body.put(entry.getKey(), entry.getValue()));
      out.add(journal.append(record.path("type").asText(), body, time));
    }
    return out;
  }
}
