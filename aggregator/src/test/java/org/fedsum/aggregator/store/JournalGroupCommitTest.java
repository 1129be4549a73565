package org.fedsum.aggregator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.fedsum.protocol.journal.JournalRecord;
import org.fedsum.protocol.journal.JournalVerification;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's group commit ({@link JournalFile#write}, {@link JournalFile#awaitDurable}): records
 * reach the file in seq order, waiters share fsyncs, and no waiter returns before an fsync that
 * began after its record was written has completed.
 */
class JournalGroupCommitTest {
  private static StoreFixtures pki;

  @TempDir Path directory;

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeAll
  static void createPki() {
    pki = new StoreFixtures();
  }

  @AfterEach
  void stopThreads() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /**
   * Counts fsyncs and remembers how far the file was forced: the file's size when a real force
   * began, set only once that force has returned. It can hold the next fsync at a gate.
   */
  private static final class CountingSyncer implements JournalFile.Syncer {
    final AtomicInteger syncs = new AtomicInteger();
    final AtomicLong forcedUpTo = new AtomicLong();
    volatile CountDownLatch gate;
    final CountDownLatch entered = new CountDownLatch(1);
    volatile boolean fail;

    @Override
    public void sync(FileChannel channel) throws IOException {
      syncs.incrementAndGet();
      long size = channel.size();
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
      if (fail) {
        throw new IOException("Input/output error (simulated fsync failure)");
      }
      channel.force(true);
      forcedUpTo.accumulateAndGet(size, Math::max);
    }
  }

  private JournalFile open(CountingSyncer syncer) throws Exception {
    return JournalFile.open(directory, pki.owner, pki.timeOf(0), syncer);
  }

  private JournalVerification verification() throws IOException {
    return pki.verify(directory.resolve(JournalFile.FILE_NAME));
  }

  @Test
  void write_doesNotSync_andAwaitDurableSyncsOnceForEverythingWritten() throws Exception {
    CountingSyncer syncer = new CountingSyncer();
    try (JournalFile journal = open(syncer)) {
      List<JournalFile.Written> written = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        written.add(journal.write("round-started", StoreFixtures.body(i), pki.timeOf(i)));
      }
      assertThat(syncer.syncs).hasValue(0);
      assertThat(journal.durablePosition()).isLessThan(written.get(0).position());
      // Only durable lines are read: nobody may learn of the five yet.
      assertThat(journal.readLines()).hasSize(1);

      journal.awaitDurable(written.get(4).position());
      assertThat(syncer.syncs).hasValue(1);
      assertThat(syncer.forcedUpTo.get()).isGreaterThanOrEqualTo(written.get(4).position());
      // Earlier positions are durable already: no second fsync.
      journal.awaitDurable(written.get(0).position());
      journal.sync();
      assertThat(syncer.syncs).hasValue(1);
      assertThat(journal.readLines()).hasSize(6);
      assertThat(journal.syncCount()).isEqualTo(1);
    }
    assertThat(verification().problem()).isEmpty();
    assertThat(verification().verifiedRecords()).hasSize(6);
  }

  @Test
  void concurrentWriters_recordsAreInSeqOrder_positionsFollowTheChain() throws Exception {
    CountingSyncer syncer = new CountingSyncer();
    int writers = 8;
    int perWriter = 25;
    List<Long> positions = new ArrayList<>();
    try (JournalFile journal = open(syncer)) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<JournalFile.Written>>> results = new ArrayList<>();
      for (int t = 0; t < writers; t++) {
        int writer = t;
        results.add(
            threads.submit(
                () -> {
                  start.await();
                  List<JournalFile.Written> mine = new ArrayList<>();
                  for (int i = 0; i < perWriter; i++) {
                    JournalFile.Written w =
                        journal.write(
                            "message-accepted",
                            StoreFixtures.body(writer * 1000L + i),
                            pki.timeOf(1));
                    journal.awaitDurable(w.position());
                    assertThat(syncer.forcedUpTo.get()).isGreaterThanOrEqualTo(w.position());
                    mine.add(w);
                  }
                  return mine;
                }));
      }
      start.countDown();
      for (Future<List<JournalFile.Written>> result : results) {
        for (JournalFile.Written w : result.get(60, TimeUnit.SECONDS)) {
          positions.add(w.position());
        }
      }
      // Fewer fsyncs than records is the point; at most one per record is the bound.
      assertThat(syncer.syncs.get()).isBetween(1, writers * perWriter);
    }
    JournalVerification verification = verification();
    assertThat(verification.problem()).isEmpty();
    List<JournalRecord> records = verification.verifiedRecords();
    assertThat(records).hasSize(1 + writers * perWriter);
    // Each record's returned position is the end of its line in the file, in seq order.
    List<String> lines = Files.readAllLines(directory.resolve(JournalFile.FILE_NAME));
    List<Long> ends = new ArrayList<>();
    long end = 0;
    for (String line : lines) {
      end += line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
      ends.add(end);
    }
    positions.sort(null);
    assertThat(positions).isEqualTo(ends.subList(1, ends.size()));
    for (int i = 0; i < records.size(); i++) {
      assertThat(records.get(i).seq()).isEqualTo(i);
    }
  }

  @Test
  void waitersForTheSameOrEarlierPositions_shareOneFsync_andNoneReturnsBeforeIt() throws Exception {
    CountingSyncer syncer = new CountingSyncer();
    try (JournalFile journal = open(syncer)) {
      List<JournalFile.Written> written = new ArrayList<>();
      for (int i = 1; i <= 6; i++) {
        written.add(journal.write("message-accepted", StoreFixtures.body(i), pki.timeOf(i)));
      }
      syncer.gate = new CountDownLatch(1);
      List<Future<Long>> waiters = new ArrayList<>();
      for (JournalFile.Written w : written) {
        waiters.add(
            threads.submit(
                () -> {
                  journal.awaitDurable(w.position());
                  return syncer.forcedUpTo.get();
                }));
      }
      assertThat(syncer.entered.await(10, TimeUnit.SECONDS)).isTrue();
      // One waiter runs the fsync (held at the gate); the others wait for it, none returned.
      Thread.sleep(200);
      for (Future<Long> waiter : waiters) {
        assertThat(waiter).isNotDone();
      }
      assertThat(syncer.syncs).hasValue(1);

      syncer.gate.countDown();
      for (int i = 0; i < waiters.size(); i++) {
        assertThat(waiters.get(i).get(10, TimeUnit.SECONDS))
            .isGreaterThanOrEqualTo(written.get(i).position());
      }
      assertThat(syncer.syncs).hasValue(1);
    }
  }

  @Test
  void aRecordWrittenDuringAnFsync_waitsForTheNextOne() throws Exception {
    CountingSyncer syncer = new CountingSyncer();
    try (JournalFile journal = open(syncer)) {
      JournalFile.Written first =
          journal.write("message-accepted", StoreFixtures.body(1), pki.timeOf(1));
      CountDownLatch firstGate = new CountDownLatch(1);
      syncer.gate = firstGate;
      Future<Long> firstWaiter =
          threads.submit(
              () -> {
                journal.awaitDurable(first.position());
                return syncer.forcedUpTo.get();
              });
      assertThat(syncer.entered.await(10, TimeUnit.SECONDS)).isTrue();

      // Written while the first fsync runs: that fsync's target was taken before it.
      JournalFile.Written second =
          journal.write("message-accepted", StoreFixtures.body(2), pki.timeOf(2));
      Future<Long> secondWaiter =
          threads.submit(
              () -> {
                journal.awaitDurable(second.position());
                return syncer.forcedUpTo.get();
              });
      Thread.sleep(200);
      assertThat(firstWaiter).isNotDone();
      assertThat(secondWaiter).isNotDone();

      syncer.gate = null;
      firstGate.countDown();
      assertThat(firstWaiter.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(first.position());
      assertThat(secondWaiter.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(second.position());
      assertThat(syncer.syncs).hasValue(2);
    }
  }

  @Test
  void fsyncFails_everyRecordAfterTheDurableOnesIsCutOff_andEachWaiterIsTold() throws Exception {
    CountingSyncer syncer = new CountingSyncer();
    byte[] durable;
    try (JournalFile journal = open(syncer)) {
      journal.append("round-started", StoreFixtures.body(1), pki.timeOf(1));
      durable = Files.readAllBytes(directory.resolve(JournalFile.FILE_NAME));
      JournalFile.Written a =
          journal.write("message-accepted", StoreFixtures.body(2), pki.timeOf(2));
      JournalFile.Written b =
          journal.write("message-accepted", StoreFixtures.body(3), pki.timeOf(3));
      syncer.fail = true;

      assertThatThrownBy(() -> journal.awaitDurable(b.position()))
          .isInstanceOf(JournalWriteException.class)
          .hasMessageContaining("simulated fsync failure");
      assertThatThrownBy(() -> journal.awaitDurable(a.position()))
          .isInstanceOf(JournalWriteException.class)
          .hasMessageContaining("was not made durable");
      assertThatThrownBy(
              () -> journal.write("message-accepted", StoreFixtures.body(4), pki.timeOf(4)))
          .isInstanceOf(JournalWriteException.class)
          .hasMessageContaining("refuses appends");
      assertThat(Files.readAllBytes(directory.resolve(JournalFile.FILE_NAME))).isEqualTo(durable);
      assertThat(journal.readLines()).hasSize(2);
    }
    assertThat(verification().verifiedRecords()).hasSize(2);
  }
}
