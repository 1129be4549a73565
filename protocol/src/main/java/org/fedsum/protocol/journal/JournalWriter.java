package org.fedsum.protocol.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.EcdsaP256VerifyingKey;
import org.fedsum.crypto.SiteIdentity;

/**
 * Writes one party's journal (DESIGN.md §7): each call returns the next record's canonical line,
 * chained to the previous one and signed with the writer's certificate key (format in {@link
 * JournalRecord}). The caller writes the line, a line feed after it, and syncs the file before
 * acting on what the record says; this class does no I/O and reads no clock.
 *
 * <p><b>No secrets</b>: bodies are refused, with an {@link IllegalArgumentException} naming the
 * path of the value, if they hold a type that can carry secret or unencoded bytes ({@code
 * SecretBytes}, {@code byte[]}, {@code char[]}, binary or Java-object JSON nodes), any other
 * non-JSON Java type, a string containing a PEM private key, or a non-integral number (callers
 * write such numbers as strings, e.g. {@code "0.25"}; the journal holds integers only so that every
 * record has a single encoding).
 *
 * <p><b>Not thread-safe</b>: one thread appends and writes, or callers hold one lock over both
 * {@link #append} and the write of the line it returned, so lines reach the file in seq order. If
 * writing a line fails, discard this writer and {@link #resume} from what the file holds.
 */
public final class JournalWriter {
  private final String federationId;
  private final SiteIdentity writer;
  private final EcdsaP256SigningKey key;
  private final Instant notBefore;
  private final Instant notAfter;
  private long nextSeq;
  private String previousHash;

  private JournalWriter(
      String federationId,
      SiteIdentity writer,
      X509Certificate certificate,
      EcdsaP256SigningKey key,
      long nextSeq,
      String previousHash) {
    this.federationId = federationId;
    this.writer = writer;
    this.key = key;
    this.notBefore = certificate.getNotBefore().toInstant();
    this.notAfter = certificate.getNotAfter().toInstant();
    this.nextSeq = nextSeq;
    this.previousHash = previousHash;
  }

  /**
   * A new writer and its journal's first line.
   *
   * @param writer the writer that appends after the first line
   * @param line the first line to write: the {@code journal-opened} record, carrying the
   *     certificate, the federation id and the role
   */
  public record Opened(JournalWriter writer, String line) {
    /** Checks that neither part is null. */
    public Opened {
      Objects.requireNonNull(writer, "writer");
      Objects.requireNonNull(line, "line");
    }
  }

  /**
   * Starts a journal: the first record ({@code seq} 0, type {@code journal-opened}) carries {@code
   * certificate}, whose key verifies every record after it. The certificate is not judged against
   * the federation CA here; an auditor does that with {@link JournalVerifier}.
   *
   * @throws IllegalArgumentException if the federation id is malformed, {@code key} is not the
   *     certificate's key, the certificate does not name {@code writer} as its single {@code
   *     urn:fedsum:} SAN URI, or {@code time} is outside the certificate's validity
   */
  public static Opened open(
      String federationId,
      SiteIdentity writer,
      X509Certificate certificate,
      EcdsaP256SigningKey key,
      Instant time) {
    Objects.requireNonNull(federationId, "federationId");
    Objects.requireNonNull(writer, "writer");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(time, "time");
    if (!SiteIdentity.isValidSiteId(federationId)) {
      throw new IllegalArgumentException(
          "federation id must match [a-z0-9][a-z0-9._-]{0,62}, not "
              + CanonicalJson.quote(federationId));
    }
    requireKeyOf(certificate, key);
    SiteIdentity named;
    try {
      named = OpeningBody.identityOf(certificate);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "the certificate does not name the writer: " + e.getMessage(), e);
    }
    if (!named.equals(writer)) {
      throw new IllegalArgumentException(
          "the certificate is for " + named.uri() + ", not for the writer " + writer.uri());
    }
    JournalWriter journal =
        new JournalWriter(federationId, writer, certificate, key, 0, JournalRecord.GENESIS_PREV);
    ObjectNode body = new OpeningBody(certificate, federationId, writer.role()).toJson();
    return new Opened(journal, journal.sign(JournalRecord.OPENING_TYPE, body, time));
  }

  /**
   * Continues a journal after a restart: checks {@code existingLines} (a whole journal, after
   * {@link JournalLines#recover}) and returns a writer whose next record follows the last line.
   *
   * <p>Checked: every line's structure and canonical encoding, the seq numbering, the hash chain,
   * the writer named in every record, record times within the certificate's validity, the
   * signatures of the first and the last record (the last one covers the chain before it), and that
   * {@code key} is the key of the certificate in the opening record. Not checked: the certificate
   * against the federation CA, which is the auditor's job.
   *
   * @throws GeneralSecurityException naming the first line at fault, or if {@code key} is not the
   *     opening certificate's key
   * @throws IllegalArgumentException if {@code existingLines} is empty (use {@link #open})
   */
  public static JournalWriter resume(List<String> existingLines, EcdsaP256SigningKey key)
      throws GeneralSecurityException {
    Objects.requireNonNull(existingLines, "existingLines");
    Objects.requireNonNull(key, "key");
    if (existingLines.isEmpty()) {
      throw new IllegalArgumentException("there is no journal to resume; open a new one");
    }
    JournalVerification existing =
        JournalVerifier.check(
            existingLines, null, null, JournalVerifier.SignaturePolicy.OPENING_AND_LAST);
    if (existing.problem().isPresent()) {
      JournalProblem problem = existing.problem().get();
      String advice =
          problem.kind() == JournalProblem.Kind.TRUNCATED
                  && problem.lineNumber() == existingLines.size()
              ? " (a crash artefact: apply JournalLines.recover first)"
              : "";
      throw new GeneralSecurityException("cannot resume the journal: " + problem + advice);
    }
    X509Certificate certificate = existing.writerCertificate().orElseThrow();
    EcdsaP256VerifyingKey certificateKey = EcdsaP256VerifyingKey.fromCertificate(certificate);
    if (!certificateKey.equals(key.verifyingKey())) {
      throw new InvalidKeyException(
          "the signing key does not match the certificate of "
              + existing.writer().orElseThrow().uri()
              + " that opened the journal (sha256:"
              + JournalVerifier.abbreviate(certificateKey.fingerprint())
              + ")");
    }
    List<JournalRecord> records = existing.verifiedRecords();
    return new JournalWriter(
        existing.federationId().orElseThrow(),
        existing.writer().orElseThrow(),
        certificate,
        key,
        records.size(),
        existing.headHash().orElseThrow());
  }

  /**
   * Appends a record whose body is given as Java values: {@code null}, {@link String}, {@link
   * Boolean}, {@link Byte}, {@link Short}, {@link Integer}, {@link Long}, {@link Map} with string
   * keys, {@link List} and Jackson {@link com.fasterxml.jackson.databind.JsonNode}s, nested at most
   * 32 levels deep (the body itself is the first). The body is copied.
   *
   * @return the record's canonical line, to be written as the journal's next line
   * @throws IllegalArgumentException if {@code type} does not match {@code [a-z][a-z0-9-]{0,63}} or
   *     is {@code journal-opened}, the body holds a refused value (see the class comment), the line
   *     would exceed 1 MiB, or {@code time} is outside the writer's certificate validity
   */
  public String append(String type, Map<String, ?> body, Instant time) {
    Objects.requireNonNull(body, "body");
    return appendChecked(type, CanonicalJson.fromMap(body, JournalRecord.BODY), time);
  }

  /**
   * As {@link #append(String, Map, Instant)}, with the body as a Jackson object (copied; checked
   * like a map body: binary, POJO and non-integral number nodes are refused).
   */
  public String append(String type, ObjectNode body, Instant time) {
    Objects.requireNonNull(body, "body");
    // Checked before copying: the check is bounded in depth, a deep copy of a cyclic node is not.
    String violation = CanonicalJson.violation(body, JournalRecord.BODY, 0, true);
    if (violation != null) {
      throw new IllegalArgumentException(violation);
    }
    return appendChecked(type, body.deepCopy(), time);
  }

  /** The writer's identity. */
  public SiteIdentity writer() {
    return writer;
  }

  /** The federation this journal belongs to. */
  public String federationId() {
    return federationId;
  }

  /** The seq the next appended record gets. */
  public long nextSeq() {
    return nextSeq;
  }

  /** Hex SHA-256 of the last line returned: the next record's prev. */
  public String headHash() {
    return previousHash;
  }

  /** Writer, federation and position; never key material. */
  @Override
  public String toString() {
    return "JournalWriter[" + writer.uri() + " in " + federationId + ", next seq " + nextSeq + "]";
  }

  private String appendChecked(String type, ObjectNode body, Instant time) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(time, "time");
    if (!JournalRecord.TYPE.matcher(type).matches()) {
      throw new IllegalArgumentException(
          "record type must match [a-z][a-z0-9-]{0,63}, not " + CanonicalJson.quote(type));
    }
    if (type.equals(JournalRecord.OPENING_TYPE)) {
      throw new IllegalArgumentException(
          "only the first record is of type " + JournalRecord.OPENING_TYPE);
    }
    String violation = CanonicalJson.violation(body, JournalRecord.BODY, 0, true);
    if (violation != null) {
      throw new IllegalArgumentException(violation);
    }
    return sign(type, body, time);
  }

  private String sign(String type, ObjectNode body, Instant time) {
    if (time.isBefore(notBefore) || time.isAfter(notAfter)) {
      throw new IllegalArgumentException(
          "record time "
              + time
              + " is outside the writer's certificate validity ("
              + notBefore
              + " to "
              + notAfter
              + "); a journal is written with one certificate, open a new one after renewal");
    }
    ObjectNode unsigned =
        JournalRecord.unsigned(nextSeq, time, writer.siteId(), type, body, previousHash);
    String unsignedCanonical = CanonicalJson.encode(unsigned);
    JournalRecord record =
        JournalRecord.signed(
            unsigned, unsignedCanonical, key.sign(JournalRecord.signedBytes(unsignedCanonical)));
    if (record.line().length() > CanonicalJson.MAX_LINE_CHARS) {
      throw new IllegalArgumentException(
          "the record would be "
              + record.line().length()
              + " characters long, more than the "
              + CanonicalJson.MAX_LINE_CHARS
              + " a journal line may have");
    }
    nextSeq++;
    previousHash = record.hash();
    return record.line();
  }

  private static void requireKeyOf(X509Certificate certificate, EcdsaP256SigningKey key) {
    EcdsaP256VerifyingKey certificateKey;
    try {
      certificateKey = EcdsaP256VerifyingKey.fromCertificate(certificate);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "the certificate does not hold an ECDSA P-256 key: " + e.getMessage(), e);
    }
    if (!certificateKey.equals(key.verifyingKey())) {
      throw new IllegalArgumentException(
          "the signing key does not match the certificate's key (sha256:"
              + JournalVerifier.abbreviate(certificateKey.fingerprint())
              + ")");
    }
  }
}
