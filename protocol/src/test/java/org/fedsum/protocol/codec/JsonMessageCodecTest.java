package org.fedsum.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.fedsum.protocol.AdvertiseKeys;
import org.fedsum.protocol.AggregatorMessage;
import org.fedsum.protocol.ConsistencyProof;
import org.fedsum.protocol.ConsistencySignature;
import org.fedsum.protocol.EncryptedShares;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ForwardedShares;
import org.fedsum.protocol.KeyList;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.SiloMessage;
import org.fedsum.protocol.Stage;
import org.fedsum.protocol.SurvivorList;
import org.fedsum.protocol.TestRounds;
import org.fedsum.protocol.UnmaskShares;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JsonMessageCodecTest {
  private static TestRounds.Recorded run;

  @BeforeAll
  static void recordHonestRound() throws ProtocolException {
    run = TestRounds.honest(4, 3, 12, 16);
  }

  @Test
  void everyControlMessage_roundTripsToAnEqualEncoding() throws ProtocolException {
    List<String> failures = new ArrayList<>();
    for (Stage stage : Stage.values()) {
      SiloMessage message = run.siloMessage(stage);
      if (stage == Stage.MASKED_INPUT) {
        assertThatThrownBy(() -> JsonMessageCodec.encode(message))
            .isInstanceOf(IllegalArgumentException.class);
        continue;
      }
      byte[] encoded = JsonMessageCodec.encode(message);
      SiloMessage decoded = JsonMessageCodec.decodeSiloMessage(encoded, message.siloId());
      if (!decoded.getClass().equals(message.getClass())
          || !java.util.Arrays.equals(JsonMessageCodec.encode(decoded), encoded)) {
        failures.add(stage + ": silo message does not round-trip");
      }
    }
    for (AggregatorMessage message : run.aggregatorMessages()) {
      byte[] encoded = JsonMessageCodec.encode(message);
      AggregatorMessage decoded = JsonMessageCodec.decodeAggregatorMessage(encoded);
      if (!decoded.getClass().equals(message.getClass())
          || !java.util.Arrays.equals(JsonMessageCodec.encode(decoded), encoded)) {
        failures.add(message.stage() + ": aggregator message does not round-trip");
      }
    }
    assertThat(failures).isEmpty();
    assertThat(run.aggregatorMessages())
        .hasAtLeastOneElementOfType(KeyList.class)
        .hasAtLeastOneElementOfType(ForwardedShares.class)
        .hasAtLeastOneElementOfType(SurvivorList.class)
        .hasAtLeastOneElementOfType(ConsistencyProof.class);
  }

  @Test
  void decodedAdvertisement_keepsKeysCertificateAndSignature() throws ProtocolException {
    AdvertiseKeys original = (AdvertiseKeys) run.siloMessage(Stage.ADVERTISE_KEYS);
    AdvertiseKeys decoded =
        (AdvertiseKeys)
            JsonMessageCodec.decodeSiloMessage(
                JsonMessageCodec.encode(original), original.siloId());
    assertThat(decoded.maskingPublicKey()).isEqualTo(original.maskingPublicKey());
    assertThat(decoded.shareEncryptionPublicKey()).isEqualTo(original.shareEncryptionPublicKey());
    assertThat(decoded.certificate()).isEqualTo(original.certificate());
    assertThat(decoded.signature()).isEqualTo(original.signature());
    assertThat(decoded.round()).isEqualTo(original.round());
  }

  @Test
  void messageClaimingAnotherSender_isRefused() {
    SiloMessage message = run.siloMessage(Stage.CONSISTENCY_CHECK);
    assertRefused(JsonMessageCodec.encode(message), "silo-99", "claims sender");
  }

  @Test
  void hostileJson_isRefusedAsMalformedNamingTheProblem() {
    String sender = run.siloMessage(Stage.CONSISTENCY_CHECK).siloId();
    String valid =
        new String(
            JsonMessageCodec.encode(run.siloMessage(Stage.CONSISTENCY_CHECK)),
            StandardCharsets.UTF_8);
    assertRefused(bytes("not json"), sender, "not valid JSON");
    assertRefused(bytes("[1,2]"), sender, "must be a JSON object");
    assertRefused(bytes(valid.replace("}", ",\"extra\":1}")), sender, "unknown field 'extra'");
    assertRefused(bytes(valid.replace("\"round\"", "\"rnd\"")), sender, "missing field 'round'");
    assertRefused(bytes(valid + "{}"), sender, "not valid JSON");
    assertRefused(
        bytes(valid.replace("\"consistency-signature\"", "\"nope\"")),
        sender,
        "unknown silo message type");
    assertRefused(
        bytes(valid.replaceFirst("\"signature\":\"[^\"]*\"", "\"signature\":\"***\"")),
        sender,
        "not base64");
    assertRefused(
        bytes(valid.replaceFirst("\"round\":\\d+", "\"round\":-3")),
        sender,
        "non-negative integer");
    assertRefused(
        bytes(valid.replaceFirst("\"round\":\\d+", "\"round\":\"5\"")),
        sender,
        "non-negative integer");
    assertRefused(
        bytes(valid.replace("\"type\"", "\"type\":\"x\",\"type\"")), sender, "not valid JSON");
    assertRefused(new byte[JsonMessageCodec.MAX_MESSAGE_BYTES + 1], sender, "exceeds the limit");
  }

  @Test
  void hostileAggregatorMessages_areRefused() {
    String survivors =
        new String(
            JsonMessageCodec.encode(run.aggregatorMessage(Stage.CONSISTENCY_CHECK)),
            StandardCharsets.UTF_8);
    String duplicated = survivors.replaceFirst("\\[\"([^\"]+)\"", "[\"$1\",\"$1\"");
    assertThatThrownBy(() -> JsonMessageCodec.decodeAggregatorMessage(bytes(duplicated)))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
              assertThat(e.getMessage()).contains("twice");
            });
    String badId = survivors.replaceFirst("\\[\"[^\"]+\"", "[\"../etc/passwd\"");
    assertThatThrownBy(() -> JsonMessageCodec.decodeAggregatorMessage(bytes(badId)))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.getMessage()).contains("silo ids"));
  }

  @Test
  void unmaskSharesToString_printsRecipientsNotShares() {
    UnmaskShares unmask = (UnmaskShares) run.siloMessage(Stage.UNMASK);
    String printed = unmask.toString();
    assertThat(printed).contains(unmask.siloId()).doesNotContain("[B@");
    for (byte[] share : unmask.selfMaskSeedShares().values()) {
      assertThat(printed).doesNotContain(java.util.Base64.getEncoder().encodeToString(share));
    }
    assertThat(run.siloMessage(Stage.SHARE_KEYS)).isInstanceOf(EncryptedShares.class);
    assertThat(run.siloMessage(Stage.CONSISTENCY_CHECK)).isInstanceOf(ConsistencySignature.class);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertRefused(byte[] json, String sender, String expectedDetail) {
    assertThatThrownBy(() -> JsonMessageCodec.decodeSiloMessage(json, sender))
        .isInstanceOfSatisfying(
            ProtocolException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
              assertThat(e.getMessage()).contains(expectedDetail);
            });
  }
}
