package org.fedsum.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;
import java.util.List;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.encoding.EncodingParameters;

/**
 * The JSON form of {@link EncodingParameters}, as the aggregator announces a run's encoding to its
 * silos. Real numbers are written as JSON numbers in their shortest round-trip form, so a silo
 * rebuilds parameters {@link EncodingParameters#equals equal} to the aggregator's, and {@code γ}
 * and {@code b} are carried as chosen rather than chosen again.
 */
public final class EncodingParametersCodec {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIELDS =
      List.of(
          "dimension",
          "clipNorm",
          "clipping",
          "noiseMultiplier",
          "threshold",
          "silos",
          "weighted",
          "maxWeight",
          "rotationSeed",
          "rangeStandardDeviations",
          "gamma",
          "bits");

  private EncodingParametersCodec() {}

  /** The JSON object of {@code parameters}. */
  public static ObjectNode toJson(EncodingParameters parameters) {
    ObjectNode node = JSON.createObjectNode();
    node.put("dimension", parameters.dimension());
    node.put("clipNorm", parameters.clipNorm());
    node.put("clipping", parameters.clipping());
    node.put("noiseMultiplier", parameters.noiseMultiplier());
    node.put("threshold", parameters.threshold());
    node.put("silos", parameters.silos());
    node.put("weighted", parameters.weighted());
    node.put("maxWeight", parameters.maxWeight());
    byte[] seed = parameters.rotationSeed();
    if (seed == null) {
      node.putNull("rotationSeed");
    } else {
      node.put("rotationSeed", HexFormat.of().formatHex(seed));
    }
    node.put("rangeStandardDeviations", parameters.rangeStandardDeviations());
    node.put("gamma", parameters.gamma());
    node.put("bits", parameters.bits());
    return node;
  }

  /**
   * Parses and validates parameters written by {@link #toJson}.
   *
   * @throws ProtocolException {@code MALFORMED_MESSAGE} naming the missing, unknown or invalid
   *     field
   */
  public static EncodingParameters fromJson(JsonNode node) throws ProtocolException {
    if (node == null || !node.isObject()) {
      throw malformed("the encoding parameters must be a JSON object");
    }
    for (var names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw malformed("unknown encoding parameter '" + name + "'");
      }
    }
    for (String field : FIELDS) {
      if (!node.has(field)) {
        throw malformed("encoding parameter '" + field + "' is missing");
      }
    }
    try {
      EncodingParameters.Builder builder =
          EncodingParameters.builder()
              .setDimension(integer(node, "dimension"))
              .setClipNorm(number(node, "clipNorm"))
              .setClipping(bool(node, "clipping"))
              .setNoiseMultiplier(number(node, "noiseMultiplier"))
              .setThreshold(integer(node, "threshold"))
              .setSilos(integer(node, "silos"))
              .setRangeStandardDeviations(number(node, "rangeStandardDeviations"))
              .setGamma(number(node, "gamma"))
              .setBits(integer(node, "bits"));
      if (bool(node, "weighted")) {
        JsonNode maxWeight = node.get("maxWeight");
        if (!maxWeight.isIntegralNumber() || !maxWeight.canConvertToLong()) {
          throw malformed("encoding parameter 'maxWeight' must be a whole number");
        }
        builder.setWeighted(maxWeight.longValue());
      }
      JsonNode seed = node.get("rotationSeed");
      if (!seed.isNull()) {
        if (!seed.isTextual()) {
          throw malformed("encoding parameter 'rotationSeed' must be hex or null");
        }
        builder.setRotationSeed(HexFormat.of().parseHex(seed.textValue()));
      }
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw malformed("invalid encoding parameters: " + e.getMessage());
    }
  }

  private static int integer(JsonNode node, String field) throws ProtocolException {
    JsonNode value = node.get(field);
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw malformed("encoding parameter '" + field + "' must be a whole number");
    }
    return value.intValue();
  }

  private static double number(JsonNode node, String field) throws ProtocolException {
    JsonNode value = node.get(field);
    if (!value.isNumber()) {
      throw malformed("encoding parameter '" + field + "' must be a number");
    }
    return value.doubleValue();
  }

  private static boolean bool(JsonNode node, String field) throws ProtocolException {
    JsonNode value = node.get(field);
    if (!value.isBoolean()) {
      throw malformed("encoding parameter '" + field + "' must be true or false");
    }
    return value.booleanValue();
  }

  private static ProtocolException malformed(String message) {
    return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, -1, message);
  }
}
