package org.fedsum.protocol.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.fedsum.crypto.X25519PublicKey;
import org.fedsum.protocol.AdvertiseKeys;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.ConsistencyProof;
import org.fedsum.protocol.ConsistencySignature;
import org.fedsum.protocol.EncryptedShares;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ForwardedShares;
import org.fedsum.protocol.KeyList;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.SurvivorList;
import org.fedsum.protocol.UnmaskShares;

/**
 * JSON encoding of every control message (all messages but the masked vector, which travels as a
 * {@link VectorFrame}). Each message is an object with a {@code type} field; byte strings are
 * base64 (RFC 4648 §4). Decoding is strict: unknown, missing, duplicated or oversized fields are
 * refused with {@link ErrorCode#MALFORMED_MESSAGE}.
 */
public final class JsonMessageCodec {
  /** Larger control messages are refused before parsing. */
  public static final int MAX_MESSAGE_BYTES = 8 << 20;

  private static final int MAX_BYTES_FIELD = 64 << 10;
  private static final int MAX_ENTRIES = 10_000;
  private static final Pattern SILO_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  static {
    JSON.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(8)
                .maxStringLength(MAX_BYTES_FIELD * 2)
                .maxNumberLength(20)
                .build());
  }

  private JsonMessageCodec() {}

  /** Encodes a silo's control message. {@link org.fedsum.protocol.MaskedInput} is not JSON. */
  public static byte[] encode(SiloMessage message) {
    ObjectNode node = JSON.createObjectNode();
    if (message instanceof AdvertiseKeys advertise) {
      node.put("type", "advertise-keys");
      writeAdvertisement(node, advertise);
    } else if (message instanceof EncryptedShares shares) {
      header(node, "encrypted-shares", shares.siloId(), shares.round());
      node.set("ciphertexts", bytesMap(shares.ciphertexts()));
    } else if (message instanceof ConsistencySignature signature) {
      header(node, "consistency-signature", signature.siloId(), signature.round());
      node.put("signature", base64(signature.signature()));
    } else if (message instanceof UnmaskShares unmask) {
      header(node, "unmask-shares", unmask.siloId(), unmask.round());
      node.set("selfMaskSeedShares", bytesMap(unmask.selfMaskSeedShares()));
      node.set("maskingKeyShares", bytesMap(unmask.maskingKeyShares()));
    } else {
      throw new IllegalArgumentException(
          message.getClass().getSimpleName() + " travels as a binary vector frame, not JSON");
    }
    return write(node);
  }

  /** Encodes a message from the aggregator to a silo. */
  public static byte[] encode(AggregatorMessage message) {
    ObjectNode node = JSON.createObjectNode();
    if (message instanceof KeyList keyList) {
      node.put("type", "key-list");
      node.put("round", keyList.round());
      ArrayNode advertisements = node.putArray("advertisements");
      for (AdvertiseKeys advertisement : keyList.advertisements()) {
        writeAdvertisement(advertisements.addObject(), advertisement);
      }
    } else if (message instanceof ForwardedShares forwarded) {
      node.put("type", "forwarded-shares");
      node.put("round", forwarded.round());
      node.set("sharingSilos", stringArray(forwarded.sharingSilos()));
      node.set("ciphertexts", bytesMap(forwarded.ciphertexts()));
    } else if (message instanceof SurvivorList survivors) {
      node.put("type", "survivor-list");
      node.put("round", survivors.round());
      node.set("survivors", stringArray(survivors.survivors()));
    } else if (message instanceof ConsistencyProof proof) {
      node.put("type", "consistency-proof");
      node.put("round", proof.round());
      node.set("survivors", stringArray(proof.survivors()));
      node.set("signatures", bytesMap(proof.signatures()));
    }
    return write(node);
  }

  /**
   * Decodes a silo's control message. {@code authenticatedSiloId} is the sender's id from its TLS
   * certificate; a message claiming another sender is refused.
   */
  public static SiloMessage decodeSiloMessage(byte[] json, String authenticatedSiloId)
      throws ProtocolException {
    Fields fields = new Fields(parse(json));
    String type = fields.string("type");
    SiloMessage message =
        switch (type) {
          case "advertise-keys" -> readAdvertisement(fields);
          case "encrypted-shares" ->
              new EncryptedShares(
                  fields.siloId("siloId"),
                  fields.round(),
                  java.util.Collections.unmodifiableSortedMap(fields.bytesMap("ciphertexts")));
          case "consistency-signature" ->
              new ConsistencySignature(
                  fields.siloId("siloId"), fields.round(), fields.bytes("signature"));
          case "unmask-shares" ->
              new UnmaskShares(
                  fields.siloId("siloId"),
                  fields.round(),
                  fields.bytesMap("selfMaskSeedShares"),
                  fields.bytesMap("maskingKeyShares"));
          default -> throw malformed("unknown silo message type '" + type + "'");
        };
    fields.requireNoOthers();
    if (!message.siloId().equals(authenticatedSiloId)) {
      throw new ProtocolException(
          ErrorCode.MALFORMED_MESSAGE,
          message.round(),
          "message claims sender " + message.siloId() + " but was sent by " + authenticatedSiloId);
    }
    return message;
  }

  /** Decodes a message from the aggregator. */
  public static AggregatorMessage decodeAggregatorMessage(byte[] json) throws ProtocolException {
    Fields fields = new Fields(parse(json));
    String type = fields.string("type");
    AggregatorMessage message =
        switch (type) {
          case "key-list" -> {
            long round = fields.round();
            List<AdvertiseKeys> advertisements = new ArrayList<>();
            for (JsonNode entry : fields.array("advertisements")) {
              if (!entry.isObject()) {
                throw malformed("advertisements must be objects");
              }
              Fields inner = new Fields((ObjectNode) entry);
              advertisements.add(readAdvertisement(inner));
              inner.requireNoOthers();
            }
            yield new KeyList(round, advertisements);
          }
          case "forwarded-shares" ->
              new ForwardedShares(
                  fields.round(), fields.siloIds("sharingSilos"), fields.bytesMap("ciphertexts"));
          case "survivor-list" -> new SurvivorList(fields.round(), fields.siloIds("survivors"));
          case "consistency-proof" ->
              new ConsistencyProof(
                  fields.round(), fields.siloIds("survivors"), fields.bytesMap("signatures"));
          default -> throw malformed("unknown aggregator message type '" + type + "'");
        };
    fields.requireNoOthers();
    return message;
  }

  private static void header(ObjectNode node, String type, String siloId, long round) {
    node.put("type", type);
    node.put("siloId", siloId);
    node.put("round", round);
  }

  private static void writeAdvertisement(ObjectNode node, AdvertiseKeys advertise) {
    node.put("siloId", advertise.siloId());
    node.put("round", advertise.round());
    node.put("maskingPublicKey", base64(advertise.maskingPublicKey().toBytes()));
    node.put("shareEncryptionPublicKey", base64(advertise.shareEncryptionPublicKey().toBytes()));
    node.put("certificate", base64(advertise.certificate()));
    node.put("signature", base64(advertise.signature()));
  }

  private static AdvertiseKeys readAdvertisement(Fields fields) throws ProtocolException {
    try {
      return new AdvertiseKeys(
          fields.siloId("siloId"),
          fields.round(),
          X25519PublicKey.fromBytes(fields.bytes("maskingPublicKey")),
          X25519PublicKey.fromBytes(fields.bytes("shareEncryptionPublicKey")),
          fields.bytes("certificate"),
          fields.bytes("signature"));
    } catch (GeneralSecurityException e) {
      throw malformed("advertised key: " + e.getMessage());
    }
  }

  private static ObjectNode bytesMap(Map<String, byte[]> map) {
    ObjectNode node = JSON.createObjectNode();
    for (Map.Entry<String, byte[]> entry : map.entrySet()) {
      node.put(entry.getKey(), base64(entry.getValue()));
    }
    return node;
  }

  private static ArrayNode stringArray(List<String> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] write(ObjectNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("bug: a JSON tree always serializes", e);
    }
  }

  private static ObjectNode parse(byte[] json) throws ProtocolException {
    if (json.length > MAX_MESSAGE_BYTES) {
      throw malformed(
          "message of " + json.length + " bytes exceeds the limit of " + MAX_MESSAGE_BYTES);
    }
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw malformed("not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw malformed("not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw malformed("a message must be a JSON object");
    }
    return (ObjectNode) node;
  }

  static ProtocolException malformed(String detail) {
    return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, -1, detail);
  }

  /** Reads fields of one object, remembering which were read so the rest can be refused. */
  private static final class Fields {
    private final ObjectNode node;
    private final Set<String> read = new HashSet<>();

    Fields(ObjectNode node) {
      this.node = node;
    }

    private JsonNode field(String name) throws ProtocolException {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        throw malformed("missing field '" + name + "'");
      }
      read.add(name);
      return value;
    }

    String string(String name) throws ProtocolException {
      JsonNode value = field(name);
      if (!value.isTextual()) {
        throw malformed("field '" + name + "' must be a string");
      }
      return value.asText();
    }

    String siloId(String name) throws ProtocolException {
      String value = string(name);
      if (!SILO_ID.matcher(value).matches()) {
        throw malformed("field '" + name + "' is not a valid silo id");
      }
      return value;
    }

    long round() throws ProtocolException {
      JsonNode value = field("round");
      if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0) {
        throw malformed("field 'round' must be a non-negative integer");
      }
      return value.asLong();
    }

    byte[] bytes(String name) throws ProtocolException {
      return decodeBase64(name, string(name));
    }

    JsonNode array(String name) throws ProtocolException {
      JsonNode value = field(name);
      if (!value.isArray() || value.size() > MAX_ENTRIES) {
        throw malformed("field '" + name + "' must be an array of at most " + MAX_ENTRIES);
      }
      return value;
    }

    List<String> siloIds(String name) throws ProtocolException {
      List<String> ids = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (JsonNode entry : array(name)) {
        if (!entry.isTextual() || !SILO_ID.matcher(entry.asText()).matches()) {
          throw malformed("field '" + name + "' must hold silo ids");
        }
        if (!seen.add(entry.asText())) {
          throw malformed("field '" + name + "' lists " + entry.asText() + " twice");
        }
        ids.add(entry.asText());
      }
      return ids;
    }

    java.util.SortedMap<String, byte[]> bytesMap(String name) throws ProtocolException {
      JsonNode value = field(name);
      if (!value.isObject() || value.size() > MAX_ENTRIES) {
        throw malformed("field '" + name + "' must be an object of at most " + MAX_ENTRIES);
      }
      TreeMap<String, byte[]> map = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> entries = value.fields();
      while (entries.hasNext()) {
        Map.Entry<String, JsonNode> entry = entries.next();
        if (!SILO_ID.matcher(entry.getKey()).matches() || !entry.getValue().isTextual()) {
          throw malformed("field '" + name + "' must map silo ids to base64 strings");
        }
        map.put(entry.getKey(), decodeBase64(name, entry.getValue().asText()));
      }
      return map;
    }

    private static byte[] decodeBase64(String name, String text) throws ProtocolException {
      if (text.length() > MAX_BYTES_FIELD * 4 / 3 + 4) {
        throw malformed("field '" + name + "' is longer than " + MAX_BYTES_FIELD + " bytes");
      }
      try {
        return Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException e) {
        throw malformed("field '" + name + "' is not base64");
      }
    }

    void requireNoOthers() throws ProtocolException {
      Iterator<String> names = node.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!read.contains(name)) {
          throw malformed("unknown field '" + name + "'");
        }
      }
    }
  }
}
