package org.fedsum.aggregator.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.fedsum.protocol.fuzz.FuzzInputs;

/**
 * Fuzzes the aggregator's configuration readers (issue "Reliability and security", hostile input:
 * config files): the service's own file and the run files operators submit over the API. Each
 * mutated file is read or refused with {@link AggregatorConfigException}; nothing else escapes.
 */
class ConfigFuzzTest {
  private static Path directory;

  @BeforeContainer
  static void createFiles() throws IOException {
    directory = Files.createTempDirectory("config-fuzz");
    Files.createDirectories(directory.resolve("tls"));
    Files.createDirectories(directory.resolve("data"));
    for (String name : List.of("aggregator.pem", "aggregator.key", "ca.pem", "crl.pem")) {
      Files.writeString(directory.resolve("tls").resolve(name), "placeholder");
    }
  }

  @AfterContainer
  static void deleteFiles() throws IOException {
    FuzzInputs.deleteTree(directory);
  }

  @Property
  void aggregatorConfig_readOrRefused(@ForAll("aggregatorFiles") String yaml) throws Exception {
    FuzzInputs.assertDecodesOrRefuses(
        () -> AggregatorConfig.parse(yaml, directory), AggregatorConfigException.class);
  }

  @Property
  void runConfig_readOrRefused(@ForAll("runFiles") String yaml) throws Exception {
    FuzzInputs.assertDecodesOrRefuses(
        () -> RunConfig.parse(yaml, RunConfigTest.FEDERATION), AggregatorConfigException.class);
  }

  @Provide
  Arbitrary<String> aggregatorFiles() {
    return FuzzInputs.textMutationsOf(
        List.of(AggregatorConfigTest.GOOD, AggregatorConfigTest.MINIMAL));
  }

  @Provide
  Arbitrary<String> runFiles() {
    return FuzzInputs.textMutationsOf(List.of(RunConfigTest.GOOD));
  }
}
