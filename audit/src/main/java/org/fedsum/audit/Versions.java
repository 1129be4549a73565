package org.fedsum.audit;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;

/** The audit tool's own version and build hash, as reports and lineage manifests state them. */
public final class Versions {
  private Versions() {}

  /** The Maven version the module was built as, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    Properties properties = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      properties.load(in);
    } catch (IOException e) {
      return "unknown";
    }
    return properties.getProperty("version", "unknown");
  }

  /**
   * SHA-256 of the jar this class was loaded from, which identifies the build exactly; empty when
   * running from a class folder (a development build has no single file to hash).
   */
  public static Optional<String> buildSha256() {
    try {
      CodeSource source = Versions.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return Optional.empty();
      }
      Path location = Path.of(source.getLocation().toURI());
      if (!Files.isRegularFile(location)) {
        return Optional.empty();
      }
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      try (InputStream in = Files.newInputStream(location)) {
        byte[] buffer = new byte[1 << 16];
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
          sha256.update(buffer, 0, read);
        }
      }
      return Optional.of(HexFormat.of().formatHex(sha256.digest()));
    } catch (IOException | URISyntaxException | NoSuchAlgorithmException | SecurityException e) {
      return Optional.empty();
    }
  }
}
