package org.fedsum.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Finds and reads the shared test vectors. The folder comes from the system property {@code
 * fedsum.vectors.dir} (the build sets it to {@code ../shared/vectors} beside the project root); a
 * missing folder fails the test instead of skipping it, so CI cannot pass without the vectors.
 */
public final class Vectors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Vectors() {}

  /** The vectors folder, checked to exist. */
  public static Path dir() {
    String configured = System.getProperty("fedsum.vectors.dir", "../../shared/vectors");
    Path dir = Path.of(configured).toAbsolutePath().normalize();
    assertThat(dir)
        .as("test vectors folder (set -Dfedsum.vectors.dir=...); see README.md")
        .isDirectory();
    return dir;
  }

  /** Parses {@code relativePath} under {@link #dir()} as JSON. */
  public static JsonNode read(String relativePath) {
    Path file = dir().resolve(relativePath);
    try {
      return JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read test vectors " + file, e);
    }
  }

  /** Every test of a Wycheproof file, each paired with its group. */
  public static List<WycheproofCase> wycheproof(String fileName) {
    JsonNode root = read("wycheproof/" + fileName);
    List<WycheproofCase> cases = new ArrayList<>();
    for (JsonNode group : root.get("testGroups")) {
      for (JsonNode test : group.get("tests")) {
        cases.add(new WycheproofCase(group, test));
      }
    }
    assertThat(cases).as("cases in " + fileName).isNotEmpty();
    return cases;
  }

  /** Decodes a hex string (empty string gives an empty array). */
  public static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  /** One Wycheproof test case with the group it belongs to. */
  public record WycheproofCase(JsonNode group, JsonNode test) {
    public int tcId() {
      return test.get("tcId").asInt();
    }

    public String result() {
      return test.get("result").asText();
    }

    public boolean hasFlag(String flag) {
      for (JsonNode f : test.path("flags")) {
        if (f.asText().equals(flag)) {
          return true;
        }
      }
      return false;
    }

    public byte[] bytes(String field) {
      return hex(test.get(field).asText());
    }

    /** {@code tcId: comment}, the form failures are collected in. */
    public String describe(String what) {
      return tcId() + ": " + test.path("comment").asText() + " — " + what;
    }
  }
}
