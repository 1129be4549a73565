package org.fedsum.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.fedsum.audit.AuditFinding.Severity;
import org.junit.jupiter.api.Test;

class AuditFindingTest {
  @Test
  void toString_locatedFinding_namesFileLineSeqAndType() {
    AuditFinding finding =
        new AuditFinding(
            Severity.FAILURE, "journal-chain", "a.jsonl", 7, 6, "round-finished", "prev differs");

    assertThat(finding).hasToString("a.jsonl:7 (seq 6, round-finished): prev differs");
    assertThat(finding.fails()).isTrue();
  }

  @Test
  void toString_findingAboutTheWholeJournal_leavesOutWhatIsUnknown() {
    AuditFinding finding =
        new AuditFinding(Severity.NOTE, "run-end", "a.jsonl", 0, -1, "", "no run-completed");

    assertThat(finding).hasToString("a.jsonl: no run-completed");
    assertThat(finding.fails()).isFalse();
  }
}
