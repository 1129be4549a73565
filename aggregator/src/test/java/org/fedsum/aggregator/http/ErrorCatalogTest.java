package org.fedsum.aggregator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.junit.jupiter.api.Test;

class ErrorCatalogTest {
  // | `CODE` | 409 | no | meaning |
  private static final Pattern ROW =
      Pattern.compile("^\\| `([A-Z_]+)` \\| (\\d{3}) \\| (yes|no) \\|.*$", Pattern.MULTILINE);

  // Surefire and failsafe run in the module folder; docs/ is at the repository root.
  private static final Path ERRORS_MD = Path.of("..", "docs", "ERRORS.md");

  @Test
  void all_coversEveryCodeOfBothEnumsOnce() {
    List<String> codes = ErrorCatalog.all().stream().map(ErrorCatalog.Entry::code).toList();

    assertThat(codes)
        .doesNotHaveDuplicates()
        .hasSize(ErrorCode.values().length + AggregatorErrorCode.values().length);
    for (ErrorCode code : ErrorCode.values()) {
      assertThat(codes).contains(code.name());
    }
    for (AggregatorErrorCode code : AggregatorErrorCode.values()) {
      assertThat(codes).contains(code.name());
    }
  }

  @Test
  void all_statusesAreClientOrServerErrorsAndRetryFlagsFollowTheEnums() {
    for (ErrorCode code : ErrorCode.values()) {
      ErrorCatalog.Entry entry = ErrorCatalog.of(code);
      assertThat(entry.httpStatus()).as(code.name()).isBetween(400, 499);
      assertThat(entry.retryable()).as(code.name()).isEqualTo(code.retryable());
    }
    for (AggregatorErrorCode code : AggregatorErrorCode.values()) {
      ErrorCatalog.Entry entry = ErrorCatalog.of(code);
      assertThat(entry.httpStatus()).as(code.name()).isBetween(400, 599);
      assertThat(entry.retryable()).as(code.name()).isEqualTo(code.retryable());
    }
    assertThat(ErrorCatalog.of(ErrorCode.UNKNOWN_SILO).httpStatus()).isEqualTo(403);
    assertThat(ErrorCatalog.of(AggregatorErrorCode.MESSAGE_TOO_LARGE).httpStatus()).isEqualTo(413);
    assertThat(ErrorCatalog.of(AggregatorErrorCode.INTERNAL_ERROR).httpStatus()).isEqualTo(500);
  }

  @Test
  void errorsMd_listsEveryCodeWithTheSameStatusAndRetryFlag() throws Exception {
    String document = Files.readString(ERRORS_MD);
    Map<String, String> documented = new HashMap<>();
    List<String> problems = new ArrayList<>();
    Matcher row = ROW.matcher(document);
    while (row.find()) {
      String previous = documented.put(row.group(1), row.group(2) + " " + row.group(3));
      if (previous != null) {
        problems.add(row.group(1) + ": listed twice");
      }
    }
    for (ErrorCatalog.Entry entry : ErrorCatalog.all()) {
      String expected = entry.httpStatus() + " " + (entry.retryable() ? "yes" : "no");
      String actual = documented.remove(entry.code());
      if (actual == null) {
        problems.add(entry.code() + ": missing from docs/ERRORS.md");
      } else if (!actual.equals(expected)) {
        problems.add(entry.code() + ": docs say " + actual + ", code says " + expected);
      }
    }
    documented.keySet().forEach(code -> problems.add(code + ": documented but not in the code"));

    assertThat(problems).isEmpty();
    assertThat(ErrorCatalog.all()).hasSizeGreaterThanOrEqualTo(22);
  }

  @Test
  void apiException_fromProtocolException_keepsCodeRoundAndBareMessage() {
    ApiException refusal =
        ApiException.from(
            new ProtocolException(ErrorCode.STAGE_OUT_OF_ORDER, 7, "expected MASKED_INPUT"));

    assertThat(refusal.code()).isEqualTo("STAGE_OUT_OF_ORDER");
    assertThat(refusal.httpStatus()).isEqualTo(409);
    assertThat(refusal.round()).hasValue(7);
    assertThat(refusal.getMessage()).isEqualTo("expected MASKED_INPUT");
    assertThat(ErrorResponder.body(refusal).encode())
        .isEqualTo(
            "{\"error\":{\"code\":\"STAGE_OUT_OF_ORDER\",\"message\":\"expected MASKED_INPUT\","
                + "\"round\":7,\"retryable\":false}}");
  }

  @Test
  void body_withoutRound_hasExplicitNullRound() {
    ApiException refusal = ApiException.of(AggregatorErrorCode.WRONG_ROLE, "operators only");

    assertThat(ErrorResponder.body(refusal).encode())
        .isEqualTo(
            "{\"error\":{\"code\":\"WRONG_ROLE\",\"message\":\"operators only\","
                + "\"round\":null,\"retryable\":false}}");
  }
}
