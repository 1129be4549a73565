package org.fedsum.audit.lineage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SignatureException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedsum.crypto.EcdsaP256SigningKey;
import org.fedsum.crypto.EcdsaP256VerifyingKey;
import org.fedsum.crypto.FederationTrust;
import org.fedsum.crypto.SiteIdentity;
import org.fedsum.crypto.SiteRole;
import org.fedsum.protocol.encoding.EncodingParameters;
import org.fedsum.protocol.privacy.PrivacyAccountant;
import org.fedsum.protocol.privacy.PrivacySpend;
import org.fedsum.protocol.privacy.RoundPrivacy;

/**
 * The lineage manifest of one published global model ({@value #FORMAT}).
 *
 * <p>The document is a JSON object {@code {"format", "manifest", "certificate", "signature"}}:
 * {@code manifest} holds the facts (below), {@code certificate} the base64 DER of the aggregator's
 * certificate, {@code signature} the base64 DER ECDSA P-256 signature over the UTF-8 bytes of
 * {@value #SIGNATURE_CONTEXT} followed by the manifest's canonical encoding (members sorted by key
 * at every level, no whitespace; real numbers are strings, so the encoding is unique). The context
 * prefix keeps these signatures apart from journal records and protocol messages signed by the same
 * key.
 *
 * <p>Manifest members: {@code federationId}, {@code runId}, {@code round} (the round that published
 * the model), {@code modelSha256} (SHA-256 of the model file as served: float32 little-endian),
 * {@code previousModelSha256} (the model that round started from), {@code rounds} (every finished
 * round up to this one: {@code round}, {@code survivors} — the silos whose updates are in the sum —
 * and {@code modelSha256}), {@code differentialPrivacy} (clip norm, noise multiplier, γ, threshold,
 * dimension, δ as strings), {@code epsilonSpent} (silo-level, both accountants, over those rounds
 * with their real survivors), {@code strategy}, {@code codeVersion}, {@code createdAt}.
 */
public final class LineageManifest {
  /** The document format. */
  public static final String FORMAT = "fedsum-model-lineage-v1";

  /** What each signature is computed over, before the canonical manifest. */
  public static final String SIGNATURE_CONTEXT = "fedsum-model-lineage-v1\n";

  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();

  /**
   * The run's privacy parameters, as the run's encoding has them ({@code EncodingParameters}).
   *
   * @param differentialPrivacy whether noise is added at all
   * @param delta the δ at which ε is stated
   */
  public record Privacy(
      boolean differentialPrivacy,
      double clipNorm,
      double noiseMultiplier,
      double gamma,
      int threshold,
      long dimension,
      double delta) {
    /** The parameters of {@code encoding}, stating ε at {@code delta}. */
    public static Privacy of(EncodingParameters encoding, double delta) {
      return new Privacy(
          encoding.differentialPrivacy(),
          encoding.clipNorm(),
          encoding.noiseMultiplier(),
          encoding.gamma(),
          encoding.threshold(),
          encoding.signalLength(),
          delta);
    }
  }

  private final ObjectNode manifest;

  private LineageManifest(ObjectNode manifest) {
    this.manifest = manifest;
  }

  /** A copy of the manifest's facts. */
  public ObjectNode manifest() {
    return manifest.deepCopy();
  }

  /** The published model's SHA-256. */
  public String modelSha256() {
    return manifest.path("modelSha256").asText();
  }

  /**
   * The manifest of the model published by {@code round}, from the aggregator's journal lines (its
   * own, so not verified here: an auditor verifies the journal and the manifest's signature).
   *
   * @param initialModelSha256 the model the run started from (the aggregator's journal does not
   *     name it)
   * @throws IllegalArgumentException if the journal records no finished {@code round}
   */
  public static LineageManifest forRound(
      String runId,
      List<String> aggregatorJournalLines,
      long round,
      String initialModelSha256,
      Privacy privacy,
      String codeVersion,
      Instant createdAt)
      throws IOException {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(privacy, "privacy");
    String federationId = null;
    String previous = initialModelSha256;
    String startOfRound = null;
    ObjectNode finished = null;
    List<ObjectNode> rounds = new ArrayList<>();
    List<RoundPrivacy> accounted = new ArrayList<>();
    for (String line : aggregatorJournalLines) {
      JsonNode record = JSON.readTree(line);
      JsonNode body = record.path("body");
      String type = record.path("type").asText();
      if (type.equals("journal-opened")) {
        federationId = body.path("federationId").asText();
      }
      if (!type.equals("round-finished")) {
        continue;
      }
      long number = body.path("round").asLong();
      if (number > round) {
        break;
      }
      ObjectNode entry = JSON.createObjectNode();
      entry.put("round", number);
      entry.set("survivors", body.path("survivors"));
      entry.put("modelSha256", body.path("modelSha256").asText());
      rounds.add(entry);
      if (privacy.differentialPrivacy()) {
        accounted.add(
            new RoundPrivacy(
                number,
                body.path("survivors").size(),
                privacy.clipNorm(),
                privacy.noiseMultiplier(),
                privacy.gamma(),
                privacy.threshold(),
                privacy.dimension()));
      }
      if (number == round) {
        finished = (ObjectNode) body;
        startOfRound = previous;
      }
      previous = body.path("modelSha256").asText();
    }
    if (finished == null) {
      throw new IllegalArgumentException(
          "the aggregator's journal records no finished round " + round);
    }
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("federationId", federationId);
    manifest.put("runId", runId);
    manifest.put("round", round);
    manifest.put("modelSha256", finished.path("modelSha256").asText());
    manifest.put("previousModelSha256", startOfRound);
    ArrayNode roundsNode = manifest.putArray("rounds");
    rounds.forEach(roundsNode::add);
    ObjectNode dp = manifest.putObject("differentialPrivacy");
    dp.put("enabled", privacy.differentialPrivacy());
    dp.put("clipNorm", Double.toString(privacy.clipNorm()));
    dp.put("noiseMultiplier", Double.toString(privacy.noiseMultiplier()));
    dp.put("gamma", Double.toString(privacy.gamma()));
    dp.put("threshold", privacy.threshold());
    dp.put("dimension", privacy.dimension());
    dp.put("delta", Double.toString(privacy.delta()));
    dp.put("unit", PrivacySpend.UNIT_SILO);
    ObjectNode spent = manifest.putObject("epsilonSpent");
    if (privacy.differentialPrivacy()) {
      PrivacySpend spend =
          PrivacyAccountant.create(EncodingParameters.CONDITIONAL_ROUNDING_BETA)
              .spend(accounted, privacy.delta());
      spent.put("epsilon", Double.toString(spend.enforcedEpsilon()));
      spent.put("epsilonRdp", Double.toString(spend.epsilonRdp()));
      spent.put("epsilonGdp", Double.toString(spend.epsilonGdp()));
    } else {
      spent.put("epsilon", "Infinity");
    }
    spent.put("delta", Double.toString(privacy.delta()));
    spent.put("unit", PrivacySpend.UNIT_SILO);
    manifest.put("strategy", finished.path("strategy").asText());
    manifest.put("codeVersion", codeVersion);
    manifest.put("createdAt", createdAt.toString());
    return new LineageManifest(manifest);
  }

  /**
   * The signed document, one line of JSON.
   *
   * @throws IllegalArgumentException if {@code key} is not {@code certificate}'s key
   */
  public String sign(X509Certificate certificate, EcdsaP256SigningKey key) {
    EcdsaP256VerifyingKey certificateKey;
    try {
      certificateKey = EcdsaP256VerifyingKey.fromCertificate(certificate);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the certificate holds no ECDSA P-256 key", e);
    }
    if (!certificateKey.equals(key.verifyingKey())) {
      throw new IllegalArgumentException("the signing key is not the certificate's key");
    }
    ObjectNode document = JSON.createObjectNode();
    document.put("format", FORMAT);
    document.set("manifest", manifest.deepCopy());
    try {
      document.put("certificate", Base64.getEncoder().encodeToString(certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("the certificate has no DER encoding", e);
    }
    document.put("signature", Base64.getEncoder().encodeToString(key.sign(signedBytes(manifest))));
    return canonical(document);
  }

  /**
   * Verifies a signed document: its form, the signer's certificate against the federation CA at the
   * manifest's {@code createdAt} (an aggregator's), and the signature.
   *
   * @throws GeneralSecurityException naming what does not verify
   */
  public static LineageManifest verify(String document, FederationTrust trust)
      throws GeneralSecurityException {
    JsonNode node;
    try {
      node = JSON.readTree(document);
    } catch (JsonProcessingException e) {
      throw new SignatureException("the lineage document is not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject() || !FORMAT.equals(node.path("format").asText())) {
      throw new SignatureException("the document is not a " + FORMAT + " lineage manifest");
    }
    if (!node.path("manifest").isObject()) {
      throw new SignatureException("the lineage document has no manifest object");
    }
    ObjectNode manifest = (ObjectNode) node.path("manifest");
    X509Certificate certificate;
    try {
      certificate =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(
                      new java.io.ByteArrayInputStream(
                          Base64.getDecoder().decode(node.path("certificate").asText())));
    } catch (IllegalArgumentException | CertificateException e) {
      throw new CertificateException("the lineage document's certificate is not base64 DER X.509");
    }
    Instant createdAt;
    try {
      createdAt = Instant.parse(manifest.path("createdAt").asText());
    } catch (java.time.format.DateTimeParseException e) {
      throw new SignatureException("manifest.createdAt is not an ISO-8601 instant");
    }
    SiteIdentity signer = trust.verify(certificate, createdAt);
    if (signer.role() != SiteRole.AGGREGATOR) {
      throw new CertificateException(
          "the lineage manifest is signed by " + signer.uri() + ", not by an aggregator");
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(node.path("signature").asText());
    } catch (IllegalArgumentException e) {
      throw new SignatureException("the lineage document's signature is not base64");
    }
    byte[] signed;
    try {
      signed = signedBytes(manifest);
    } catch (IllegalArgumentException e) {
      throw new SignatureException("the lineage manifest is not canonical: " + e.getMessage());
    }
    try {
      EcdsaP256VerifyingKey.fromCertificate(certificate).verify(signature, signed);
    } catch (GeneralSecurityException e) {
      throw new SignatureException(
          "the lineage manifest's signature does not verify with the key of " + signer.uri());
    }
    return new LineageManifest(manifest.deepCopy());
  }

  /**
   * Checks that {@code modelFile} is the model this manifest describes.
   *
   * @throws GeneralSecurityException naming both hashes if it is not
   */
  public void requireModelFile(Path modelFile) throws IOException, GeneralSecurityException {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
    try (InputStream in = Files.newInputStream(modelFile)) {
      byte[] buffer = new byte[1 << 16];
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        sha256.update(buffer, 0, read);
      }
    }
    String actual = HexFormat.of().formatHex(sha256.digest());
    if (!actual.equals(modelSha256())) {
      throw new SignatureException(
          "model file "
              + modelFile
              + " has SHA-256 "
              + actual
              + ", the manifest names "
              + modelSha256());
    }
  }

  private static byte[] signedBytes(ObjectNode manifest) {
    return (SIGNATURE_CONTEXT + canonical(manifest)).getBytes(StandardCharsets.UTF_8);
  }

  /** Members sorted by key at every level, no whitespace; strings escaped by Jackson. */
  static String canonical(JsonNode node) {
    StringBuilder out = new StringBuilder();
    write(node, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      Map<String, JsonNode> sorted = new TreeMap<>();
      node.properties().forEach(entry -> sorted.put(entry.getKey(), entry.getValue()));
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonNode> entry : sorted.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(quote(entry.getKey())).append(':');
        write(entry.getValue(), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else if (node.isTextual()) {
      out.append(quote(node.textValue()));
    } else if (node.isIntegralNumber() && node.canConvertToLong()) {
      out.append(node.longValue());
    } else if (node.isBoolean() || node.isNull()) {
      out.append(node.toString());
    } else {
      throw new IllegalArgumentException(
          "a lineage manifest holds strings, integers, booleans and nulls only, not "
              + node.getNodeType());
    }
  }

  private static String quote(String text) {
    try {
      return JSON.writeValueAsString(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("bug: a string cannot be written as JSON", e);
    }
  }
}
