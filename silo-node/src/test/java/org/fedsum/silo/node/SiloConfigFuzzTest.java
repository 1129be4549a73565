package org.fedsum.silo.node;

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
 * Fuzzes the silo's configuration reader (issue "Reliability and security", hostile input: config
 * files): each mutated file is read or refused with {@link SiloConfigException}, nothing else.
 */
class SiloConfigFuzzTest {
  private static Path directory;

  @BeforeContainer
  static void createFiles() throws IOException {
    directory = Files.createTempDirectory("silo-config-fuzz");
    for (String folder : List.of("tls", "data", "state")) {
      Files.createDirectories(directory.resolve(folder));
    }
    for (String name :
        List.of("tls/silo.pem", "tls/silo.key", "tls/ca.pem", "tls/crl.pem", "data/train.csv")) {
      Files.writeString(directory.resolve(name), "x");
    }
  }

  @AfterContainer
  static void deleteFiles() throws IOException {
    FuzzInputs.deleteTree(directory);
  }

  @Property
  void siloConfig_readOrRefused(@ForAll("siloFiles") String yaml) throws Exception {
    FuzzInputs.assertDecodesOrRefuses(
        () -> SiloConfig.parse(yaml, directory), SiloConfigException.class);
  }

  @Provide
  Arbitrary<String> siloFiles() {
    return FuzzInputs.textMutationsOf(List.of(SiloConfigTest.GOOD));
  }
}
