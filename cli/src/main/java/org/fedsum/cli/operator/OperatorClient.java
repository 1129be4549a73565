package org.fedsum.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import org.fedsum.cli.CliException;
import org.fedsum.cli.Kit;
import org.fedsum.crypto.MutualTls;
import org.fedsum.crypto.SiteRole;

/**
 * An operator's HTTPS client: presents the kit's operator certificate and accepts only the
 * federation's aggregator (chain to the kit's CA, host name, role, CRL). Refusals become a {@link
 * CliException} with the aggregator's error code and message.
 */
public final class OperatorClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI base;
  private final Duration timeout;

  private OperatorClient(HttpClient http, URI base, Duration timeout) {
    this.http = http;
    this.base = base;
    this.timeout = timeout;
  }

  /** A client for the aggregator named in the operator kit's {@code aggregator.url}. */
  public static OperatorClient fromKit(Kit kit, Duration timeout) throws CliException {
    Kit.Tls tls = kit.tls();
    String url = kit.configTree().path("aggregator").path("url").asText("");
    URI base;
    try {
      base = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    } catch (URISyntaxException e) {
      throw new CliException(kit.configFile() + ": aggregator.url: not a URL: " + url, e);
    }
    if (!"https".equals(base.getScheme()) || base.getHost() == null) {
      throw new CliException(
          kit.configFile() + ": aggregator.url: must be https://HOST:PORT, not \"" + url + "\"");
    }
    try {
      HttpClient http =
          HttpClient.newBuilder()
              .sslContext(
                  MutualTls.clientContext(
                      tls.certificate(),
                      tls.key(),
                      tls.trust(),
                      SiteRole.AGGREGATOR,
                      Clock.systemUTC()))
              .connectTimeout(timeout)
              .build();
      return new OperatorClient(http, base, timeout);
    } catch (GeneralSecurityException e) {
      throw new CliException(
          kit.folder() + ": the kit's key and certificate: " + e.getMessage(), e);
    }
  }

  /** The aggregator's base URL. */
  public URI base() {
    return base;
  }

  /** GET {@code path}, the answer as text. */
  public String getText(String path) throws CliException, InterruptedException {
    return send(request(path).GET().build()).body();
  }

  /** GET {@code path}, the answer as JSON. */
  public JsonNode getJson(String path) throws CliException, InterruptedException {
    return json(getText(path), path);
  }

  /** POST {@code body} ({@code contentType}) to {@code path}, the answer as JSON. */
  public JsonNode post(String path, String body, String contentType)
      throws CliException, InterruptedException {
    HttpRequest request =
        request(path)
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    return json(send(request).body(), path);
  }

  /** PUT the file's bytes to {@code path}, the answer as JSON. */
  public JsonNode put(String path, Path file) throws CliException, InterruptedException {
    HttpRequest request;
    try {
      request =
          request(path)
              .header("Content-Type", "application/octet-stream")
              .PUT(HttpRequest.BodyPublishers.ofFile(file))
              .build();
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return json(send(request).body(), path);
  }

  /** GET {@code path} into {@code file} (written beside it first, then renamed). */
  public void download(String path, Path file) throws CliException, InterruptedException {
    Path partial = file.toAbsolutePath().resolveSibling(file.getFileName() + ".part");
    try {
      HttpResponse<Path> response =
          http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofFile(partial));
      if (response.statusCode() / 100 != 2) {
        String body = Files.readString(partial, StandardCharsets.UTF_8);
        Files.deleteIfExists(partial);
        throw refusal(path, response.statusCode(), body);
      }
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw unreachable(e);
    }
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
  }

  private HttpResponse<String> send(HttpRequest request) throws CliException, InterruptedException {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw unreachable(e);
    }
    if (response.statusCode() / 100 != 2) {
      throw refusal(request.uri().getPath(), response.statusCode(), response.body());
    }
    return response;
  }

  private CliException unreachable(IOException e) {
    String why =
        e instanceof ConnectException ? "connection refused" : String.valueOf(e.getMessage());
    return new CliException(
        "cannot reach the aggregator at " + base + ": " + why, CliException.FAILURE, e);
  }

  private static CliException refusal(String path, int status, String body) {
    String detail = body;
    try {
      JsonNode error = JSON.readTree(body).path("error");
      if (error.isObject()) {
        detail = error.path("code").asText() + ": " + error.path("message").asText();
      }
    } catch (IOException e) {
      // Not JSON: the body as it is.
    }
    return new CliException(
        "the aggregator refused " + path + " (HTTP " + status + ") " + detail,
        CliException.FAILURE,
        null);
  }

  private static JsonNode json(String body, String path) throws CliException {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new CliException(
          "the aggregator's answer to " + path + " is not JSON", CliException.FAILURE, e);
    }
  }
}
