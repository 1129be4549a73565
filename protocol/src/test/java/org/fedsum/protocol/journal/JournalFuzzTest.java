package org.fedsum.protocol.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.fedsum.protocol.fuzz.FuzzInputs;

/**
 * Fuzzes the journal reader (issue "Reliability and security", hostile input: journals): a valid
 * journal with one line replaced by a mutation of itself. The verifier and the crash recovery must
 * never throw, and a changed line must be the first problem the verifier names.
 */
class JournalFuzzTest {
  private static final int RECORDS = 6;

  private static JournalFixtures pki;
  private static List<String> journal;

  @BeforeContainer
  static void writeJournal() throws GeneralSecurityException {
    pki = new JournalFixtures();
    journal = pki.silo1Journal(RECORDS);
  }

  @Property
  void oneMutatedLine_isTheFirstProblemNamed_nothingThrown(
      @ForAll("mutatedJournals") MutatedJournal mutated) throws Exception {
    AtomicReference<JournalVerification> verification = new AtomicReference<>();
    FuzzInputs.assertReturns(
        () -> {
          verification.set(JournalVerifier.verify(mutated.lines(), pki.trust, pki.timeOf(RECORDS)));
          return JournalLines.recover(mutated.lines());
        });

    assertThat(verification.get()).as("verification of %s", mutated).isNotNull();
    if (mutated.lines().get(mutated.index()).equals(journal.get(mutated.index()))) {
      assertThat(verification.get().problem()).isEmpty();
    } else {
      assertThat(verification.get().problem()).isPresent();
      assertThat(verification.get().problem().get().lineNumber()).isEqualTo(mutated.index() + 1);
      assertThat(verification.get().verifiedRecords()).hasSize(mutated.index());
    }
  }

  /** The journal with line {@code index} (0-based) replaced. */
  record MutatedJournal(List<String> lines, int index) {}

  @Provide
  Arbitrary<MutatedJournal> mutatedJournals() {
    return Arbitraries.integers()
        .between(0, RECORDS - 1)
        .flatMap(
            index ->
                Combinators.combine(
                        Arbitraries.just(index),
                        FuzzInputs.textMutationsOf(List.of(journal.get(index))))
                    .as(
                        (at, line) -> {
                          List<String> lines = new ArrayList<>(journal);
                          lines.set(at, line);
                          return new MutatedJournal(List.copyOf(lines), at);
                        }));
  }
}
