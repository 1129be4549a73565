package org.fedsum.protocol.journal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.fedsum.crypto.SecretBytes;

/**
 * The journal's canonical JSON: the one encoding a record may have, so that its hash and signature
 * are over well-defined bytes and a re-serialised record can be compared with the line it came
 * from.
 *
 * <p>Follows the JSON Canonicalization Scheme (RFC 8785) restricted to the values a journal holds:
 * object members sorted by key, comparing UTF-16 code units (§3.2.3), at every level; no whitespace
 * between tokens; strings escaped as in §3.2.2.2 ({@code \"}, {@code \\}, {@code \b \f \n \r \t},
 * other control characters as a backslash, {@code u00} and two lower-case hex digits, everything
 * else literal) and free of unpaired surrogates, so they have a UTF-8 encoding (RFC 3629). Numbers
 * are integers in the range of a Java {@code long}, written in decimal without sign for zero,
 * exponent or leading zeros: a non-integral number or NaN is refused, never rounded, and callers
 * write such values as strings.
 */
final class CanonicalJson {
  /** Longest record line, in characters: journal records are small; this bounds an audit's work. */
  static final int MAX_LINE_CHARS = 1 << 20;

  /** Most levels of objects and arrays in a record's body, the body object itself included. */
  static final int MAX_BODY_DEPTH = 32;

  private static final Pattern SIMPLE_KEY = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final int MAX_QUOTED_LENGTH = 64;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  static {
    JSON.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                // The record object itself is one level above the body.
                .maxNestingDepth(MAX_BODY_DEPTH + 1)
                .maxStringLength(MAX_LINE_CHARS)
                .maxNumberLength(40)
                .build());
  }

  private CanonicalJson() {}

  /** A fresh, empty object node. */
  static ObjectNode newObject() {
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * A strict parser over {@code line} (no duplicate keys, no NaN, bounded nesting and lengths), for
   * reading one value and then checking that nothing follows it. Does not check canonical form:
   * compare {@link #encode} of what it reads with the line.
   */
  static JsonParser parser(String line) throws IOException {
    return JSON.createParser(line);
  }

  /**
   * The canonical encoding of {@code node}.
   *
   * @throws IllegalArgumentException if {@code node} holds a value that has no canonical encoding
   *     (see {@link #violation})
   */
  static String encode(JsonNode node) {
    // The record object sits one level above its body.
    String violation = violation(node, "record", -1, false);
    if (violation != null) {
      throw new IllegalArgumentException(violation);
    }
    StringBuilder out = new StringBuilder(256);
    write(node, out);
    return out.toString();
  }

  /**
   * Why {@code node} (found at {@code path}) cannot be journaled, or null if it can: a non-integral
   * or out-of-range number, binary data, a wrapped Java object, a string or key with an unpaired
   * surrogate, an object or array at {@code depth} {@code MAX_BODY_DEPTH} or deeper (a body object
   * is at depth 0); with {@code refusePrivateKeyText}, also a string holding a PEM private key
   * header.
   */
  static String violation(JsonNode node, String path, int depth, boolean refusePrivateKeyText) {
    if (node.isContainerNode() && depth >= MAX_BODY_DEPTH) {
      return path + " is nested more than " + MAX_BODY_DEPTH + " levels deep";
    }
    switch (node.getNodeType()) {
      case OBJECT:
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          String childPath = memberPath(path, field.getKey());
          if (!isWellFormed(field.getKey())) {
            return childPath + " has a key with an unpaired surrogate, which has no UTF-8 encoding";
          }
          String violation =
              violation(field.getValue(), childPath, depth + 1, refusePrivateKeyText);
          if (violation != null) {
            return violation;
          }
        }
        return null;
      case ARRAY:
        for (int i = 0; i < node.size(); i++) {
          String violation =
              violation(node.get(i), path + "[" + i + "]", depth + 1, refusePrivateKeyText);
          if (violation != null) {
            return violation;
          }
        }
        return null;
      case STRING:
        if (!isWellFormed(node.textValue())) {
          return path + " has an unpaired surrogate, which has no UTF-8 encoding";
        }
        if (refusePrivateKeyText && node.textValue().contains("PRIVATE KEY-----")) {
          return path + " holds a PEM private key; secrets are never journaled";
        }
        return null;
      case NUMBER:
        if (!node.isIntegralNumber()) {
          return path
              + " is a non-integral number; the journal holds integers only, write it as a string";
        }
        if (!node.canConvertToLong()) {
          return path + " is an integer outside the range of a long; write it as a string";
        }
        return null;
      case BOOLEAN:
      case NULL:
        return null;
      case BINARY:
        return path
            + " is binary data; base64 public bytes explicitly (secrets are never journaled)";
      case POJO:
        return path
            + " wraps a Java object ("
            + pojoType(node)
            + "); only JSON values are journaled";
      case MISSING:
      default:
        return path + " is not a JSON value";
    }
  }

  /**
   * Converts a body given as Java values into a JSON object, refusing anything that is not a plain
   * JSON value: allowed are {@code null}, {@link String}, {@link Boolean}, {@link Byte}, {@link
   * Short}, {@link Integer}, {@link Long}, {@link Map} with string keys, {@link List}, and {@link
   * JsonNode} (checked like the rest).
   *
   * @throws IllegalArgumentException naming the path and type of the first refused value
   */
  static ObjectNode fromMap(Map<String, ?> body, String path) {
    return (ObjectNode) fromValue(body, path, 0);
  }

  private static JsonNode fromValue(Object value, String path, int depth) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    // Bounds the recursion on a map that contains itself; violation() then checks precisely.
    if (depth > MAX_BODY_DEPTH) {
      throw new IllegalArgumentException(
          path + " is nested more than " + MAX_BODY_DEPTH + " levels deep");
    }
    if (value == null) {
      return nodes.nullNode();
    } else if (value instanceof String string) {
      return nodes.textNode(string);
    } else if (value instanceof Boolean bool) {
      return nodes.booleanNode(bool);
    } else if (value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte) {
      return nodes.numberNode(((Number) value).longValue());
    } else if (value instanceof JsonNode node) {
      return node.deepCopy();
    } else if (value instanceof Map<?, ?> map) {
      ObjectNode object = nodes.objectNode();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!(entry.getKey() instanceof String key)) {
          throw new IllegalArgumentException(
              path + " has a key of type " + typeName(entry.getKey()) + "; keys must be strings");
        }
        object.set(key, fromValue(entry.getValue(), memberPath(path, key), depth + 1));
      }
      return object;
    } else if (value instanceof List<?> list) {
      ArrayNode array = nodes.arrayNode(list.size());
      for (int i = 0; i < list.size(); i++) {
        array.add(fromValue(list.get(i), path + "[" + i + "]", depth + 1));
      }
      return array;
    }
    throw new IllegalArgumentException(path + " " + refusal(value));
  }

  private static String refusal(Object value) {
    if (value instanceof SecretBytes) {
      return "is a SecretBytes; secrets are never journaled";
    } else if (value instanceof byte[]) {
      return "is a byte[]; base64 public bytes explicitly (secrets are never journaled)";
    } else if (value instanceof char[]) {
      return "is a char[], the usual holder of a password; secrets are never journaled";
    } else if (value instanceof Double
        || value instanceof Float
        || value instanceof java.math.BigDecimal) {
      return "is of type "
          + typeName(value)
          + "; the journal holds integers only, write non-integral numbers as strings";
    }
    return "is of type "
        + typeName(value)
        + "; only String, Boolean, Byte, Short, Integer, Long, Map, List, JsonNode and null are"
        + " journaled";
  }

  private static String typeName(Object value) {
    return value == null ? "null" : value.getClass().getSimpleName();
  }

  private static String pojoType(JsonNode node) {
    Object pojo = ((POJONode) node).getPojo();
    if (pojo instanceof SecretBytes) {
      return "a SecretBytes; secrets are never journaled";
    }
    return typeName(pojo);
  }

  /** How messages name a member: {@code body.round} or, for unusual keys, {@code body["a b"]}. */
  static String memberPath(String path, String key) {
    if (SIMPLE_KEY.matcher(key).matches()) {
      return path + "." + key;
    }
    return path + "[" + quote(key) + "]";
  }

  /** A string for a message: bounded, escaped as in the canonical form, in quotes. */
  static String quote(String value) {
    StringBuilder out = new StringBuilder();
    if (value.length() > MAX_QUOTED_LENGTH) {
      writeString(value.substring(0, MAX_QUOTED_LENGTH), out);
      out.setLength(out.length() - 1);
      return out.append("...\"").toString();
    }
    writeString(value, out);
    return out.toString();
  }

  /** True if every surrogate in {@code value} is part of a pair. */
  static boolean isWellFormed(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static void write(JsonNode node, StringBuilder out) {
    switch (node.getNodeType()) {
      case OBJECT -> writeObject(node, out);
      case ARRAY -> writeArray(node, out);
      case STRING -> writeString(node.textValue(), out);
      case NUMBER -> out.append(node.longValue());
      case BOOLEAN -> out.append(node.booleanValue() ? "true" : "false");
      case NULL -> out.append("null");
      default -> throw new IllegalStateException("bug: unchecked node type " + node.getNodeType());
    }
  }

  private static void writeObject(JsonNode node, StringBuilder out) {
    // RFC 8785 §3.2.3: members sorted by key, comparing UTF-16 code units (String.compareTo).
    TreeMap<String, JsonNode> sorted = new TreeMap<>();
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      sorted.put(field.getKey(), field.getValue());
    }
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, JsonNode> field : sorted.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      writeString(field.getKey(), out);
      out.append(':');
      write(field.getValue(), out);
    }
    out.append('}');
  }

  private static void writeArray(JsonNode node, StringBuilder out) {
    out.append('[');
    for (int i = 0; i < node.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      write(node.get(i), out);
    }
    out.append(']');
  }

  // RFC 8785 §3.2.2.2 (the ECMAScript JSON.stringify rules).
  private static void writeString(String value, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
