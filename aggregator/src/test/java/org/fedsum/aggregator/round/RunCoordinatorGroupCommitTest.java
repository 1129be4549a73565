package org.fedsum.aggregator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedsum.aggregator.store.JournalFile;
import org.fedsum.protocol.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator over the journal's group commit: an operation's reply, a silo's task and the
 * run's status wait for the fsync of the records they depend on, and the wait is not under the
 * coordinator's lock.
 */
class RunCoordinatorGroupCommitTest {
  @TempDir Path root;

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Real fsyncs, counted; while a gate is set, the next fsync waits at it. */
  private static final class GatedSyncer implements JournalFile.Syncer {
    final AtomicInteger syncs = new AtomicInteger();
    volatile CountDownLatch gate;
    volatile CountDownLatch entered = new CountDownLatch(1);

    @Override
    public void sync(FileChannel channel) throws IOException {
      syncs.incrementAndGet();
      entered.countDown();
      CountDownLatch held = gate;
      if (held != null) {
        try {
          held.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted at the gate", e);
        }
      }
      channel.force(true);
    }

    CountDownLatch hold() {
      CountDownLatch held = new CountDownLatch(1);
      entered = new CountDownLatch(1);
      gate = held;
      return held;
    }

    void release(CountDownLatch held) {
      gate = null;
      held.countDown();
    }
  }

  @Test
  void startRound_neitherItsCallerNorAPollNorTheStatusSeeTheRoundBeforeItsRecordIsDurable()
      throws Exception {
    GatedSyncer syncer = new GatedSyncer();
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      RunCoordinator coordinator = fixture.open(syncer);
      String silo = fixture.roster.get(0);
      CountDownLatch held = syncer.hold();

      Future<?> starting;
      Future<SiloTask> polling;
      try {
        starting =
            threads.submit(
                () -> {
                  coordinator.startRound();
                  return null;
                });
        assertThat(syncer.entered.await(10, TimeUnit.SECONDS)).isTrue();
        // round-started is written, its fsync held: a poll, which would hand out the round's
        // parameters, waits for it; the status still shows the run as it was; neither takes the
        // coordinator's lock for the wait, so both get that far.
        polling = threads.submit(() -> coordinator.poll(silo, -1, 0));
        Thread.sleep(300);
        assertThat(starting).isNotDone();
        assertThat(polling).isNotDone();
        assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.IDLE);
        assertThat(coordinator.status().currentRound()).isEqualTo(-1);
        assertThat(coordinator.started()).isFalse();
        // The fsync runs outside the coordinator's monitor: anything else that needs it gets it.
        threads.submit(() -> coordinator.onRoundEvents(RoundEvents.NONE)).get(5, TimeUnit.SECONDS);
      } finally {
        // Also when an assertion failed: a held fsync would keep the journal from closing.
        syncer.release(held);
      }
      starting.get(10, TimeUnit.SECONDS);
      assertThat(polling.get(10, TimeUnit.SECONDS).round()).isPresent();
      assertThat(coordinator.status().phase()).isEqualTo(RunStatus.Phase.COLLECTING);
      assertThat(coordinator.status().currentRound()).isEqualTo(1);
    }
  }

  @Test
  void submit_returnsOnlyAfterItsRecordIsDurable_andTheStatusCountsItOnlyThen() throws Exception {
    GatedSyncer syncer = new GatedSyncer();
    try (RoundFixture fixture = new RoundFixture(root, 1, 3)) {
      RunCoordinator coordinator = fixture.open(syncer);
      coordinator.startRound();
      int syncsBefore = syncer.syncs.get();
      CountDownLatch held = syncer.hold();

      // The silos advertise their keys one after another; the first submission's fsync is held.
      Future<?> advertising;
      try {
        advertising =
            threads.submit(
                () -> {
                  fixture.startSilos(fixture.randomUpdates(), Map.of());
                  return null;
                });
        assertThat(syncer.entered.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(300);
        assertThat(advertising).isNotDone();
        assertThat(
                coordinator.status().participants().getOrDefault(Stage.ADVERTISE_KEYS, List.of()))
            .isEmpty();
        threads.submit(() -> coordinator.onRoundEvents(RoundEvents.NONE)).get(5, TimeUnit.SECONDS);
      } finally {
        syncer.release(held);
      }
      advertising.get(10, TimeUnit.SECONDS);
      RunStatus status = coordinator.status();
      assertThat(status.stage()).contains(Stage.SHARE_KEYS);
      assertThat(status.participants().get(Stage.ADVERTISE_KEYS))
          .containsExactlyElementsOf(fixture.roster);
      // Each submission waited for a durable journal; none skipped its fsync.
      assertThat(syncer.syncs.get() - syncsBefore).isPositive();
    }
  }
}
