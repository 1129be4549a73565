package org.fedsum.crypto.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256-CTR keystream (NIST SP 800-38A §6.5) with a 128-bit big-endian counter block that
 * starts at zero: block {@code i} of the keystream is {@code AES-256(key, i)}. Any range of blocks
 * can be produced without producing the blocks before it.
 *
 * <p>Three implementations give the same bytes: BoringSSL's AES-CTR through Conscrypt (native, fast
 * from the first call); the JDK's own AES/CTR, which HotSpot replaces with a vectorised AES stub
 * (AVX-512 VAES where the CPU has it) once C2 has compiled the cipher's call path, and which is
 * then several times faster than BoringSSL's, but before that runs AES in plain Java at a fiftieth
 * of the speed; and, where Conscrypt's native library cannot load, the JDK's AES/ECB over a buffer
 * of counter blocks (the counter-mode definition written out). {@link #preferredImplementation()}
 * moves to the JDK's CTR only once a measurement on this machine has shown it faster: see {@link
 * CounterModeChoice}.
 *
 * <p>Instances hold a keyed cipher and scratch state: not thread-safe. The high 64 bits of every
 * counter block used here are zero, because block indices are non-negative {@code long}s.
 */
public abstract sealed class AesCtrKeystream {
  /** Bytes in one AES block and so in one counter block. */
  public static final int BLOCK_BYTES = 16;

  /** Which code produces the keystream. All produce identical bytes. */
  public enum Implementation {
    /** BoringSSL's AES-256-CTR through Conscrypt's JNI binding. */
    CONSCRYPT_AES_CTR("conscrypt-aes-ctr"),
    /** The JDK's own AES/CTR/NoPadding (SunJCE), fast once HotSpot has compiled it. */
    JDK_AES_CTR("jdk-aes-ctr"),
    /** The JDK's AES/ECB/NoPadding applied to a buffer of counter blocks. */
    JDK_AES_ECB_COUNTER("jdk-aes-ecb-counter");

    private final String label;

    Implementation(String label) {
      this.label = label;
    }

    /** A stable name for reports and benchmarks, e.g. {@code conscrypt-aes-ctr}. */
    public String label() {
      return label;
    }
  }

  private static final VarHandle LONG_BIG_ENDIAN =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  AesCtrKeystream() {}

  /**
   * The JDK's AES/CTR once it has been measured faster than the {@linkplain
   * #defaultImplementation() default} on this machine, else the default. The first call starts that
   * measurement in the background ({@link CounterModeChoice}); every implementation gives the same
   * bytes, so which one a caller gets never changes a result.
   */
  public static Implementation preferredImplementation() {
    return CounterModeChoice.jdkCounterModeFaster()
        ? Implementation.JDK_AES_CTR
        : defaultImplementation();
  }

  /**
   * What is used until the JDK's AES/CTR has been measured faster: Conscrypt when its native
   * library loads on this machine, fast from the first call, else the JDK's AES/ECB over counter
   * blocks.
   */
  public static Implementation defaultImplementation() {
    return ConscryptProvider.INSTANCE == null
        ? Implementation.JDK_AES_ECB_COUNTER
        : Implementation.CONSCRYPT_AES_CTR;
  }

  /**
   * Whether the measurement started by {@link #preferredImplementation()} has ended, and with what
   * result: empty while it runs, else whether the JDK's AES/CTR was found faster. For tests and
   * benchmarks.
   */
  public static java.util.Optional<Boolean> jdkCounterModeChoice() {
    return CounterModeChoice.decision();
  }

  /**
   * Whether Conscrypt's native library loaded, so that {@link Implementation#CONSCRYPT_AES_CTR}
   * works.
   */
  public static boolean conscryptAvailable() {
    return ConscryptProvider.INSTANCE != null;
  }

  /** A keystream generator for {@code aes256Key} using {@link #preferredImplementation()}. */
  public static AesCtrKeystream create(byte[] aes256Key) {
    return create(aes256Key, preferredImplementation());
  }

  /**
   * A keystream generator for {@code aes256Key} using {@code implementation}. The key is copied;
   * the caller may overwrite its array afterwards.
   *
   * @throws IllegalArgumentException if the key is not 32 bytes
   * @throws IllegalStateException if Conscrypt is asked for but its native library did not load
   */
  public static AesCtrKeystream create(byte[] aes256Key, Implementation implementation) {
    Objects.requireNonNull(aes256Key, "aes256Key");
    Objects.requireNonNull(implementation, "implementation");
    if (aes256Key.length != 32) {
      throw new IllegalArgumentException("AES-256 key must be 32 bytes, not " + aes256Key.length);
    }
    SecretKeySpec key = new SecretKeySpec(aes256Key, "AES");
    switch (implementation) {
      case CONSCRYPT_AES_CTR:
        if (ConscryptProvider.INSTANCE == null) {
          throw new IllegalStateException("Conscrypt's native library is not available here");
        }
        return new CipherCounterMode(implementation, key, ConscryptProvider.INSTANCE);
      case JDK_AES_CTR:
        return new CipherCounterMode(implementation, key, SunJce.INSTANCE);
      case JDK_AES_ECB_COUNTER:
        return new JdkEcbOverCounterBlocks(key);
    }
    throw new AssertionError(implementation);
  }

  /** The JDK's own provider, named, so that no provider installed ahead of it takes the call. */
  private static final class SunJce {
    static final Provider INSTANCE = load();

    private SunJce() {}

    private static Provider load() {
      Provider provider = java.security.Security.getProvider("SunJCE");
      if (provider == null) {
        throw new IllegalStateException("the JDK's SunJCE provider is not installed");
      }
      return provider;
    }
  }

  /** The implementation behind this generator. */
  public abstract Implementation implementation();

  /**
   * Writes the keystream of counter blocks {@code [firstBlock, firstBlock + blockCount)} to {@code
   * out[0, 16 · blockCount)}.
   *
   * @throws IllegalArgumentException if {@code firstBlock} is negative, the range overflows a
   *     {@code long}, or {@code out} is too short
   */
  public abstract void generate(long firstBlock, byte[] out, int blockCount);

  static void checkRange(long firstBlock, byte[] out, int blockCount) {
    Objects.requireNonNull(out, "out");
    if (firstBlock < 0 || blockCount < 0 || firstBlock > Long.MAX_VALUE - blockCount) {
      throw new IllegalArgumentException(
          "counter blocks must lie in [0, 2^63), not start " + firstBlock + " count " + blockCount);
    }
    if ((long) blockCount * BLOCK_BYTES > out.length) {
      throw new IllegalArgumentException(
          blockCount + " blocks do not fit in an output of " + out.length + " bytes");
    }
  }

  /**
   * Writes the low 64 bits of counter block {@code block} at {@code offset}. The high 64 bits are
   * zero for every non-negative {@code long} block index, and the buffers here are only ever
   * written through this method, so their zero-initialised high halves never need rewriting.
   */
  static void writeCounterBlock(byte[] buffer, int offset, long block) {
    LONG_BIG_ENDIAN.set(buffer, offset + 8, block);
  }

  /**
   * A provider's own CTR mode (BoringSSL's or the JDK's); re-keyed with a new IV only when a call
   * does not continue the last.
   */
  private static final class CipherCounterMode extends AesCtrKeystream {
    // CTR encrypts zeros into pure keystream. Shared by all instances: ciphers only read it.
    private static final byte[] ZEROS = new byte[64 * 1024];

    private final Implementation implementation;
    private final SecretKeySpec key;
    private final Cipher cipher;
    private final byte[] initialCounterBlock = new byte[BLOCK_BYTES];
    // The counter block the cipher will use next, or -1 when it must be (re)initialised.
    private long nextBlock = -1;

    CipherCounterMode(Implementation implementation, SecretKeySpec key, Provider provider) {
      this.implementation = implementation;
      this.key = key;
      try {
        this.cipher = Cipher.getInstance("AES/CTR/NoPadding", provider);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("bug: " + provider.getName() + " has no AES/CTR", e);
      }
    }

    @Override
    public Implementation implementation() {
      return implementation;
    }

    @Override
    public void generate(long firstBlock, byte[] out, int blockCount) {
      checkRange(firstBlock, out, blockCount);
      int length = blockCount * BLOCK_BYTES;
      long resumeAt = nextBlock;
      nextBlock = -1;
      try {
        if (firstBlock != resumeAt) {
          writeCounterBlock(initialCounterBlock, 0, firstBlock);
          cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(initialCounterBlock));
        }
        for (int done = 0; done < length; ) {
          int step = Math.min(ZEROS.length, length - done);
          int written = cipher.update(ZEROS, 0, step, out, done);
          if (written != step) {
            throw new IllegalStateException(
                "bug: AES-CTR returned " + written + " bytes for " + step);
          }
          done += step;
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("bug: AES-CTR failed on a valid key and IV", e);
      }
      // Only a call that completed leaves the cipher positioned at the next block.
      nextBlock = firstBlock + blockCount;
    }
  }

  /** AES/ECB over explicit counter blocks: the CTR definition itself, stateless between calls. */
  private static final class JdkEcbOverCounterBlocks extends AesCtrKeystream {
    private final Cipher cipher;
    private byte[] counterBlocks = new byte[0];

    JdkEcbOverCounterBlocks(SecretKeySpec key) {
      try {
        this.cipher = Cipher.getInstance("AES/ECB/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, key);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("bug: the JDK has no AES/ECB/NoPadding", e);
      }
    }

    @Override
    public Implementation implementation() {
      return Implementation.JDK_AES_ECB_COUNTER;
    }

    @Override
    public void generate(long firstBlock, byte[] out, int blockCount) {
      checkRange(firstBlock, out, blockCount);
      int length = blockCount * BLOCK_BYTES;
      if (counterBlocks.length < length) {
        counterBlocks = new byte[length];
      }
      for (int i = 0; i < blockCount; i++) {
        writeCounterBlock(counterBlocks, i * BLOCK_BYTES, firstBlock + i);
      }
      try {
        int written = cipher.update(counterBlocks, 0, length, out, 0);
        if (written != length) {
          throw new IllegalStateException(
              "bug: AES-ECB returned " + written + " bytes for " + length);
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("bug: AES-ECB failed on whole blocks", e);
      }
    }
  }
}
