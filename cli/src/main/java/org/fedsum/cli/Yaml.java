package org.fedsum.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the launcher's own YAML files (federation.yaml, operator.yaml) strictly. */
public final class Yaml {
  private static final YAMLMapper MAPPER =
      YAMLMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build();

  private Yaml() {}

  /** The file's top-level mapping. */
  public static ObjectNode readMapping(Path file) throws CliException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return parseMapping(text, file.toString());
  }

  /** {@code text}'s top-level mapping; {@code source} names it in messages. */
  public static ObjectNode parseMapping(String text, String source) throws CliException {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new CliException(source + ": not valid YAML: " + e.getOriginalMessage() + where, e);
    }
    if (tree == null || !tree.isObject()) {
      throw new CliException(source + ": must be a YAML mapping of keys");
    }
    return (ObjectNode) tree;
  }

  /** {@code node} as YAML text. */
  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("bug: a tree cannot be written as YAML", e);
    }
  }
}
