package org.fedsum.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Inputs for fuzzing a decoder: valid encodings (the seeds) changed by one to eight mutations — bit
 * flips, bytes set to values parsers care about, tokens that stress number and string parsing,
 * deleted, duplicated and inserted ranges, truncation — plus some purely random byte strings.
 * Starting from valid encodings reaches the checks deep inside a decoder, which random bytes rarely
 * get past the first byte of.
 *
 * <p>How many inputs a property tries is jqwik's default ({@code jqwik.tries.default}, 1,000 unless
 * configured), so a longer campaign is {@code -Djqwik.tries.default=200000} on the fuzz tests
 * alone; jqwik prints the tries and the seed of every property it runs.
 */
public final class FuzzInputs {
  /** A decode that takes longer than this counts as a hang. */
  public static final long TIME_LIMIT_SECONDS = 10;

  private static final byte[] INTERESTING_BYTES = {
    0,
    -1,
    0x7f,
    (byte) 0x80,
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '-',
    '+',
    '.',
    '0',
    '9',
    'e',
    'E',
    'n',
    't',
    'f',
    ' ',
    '\n',
    '=',
    '/'
  };
  private static final List<String> INTERESTING_TOKENS =
      List.of(
          "1e999999999",
          "-1e-999999",
          "99999999999999999999999999999999",
          "-9223372036854775809",
          "2147483648",
          "-0",
          "NaN",
          "null",
          "true",
          "\"\"",
          "\"\\ud800\"",
          "\"\\u0000\"",
          "[]",
          "{}",
          "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
          "{\"a\":{\"a\":{\"a\":{\"a\":{",
          "\uFEFF",
          "\u00e9\u20ac\uD83D\uDE00");

  private static final ExecutorService DECODER_THREAD =
      Executors.newSingleThreadExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "fuzzed-decoder");
            thread.setDaemon(true);
            return thread;
          });

  private FuzzInputs() {}

  /** Mutations of {@code seeds}, and one input in ten random bytes. */
  public static Arbitrary<byte[]> mutationsOf(List<byte[]> seeds) {
    List<byte[]> copies = seeds.stream().map(byte[]::clone).toList();
    Arbitrary<byte[]> mutated =
        Combinators.combine(
                Arbitraries.integers().between(0, copies.size() - 1),
                mutation().list().ofMinSize(1).ofMaxSize(8))
            .as(
                (seed, mutations) -> {
                  byte[] input = copies.get(seed).clone();
                  for (Mutation mutation : mutations) {
                    input = mutation.apply(input);
                  }
                  return input;
                });
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(512);
    return Arbitraries.frequencyOf(Tuple.of(9, mutated), Tuple.of(1, random));
  }

  /** {@link #mutationsOf} for text decoders; invalid UTF-8 becomes replacement characters. */
  public static Arbitrary<String> textMutationsOf(List<String> seeds) {
    return mutationsOf(seeds.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList())
        .map(bytes -> new String(bytes, StandardCharsets.UTF_8));
  }

  /** A decoder under test: returns a value or throws its typed refusal. */
  @FunctionalInterface
  public interface Decoder {
    Object decode() throws Exception;
  }

  /**
   * Runs {@code decoder} on its own thread and checks the outcome: a value, or an exception of
   * {@code refusal}'s type with a message. Anything else (a runtime exception, an error such as
   * {@link OutOfMemoryError}, or no answer within {@link #TIME_LIMIT_SECONDS}) fails the property,
   * which then shrinks the input.
   */
  public static void assertDecodesOrRefuses(Decoder decoder, Class<? extends Exception> refusal)
      throws Exception {
    Throwable thrown = outcome(decoder);
    if (thrown != null && !refusal.isInstance(thrown)) {
      throw new AssertionError(
          "expected a value or a " + refusal.getSimpleName() + ", got " + thrown, thrown);
    }
    if (thrown != null) {
      assertThat(thrown.getMessage()).as("a refusal says what is wrong").isNotBlank();
    }
  }

  /** As {@link #assertDecodesOrRefuses}, for readers that report problems instead of throwing. */
  public static void assertReturns(Decoder decoder) throws Exception {
    Throwable thrown = outcome(decoder);
    if (thrown != null) {
      throw new AssertionError("expected a value, got " + thrown, thrown);
    }
  }

  /** What {@code decoder} threw, or null if it returned; fails if it does not finish in time. */
  private static Throwable outcome(Decoder decoder) throws InterruptedException {
    Future<Object> outcome = DECODER_THREAD.submit(decoder::decode);
    try {
      outcome.get(TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
      return null;
    } catch (TimeoutException hang) {
      outcome.cancel(true);
      throw new AssertionError("decoder did not finish within " + TIME_LIMIT_SECONDS + " s");
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  /** Deletes {@code folder} and everything in it: the files a fuzzed reader was given to find. */
  public static void deleteTree(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }

  /** One change to an input; positions are fractions of its length so any seed fits. */
  record Mutation(int kind, double where, int length, int value) {
    private static final int KINDS = 7;

    byte[] apply(byte[] input) {
      int position = (int) (where * input.length);
      switch (kind) {
        case 0:
          if (input.length > 0) {
            int at = Math.min(position, input.length - 1);
            input[at] ^= (byte) (1 << (value & 7));
          }
          return input;
        case 1:
          if (input.length > 0) {
            input[Math.min(position, input.length - 1)] =
                INTERESTING_BYTES[Math.floorMod(value, INTERESTING_BYTES.length)];
          }
          return input;
        case 2:
          return splice(
              input,
              position,
              0,
              INTERESTING_TOKENS
                  .get(Math.floorMod(value, INTERESTING_TOKENS.size()))
                  .getBytes(StandardCharsets.UTF_8));
        case 3:
          return splice(input, position, Math.min(length, input.length - position), new byte[0]);
        case 4:
          {
            int end = Math.min(input.length, position + length);
            return splice(input, position, 0, Arrays.copyOfRange(input, position, end));
          }
        case 5:
          return Arrays.copyOf(input, position);
        default:
          byte[] random = new byte[1 + Math.floorMod(value, 8)];
          for (int i = 0; i < random.length; i++) {
            random[i] = (byte) (value >>> (3 * i));
          }
          return splice(input, position, 0, random);
      }
    }

    private static byte[] splice(byte[] input, int at, int remove, byte[] insert) {
      byte[] result = new byte[input.length - remove + insert.length];
      System.arraycopy(input, 0, result, 0, at);
      System.arraycopy(insert, 0, result, at, insert.length);
      System.arraycopy(input, at + remove, result, at + insert.length, input.length - at - remove);
      return result;
    }
  }

  private static Arbitrary<Mutation> mutation() {
    return Combinators.combine(
            Arbitraries.integers().between(0, Mutation.KINDS - 1),
            Arbitraries.doubles().between(0, 1).filter(d -> d < 1),
            Arbitraries.integers().between(1, 64),
            Arbitraries.integers())
        .as(Mutation::new);
  }
}
