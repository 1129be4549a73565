package org.fedsum.aggregator.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class StrategyStateTest {
  private static final ServerStrategy FED_AVG_M = FedAvgMConfig.defaults().strategy();
  private static final ServerStrategy FED_ADAM = FedAdamConfig.defaults().strategy();

  /** A FedAvgM state after one step of Δ = (1, −2) from zero: velocity (1, −2), steps 1. */
  private static StrategyState fedAvgMAfterOneStep() {
    return FED_AVG_M
        .apply(new double[2], new double[] {1.0, -2.0}, FED_AVG_M.initialState(2))
        .nextState();
  }

  private static StrategyState fedAdamAfterSteps(int dimension, int steps) {
    StrategyState state = FED_ADAM.initialState(dimension);
    double[] model = new double[dimension];
    for (int round = 0; round < steps; round++) {
      double[] update = new double[dimension];
      for (int i = 0; i < dimension; i++) {
        update[i] = Math.sin(round * 7.0 + i) / (i + 1);
      }
      Step step = FED_ADAM.apply(model, update, state);
      model = step.nextModel();
      state = step.nextState();
    }
    return state;
  }

  /** Rewrites the trailing CRC-32C so that a deliberately altered body passes the checksum. */
  private static byte[] reseal(byte[] encoded) {
    CRC32C crc = new CRC32C();
    crc.update(encoded, 0, encoded.length - 4);
    ByteBuffer.wrap(encoded, encoded.length - 4, 4)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt((int) crc.getValue());
    return encoded;
  }

  @Test
  void encode_matchesTheDocumentedLayoutByteForByte() {
    // "FSOS", version 1, name length 7, "fedavgm", dimension 2, steps 1, 1 moment,
    // 1.0 and -2.0 as little-endian binary64, CRC-32C 0x2c5d7181 (computed with a separate
    // bitwise implementation of the Castagnoli polynomial).
    String expected =
        "46534f53"
            + "0100"
            + "07"
            + "6665646176676d"
            + "02000000"
            + "0100000000000000"
            + "01"
            + "000000000000f03f"
            + "00000000000000c0"
            + "81715d2c";
    assertThat(HexFormat.of().formatHex(fedAvgMAfterOneStep().encode())).isEqualTo(expected);
  }

  @Test
  void decode_ofEncode_isEqualAndContinuesTheSameTrajectory() {
    StrategyState state = fedAdamAfterSteps(5, 4);
    StrategyState restored = StrategyState.decode(state.encode());

    assertThat(restored).isEqualTo(state).hasSameHashCodeAs(state);
    assertThat(restored.steps()).isEqualTo(4);
    assertThat(restored.moment(1)).containsExactly(state.moment(1));
    double[] model = {1, 2, 3, 4, 5};
    double[] update = {0.1, -0.1, 0.2, -0.2, 0.3};
    assertThat(FED_ADAM.apply(model, update, restored).nextModel())
        .containsExactly(FED_ADAM.apply(model, update, state).nextModel());
  }

  @Test
  void restoreState_roundTrip_forEveryStrategy() {
    for (String name : StrategyConfig.names()) {
      ServerStrategy strategy = StrategyConfig.defaults(name).strategy();
      StrategyState state =
          strategy
              .apply(new double[3], new double[] {0.5, -0.5, 0.25}, strategy.initialState(3))
              .nextState();
      assertThat(strategy.restoreState(state.encode(), 3)).as(name).isEqualTo(state);
    }
  }

  @Test
  void restoreState_wrongDimension_isRefused() {
    byte[] encoded = fedAdamAfterSteps(5, 2).encode();
    assertThatThrownBy(() -> FED_ADAM.restoreState(encoded, 6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("restored fedadam state has dimension 5, but the model has 6");
  }

  @Test
  void restoreState_otherStrategy_isRefused() {
    byte[] encoded = fedAvgMAfterOneStep().encode();
    assertThatThrownBy(() -> FED_ADAM.restoreState(encoded, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("belongs to strategy 'fedavgm', not to 'fedadam'");
  }

  @Test
  void restoreState_rightNameWrongMomentCount_isRefused() {
    // A forged "fedadam" state with one moment vector instead of two.
    byte[] encoded = fedAvgMAfterOneStep().encode();
    byte[] forged = new byte[encoded.length];
    System.arraycopy(encoded, 0, forged, 0, encoded.length);
    byte[] adamName = "fedadam".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(adamName, 0, forged, 7, 7);
    assertThatThrownBy(() -> FED_ADAM.restoreState(reseal(forged), 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a fedadam state has 2 moment vectors [firstMoment, secondMoment]");
  }

  @Test
  void restoreState_negativeSecondMoment_isRefused() {
    byte[] encoded = fedAdamAfterSteps(2, 1).encode();
    // The second moment's last coordinate is the 8 bytes before the checksum.
    ByteBuffer.wrap(encoded, encoded.length - 12, 8).order(ByteOrder.LITTLE_ENDIAN).putDouble(-1.0);
    assertThatThrownBy(() -> FED_ADAM.restoreState(reseal(encoded), 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("secondMoment[1] is -1.0");
  }

  @Test
  void decode_anyFlippedBit_isRefusedByTheChecksum() {
    byte[] encoded = fedAdamAfterSteps(3, 2).encode();
    int checked = 0;
    // Every bit of the moments and of the checksum itself (the header, 27 bytes for "fedadam",
    // has its own checks, which may fire first).
    int header = 27;
    for (int position = header; position < encoded.length; position++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] damaged = encoded.clone();
        damaged[position] ^= (byte) (1 << bit);
        assertThatThrownBy(() -> StrategyState.decode(damaged))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("checksum mismatch");
        checked++;
      }
    }
    assertThat(checked).isEqualTo(8 * (2 * 3 * 8 + 4));
  }

  @Test
  void decode_truncatedOrPadded_isRefusedWithTheExpectedLength() {
    byte[] encoded = fedAvgMAfterOneStep().encode();
    assertThatThrownBy(() -> StrategyState.decode(Arrays.copyOf(encoded, encoded.length - 1)))
        .hasMessageContaining("is 46 bytes, but its header (dimension 2, 1 moment vectors)")
        .hasMessageContaining("requires 47");
    assertThatThrownBy(() -> StrategyState.decode(Arrays.copyOf(encoded, encoded.length + 8)))
        .hasMessageContaining("is 55 bytes");
    assertThatThrownBy(() -> StrategyState.decode(new byte[5]))
        .hasMessageContaining("at least 25 bytes, not 5");
  }

  @Test
  void decode_badMagicOrVersion_isRefused() {
    byte[] encoded = fedAvgMAfterOneStep().encode();
    byte[] wrongMagic = encoded.clone();
    wrongMagic[0] = 'X';
    assertThatThrownBy(() -> StrategyState.decode(reseal(wrongMagic)))
        .hasMessageContaining("magic \"FSOS\"");
    byte[] futureVersion = encoded.clone();
    futureVersion[4] = 2;
    assertThatThrownBy(() -> StrategyState.decode(reseal(futureVersion)))
        .hasMessageContaining("format version 2 is not supported; this code reads version 1");
  }

  @Test
  void decode_nonFiniteMoment_isRefusedNamingTheCoordinate() {
    byte[] encoded = fedAvgMAfterOneStep().encode();
    ByteBuffer.wrap(encoded, 27, 8).order(ByteOrder.LITTLE_ENDIAN).putDouble(Double.NaN);
    assertThatThrownBy(() -> StrategyState.decode(reseal(encoded)))
        .isInstanceOf(NonFiniteValueException.class)
        .hasMessageStartingWith("moment0[0] is NaN");
  }

  @Test
  void decode_badHeaderFields_areRefusedByName() {
    byte[] encoded = fedAvgMAfterOneStep().encode();
    byte[] upperCaseName = encoded.clone();
    upperCaseName[7] = 'F';
    assertThatThrownBy(() -> StrategyState.decode(reseal(upperCaseName)))
        .hasMessageContaining("strategy name must match");
    byte[] zeroDimension = encoded.clone();
    zeroDimension[14] = 0;
    assertThatThrownBy(() -> StrategyState.decode(reseal(zeroDimension)))
        .hasMessageContaining("dimension must be >= 1, not 0");
    byte[] negativeSteps = encoded.clone();
    negativeSteps[25] = (byte) 0x80;
    assertThatThrownBy(() -> StrategyState.decode(reseal(negativeSteps)))
        .hasMessageContaining("steps must be >= 0");
  }

  @Test
  void moment_returnsACopy_andToStringShowsNoValues() {
    StrategyState state = fedAvgMAfterOneStep();
    state.moment(0)[0] = 99;
    assertThat(state.moment(0)).containsExactly(1.0, -2.0);
    assertThat(state).hasToString("StrategyState[fedavgm, dimension=2, steps=1, moments=1]");
  }
}
