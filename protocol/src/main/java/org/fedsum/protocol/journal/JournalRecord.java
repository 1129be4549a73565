package org.fedsum.protocol.journal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.fedsum.crypto.SiteIdentity;

/**
 * One journal record, as read from or written to one line (DESIGN.md §7).
 *
 * <p>A record is a JSON object in the canonical encoding of RFC 8785 as restricted here (members
 * sorted by key at every level, no whitespace, UTF-8, integers only) with exactly these members:
 *
 * <ul>
 *   <li>{@code seq}: 0 for the first record, then 1, 2, … without gaps;
 *   <li>{@code time}: the writer's claimed time, an ISO-8601 UTC instant as {@link
 *       Instant#toString} writes it (e.g. {@code 2025-01-31T12:00:00Z});
 *   <li>{@code writer}: the writer's site id;
 *   <li>{@code type}: {@code [a-z][a-z0-9-]{0,63}}; {@code journal-opened} for seq 0 and only
 *       there;
 *   <li>{@code body}: a JSON object of strings, integers (Java {@code long} range), booleans,
 *       nulls, arrays and objects, at most 32 levels deep. Non-integral numbers are written as
 *       strings;
 *   <li>{@code prev}: lower-case hex SHA-256 of the previous record's line, 64 zeros for seq 0;
 *   <li>{@code sig}: base64 (RFC 4648 §4, padded) of the writer's DER ECDSA P-256 signature (RFC
 *       3279 §2.2.3) over the UTF-8 bytes of {@value #SIGNATURE_CONTEXT} followed by the canonical
 *       encoding of the record without its {@code sig} member.
 * </ul>
 *
 * <p>The context prefix separates journal signatures from every other signature the same
 * certificate key makes (round messages, consistency checks): no journal signature can be replayed
 * as one of those, nor the reverse. A record's {@link #hash()} is SHA-256 of its whole line,
 * signature included, so the chain also fixes each signature's bytes.
 */
public final class JournalRecord {
  /** The type of the first record, which carries the writer's certificate. */
  public static final String OPENING_TYPE = "journal-opened";

  /** What every record signature is computed over, before the record itself; ends in a newline. */
  public static final String SIGNATURE_CONTEXT = "fedsum-journal-record-v1\n";

  static final String GENESIS_PREV = "0".repeat(64);
  static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  static final String SEQ = "seq";
  static final String TIME = "time";
  static final String WRITER = "writer";
  static final String TYPE_FIELD = "type";
  static final String BODY = "body";
  static final String PREV = "prev";
  static final String SIG = "sig";
  private static final Set<String> FIELDS = Set.of(SEQ, TIME, WRITER, TYPE_FIELD, BODY, PREV, SIG);
  private static final List<String> FIELD_ORDER = List.copyOf(new TreeSet<>(FIELDS));

  private static final Pattern HASH_HEX = Pattern.compile("[0-9a-f]{64}");
  // A DER ECDSA P-256 signature is at most 72 bytes (RFC 3279 §2.2.3 with two 33-byte integers).
  private static final int MAX_SIGNATURE_BYTES = 72;

  private final long seq;
  private final Instant time;
  private final String writer;
  private final String type;
  private final ObjectNode body;
  private final String prev;
  private final byte[] signature;
  private final String line;
  private final String signedEncoding;
  private final String hash;

  private JournalRecord(
      long seq,
      Instant time,
      String writer,
      String type,
      ObjectNode body,
      String prev,
      byte[] signature,
      String line,
      String signedEncoding) {
    this.seq = seq;
    this.time = time;
    this.writer = writer;
    this.type = type;
    this.body = body;
    this.prev = prev;
    this.signature = signature;
    this.line = line;
    this.signedEncoding = signedEncoding;
    this.hash = sha256Hex(line);
  }

  /** The record's position: 0 for the opening record. */
  public long seq() {
    return seq;
  }

  /** The time the writer claims for the record. */
  public Instant time() {
    return time;
  }

  /** The writer's site id. */
  public String writer() {
    return writer;
  }

  /** The record type, e.g. {@code journal-opened} or {@code round-started}. */
  public String type() {
    return type;
  }

  /** The record's body; a fresh deep copy, so changing it changes nothing here. */
  public ObjectNode body() {
    return body.deepCopy();
  }

  /** Lower-case hex SHA-256 of the previous record's line; 64 zeros for seq 0. */
  public String prev() {
    return prev;
  }

  /** The DER signature; a fresh copy. */
  public byte[] signature() {
    return signature.clone();
  }

  /** The record's canonical line, without a line terminator. */
  public String line() {
    return line;
  }

  /** Lower-case hex SHA-256 of the UTF-8 {@link #line()}: what the next record's prev must be. */
  public String hash() {
    return hash;
  }

  /** The exact bytes the signature is over: the context prefix, then the record without sig. */
  byte[] signedBytes() {
    return signedBytes(signedEncoding);
  }

  /** {@code seq <n> (<type>)}; the body is left out, as it may be large. */
  @Override
  public String toString() {
    return "JournalRecord[seq " + seq + " (" + type + ") by " + writer + " at " + time + "]";
  }

  /** The record without {@code sig}, as a JSON object (not yet canonically encoded). */
  static ObjectNode unsigned(
      long seq, Instant time, String writer, String type, ObjectNode body, String prev) {
    ObjectNode record = CanonicalJson.newObject();
    record.put(SEQ, seq);
    record.put(TIME, time.toString());
    record.put(WRITER, writer);
    record.put(TYPE_FIELD, type);
    record.set(BODY, body);
    record.put(PREV, prev);
    return record;
  }

  static byte[] signedBytes(String unsignedCanonical) {
    return (SIGNATURE_CONTEXT + unsignedCanonical).getBytes(StandardCharsets.UTF_8);
  }

  /** Assembles a record the writer just signed; its parts are already validated. */
  static JournalRecord signed(ObjectNode unsigned, String unsignedCanonical, byte[] signature) {
    ObjectNode complete = unsigned.deepCopy();
    complete.put(SIG, Base64.getEncoder().encodeToString(signature));
    String line = CanonicalJson.encode(complete);
    return new JournalRecord(
        unsigned.get(SEQ).longValue(),
        Instant.parse(unsigned.get(TIME).textValue()),
        unsigned.get(WRITER).textValue(),
        unsigned.get(TYPE_FIELD).textValue(),
        ((ObjectNode) unsigned.get(BODY)).deepCopy(),
        unsigned.get(PREV).textValue(),
        signature.clone(),
        line,
        unsignedCanonical);
  }

  /**
   * Reads one line as a record, checking its structure and canonical encoding but neither its place
   * in the chain nor its signature.
   *
   * @throws RecordFault naming the first thing wrong, with seq and type when they could be read
   */
  static JournalRecord parse(String line) throws RecordFault {
    Objects.requireNonNull(line, "line");
    if (line.isEmpty()) {
      throw new RecordFault(JournalProblem.Kind.MALFORMED, null, null, "is empty");
    }
    if (line.length() > CanonicalJson.MAX_LINE_CHARS) {
      throw new RecordFault(
          JournalProblem.Kind.MALFORMED,
          null,
          null,
          "is "
              + line.length()
              + " characters long, more than the "
              + CanonicalJson.MAX_LINE_CHARS
              + " a record may have");
    }
    JsonNode node = readSingleValue(line);
    if (!node.isObject()) {
      throw new RecordFault(
          JournalProblem.Kind.MALFORMED, null, null, "is JSON but not a JSON object");
    }
    // Read seq and type leniently first, so that every later fault can be located by them.
    Long seq = readSeq(node);
    String type = readType(node);
    for (String field : FIELD_ORDER) {
      if (!node.has(field)) {
        throw new RecordFault(
            JournalProblem.Kind.MALFORMED, seq, type, "has no " + field + " field");
      }
    }
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      if (!FIELDS.contains(field.getKey())) {
        throw new RecordFault(
            JournalProblem.Kind.MALFORMED,
            seq,
            type,
            "has an unknown field " + CanonicalJson.quote(field.getKey()));
      }
    }
    if (seq == null) {
      throw new RecordFault(
          JournalProblem.Kind.MALFORMED, null, type, "seq is not a non-negative integer");
    }
    if (type == null) {
      throw new RecordFault(
          JournalProblem.Kind.MALFORMED,
          seq,
          null,
          "type is not a string matching [a-z][a-z0-9-]{0,63}: " + describe(node.get(TYPE_FIELD)));
    }
    Instant time = readTime(node.get(TIME), seq, type);
    JsonNode writer = node.get(WRITER);
    if (!writer.isTextual() || !SiteIdentity.isValidSiteId(writer.textValue())) {
      throw new RecordFault(
          JournalProblem.Kind.MALFORMED, seq, type, "writer is not a site id: " + describe(writer));
    }
    JsonNode body = node.get(BODY);
    if (!body.isObject()) {
      throw new RecordFault(
          JournalProblem.Kind.MALFORMED, seq, type, "body is not a JSON object: " + describe(body));
    }
    JsonNode prev = node.get(PREV);
    if (!prev.isTextual() || !HASH_HEX.matcher(prev.textValue()).matches()) {
      throw new RecordFault(
          JournalProblem.Kind.MALFORMED,
          seq,
          type,
          "prev is not 64 lower-case hex digits: " + describe(prev));
    }
    byte[] signature = readSignature(node.get(SIG), seq, type);
    String violation = CanonicalJson.violation(body, BODY, 0, false);
    if (violation != null) {
      throw new RecordFault(JournalProblem.Kind.MALFORMED, seq, type, violation);
    }
    String canonical = CanonicalJson.encode(node);
    if (!canonical.equals(line)) {
      throw new RecordFault(
          JournalProblem.Kind.NOT_CANONICAL, seq, type, nonCanonical(line, canonical));
    }
    ObjectNode unsigned = ((ObjectNode) node).deepCopy();
    unsigned.remove(SIG);
    return new JournalRecord(
        seq,
        time,
        writer.textValue(),
        type,
        ((ObjectNode) body).deepCopy(),
        prev.textValue(),
        signature,
        line,
        CanonicalJson.encode(unsigned));
  }

  /** The seq a line claims, or null if it has none that can be read; for locating records. */
  static Long peekSeq(String line) {
    if (line.isEmpty() || line.length() > CanonicalJson.MAX_LINE_CHARS) {
      return null;
    }
    try {
      JsonNode node = readSingleValue(line);
      return node.isObject() ? readSeq(node) : null;
    } catch (RecordFault e) {
      return null;
    }
  }

  private static JsonNode readSingleValue(String line) throws RecordFault {
    try (JsonParser parser = CanonicalJson.parser(line)) {
      JsonNode node;
      try {
        node = parser.readValueAsTree();
      } catch (JsonProcessingException e) {
        if (JsonPrefix.scan(line) == JsonPrefix.Result.INCOMPLETE) {
          throw new RecordFault(
              JournalProblem.Kind.TRUNCATED,
              null,
              null,
              "ends before its JSON object does: a record cut short");
        }
        int invalid = JsonPrefix.firstInvalidIndex(line);
        if (invalid >= 0) {
          throw new RecordFault(
              JournalProblem.Kind.MALFORMED,
              null,
              null,
              "is not valid JSON (unexpected character at column " + (invalid + 1) + ")");
        }
        // Grammatical JSON that the strict parser still refuses: a duplicate key, too deep.
        throw new RecordFault(
            JournalProblem.Kind.MALFORMED,
            null,
            null,
            "is refused by the strict JSON parser: " + bounded(e.getOriginalMessage()));
      }
      if (node == null) {
        throw new RecordFault(JournalProblem.Kind.MALFORMED, null, null, "holds only whitespace");
      }
      long end = parser.currentLocation().getCharOffset();
      boolean trailing;
      try {
        trailing = parser.nextToken() != null;
      } catch (JsonProcessingException e) {
        trailing = true;
      }
      if (trailing) {
        throw new RecordFault(
            JournalProblem.Kind.MALFORMED,
            null,
            null,
            "has text after its JSON object (from column " + (end + 1) + ")");
      }
      return node;
    } catch (IOException e) {
      // A parser over a String holds nothing that can fail to close.
      throw new IllegalStateException("bug: I/O error reading a string", e);
    }
  }

  private static Long readSeq(JsonNode node) {
    JsonNode seq = node.get(SEQ);
    if (seq == null || !seq.isIntegralNumber() || !seq.canConvertToLong() || seq.longValue() < 0) {
      return null;
    }
    return seq.longValue();
  }

  private static String readType(JsonNode node) {
    JsonNode type = node.get(TYPE_FIELD);
    if (type == null || !type.isTextual() || !TYPE.matcher(type.textValue()).matches()) {
      return null;
    }
    return type.textValue();
  }

  private static Instant readTime(JsonNode time, Long seq, String type) throws RecordFault {
    if (time.isTextual()) {
      try {
        Instant instant = Instant.parse(time.textValue());
        if (instant.toString().equals(time.textValue())) {
          return instant;
        }
      } catch (DateTimeException e) {
        // Reported below with the value.
      }
    }
    throw new RecordFault(
        JournalProblem.Kind.MALFORMED,
        seq,
        type,
        "time is not an ISO-8601 UTC instant as written by the journal (e.g."
            + " 2025-01-31T12:00:00Z): "
            + describe(time));
  }

  private static byte[] readSignature(JsonNode sig, Long seq, String type) throws RecordFault {
    if (sig.isTextual()) {
      try {
        byte[] signature = Base64.getDecoder().decode(sig.textValue());
        // Base64 leaves slack in the last character's unused bits: only one spelling is canonical.
        if (signature.length > 0
            && signature.length <= MAX_SIGNATURE_BYTES
            && Base64.getEncoder().encodeToString(signature).equals(sig.textValue())) {
          return signature;
        }
      } catch (IllegalArgumentException e) {
        // Reported below.
      }
    }
    throw new RecordFault(
        JournalProblem.Kind.MALFORMED,
        seq,
        type,
        "sig is not the canonical padded base64 of a signature of 1 to "
            + MAX_SIGNATURE_BYTES
            + " bytes");
  }

  private static String nonCanonical(String line, String canonical) {
    int at = 0;
    int shorter = Math.min(line.length(), canonical.length());
    while (at < shorter && line.charAt(at) == canonical.charAt(at)) {
      at++;
    }
    return "is not in canonical encoding: re-serialised, it differs from column "
        + (at + 1)
        + " on (the line has "
        + CanonicalJson.quote(excerpt(line, at))
        + ", canonical is "
        + CanonicalJson.quote(excerpt(canonical, at))
        + ")";
  }

  private static String bounded(String message) {
    return message.length() <= 160 ? message : message.substring(0, 160) + "...";
  }

  private static String excerpt(String text, int from) {
    return text.substring(from, Math.min(text.length(), from + 24));
  }

  private static String describe(JsonNode value) {
    if (value.isTextual()) {
      return CanonicalJson.quote(value.textValue());
    }
    return "a JSON " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  static String sha256Hex(String line) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
  }

  /** Why a line is not a well-formed record; becomes a {@link JournalProblem} with its line. */
  static final class RecordFault extends Exception {
    private static final long serialVersionUID = 1L;

    private final JournalProblem.Kind kind;
    private final Long seq;
    private final String type;

    RecordFault(JournalProblem.Kind kind, Long seq, String type, String detail) {
      super(detail, null, false, false);
      this.kind = kind;
      this.seq = seq;
      this.type = type;
    }

    JournalProblem.Kind kind() {
      return kind;
    }

    JournalProblem at(int lineNumber) {
      return new JournalProblem(kind, lineNumber, seq, type, getMessage());
    }
  }
}
