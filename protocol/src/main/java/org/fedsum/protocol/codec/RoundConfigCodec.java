package org.fedsum.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.SecurityModel;

/**
 * The JSON form of {@link RoundConfig}, as a silo's task carries it. Parsing validates exactly as
 * {@link RoundConfig}'s constructor does; a silo then checks the values against its own floor.
 */
public final class RoundConfigCodec {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIELDS =
      List.of(
          "federationId",
          "round",
          "protocolVersion",
          "roster",
          "threshold",
          "minSurvivors",
          "bits",
          "vectorLength",
          "securityModel",
          "assumedColluders");

  private RoundConfigCodec() {}

  /** The JSON object of {@code config}. */
  public static ObjectNode toJson(RoundConfig config) {
    ObjectNode node = JSON.createObjectNode();
    node.put("federationId", config.federationId());
    node.put("round", config.round());
    node.put("protocolVersion", config.protocolVersion());
    ArrayNode roster = node.putArray("roster");
    config.roster().forEach(roster::add);
    node.put("threshold", config.threshold());
    node.put("minSurvivors", config.minSurvivors());
    node.put("bits", config.bits());
    node.put("vectorLength", config.vectorLength());
    node.put("securityModel", config.securityModel().name());
    node.put("assumedColluders", config.assumedColluders());
    return node;
  }

  /**
   * Parses a round configuration written by {@link #toJson}.
   *
   * @throws ProtocolException {@code MALFORMED_MESSAGE} naming the missing, unknown or invalid
   *     field
   */
  public static RoundConfig fromJson(JsonNode node) throws ProtocolException {
    if (node == null || !node.isObject()) {
      throw malformed("the round configuration must be a JSON object");
    }
    for (var names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw malformed("unknown round configuration field '" + name + "'");
      }
    }
    for (String field : FIELDS) {
      if (!node.has(field)) {
        throw malformed("round configuration field '" + field + "' is missing");
      }
    }
    JsonNode rosterNode = node.get("roster");
    if (!rosterNode.isArray()) {
      throw malformed("round configuration field 'roster' must be a list");
    }
    List<String> roster = new ArrayList<>();
    for (JsonNode silo : rosterNode) {
      if (!silo.isTextual()) {
        throw malformed("round configuration field 'roster' must list strings");
      }
      roster.add(silo.textValue());
    }
    SecurityModel model;
    try {
      model = SecurityModel.valueOf(text(node, "securityModel"));
    } catch (IllegalArgumentException e) {
      throw malformed("unknown securityModel " + node.get("securityModel"));
    }
    try {
      return new RoundConfig(
          text(node, "federationId"),
          longValue(node, "round"),
          integer(node, "protocolVersion"),
          roster,
          integer(node, "threshold"),
          integer(node, "minSurvivors"),
          integer(node, "bits"),
          integer(node, "vectorLength"),
          model,
          integer(node, "assumedColluders"));
    } catch (IllegalArgumentException e) {
      throw malformed("invalid round configuration: " + e.getMessage());
    }
  }

  private static String text(JsonNode node, String field) throws ProtocolException {
    JsonNode value = node.get(field);
    if (!value.isTextual()) {
      throw malformed("round configuration field '" + field + "' must be a string");
    }
    return value.textValue();
  }

  private static int integer(JsonNode node, String field) throws ProtocolException {
    JsonNode value = node.get(field);
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw malformed("round configuration field '" + field + "' must be a whole number");
    }
    return value.intValue();
  }

  private static long longValue(JsonNode node, String field) throws ProtocolException {
    JsonNode value = node.get(field);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw malformed("round configuration field '" + field + "' must be a whole number");
    }
    return value.longValue();
  }

  private static ProtocolException malformed(String message) {
    return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, -1, message);
  }
}
