package org.fedsum.protocol.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
  private static String encodeMap(Map<String, ?> body) {
    return CanonicalJson.encode(CanonicalJson.fromMap(body, "body"));
  }

  private static JsonNode parse(String text) throws Exception {
    try (var parser = CanonicalJson.parser(text)) {
      return parser.readValueAsTree();
    }
  }

  @Test
  void encode_keysInAnyInsertionOrder_giveOneEncodingSortedAtEveryLevel() {
    Map<String, Object> first = new LinkedHashMap<>();
    first.put("b", 2);
    first.put("a", Map.of("z", 1, "y", List.of(Map.of("d", 4, "c", 3))));
    Map<String, Object> second = new LinkedHashMap<>();
    second.put("a", Map.of("y", List.of(Map.of("c", 3, "d", 4)), "z", 1));
    second.put("b", 2L);

    assertThat(encodeMap(first))
        .isEqualTo(encodeMap(second))
        .isEqualTo("{\"a\":{\"y\":[{\"c\":3,\"d\":4}],\"z\":1},\"b\":2}");
  }

  @Test
  void encode_keys_sortByUtf16CodeUnitsAsRfc8785() {
    // RFC 8785 §3.2.3's example: U+1F600 (a surrogate pair) sorts before U+FB33.
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("\u20ac", "Euro Sign");
    body.put("\r", "Carriage Return");
    body.put("\ufb33", "Hebrew Letter Dalet With Dagesh");
    body.put("1", "One");
    body.put("\ud83d\ude00", "Emoji: Grinning Face");
    body.put("\u0080", "Control");
    body.put("\u00f6", "Latin Small Letter O With Diaeresis");

    String encoded = encodeMap(body);

    assertThat(encoded)
        .isEqualTo(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
                + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
                + "\"\ud83d\ude00\":\"Emoji: Grinning Face\","
                + "\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
  }

  @Test
  void encode_strings_escapeOnlyWhatRfc8785Escapes() {
    String value = "\"\\/\b\f\n\r\t\u0000\u001f\u007f\u2028é😀";

    String encoded = encodeMap(Map.of("s", value));

    assertThat(encoded)
        .isEqualTo("{\"s\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\u2028é😀\"}");
  }

  @Test
  void encode_integers_inDecimalWithoutExponentOrSignedZero() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("max", Long.MAX_VALUE);
    body.put("min", Long.MIN_VALUE);
    body.put("zero", 0);
    body.put("byte", (byte) -7);
    body.put("short", (short) 300);

    assertThat(encodeMap(body))
        .isEqualTo(
            "{\"byte\":-7,\"max\":9223372036854775807,\"min\":-9223372036854775808,"
                + "\"short\":300,\"zero\":0}");
  }

  @Test
  void encode_ofParsedCanonicalText_isThatText() throws Exception {
    String canonical =
        "{\"a\":[true,false,null,-1,\"x\",{},[]],\"b\":{\"\\u0001\":\"\\n\"},\"c\":\"é\"}";

    assertThat(CanonicalJson.encode(parse(canonical))).isEqualTo(canonical);
  }

  @Test
  void encode_ofParsedNonCanonicalText_differs() throws Exception {
    List<String> nonCanonical =
        List.of(
            "{\"b\":1,\"a\":2}",
            "{ \"a\":1}",
            "{\"a\":-0}",
            "{\"a\":\"\\u00e9\"}",
            "{\"a\":\"\\u001F\"}",
            "{\"a\":\"\\/\"}",
            "{\"a\":1E2}");
    for (String text : nonCanonical) {
      JsonNode node = parse(text);
      String violation = CanonicalJson.violation(node, "body", 0, false);
      if (violation == null) {
        assertThat(CanonicalJson.encode(node)).as(text).isNotEqualTo(text);
      } else {
        assertThat(violation).as(text).contains("non-integral");
      }
    }
  }

  @Test
  void violation_floatsNaNAndInfinity_areRefused() {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    List<JsonNode> refused =
        List.of(
            nodes.numberNode(0.5),
            nodes.numberNode(2.0),
            nodes.numberNode(Double.NaN),
            nodes.numberNode(Float.NEGATIVE_INFINITY),
            nodes.numberNode(new java.math.BigDecimal("1")));
    for (JsonNode number : refused) {
      ObjectNode body = nodes.objectNode();
      body.set("x", number);

      assertThat(CanonicalJson.violation(body, "body", 0, false))
          .as("%s", number)
          .isEqualTo(
              "body.x is a non-integral number; the journal holds integers only, write it as a"
                  + " string");
      assertThatThrownBy(() -> CanonicalJson.encode(body))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void parse_nanLiteral_isRefused() {
    assertThatThrownBy(() -> parse("{\"a\":NaN}")).isInstanceOf(Exception.class);
  }

  @Test
  void violation_unpairedSurrogates_areRefused() {
    ObjectNode value = JsonNodeFactory.instance.objectNode();
    value.put("s", "a\ud800b");
    ObjectNode key = JsonNodeFactory.instance.objectNode();
    key.put("\udc00", 1);

    assertThat(CanonicalJson.violation(value, "body", 0, false))
        .isEqualTo("body.s has an unpaired surrogate, which has no UTF-8 encoding");
    assertThat(CanonicalJson.violation(key, "body", 0, false))
        .isEqualTo(
            "body[\"\udc00\"] has a key with an unpaired surrogate, which has no UTF-8 encoding");
  }

  @Test
  void memberPath_unusualKeys_areQuotedAndBounded() {
    assertThat(CanonicalJson.memberPath("body", "round")).isEqualTo("body.round");
    assertThat(CanonicalJson.memberPath("body", "a b\n")).isEqualTo("body[\"a b\\n\"]");
    assertThat(CanonicalJson.memberPath("body", "k".repeat(100)))
        .isEqualTo("body[\"" + "k".repeat(64) + "...\"]");
  }
}
