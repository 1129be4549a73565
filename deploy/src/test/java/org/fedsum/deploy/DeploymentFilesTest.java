package org.fedsum.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Static checks of the deployment files: the systemd units (systemd-analyze verify where it is
 * installed, and the hardening keys), the Helm chart rendered and checked against the Kubernetes
 * object shapes it must have (Helm is not installable here), the compose file, the Containerfiles
 * and the shell scripts' syntax.
 */
class DeploymentFilesTest {
  private static final Path DEPLOY = Path.of(System.getProperty("fedsum.deploy.dir", "."));
  private static final ObjectMapper YAML = new YAMLMapper();

  @ParameterizedTest
  @ValueSource(strings = {"fedsum-aggregator", "fedsum-silo"})
  void systemdUnit_isHardened_andWritesOnlyItsStateDirectory(String name) throws Exception {
    Path unit = DEPLOY.resolve("systemd/" + name + ".service");
    Map<String, List<String>> service = unitSection(unit, "Service");

    assertThat(single(service, "User")).isEqualTo(name).isNotEqualTo("root");
    assertThat(single(service, "Group")).isEqualTo(name);
    assertThat(single(service, "ProtectSystem")).isEqualTo("strict");
    assertThat(single(service, "NoNewPrivileges")).isEqualTo("true");
    assertThat(single(service, "StateDirectory")).isEqualTo(name);
    String state = "/var/lib/" + name;
    assertThat(String.join(" ", service.get("ReadWritePaths")).split(" ")).contains(state);
    assertThat(single(service, "ExecStart")).contains("--data-dir " + state);
    for (String key :
        List.of(
            "ProtectHome",
            "PrivateTmp",
            "PrivateDevices",
            "ProtectKernelTunables",
            "ProtectKernelModules",
            "ProtectControlGroups",
            "RestrictSUIDSGID",
            "LockPersonality")) {
      assertThat(single(service, key)).as(key).isEqualTo("true");
    }
    assertThat(single(service, "CapabilityBoundingSet")).isEmpty();
    assertThat(single(service, "UMask")).isEqualTo("0077");
    assertThat(single(service, "SystemCallFilter")).isEqualTo("@system-service");
    // The JVM's JIT needs writable executable memory.
    assertThat(service).doesNotContainKey("MemoryDenyWriteExecute");

    Path analyze = Path.of("/usr/bin/systemd-analyze");
    if (!Files.isExecutable(analyze)) {
      System.err.println("DeploymentFilesTest: systemd-analyze not installed; unit not verified");
      return;
    }
    // systemd-analyze exits 0 even for values it ignores: any output is a finding.
    Process verify =
        new ProcessBuilder(analyze.toString(), "verify", unit.toAbsolutePath().toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(verify.exitValue()).as(output).isZero();
    assertThat(output).as("systemd-analyze verify %s", unit).isBlank();
  }

  @Test
  void helmChart_rendersToAStatefulSetWithVolumeSecretKitServiceAndTcpProbes() throws Exception {
    Path chart = DEPLOY.resolve("helm/fedsum-aggregator");
    JsonNode chartYaml = YAML.readTree(chart.resolve("Chart.yaml").toFile());
    assertThat(chartYaml.path("apiVersion").asText()).isEqualTo("v2");
    assertThat(chartYaml.path("name").asText()).isEqualTo("fedsum-aggregator");
    assertThat(chartYaml.path("version").asText()).matches("\\d+\\.\\d+\\.\\d+");
    Map<String, JsonNode> objects = new LinkedHashMap<>();
    try (Stream<Path> templates = Files.list(chart.resolve("templates"))) {
      for (Path template : templates.sorted().toList()) {
        String rendered =
            HelmSubset.render(
                Files.readString(template),
                YAML.readTree(chart.resolve("values.yaml").toFile()),
                chartYaml,
                "fedsum");
        JsonNode object = YAML.readTree(rendered);
        assertThat(object.path("apiVersion").asText()).as("%s apiVersion", template).isNotEmpty();
        assertThat(object.path("metadata").path("name").asText())
            .as("%s name", template)
            .isNotEmpty();
        objects.put(object.path("kind").asText(), object);
      }
    }
    assertThat(objects).containsOnlyKeys("StatefulSet", "Service");

    JsonNode statefulSet = objects.get("StatefulSet");
    JsonNode service = objects.get("Service");
    assertThat(statefulSet.path("apiVersion").asText()).isEqualTo("apps/v1");
    assertThat(service.path("apiVersion").asText()).isEqualTo("v1");
    JsonNode spec = statefulSet.path("spec");
    assertThat(spec.path("replicas").asInt()).isEqualTo(1);
    assertThat(spec.path("serviceName").asText())
        .isEqualTo(service.path("metadata").path("name").asText());
    JsonNode podLabels = spec.path("template").path("metadata").path("labels");
    assertSubset(spec.path("selector").path("matchLabels"), podLabels, "selector");
    assertSubset(service.path("spec").path("selector"), podLabels, "service selector");

    JsonNode pod = spec.path("template").path("spec");
    assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.path("securityContext").path("runAsUser").asInt()).isEqualTo(10001);
    Set<String> volumes = new HashSet<>();
    pod.path("volumes").forEach(volume -> volumes.add(volume.path("name").asText()));
    spec.path("volumeClaimTemplates")
        .forEach(claim -> volumes.add(claim.path("metadata").path("name").asText()));
    Map<String, String> secretVolumes = new HashMap<>();
    pod.path("volumes")
        .forEach(
            volume -> {
              if (volume.has("secret")) {
                secretVolumes.put(
                    volume.path("name").asText(),
                    volume.path("secret").path("secretName").asText());
              }
            });
    assertThat(secretVolumes.values()).containsExactly("fedsum-aggregator-kit");

    JsonNode container = pod.path("containers").get(0);
    assertThat(container.path("image").asText()).isEqualTo("localhost/fedsum-aggregator:latest");
    Set<String> portNames = new HashSet<>();
    container.path("ports").forEach(port -> portNames.add(port.path("name").asText()));
    assertThat(portNames)
        .contains(service.path("spec").path("ports").get(0).path("targetPort").asText());
    Map<String, String> mounts = new HashMap<>();
    List<JsonNode> allContainers = new ArrayList<>();
    pod.path("initContainers").forEach(allContainers::add);
    pod.path("containers").forEach(allContainers::add);
    for (JsonNode each : allContainers) {
      assertThat(each.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true))
          .isFalse();
      assertThat(each.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
      each.path("volumeMounts")
          .forEach(
              mount -> {
                assertThat(volumes)
                    .as("volume of mount %s", mount)
                    .contains(mount.path("name").asText());
              });
    }
    container
        .path("volumeMounts")
        .forEach(
            mount -> mounts.put(mount.path("mountPath").asText(), mount.path("name").asText()));
    assertThat(mounts).containsEntry("/data", "data").containsEntry("/kit", "kit");
    assertThat(container.path("volumeMounts").findValues("readOnly")).isNotEmpty();
    assertThat(
            spec.path("volumeClaimTemplates")
                .get(0)
                .path("spec")
                .path("resources")
                .path("requests")
                .path("storage")
                .asText())
        .isEqualTo("10Gi");

    // /health needs a client certificate: kubelet cannot call it, so no probe may be httpGet.
    for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
      JsonNode check = container.path(probe);
      assertThat(check.isMissingNode()).as(probe).isFalse();
      assertThat(check.has("httpGet")).as(probe).isFalse();
      assertThat(portNames).as(probe).contains(check.path("tcpSocket").path("port").asText());
    }
  }

  @Test
  void composeFile_bringsUpAnAggregatorAndThreeSilosFromKits() throws Exception {
    // SnakeYAML itself: the file uses an anchor and merge keys, which Jackson's tree leaves as is.
    Object parsed =
        new org.yaml.snakeyaml.Yaml()
            .load(Files.readString(DEPLOY.resolve("compose/compose.yaml")));
    JsonNode compose = new ObjectMapper().valueToTree(parsed);
    JsonNode services = compose.path("services");
    List<String> names = new ArrayList<>();
    services.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("aggregator", "silo-1", "silo-2", "silo-3");
    for (String name : names) {
      JsonNode service = services.path(name);
      assertThat(service.path("read_only").asBoolean()).as(name).isTrue();
      assertThat(service.path("cap_drop").toString()).as(name).contains("ALL");
      assertThat(service.path("tmpfs").get(0).asText())
          .as(name)
          .startsWith("/tmp:")
          .contains("exec");
      List<String> volumes = new ArrayList<>();
      service.path("volumes").forEach(volume -> volumes.add(volume.asText()));
      assertThat(volumes).as(name).contains("./kits/" + name + ":/kit:ro");
      // Data on a host folder the containers' user owns (a named volume would be root's).
      assertThat(volumes).as(name).contains("./data/" + name + ":/data");
      String image = name.equals("aggregator") ? "fedsum-aggregator" : "fedsum-silo";
      assertThat(service.path("image").asText()).isEqualTo("localhost/" + image + ":latest");
      if (!name.equals("aggregator")) {
        assertThat(service.path("depends_on").toString()).contains("aggregator");
        assertThat(service.has("ports")).as("silos listen on nothing").isFalse();
      }
    }
    assertThat(services.path("aggregator").path("ports").get(0).asText()).isEqualTo("8443:8443");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aggregator", "silo"})
  void containerfile_startsFromScratch_andRunsAsTheUnprivilegedUser(String kind)
      throws IOException {
    List<String> instructions =
        Files.readAllLines(DEPLOY.resolve("container/Containerfile." + kind)).stream()
            .filter(line -> !line.isBlank() && !line.startsWith("#") && !line.startsWith(" "))
            .toList();
    assertThat(instructions.get(0)).isEqualTo("FROM scratch");
    assertThat(instructions).contains("USER 10001:10001");
    assertThat(instructions).noneMatch(line -> line.startsWith("RUN"));
    assertThat(instructions).anyMatch(line -> line.startsWith("ENTRYPOINT [\"/opt/fedsum/jre/"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"podman-setup.sh", "container/assemble-rootfs.sh"})
  void shellScripts_parse(String script) throws Exception {
    Process check =
        new ProcessBuilder("bash", "-n", DEPLOY.resolve(script).toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as(output).isZero();
  }

  @Test
  void helmSubset_refusesWhatItDoesNotKnow() {
    JsonNode values = YAML.createObjectNode().put("a", "x");
    ObjectNode chart = YAML.createObjectNode().put("appVersion", "1");
    assertThat(HelmSubset.render("k: {{ .Values.a | quote }}", values, chart, "r"))
        .isEqualTo("k: \"x\"");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HelmSubset.render("k: {{ .Values.missing }}", values, chart, "r"))
        .hasMessageContaining(".Values.missing");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HelmSubset.render("{{- if .Values.a }}", values, chart, "r"))
        .hasMessageContaining("unsupported");
  }

  private static void assertSubset(JsonNode subset, JsonNode labels, String what) {
    assertThat(subset.size()).as(what).isPositive();
    subset
        .properties()
        .forEach(
            entry ->
                assertThat(labels.path(entry.getKey()).asText())
                    .as("%s %s", what, entry.getKey())
                    .isEqualTo(entry.getValue().asText()));
  }

  private static Map<String, List<String>> unitSection(Path unit, String section)
      throws IOException {
    Map<String, List<String>> keys = new LinkedHashMap<>();
    String current = null;
    for (String line : Files.readAllLines(unit)) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
        continue;
      }
      if (trimmed.startsWith("[")) {
        current = trimmed.substring(1, trimmed.length() - 1);
        continue;
      }
      if (section.equals(current)) {
        int equals = trimmed.indexOf('=');
        assertThat(equals).as("%s: %s", unit, line).isPositive();
        keys.computeIfAbsent(trimmed.substring(0, equals), key -> new ArrayList<>())
            .add(trimmed.substring(equals + 1));
      }
    }
    return keys;
  }

  private static String single(Map<String, List<String>> section, String key) {
    assertThat(section).as(key).containsKey(key);
    assertThat(section.get(key)).as(key).hasSize(1);
    return section.get(key).get(0);
  }

  /**
   * Renders the part of Helm's template language the chart uses: {@code {{ .Values.x.y }}}, {@code
   * .Release.Name}, {@code .Chart.Key}, each optionally piped through {@code quote}. Anything else
   * is refused, so that the chart cannot grow constructs this check would skip.
   */
  static final class HelmSubset {
    private static final Pattern ACTION = Pattern.compile("\\{\\{(.*?)}}");
    private static final Pattern EXPRESSION =
        Pattern.compile("\\s*(\\.[A-Za-z][A-Za-z.]*)\\s*(\\|\\s*quote\\s*)?");

    private HelmSubset() {}

    static String render(String template, JsonNode values, JsonNode chart, String release) {
      Matcher action = ACTION.matcher(template);
      StringBuilder out = new StringBuilder();
      while (action.find()) {
        Matcher expression = EXPRESSION.matcher(action.group(1));
        if (!expression.matches()) {
          throw new IllegalArgumentException("unsupported template action: " + action.group());
        }
        String path = expression.group(1);
        String value;
        if (path.equals(".Release.Name")) {
          value = release;
        } else if (path.startsWith(".Chart.")) {
          String key = path.substring(".Chart.".length());
          value = chart.path(Character.toLowerCase(key.charAt(0)) + key.substring(1)).asText();
        } else if (path.startsWith(".Values.")) {
          JsonNode node = values;
          for (String part : path.substring(".Values.".length()).split("\\.")) {
            node = node.path(part);
          }
          if (node.isMissingNode() || node.isContainerNode()) {
            throw new IllegalArgumentException("no scalar value at " + path);
          }
          value = node.asText();
        } else {
          throw new IllegalArgumentException("unsupported template action: " + action.group());
        }
        if (expression.group(2) != null) {
          value = "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        action.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      action.appendTail(out);
      return out.toString();
    }
  }
}
