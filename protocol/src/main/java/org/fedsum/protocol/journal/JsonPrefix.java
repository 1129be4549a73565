package org.fedsum.protocol.journal;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Tells a JSON text cut short from one that is broken: a scanner for the grammar of RFC 8259 §2–§7
 * that reports whether its input is a complete JSON text, a proper prefix of one (some continuation
 * would make it complete), or neither. A record write cut short by a crash leaves a proper prefix;
 * a flipped byte almost always leaves neither.
 *
 * <p>Jackson cannot answer this: it reports many cut-short texts (after a comma, inside {@code
 * null}) as syntax errors rather than as an early end of input.
 */
final class JsonPrefix {
  /** What a text is, as far as the JSON grammar goes. */
  enum Result {
    /** One complete JSON value, possibly surrounded by whitespace. */
    COMPLETE,
    /** Not complete, but some continuation would make it a complete JSON text. */
    INCOMPLETE,
    /** No continuation can make it JSON. */
    INVALID
  }

  private enum Expect {
    VALUE,
    FIRST_VALUE_OR_END,
    FIRST_KEY_OR_END,
    KEY,
    COLON,
    COMMA_OR_END,
    DONE
  }

  // States of the number automaton: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (RFC 8259 §6).
  private enum NumberState {
    MINUS,
    ZERO,
    INTEGER,
    DOT,
    FRACTION,
    EXPONENT_MARK,
    EXPONENT_SIGN,
    EXPONENT;

    boolean isComplete() {
      return this == ZERO || this == INTEGER || this == FRACTION || this == EXPONENT;
    }
  }

  private final Deque<Character> containers = new ArrayDeque<>();
  private Expect expect = Expect.VALUE;
  private boolean inString;
  private boolean stringIsKey;
  private boolean escape;
  private int hexDigitsLeft;
  private String literalLeft;
  private NumberState number;

  private JsonPrefix() {}

  /** Classifies {@code text}. */
  static Result scan(String text) {
    JsonPrefix scanner = new JsonPrefix();
    return scanner.firstInvalid(text) >= 0 ? Result.INVALID : scanner.atEnd();
  }

  /**
   * The index of the first character of {@code text} that no JSON text can have there, or -1 if
   * there is none (the text is complete or a proper prefix).
   */
  static int firstInvalidIndex(String text) {
    return new JsonPrefix().firstInvalid(text);
  }

  private int firstInvalid(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (!accept(text.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private Result atEnd() {
    if (number != null && containers.isEmpty() && number.isComplete()) {
      return Result.COMPLETE;
    }
    if (inString || literalLeft != null || number != null) {
      return Result.INCOMPLETE;
    }
    return expect == Expect.DONE ? Result.COMPLETE : Result.INCOMPLETE;
  }

  private boolean accept(char c) {
    if (inString) {
      return acceptInString(c);
    }
    if (literalLeft != null) {
      if (c != literalLeft.charAt(0)) {
        return false;
      }
      literalLeft = literalLeft.length() == 1 ? null : literalLeft.substring(1);
      if (literalLeft == null) {
        afterValue();
      }
      return true;
    }
    if (number != null) {
      NumberState next = nextNumberState(number, c);
      if (next != null) {
        number = next;
        return true;
      }
      if (!number.isComplete()) {
        return false;
      }
      number = null;
      afterValue();
      // The character that ended the number is a token of its own.
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return true;
    }
    switch (expect) {
      case VALUE:
      case FIRST_VALUE_OR_END:
        if (c == ']' && expect == Expect.FIRST_VALUE_OR_END) {
          containers.pop();
          afterValue();
          return true;
        }
        return startValue(c);
      case FIRST_KEY_OR_END:
      case KEY:
        if (c == '}' && expect == Expect.FIRST_KEY_OR_END) {
          containers.pop();
          afterValue();
          return true;
        }
        if (c == '"') {
          inString = true;
          stringIsKey = true;
          return true;
        }
        return false;
      case COLON:
        if (c == ':') {
          expect = Expect.VALUE;
          return true;
        }
        return false;
      case COMMA_OR_END:
        char container = containers.peek();
        if (c == ',') {
          expect = container == '{' ? Expect.KEY : Expect.VALUE;
          return true;
        }
        if ((c == '}' && container == '{') || (c == ']' && container == '[')) {
          containers.pop();
          afterValue();
          return true;
        }
        return false;
      case DONE:
      default:
        return false;
    }
  }

  private boolean startValue(char c) {
    switch (c) {
      case '{' -> {
        containers.push('{');
        expect = Expect.FIRST_KEY_OR_END;
      }
      case '[' -> {
        containers.push('[');
        expect = Expect.FIRST_VALUE_OR_END;
      }
      case '"' -> {
        inString = true;
        stringIsKey = false;
      }
      case 't' -> literalLeft = "rue";
      case 'f' -> literalLeft = "alse";
      case 'n' -> literalLeft = "ull";
      case '-' -> number = NumberState.MINUS;
      default -> {
        if (c < '0' || c > '9') {
          return false;
        }
        number = c == '0' ? NumberState.ZERO : NumberState.INTEGER;
      }
    }
    return true;
  }

  private boolean acceptInString(char c) {
    if (hexDigitsLeft > 0) {
      if (Character.digit(c, 16) < 0) {
        return false;
      }
      hexDigitsLeft--;
      return true;
    }
    if (escape) {
      escape = false;
      if (c == 'u') {
        hexDigitsLeft = 4;
        return true;
      }
      return "\"\\/bfnrt".indexOf(c) >= 0;
    }
    if (c == '\\') {
      escape = true;
      return true;
    }
    if (c == '"') {
      inString = false;
      if (stringIsKey) {
        expect = Expect.COLON;
      } else {
        afterValue();
      }
      return true;
    }
    // RFC 8259 §7: control characters must be escaped.
    return c >= 0x20;
  }

  private void afterValue() {
    expect = containers.isEmpty() ? Expect.DONE : Expect.COMMA_OR_END;
  }

  /** The state after {@code c}, or null if {@code c} cannot continue the number. */
  private static NumberState nextNumberState(NumberState state, char c) {
    boolean digit = c >= '0' && c <= '9';
    boolean exponentMark = c == 'e' || c == 'E';
    boolean sign = c == '+' || c == '-';
    return switch (state) {
      case MINUS -> c == '0' ? NumberState.ZERO : digit ? NumberState.INTEGER : null;
      case ZERO -> c == '.' ? NumberState.DOT : exponentMark ? NumberState.EXPONENT_MARK : null;
      case INTEGER -> {
        if (digit) {
          yield NumberState.INTEGER;
        }
        yield c == '.' ? NumberState.DOT : exponentMark ? NumberState.EXPONENT_MARK : null;
      }
      case DOT -> digit ? NumberState.FRACTION : null;
      case FRACTION ->
          digit ? NumberState.FRACTION : exponentMark ? NumberState.EXPONENT_MARK : null;
      case EXPONENT_MARK -> sign ? NumberState.EXPONENT_SIGN : digit ? NumberState.EXPONENT : null;
      case EXPONENT_SIGN, EXPONENT -> digit ? NumberState.EXPONENT : null;
    };
  }
}
