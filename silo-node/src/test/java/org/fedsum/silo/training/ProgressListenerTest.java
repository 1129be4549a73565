package org.fedsum.silo.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressListenerTest {
  @Test
  void progressBar_redrawsInPlaceAndEndsTheEpochWithANewline() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    ProgressBarListener bar = new ProgressBarListener(out, 10);
    bar.onEpochStart(1, 2, 4);
    for (int batch = 1; batch <= 4; batch++) {
      bar.onBatchEnd(1, 2, batch, 4, 1.0 / batch);
    }
    bar.onEpochEnd(new EpochReport(1, 2, 0.52, 100, 1.24));
    String text = bytes.toString(StandardCharsets.UTF_8);

    assertThat(text).doesNotContain("\n\r").endsWith("\n");
    assertThat(text.chars().filter(c -> c == '\n').count()).isEqualTo(1);
    String[] frames = text.substring(1, text.length() - 1).split("\r");
    assertThat(frames)
        .containsExactly(
            "epoch 1/2 [----------]   0%",
            "epoch 1/2 [##--------]  25%  loss 1.0000",
            "epoch 1/2 [#####-----]  50%  loss 0.5000",
            "epoch 1/2 [#######---]  75%  loss 0.3333",
            "epoch 1/2 [##########] 100%  loss 0.2500",
            "epoch 1/2 [##########] 100%  mean loss 0.5200  100 examples in 1.2 s");
  }

  @Test
  void progressBar_manyBatches_redrawsAtMostOncePerPercent() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressBarListener bar =
        new ProgressBarListener(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    bar.onEpochStart(1, 1, 10_000);
    for (int batch = 1; batch <= 10_000; batch++) {
      bar.onBatchEnd(1, 1, batch, 10_000, 0.5);
    }
    long redraws = bytes.toString(StandardCharsets.UTF_8).chars().filter(c -> c == '\r').count();
    assertThat(redraws).isEqualTo(101);
  }

  @Test
  void logLines_atMostTenPerEpochPlusTheSummary() {
    List<String> lines = new ArrayList<>();
    LogLineProgressListener log = new LogLineProgressListener(lines::add);
    log.onEpochStart(2, 3, 1000);
    for (int batch = 1; batch <= 1000; batch++) {
      log.onBatchEnd(2, 3, batch, 1000, 0.25);
    }
    log.onEpochEnd(new EpochReport(2, 3, 0.3, 64_000, 12.34));
    assertThat(lines).hasSize(10);
    assertThat(lines.get(0)).isEqualTo("epoch 2/3: batch 100/1000 (10%), loss 0.2500");
    assertThat(lines.get(8)).isEqualTo("epoch 2/3: batch 900/1000 (90%), loss 0.2500");
    assertThat(lines.get(9))
        .isEqualTo("epoch 2/3 done: mean loss 0.3000, 64000 examples in 12.3 s");
    assertThat(lines).noneMatch(line -> line.contains("\r"));
  }

  @Test
  void forConsole_picksTheBarOnlyForATerminal() {
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThat(TrainingProgressListener.forConsole(true, out))
        .isInstanceOf(ProgressBarListener.class);
    assertThat(TrainingProgressListener.forConsole(false, out))
        .isInstanceOf(LogLineProgressListener.class);
  }
}
