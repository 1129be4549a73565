package org.fedsum.silo.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard normal noise for DP-SGD that nobody can reproduce, not even someone who knows the
 * training config and its seed.
 *
 * <p>Why not {@code SecureRandom.nextGaussian()}: DP-SGD needs one normal per parameter per step
 * (200,000 per step for a 784-200-200-10 perceptron), and {@code SecureRandom} hands out its bytes
 * four at a time under a lock, which would cost more than the training itself. Why not PyTorch's
 * generator: it is a Mersenne Twister whose seed is a 32-bit int, which an attacker can search.
 *
 * <p>What: an AES-256 key and a counter block drawn from {@link SecureRandom} when the generator is
 * made (once per {@link LocalModel#train} call), AES-CTR keystream as the source of uniform bits
 * (AES-CTR is a standard cryptographically secure generator, NIST SP 800-90A's CTR_DRBG core, and
 * the JDK runs it with the AES-NI instructions), and the Box–Muller transform. Each pair of normals
 * takes a 53-bit uniform for the radius, {@code u1 ∈ (0, 1]}, so the radius {@code sqrt(−2 ln u1)}
 * reaches 8.5 standard deviations (the mass beyond is about 1e−17, so the truncation is far below
 * any δ in use), and a 32-bit uniform for the angle. The transform runs in PyTorch, in float32, on
 * the whole vector at once.
 *
 * <p>Not thread-safe.
 */
final class GaussianNoise implements AutoCloseable {
  private static final int BYTES_PER_PAIR = Long.BYTES + Integer.BYTES;
  private static final double TWO_TO_MINUS_53 = 0x1.0p-53;
  private static final double TWO_TO_MINUS_32 = 0x1.0p-32;

  private final Cipher keystream;
  private final ExecutorService filler;
  private final ByteBuffer[] buffers = {ByteBuffer.allocateDirect(0), ByteBuffer.allocateDirect(0)};
  private int current;
  private byte[] zeros = new byte[0];
  private byte[] bits = new byte[0];
  private Future<ByteBuffer> prepared;
  private int preparedPairs;

  private GaussianNoise(Cipher keystream) {
    this.keystream = keystream;
    this.filler =
        Executors.newSingleThreadExecutor(
            task -> {
              Thread thread = new Thread(task, "fedsum-dp-noise");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** A generator keyed from {@code random}; use {@code new SecureRandom()} outside tests. */
  static GaussianNoise keyedFrom(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] key = new byte[32];
    byte[] counter = new byte[16];
    random.nextBytes(key);
    random.nextBytes(counter);
    try {
      Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(counter));
      return new GaussianNoise(cipher);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM offers no AES/CTR/NoPadding", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** {@code count} independent N(0, 1) draws as a float32 vector on {@code manager}. */
  NDArray standardNormal(NDManager manager, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, not " + count);
    }
    int pairs = (count + 1) / 2;
    ByteBuffer uniforms;
    if (prepared != null && preparedPairs == pairs) {
      uniforms = await(prepared);
    } else {
      if (prepared != null) {
        await(prepared); // never two fills at once: they share the cipher
      }
      uniforms = fill(current, pairs);
    }
    prepared = null;
    ByteBuffer view = uniforms.duplicate().order(ByteOrder.nativeOrder());
    view.position(0).limit(2 * pairs * Float.BYTES);
    NDArray both = manager.create(view, new Shape(2, pairs), DataType.FLOAT32);
    NDArray radius = both.get(0).log().muli(-2f).sqrt();
    NDArray angle = both.get(1).muli((float) (2 * Math.PI));
    NDArray normals = NDArrays.concat(new NDList(radius.mul(angle.cos()), radius.mul(angle.sin())));
    // The next call's uniforms go to the other buffer; this one stays as PyTorch saw it.
    current = 1 - current;
    int next = current;
    preparedPairs = pairs;
    prepared = filler.submit(() -> fill(next, pairs));
    return count == 2 * pairs ? normals : normals.get(new NDIndex("0:{}", count));
  }

  /** Fills buffer {@code index} with {@code pairs} radius uniforms, then as many angle uniforms. */
  private ByteBuffer fill(int index, int pairs) {
    int byteCount = Math.multiplyExact(pairs, BYTES_PER_PAIR);
    if (zeros.length < byteCount) {
      zeros = new byte[byteCount];
      bits = new byte[byteCount];
    }
    if (buffers[index].capacity() < 2 * pairs * Float.BYTES) {
      buffers[index] =
          ByteBuffer.allocateDirect(Math.multiplyExact(2 * pairs, Float.BYTES))
              .order(ByteOrder.nativeOrder());
    }
    try {
      int written = keystream.update(zeros, 0, byteCount, bits, 0);
      if (written != byteCount) {
        throw new IllegalStateException(
            "AES-CTR returned " + written + " of " + byteCount + " bytes");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR failed", e);
    }
    ByteBuffer source = ByteBuffer.wrap(bits, 0, byteCount);
    FloatBuffer target = buffers[index].duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < pairs; i++) {
      // (0, 1]: never 0, so the logarithm is finite.
      target.put(i, (float) (((source.getLong() >>> 11) + 1) * TWO_TO_MINUS_53));
    }
    for (int i = 0; i < pairs; i++) {
      target.put(pairs + i, (float) ((source.getInt() & 0xFFFFFFFFL) * TWO_TO_MINUS_32));
    }
    return buffers[index];
  }

  private static ByteBuffer await(Future<ByteBuffer> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while drawing DP noise", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("drawing DP noise failed", e.getCause());
    }
  }

  /** Stops the background thread; an unfinished fill is abandoned. */
  @Override
  public void close() {
    filler.shutdownNow();
  }
}
