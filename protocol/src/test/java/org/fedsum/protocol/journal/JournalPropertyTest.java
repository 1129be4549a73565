package org.fedsum.protocol.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;

class JournalPropertyTest {
  private static JournalFixtures pki;
  private static List<String> journal;

  @BeforeContainer
  static void createPki() throws GeneralSecurityException {
    pki = new JournalFixtures();
    journal = pki.silo1Journal(3);
  }

  @Property(tries = 200)
  void append_anyJsonBody_givesACanonicalLineThatVerifiesAndWhosePrefixesArePartial(
      @ForAll("bodies") Map<String, Object> body) {
    JournalWriter.Opened opened =
        JournalWriter.open(
            JournalFixtures.FEDERATION_ID,
            JournalFixtures.SILO_1,
            pki.silo1Certificate,
            pki.silo1Key,
            pki.timeOf(0));

    String line = opened.writer().append("round-started", body, pki.timeOf(1));

    assertThat(
            JournalVerifier.verify(List.of(opened.line(), line), pki.trust, pki.timeOf(2))
                .problem())
        .isEmpty();
    assertThat(JsonPrefix.scan(line)).isEqualTo(JsonPrefix.Result.COMPLETE);
    assertThat(JournalLines.isPartialRecord(line)).isFalse();
    for (int length = 1; length < line.length(); length++) {
      assertThat(JournalLines.isPartialRecord(line.substring(0, length)))
          .as("prefix of length %d", length)
          .isTrue();
    }
  }

  @Property(tries = 200)
  void encode_anyJsonBody_isIndependentOfInsertionOrder(
      @ForAll("bodies") Map<String, Object> body) {
    @SuppressWarnings("unchecked")
    Map<String, Object> reversed = (Map<String, Object>) reverseKeys(body);

    assertThat(CanonicalJson.encode(CanonicalJson.fromMap(reversed, "body")))
        .isEqualTo(CanonicalJson.encode(CanonicalJson.fromMap(body, "body")));
  }

  @Property(tries = 300)
  void verify_anyExtraLine_isRefusedAtThatLineWithoutThrowing(@ForAll String extra) {
    List<String> lines = new ArrayList<>(journal);
    lines.add(extra);

    JournalVerification verification = JournalVerifier.verify(lines, pki.trust, pki.timeOf(5));

    assertThat(verification.problem()).isPresent();
    assertThat(verification.problem().get().lineNumber()).isEqualTo(journal.size() + 1);
    assertThat(verification.verifiedRecords()).hasSize(journal.size());
  }

  @Property(tries = 300)
  void scan_agreesWithJacksonOnCompleteness(@ForAll("jsonish") String text) {
    boolean jacksonReadsOneValue;
    try (var parser = CanonicalJson.parser(text)) {
      jacksonReadsOneValue = parser.readValueAsTree() != null && parser.nextToken() == null;
    } catch (Exception e) {
      jacksonReadsOneValue = false;
    }

    if (jacksonReadsOneValue) {
      assertThat(JsonPrefix.scan(text)).isEqualTo(JsonPrefix.Result.COMPLETE);
    } else {
      assertThat(JsonPrefix.scan(text)).isNotEqualTo(JsonPrefix.Result.COMPLETE);
    }
  }

  @Provide
  Arbitrary<String> jsonish() {
    return Arbitraries.strings().withChars("{}[]\":,-0123456789.eEtruefalsn \\").ofMaxLength(14);
  }

  @Provide
  Arbitrary<Map<String, Object>> bodies() {
    return Arbitraries.maps(keys(), value(3)).ofMaxSize(5);
  }

  private static Arbitrary<String> keys() {
    return Arbitraries.strings().all().ofMaxLength(6).filter(CanonicalJson::isWellFormed);
  }

  private static Arbitrary<Object> value(int depth) {
    Arbitrary<Object> leaf =
        Arbitraries.oneOf(
                Arbitraries.strings()
                    .all()
                    .ofMaxLength(10)
                    .filter(CanonicalJson::isWellFormed)
                    .map(s -> (Object) s),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.integers().map(i -> (Object) i),
                Arbitraries.of(true, false).map(b -> (Object) b))
            .injectNull(0.1);
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<Object> child = Arbitraries.lazy(() -> value(depth - 1));
    return Arbitraries.frequencyOf(
        Tuple.of(4, leaf),
        Tuple.of(1, Arbitraries.maps(keys(), child).ofMaxSize(3).map(m -> (Object) m)),
        Tuple.of(1, child.list().ofMaxSize(3).map(l -> (Object) l)));
  }

  private static Object reverseKeys(Object value) {
    if (value instanceof Map<?, ?> map) {
      List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
      Map<String, Object> reversed = new LinkedHashMap<>();
      for (int i = entries.size() - 1; i >= 0; i--) {
        reversed.put((String) entries.get(i).getKey(), reverseKeys(entries.get(i).getValue()));
      }
      return reversed;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>();
      for (Object element : list) {
        copy.add(reverseKeys(element));
      }
      return copy;
    }
    return value;
  }
}
