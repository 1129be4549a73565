package org.fedsum.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.fedsum.cli.CliException;
import org.fedsum.silo.data.CsvDatasetLoader;
import org.fedsum.silo.data.IdxDatasetLoader;
import org.fedsum.silo.data.LabeledDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's data: each silo's part written where its kit reads it, and the evaluation data. */
class DemoDatasetTest {
  @TempDir Path directory;

  @Test
  void syntheticGivesEachSiloItsDeviceAndEvaluatesOnEveryHeldOutPart() {
    DemoDataset data = DemoDataset.synthetic(4);
    assertThat(data.dataBlocks()).hasSize(4);
    for (int i = 0; i < 4; i++) {
      assertThat(data.dataBlocks().get(i)).contains("format: synthetic").contains("device: " + i);
    }
    // 20% of 600 examples held out by each of the 4 silos.
    assertThat(data.evaluation().size()).isEqualTo(4 * 120);
    assertThat(data.spec().parameterCount()).isEqualTo(610);
    // Record-level DP: each silo trains on 480 records; an expected batch of 48 is q = 0.1.
    assertThat(data.smallestTrainingPart()).isEqualTo(480);
    assertThat(data.expectedBatchSize()).isEqualTo(48);
    assertThat(data.recordLevelTraining()).doesNotContain("batchSize").contains("epochs: 2");
  }

  @Test
  void expectedBatchKeepsEverySilosSampleRateAtMostATenth() {
    assertThat(DemoDataset.expectedBatchSize(48, 480)).isEqualTo(48);
    assertThat(DemoDataset.expectedBatchSize(48, 200)).isEqualTo(20);
    assertThat(DemoDataset.expectedBatchSize(48, 5)).isEqualTo(1);
  }

  @Test
  void aCsvIsHeldOutThenSplitIntoOneFilePerSilo() throws Exception {
    Path csv = directory.resolve("table.csv");
    StringBuilder text = new StringBuilder("a,b,label,c\n");
    Random random = new Random(5);
    for (int row = 0; row < 200; row++) {
      text.append(random.nextInt(100))
          .append(',')
          .append(random.nextDouble())
          .append(',')
          .append(row % 3)
          .append(',')
          .append(-row)
          .append('\n');
    }
    Files.writeString(csv, text);
    Path folder = Files.createDirectories(directory.resolve("data"));
    DemoDataset data = DemoDataset.csv(csv, "label", 3, folder);
    assertThat(data.spec().classes()).isEqualTo(3);
    assertThat(data.spec().inputShape()).containsExactly(3);
    assertThat(data.evaluation().size()).isEqualTo(40);
    assertThat(data.expectedBatchSize())
        .isEqualTo(Math.max(1, data.smallestTrainingPart() / 10))
        .isLessThanOrEqualTo(32);
    int total = 0;
    for (int silo = 1; silo <= 3; silo++) {
      Path part = folder.resolve("silo-" + silo + ".csv");
      assertThat(data.dataBlocks().get(silo - 1)).contains("format: csv").contains(part.toString());
      CsvDatasetLoader loader = CsvDatasetLoader.create("label", 3);
      assertThat(loader.featureColumns(part)).containsExactly("a", "b", "c");
      total += loader.load(part).size();
    }
    assertThat(total).isEqualTo(160);

    Files.writeString(csv, "a,label\n1,0\n2,0\n");
    assertThatThrownBy(() -> DemoDataset.csv(csv, "label", 3, folder))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("fewer than 2 classes");
  }

  @Test
  void fashionMnistIsSplitIntoIdxFilesThatLoadBackPixelForPixel() throws Exception {
    Path source = Files.createDirectories(directory.resolve("fashion"));
    byte[] pixels = writeIdx(source, "train", 30, 1);
    writeIdx(source, "t10k", 12, 2);
    Path folder = Files.createDirectories(directory.resolve("data"));
    DemoDataset data = DemoDataset.fashionMnist(source, 3, folder);
    assertThat(data.evaluation().size()).isEqualTo(12);
    assertThat(data.spec().parameterCount()).isEqualTo(7850);
    IdxDatasetLoader loader = IdxDatasetLoader.fashionMnist();
    int total = 0;
    for (int silo = 1; silo <= 3; silo++) {
      LabeledDataset part =
          loader.load(
              folder.resolve("silo-" + silo + "-images-idx3-ubyte"),
              folder.resolve("silo-" + silo + "-labels-idx1-ubyte"));
      total += part.size();
      // Every written image is one of the source images, exactly.
      float[] features = part.features();
      for (int image = 0; image < part.size(); image++) {
        int found = -1;
        for (int candidate = 0; candidate < 30 && found < 0; candidate++) {
          boolean same = true;
          for (int p = 0; p < 784 && same; p++) {
            same =
                Math.round(features[image * 784 + p] * 255f)
                    == (pixels[candidate * 784 + p] & 0xff);
          }
          found = same ? candidate : -1;
        }
        assertThat(found).as("image %d of silo %d", image, silo).isNotNegative();
        assertThat(part.label(image)).isEqualTo(found % 10);
      }
    }
    assertThat(total).isEqualTo(30);
  }

  @Test
  void missingFashionMnistSaysWhichPackageToInstall() {
    assertThatThrownBy(() -> DemoDataset.fashionMnist(directory.resolve("none"), 3, directory))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("apt-get install dataset-fashion-mnist");
  }

  private static byte[] writeIdx(Path folder, String prefix, int count, long seed)
      throws IOException {
    byte[] pixels = new byte[count * 784];
    new Random(seed).nextBytes(pixels);
    try (DataOutputStream out =
        new DataOutputStream(
            new GZIPOutputStream(
                Files.newOutputStream(folder.resolve(prefix + "-images-idx3-ubyte.gz"))))) {
      out.writeInt(0x00000803);
      out.writeInt(count);
      out.writeInt(28);
      out.writeInt(28);
      out.write(pixels);
    }
    try (DataOutputStream out =
        new DataOutputStream(
            new GZIPOutputStream(
                Files.newOutputStream(folder.resolve(prefix + "-labels-idx1-ubyte.gz"))))) {
      out.writeInt(0x00000801);
      out.writeInt(count);
      for (int i = 0; i < count; i++) {
        out.writeByte(i % 10);
      }
    }
    return pixels;
  }
}
