package org.fedsum.silo.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fedsum.protocol.privacy.PrivacyLedger;
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
}
