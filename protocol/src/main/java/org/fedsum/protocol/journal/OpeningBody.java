package org.fedsum.protocol.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.journal.JournalRecord.RecordFault;

/**
 * The body of the {@code journal-opened} record: {@code certificate} (base64 DER of the writer's
 * X.509 certificate, whose key signs every record of the journal), {@code federationId}, {@code
 * role} (the writer's role, as in its identity URI) and {@code format} ({@value #FORMAT_V1}).
 */
record OpeningBody(X509Certificate certificate, String federationId, SiteRole role) {
  static final String FORMAT_V1 = "fedsum-journal-v1";

  private static final String CERTIFICATE = "certificate";
  private static final String FEDERATION_ID = "federationId";
  private static final String ROLE = "role";
  private static final String FORMAT = "format";
  private static final Set<String> FIELDS = Set.of(CERTIFICATE, FEDERATION_ID, ROLE, FORMAT);
  private static final int SAN_URI = 6;

  /** The body as JSON. */
  ObjectNode toJson() {
    ObjectNode body = CanonicalJson.newObject();
    try {
      body.put(CERTIFICATE, Base64.getEncoder().encodeToString(certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate has no DER encoding", e);
    }
    body.put(FEDERATION_ID, federationId);
    body.put(ROLE, role.uriSegment());
    body.put(FORMAT, FORMAT_V1);
    return body;
  }

  /**
   * Reads the body of an opening record.
   *
   * @throws RecordFault (kind OPENING) naming the first missing, unknown or malformed member
   */
  static OpeningBody read(JournalRecord record) throws RecordFault {
    JsonNode body = record.body();
    for (Map.Entry<String, JsonNode> field : body.properties()) {
      if (!FIELDS.contains(field.getKey())) {
        throw fault(record, "body has an unknown field " + CanonicalJson.quote(field.getKey()));
      }
    }
    String format = text(record, body, FORMAT);
    if (!format.equals(FORMAT_V1)) {
      throw fault(
          record,
          "journal format "
              + CanonicalJson.quote(format)
              + " is not supported (only "
              + FORMAT_V1
              + ")");
    }
    String federationId = text(record, body, FEDERATION_ID);
    if (!SiteIdentity.isValidSiteId(federationId)) {
      throw fault(
          record, "body.federationId is not a federation id: " + CanonicalJson.quote(federationId));
    }
    String roleSegment = text(record, body, ROLE);
    SiteRole role = null;
    for (SiteRole candidate : SiteRole.values()) {
      if (candidate.uriSegment().equals(roleSegment)) {
        role = candidate;
      }
    }
    if (role == null) {
      throw fault(record, "body.role is not a known role: " + CanonicalJson.quote(roleSegment));
    }
    return new OpeningBody(
        decodeCertificate(record, text(record, body, CERTIFICATE)), federationId, role);
  }

  /**
   * The identity named by the certificate's single {@code urn:fedsum:} SAN URI, read without
   * judging the certificate (that is {@link org.fedsum.crypto.FederationTrust}'s job).
   *
   * @throws GeneralSecurityException if there is not exactly one such URI
   */
  static SiteIdentity identityOf(X509Certificate certificate) throws GeneralSecurityException {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new CertificateException("certificate has an unreadable SAN extension", e);
    }
    List<String> uris = new ArrayList<>();
    if (names != null) {
      for (List<?> name : names) {
        if (name.size() == 2
            && Integer.valueOf(SAN_URI).equals(name.get(0))
            && name.get(1) instanceof String uri) {
          uris.add(uri);
        }
      }
    }
    if (uris.size() != 1) {
      throw new CertificateException(
          "certificate has "
              + uris.size()
              + " SAN URIs, expected exactly one urn:fedsum:<role>:<id>");
    }
    return SiteIdentity.fromUri(uris.get(0));
  }

  private static X509Certificate decodeCertificate(JournalRecord record, String base64)
      throws RecordFault {
    byte[] der;
    try {
      der = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw fault(record, "body.certificate is not base64");
    }
    if (!Base64.getEncoder().encodeToString(der).equals(base64)) {
      throw fault(record, "body.certificate is not canonical padded base64");
    }
    try {
      X509Certificate certificate =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(der));
      // The factory stops after one certificate; comparing catches appended bytes.
      if (!Arrays.equals(certificate.getEncoded(), der)) {
        throw fault(record, "body.certificate has bytes after the DER certificate");
      }
      return certificate;
    } catch (CertificateException | RuntimeException e) {
      throw fault(record, "body.certificate is not a DER X.509 certificate");
    }
  }

  private static String text(JournalRecord record, JsonNode body, String field) throws RecordFault {
    JsonNode value = body.get(field);
    if (value == null) {
      throw fault(record, "body has no " + field + " field");
    }
    if (!value.isTextual()) {
      throw fault(record, "body." + field + " is not a string");
    }
    return value.textValue();
  }

  private static RecordFault fault(JournalRecord record, String detail) {
    return new RecordFault(JournalProblem.Kind.OPENING, record.seq(), record.type(), detail);
  }
}
