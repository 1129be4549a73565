package org.fedsum.protocol.fuzz;

import static org.fedsum.protocol.fuzz.FuzzInputs.assertDecodesOrRefuses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.RoundConfig;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.TestRounds;
import org.fedsum.protocol.WordVector;
import org.fedsum.protocol.codec.EncodingParametersCodec;
import org.fedsum.protocol.codec.JsonMessageCodec;
import org.fedsum.protocol.codec.RoundConfigCodec;
import org.fedsum.protocol.codec.VectorFrame;
import org.fedsum.protocol.encoding.EncodingParameters;

/**
 * Fuzzes every decoder of what arrives over the network (issue "Reliability and security", hostile
 * input): the silos' control messages as the aggregator decodes them, the aggregator's messages as
 * a silo decodes them, binary vector frames, and the round configuration and encoding parameters of
 * a silo's task. Each input must decode or be refused with {@link ProtocolException}; nothing else
 * may escape, and no input may take more than {@link FuzzInputs#TIME_LIMIT_SECONDS}.
 */
class ProtocolDecoderFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int VECTOR_LENGTH = 16;
  private static final int BITS = 12;

  private static TestRounds.Recorded run;
  private static String siloId;

  @BeforeContainer
  static void recordHonestRound() throws ProtocolException {
    run = TestRounds.honest(4, 3, BITS, VECTOR_LENGTH);
    siloId = run.siloMessage(Stage.ADVERTISE_KEYS).siloId();
  }

  @Property
  void siloControlMessage_decodesOrIsRefused(@ForAll("siloMessages") byte[] input)
      throws Exception {
    assertDecodesOrRefuses(
        () -> JsonMessageCodec.decodeSiloMessage(input, siloId), ProtocolException.class);
  }

  @Property
  void aggregatorMessage_decodesOrIsRefused(@ForAll("aggregatorMessages") byte[] input)
      throws Exception {
    assertDecodesOrRefuses(
        () -> JsonMessageCodec.decodeAggregatorMessage(input), ProtocolException.class);
  }

  @Property
  void vectorFrame_decodesOrIsRefused(@ForAll("vectorFrames") byte[] input) throws Exception {
    long round = run.config().round();
    assertDecodesOrRefuses(
        () -> VectorFrame.decode(input, round, BITS, VECTOR_LENGTH), ProtocolException.class);
  }

  @Property
  void roundConfig_decodesOrIsRefused(@ForAll("roundConfigs") byte[] input) throws Exception {
    JsonNode node = parsedOrNull(input);
    if (node != null) {
      assertDecodesOrRefuses(() -> RoundConfigCodec.fromJson(node), ProtocolException.class);
    }
  }

  @Property
  void encodingParameters_decodesOrIsRefused(@ForAll("encodingParameters") byte[] input)
      throws Exception {
    JsonNode node = parsedOrNull(input);
    if (node != null) {
      assertDecodesOrRefuses(() -> EncodingParametersCodec.fromJson(node), ProtocolException.class);
    }
  }

  @Provide
  Arbitrary<byte[]> siloMessages() {
    List<byte[]> seeds = new ArrayList<>();
    for (Stage stage : Stage.values()) {
      if (stage != Stage.MASKED_INPUT) {
        seeds.add(JsonMessageCodec.encode(run.siloMessage(stage)));
      }
    }
    return FuzzInputs.mutationsOf(seeds);
  }

  @Provide
  Arbitrary<byte[]> aggregatorMessages() {
    List<byte[]> seeds = new ArrayList<>();
    for (AggregatorMessage message : run.aggregatorMessages()) {
      seeds.add(JsonMessageCodec.encode(message));
    }
    return FuzzInputs.mutationsOf(seeds);
  }

  @Provide
  Arbitrary<byte[]> vectorFrames() {
    int[] words = new int[VECTOR_LENGTH];
    for (int i = 0; i < words.length; i++) {
      words[i] = (i * 257) & ((1 << BITS) - 1);
    }
    return FuzzInputs.mutationsOf(
        List.of(VectorFrame.encode(run.config().round(), BITS, WordVector.wrap(words))));
  }

  @Provide
  Arbitrary<byte[]> roundConfigs() {
    RoundConfig config = run.config();
    return FuzzInputs.mutationsOf(List.of(bytes(RoundConfigCodec.toJson(config))));
  }

  @Provide
  Arbitrary<byte[]> encodingParameters() {
    EncodingParameters parameters =
        EncodingParameters.builder()
            .setDimension(1000)
            .setClipNorm(1.25)
            .setNoiseMultiplier(0.7)
            .setThreshold(3)
            .setSilos(4)
            .setBits(32)
            .setRotationSeed(new byte[16])
            .buildChoosingGamma();
    EncodingParameters weighted =
        EncodingParameters.builder()
            .setDimension(10)
            .setClipNorm(2)
            .setNoiseMultiplier(0)
            .setThreshold(3)
            .setSilos(4)
            .setBits(24)
            .setWeighted(500)
            .buildChoosingGamma();
    return FuzzInputs.mutationsOf(
        List.of(
            bytes(EncodingParametersCodec.toJson(parameters)),
            bytes(EncodingParametersCodec.toJson(weighted))));
  }

  /** The silo parses a task with Jackson before the codecs see it; unparsable text stops there. */
  private static JsonNode parsedOrNull(byte[] input) {
    try {
      return JSON.readTree(input);
    } catch (IOException notJson) {
      // Jackson's refusals include CharConversionException for bytes it took for UTF-32.
      return null;
    }
  }

  private static byte[] bytes(JsonNode node) {
    return node.toString().getBytes(StandardCharsets.UTF_8);
  }
}
