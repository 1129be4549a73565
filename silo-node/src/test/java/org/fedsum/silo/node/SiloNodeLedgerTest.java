package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.fedsum.protocol.privacy.PrivacyLedger;
import org.fedsum.protocol.privacy.RecordLevelLedger;
import org.junit.jupiter.api.Test;

class SiloNodeLedgerTest {
  private static String spent(String runIdField, long round) {
    return "{\"type\":\"privacy-spent\",\"body\":{"
        + runIdField
        + "\"round\":"
        + round
        + ",\"survivors\":3,\"survivorsVerified\":true,\"clipNorm\":\"1.0\","
        + "\"noiseMultiplier\":\"1.0\",\"gamma\":\"1.0E-4\",\"threshold\":3,\"dimension\":100}}";
  }

  @Test
  void ledgerFromJournal_twoRunsBothNumberedFromOne_bothCounted() throws Exception {
    List<String> journal =
        List.of(
            spent("\"runId\":\"run-a\",", 1),
            spent("\"runId\":\"run-a\",", 2),
            "{\"type\":\"round-agreed\",\"body\":{\"round\":1}}",
            spent("\"runId\":\"run-b\",", 1));
    PrivacyLedger ledger = SiloNode.ledgerFromJournal(journal);
    assertThat(ledger.entries())
        .extracting(PrivacyLedger.Entry::runId)
        .containsExactly("run-a", "run-a", "run-b");
    PrivacyLedger firstRunOnly = SiloNode.ledgerFromJournal(journal.subList(0, 2));
    assertThat(ledger.spent(1e-5).enforcedEpsilon())
        .isGreaterThan(firstRunOnly.spent(1e-5).enforcedEpsilon());
  }

  @Test
  void ledgerFromJournal_recordsWithoutRunId_replayAsOneRun() throws Exception {
    PrivacyLedger ledger = SiloNode.ledgerFromJournal(List.of(spent("", 1), spent("", 2)));
    assertThat(ledger.entries()).extracting(PrivacyLedger.Entry::runId).containsExactly("", "");
  }

  private static String recordSpent(String runId, long round, double sampleRate, long steps) {
    return "{\"type\":\"privacy-spent\",\"body\":{\"runId\":\""
        + runId
        + "\",\"round\":"
        + round
        + ",\"unit\":\"record\",\"sampleRate\":\""
        + sampleRate
        + "\",\"noiseMultiplier\":\"1.1\",\"clipNorm\":\"1.0\",\"steps\":"
        + steps
        + ",\"epsilonSpent\":\"1.0\",\"delta\":\"1.0E-5\"}}";
  }

  @Test
  void ledgersFromJournal_eachUnitReplaysItsOwnRecords() throws Exception {
    List<String> journal =
        List.of(
            spent("\"runId\":\"run-a\",\"unit\":\"silo\",", 1),
            recordSpent("run-a", 1, 0.01, 200),
            recordSpent("run-b", 1, 0.02, 100));
    PrivacyLedger silo = SiloNode.ledgerFromJournal(journal);
    RecordLevelLedger record = SiloNode.recordLevelLedgerFromJournal(journal);
    assertThat(silo.entries()).hasSize(1);
    assertThat(record.entries())
        .containsExactly(
            new RecordLevelLedger.Entry("run-a", 1, 0.01, 1.1, 200),
            new RecordLevelLedger.Entry("run-b", 1, 0.02, 1.1, 100));
    // The replayed ledger spends what the two rounds compose to: a restart forgets nothing.
    RecordLevelLedger expected =
        RecordLevelLedger.empty()
            .record(new RecordLevelLedger.Entry("run-a", 1, 0.01, 1.1, 200))
            .record(new RecordLevelLedger.Entry("run-b", 1, 0.02, 1.1, 100));
    assertThat(record.spent(1e-5)).isEqualTo(expected.spent(1e-5));
    assertThat(record.spent(1e-5).unit()).isEqualTo("record");
    assertThat(SiloNode.recordLevelLedgerFromJournal(journal.subList(0, 1)).entries()).isEmpty();
  }

  @Test
  void recordLevelLedgerFromJournal_unreplayableRecord_refusedNotForgotten() {
    assertThatThrownBy(
            () -> SiloNode.recordLevelLedgerFromJournal(List.of(recordSpent("run-a", 1, 1.5, 10))))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("sampleRate");
  }
}
