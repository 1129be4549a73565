package org.fedsum.protocol.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JournalLinesTest {
  private static List<String> journal;

  @BeforeAll
  static void createJournal() throws GeneralSecurityException {
    journal = new JournalFixtures().silo1Journal(5);
  }

  private static List<String> withLast(String last) {
    List<String> lines = new ArrayList<>(journal.subList(0, journal.size() - 1));
    lines.add(last);
    return lines;
  }

  @Test
  void recover_completeJournal_keepsEveryLine() {
    JournalLines.Recovery recovery = JournalLines.recover(journal);

    assertThat(recovery.droppedPartialLastLine()).isFalse();
    assertThat(recovery.lines()).isEqualTo(journal);
  }

  @Test
  void recover_emptyJournal_isUnchanged() {
    JournalLines.Recovery recovery = JournalLines.recover(List.of());

    assertThat(recovery.droppedPartialLastLine()).isFalse();
    assertThat(recovery.lines()).isEmpty();
  }

  @Test
  void recover_everyPrefixOfEveryRecordAsLastLine_isDropped() {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (String line : journal) {
      for (int length = 1; length < line.length(); length++) {
        checked++;
        JournalLines.Recovery recovery = JournalLines.recover(withLast(line.substring(0, length)));
        if (!recovery.droppedPartialLastLine()
            || !recovery.lines().equals(journal.subList(0, journal.size() - 1))) {
          failures.add("prefix of length " + length + " of " + line.substring(0, 40) + "…");
        }
      }
    }

    assertThat(failures).isEmpty();
    assertThat(checked).isGreaterThan(1500);
  }

  @Test
  void recover_zeroFilledTail_isDropped() {
    String last = journal.get(journal.size() - 1);

    assertThat(JournalLines.recover(withLast("\0\0\0\0")).droppedPartialLastLine()).isTrue();
    assertThat(
            JournalLines.recover(withLast(last.substring(0, 30) + "\0\0\0"))
                .droppedPartialLastLine())
        .isTrue();
    assertThat(JournalLines.recover(withLast("")).droppedPartialLastLine()).isTrue();
  }

  @Test
  void recover_completeLastRecord_isKeptEvenIfItDoesNotVerify() {
    String last = journal.get(journal.size() - 1);
    String altered = last.replace("silo-4", "silo-5");

    JournalLines.Recovery recovery = JournalLines.recover(withLast(altered));

    assertThat(recovery.droppedPartialLastLine()).isFalse();
    assertThat(recovery.lines()).endsWith(altered);
  }

  @Test
  void recover_brokenButNotCutShortLastLine_isKept() {
    String last = journal.get(journal.size() - 1);
    List<String> broken =
        List.of(
            // The colon after "body" made an x: no continuation is JSON.
            last.substring(0, 7) + "x" + last.substring(8, 80),
            last.substring(0, last.length() - 1) + "]",
            "garbage",
            " " + last.substring(0, 30),
            "[\"body\"",
            last + "{");

    for (String line : broken) {
      assertThat(JournalLines.recover(withLast(line)).droppedPartialLastLine()).as(line).isFalse();
    }
  }

  @Test
  void recover_truncatedMiddleLine_isNotTouched() {
    List<String> lines = new ArrayList<>(journal);
    lines.set(2, lines.get(2).substring(0, 25));

    JournalLines.Recovery recovery = JournalLines.recover(lines);

    assertThat(recovery.droppedPartialLastLine()).isFalse();
    assertThat(recovery.lines()).isEqualTo(lines);
  }

  @Test
  void isPartialRecord_cutInsideEveryKindOfToken_isTrue() {
    List<String> partial =
        List.of(
            "{",
            "{\"",
            "{\"body\"",
            "{\"body\":",
            "{\"body\":{\"a\":nu",
            "{\"body\":{\"a\":tr",
            "{\"body\":{\"a\":fals",
            "{\"body\":{\"a\":-",
            "{\"body\":{\"a\":12",
            "{\"body\":{\"a\":\"\\u00",
            "{\"body\":{\"a\":\"\\",
            "{\"body\":{\"a\":[1,",
            "{\"body\":{\"a\":[],",
            "{\"body\":{}");

    for (String line : partial) {
      assertThat(JournalLines.isPartialRecord(line)).as(line).isTrue();
    }
    assertThat(JournalLines.isPartialRecord("{\"body\":{}}")).isFalse();
    assertThat(JournalLines.isPartialRecord("{\"body\":{\"a\":nul1")).isFalse();
    assertThat(JournalLines.isPartialRecord("{\"body\":{\"a\":01")).isFalse();
    assertThat(JournalLines.isPartialRecord("{\"body\":{\"a\":\"\\x")).isFalse();
    assertThat(JournalLines.isPartialRecord("{\"body\":{\"a\":\"\u0001")).isFalse();
  }
}
