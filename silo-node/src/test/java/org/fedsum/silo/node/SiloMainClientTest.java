package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.fedsum.silo.client.AggregatorClient;
import org.fedsum.silo.client.FrameUpload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The aggregator client a silo node builds from its config file. */
class SiloMainClientTest {
  @TempDir Path directory;

  @Test
  void aggregatorClient_uploadsInTheConfiguredParts_orSixteenMebibytesWhenUnset() throws Exception {
    SiloKitFiles.write(directory, "fed-parts", "silo-a");
    Files.createDirectories(directory.resolve("state"));

    try (AggregatorClient configured = client("uploadPartKibibytes: 64");
        AggregatorClient unset = client("requestTimeoutSeconds: 300")) {
      assertThat(configured.uploadPartBytes()).isEqualTo(64 * 1024);
      assertThat(unset.uploadPartBytes())
          .isEqualTo(FrameUpload.DEFAULT_PART_BYTES)
          .isEqualTo(16 << 20);
    }
  }

  private AggregatorClient client(String aggregatorSetting) throws Exception {
    SiloConfig config =
        SiloConfig.parse(
            String.join(
                "\n",
                "siloId: silo-a",
                SiloKitFiles.TLS_YAML,
                "aggregator: {url: 'https://127.0.0.1:8443', " + aggregatorSetting + "}",
                "dataDirectory: state",
                "data: {format: synthetic, examples: 100, device: 0}",
                ""),
            directory);
    return SiloMain.aggregatorClient(config, SiloMain.Material.load(config), Clock.systemUTC());
  }
}
