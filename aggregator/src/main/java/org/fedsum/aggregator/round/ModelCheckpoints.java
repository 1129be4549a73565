package org.fedsum.aggregator.round;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.fedsum.aggregator.store.Float32Vector;
import org.fedsum.aggregator.strategy.ServerStrategy;
import org.fedsum.aggregator.strategy.StrategyState;

/**
 * Converts between strategy states (doubles) and checkpoints (float32), and hashes models.
 *
 * <p>The coordinator keeps its model and moments in float32 between rounds, exactly as
 * checkpointed, so that a run resumed from a checkpoint continues on the very values an
 * uninterrupted run would have used.
 */
final class ModelCheckpoints {
  private ModelCheckpoints() {}

  /** Rounds every coordinate to the nearest float32 (in place) and returns the floats. */
  static float[] roundToFloat(double[] values) {
    float[] floats = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      floats[i] = (float) values[i];
      values[i] = floats[i];
    }
    return floats;
  }

  static double[] widen(float[] floats) {
    double[] values = new double[floats.length];
    for (int i = 0; i < floats.length; i++) {
      values[i] = floats[i];
    }
    return values;
  }

  /** Hex SHA-256 of the model as float32 little-endian words: what the checkpoint file holds. */
  static String sha256(float[] model) {
    return Float32Vector.wrap(model).sha256();
  }

  /** The moments of {@code state}, rounded to float32, in the strategy's order. */
  static List<float[]> moments(StrategyState state) {
    List<float[]> moments = new ArrayList<>();
    for (int k = 0; k < state.momentCount(); k++) {
      double[] moment = state.moment(k);
      moments.add(roundToFloat(moment));
    }
    return moments;
  }

  /**
   * The strategy state with {@code steps} steps and the checkpoint's moments, in the byte format of
   * {@link StrategyState#encode()}, restored and checked by {@code strategy}.
   */
  static StrategyState restoreState(
      ServerStrategy strategy, long steps, List<float[]> moments, int dimension) {
    byte[] name = strategy.name().getBytes(StandardCharsets.US_ASCII);
    int length = 4 + 2 + 1 + name.length + 4 + 8 + 1 + 8 * moments.size() * dimension + 4;
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(new byte[] {'F', 'S', 'O', 'S'});
    buffer.putShort((short) StrategyState.FORMAT_VERSION);
    buffer.put((byte) name.length);
    buffer.put(name);
    buffer.putInt(dimension);
    buffer.putLong(steps);
    buffer.put((byte) moments.size());
    for (float[] moment : moments) {
      for (float value : moment) {
        buffer.putDouble(value);
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(buffer.array(), 0, buffer.position());
    buffer.putInt((int) crc.getValue());
    return strategy.restoreState(buffer.array(), dimension);
  }
}
