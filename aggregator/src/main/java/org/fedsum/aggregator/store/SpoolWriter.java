package org.fedsum.aggregator.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Objects;
import org.fedsum.aggregator.store.FileDurability.ChannelOpener;
import org.fedsum.protocol.ErrorCode;
import org.fedsum.protocol.ProtocolException;
import org.fedsum.protocol.codec.PackedWords;
import org.fedsum.protocol.codec.VectorFrame;

/**
 * Receives one masked vector frame ({@link VectorFrame}: header, then the words packed at the
 * round's bits) as a stream of chunks of any size, unpacks it as it arrives (a word may straddle
 * two chunks) and spools the words to a file as little-endian 32-bit integers (the layout {@link
 * SpooledVector} reads, whatever the packing) while hashing them. Memory stays one chunk, whatever
 * the vector's length.
 *
 * <p>Checks, each refusing the upload with a {@link ProtocolException} and deleting whatever was
 * written:
 *
 * <ul>
 *   <li>as soon as the 52 header bytes are in, before anything is written: the header's round
 *       ({@code ROUND_MISMATCH}), word width ({@code MALFORMED_MESSAGE}) and length ({@code
 *       VECTOR_LENGTH_MISMATCH}: a declared length other than the round's) through {@link
 *       VectorFrame#decodeHeader}; then a second upload for the same silo and round while one is
 *       spooled ({@code DUPLICATE_SUBMISSION}); a second upload while the first is still being
 *       received supersedes the first (see {@link VectorSpool#receive});
 *   <li>while the body streams: a body longer than its {@code ceil(b·m/8)} bytes, or padding bits
 *       after the last word that are not zero ({@code MALFORMED_MESSAGE}); a packed word cannot be
 *       outside {@code Z_{2^b}};
 *   <li>at {@link #finish()}: a truncated header or body, or a SHA-256 that does not match the
 *       header's ({@code MALFORMED_MESSAGE}, as {@link VectorFrame#decode} reports them).
 * </ul>
 *
 * An {@link IOException} (a full or read-only disk) also deletes the partial file. After a refusal
 * or {@link #close()} the writer takes no more bytes.
 *
 * <p><b>Resumable uploads.</b> A connection that breaks mid-frame refuses nothing: the bytes taken
 * so far stay spooled (and hashed, and unpacked up to a straddling word), and the silo goes on from
 * {@link #bytesReceived()} on a new connection ({@link #resumeAt}). Each attempt writes through its
 * own {@link Part}; starting a new one detaches the previous one, whose late writes are refused
 * without touching the upload, so bytes from a stalled connection can never land after the resumed
 * ones. Methods are synchronized: a detached part's writer thread and the new part's may overlap.
 */
public final class SpoolWriter implements Closeable {
  private enum State {
    HEADER,
    BODY,
    FINISHED,
    REFUSED,
    CLOSED,
    SUPERSEDED,
    ROUND_CLOSED
  }

  private final Path roundDirectory;
  private final Path file;
  private final long round;
  private final String siloId;
  private final int bits;
  private final int length;

  /** Words unpacked from a chunk go to the file this many bytes at a time. */
  private static final int UNPACKED_CHUNK_BYTES = 1 << 16;

  private final byte[] headerBytes = new byte[VectorFrame.HEADER_BYTES];
  private int headerFilled;
  private VectorFrame.Header header;
  private FileChannel channel;
  private MessageDigest sha256;
  private PackedWords.Unpacker unpacker;
  private ByteBuffer unpacked;
  private long bodyBytes;
  private long spooledBytes;
  private State state = State.HEADER;
  // The attempt that may write: a resumption starts the next one and detaches the one before.
  private int attempt;

  SpoolWriter(Path roundDirectory, Path file, long round, String siloId, int bits, int length) {
    this.roundDirectory = roundDirectory;
    this.file = file;
    this.round = round;
    this.siloId = siloId;
    this.bits = bits;
    this.length = length;
  }

  /** As {@link #write(ByteBuffer)} for {@code count} bytes of {@code bytes} from {@code offset}. */
  public void write(byte[] bytes, int offset, int count) throws ProtocolException, IOException {
    Objects.checkFromIndexSize(offset, count, Objects.requireNonNull(bytes, "bytes").length);
    write(ByteBuffer.wrap(bytes, offset, count));
  }

  /**
   * Takes the next bytes of the frame: all of {@code bytes}' remaining bytes (its position advances
   * to its limit).
   *
   * @throws ProtocolException if the frame is refused (see the class comment); the file is gone
   * @throws IOException if the spool file cannot be written; the file is gone
   * @throws IllegalStateException if the upload was refused, finished or closed before
   */
  public synchronized void write(ByteBuffer bytes) throws ProtocolException, IOException {
    Objects.requireNonNull(bytes, "bytes");
    requireNotSuperseded();
    requireRoundOpen();
    requireReceiving();
    try {
      if (state == State.HEADER) {
        int count = Math.min(bytes.remaining(), headerBytes.length - headerFilled);
        bytes.get(headerBytes, headerFilled, count);
        headerFilled += count;
        if (headerFilled == headerBytes.length) {
          header = VectorFrame.decodeHeader(headerBytes, round, bits, length);
          createFile();
          state = State.BODY;
        }
      }
      if (state == State.BODY && bytes.hasRemaining()) {
        body(bytes);
      }
    } catch (ProtocolException | IOException | RuntimeException e) {
      // supersede() and roundClosed() wait for this monitor, so the state is still HEADER or BODY.
      discard(State.REFUSED, e);
      throw e;
    }
  }

  private void createFile() throws ProtocolException, IOException {
    FileDurability.createPrivateDirectory(roundDirectory);
    try {
      channel = FileDurability.createPrivateFile(file, ChannelOpener.DEFAULT);
    } catch (FileAlreadyExistsException e) {
      throw new ProtocolException(
          ErrorCode.DUPLICATE_SUBMISSION,
          round,
          "a masked vector from " + siloId + " is already spooled or being received");
    }
    sha256 = CheckpointStore.newSha256();
    unpacker = new PackedWords.Unpacker(round, bits, length);
    unpacked = ByteBuffer.allocate(UNPACKED_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  }

  private void body(ByteBuffer bytes) throws ProtocolException, IOException {
    long declared = VectorFrame.bodyBytes(bits, length);
    int arrived = bytes.remaining();
    if (bodyBytes + arrived > declared) {
      throw malformed(
          "vector body is longer than the "
              + declared
              + " bytes of the "
              + length
              + " words of "
              + bits
              + " bits its header declares");
    }
    while (bytes.hasRemaining() || unpacker.hasWaitingWords()) {
      unpacked.clear();
      unpacker.unpack(bytes, unpacked);
      unpacked.flip();
      sha256.update(unpacked.duplicate());
      while (unpacked.hasRemaining()) {
        spooledBytes += channel.write(unpacked, spooledBytes);
      }
    }
    bodyBytes += arrived;
  }

  /**
   * Ends the upload: checks that the whole header and body arrived and that the body's SHA-256 is
   * the header's. Only a vector that passed is returned and may count towards the sum.
   *
   * @throws ProtocolException if the frame is truncated or its hash does not match; the file is
   *     gone
   * @throws IllegalStateException if the upload was refused, finished or closed before
   */
  public synchronized SpooledVector finish() throws ProtocolException, IOException {
    requireNotSuperseded();
    requireRoundOpen();
    requireReceiving();
    try {
      if (state == State.HEADER) {
        throw malformed(
            "vector frame ended after "
                + headerFilled
                + " of its "
                + VectorFrame.HEADER_BYTES
                + " header bytes");
      }
      long declared = VectorFrame.bodyBytes(bits, length);
      if (bodyBytes != declared) {
        throw malformed(
            "vector body has "
                + bodyBytes
                + " bytes, its header declares "
                + length
                + " words of "
                + bits
                + " bits ("
                + declared
                + " bytes)");
      }
      if (!unpacker.finished()) {
        throw new IllegalStateException("bug: a body of the declared size did not unpack whole");
      }
      byte[] digest = sha256.digest();
      if (!MessageDigest.isEqual(digest, header.sha256())) {
        throw malformed("vector body does not match its SHA-256");
      }
      channel.close();
      state = State.FINISHED;
      return new SpooledVector(file, round, siloId, length, digest);
    } catch (ProtocolException | IOException | RuntimeException e) {
      discard(State.REFUSED, e);
      throw e;
    }
  }

  /** Bytes of the frame taken so far (as they came on the wire, packed), header included. */
  public synchronized long bytesReceived() {
    return headerFilled + bodyBytes;
  }

  /** Whether the upload may still take bytes: neither finished, refused, closed nor superseded. */
  public synchronized boolean receiving() {
    return state == State.HEADER || state == State.BODY;
  }

  /** Whether the whole frame arrived and passed every check ({@link #finish()} returned). */
  public synchronized boolean finished() {
    return state == State.FINISHED;
  }

  /**
   * The upload's first attempt, from frame byte 0.
   *
   * @throws IllegalStateException if an attempt was started before
   */
  public synchronized Part begin() {
    if (attempt != 0) {
      throw new IllegalStateException("the upload's first attempt has started already");
    }
    attempt++;
    return new Part(attempt);
  }

  /**
   * Starts the upload's next attempt at frame byte {@code offset}, which must be the bytes taken so
   * far: the caller learned it from {@link #bytesReceived()} (over HTTP, a {@code HEAD}). The
   * attempt before, if any, is detached at once, even if the offset is refused, so that the bytes
   * taken can no longer move.
   *
   * @throws OffsetMismatch if {@code offset} is not {@link #bytesReceived()}; it carries the right
   *     one
   * @throws ProtocolException {@code DUPLICATE_SUBMISSION} if the upload finished, was refused,
   *     closed or superseded: there is nothing to resume
   */
  public synchronized Part resumeAt(long offset) throws OffsetMismatch, ProtocolException {
    attempt++;
    requireNotSuperseded();
    if (!receiving()) {
      throw new ProtocolException(
          ErrorCode.DUPLICATE_SUBMISSION,
          round,
          "the upload of "
              + siloId
              + "'s masked vector for round "
              + round
              + " is "
              + state.name().toLowerCase(Locale.ROOT)
              + ": there is nothing to resume");
    }
    if (offset != bytesReceived()) {
      throw new OffsetMismatch(offset, bytesReceived());
    }
    return new Part(attempt);
  }

  /**
   * One attempt's writes to the upload, from the offset it was started at. Once a newer attempt has
   * started, its writes and its finish are refused with {@code DUPLICATE_SUBMISSION} and change
   * nothing: the newer attempt owns the upload.
   */
  public final class Part {
    private final int owner;

    private Part(int owner) {
      this.owner = owner;
    }

    /** As {@link SpoolWriter#write(byte[], int, int)}, if this attempt still owns the upload. */
    public void write(byte[] bytes, int offset, int count) throws ProtocolException, IOException {
      synchronized (SpoolWriter.this) {
        requireOwner();
        SpoolWriter.this.write(bytes, offset, count);
      }
    }

    /** As {@link SpoolWriter#finish()}, if this attempt still owns the upload. */
    public SpooledVector finish() throws ProtocolException, IOException {
      synchronized (SpoolWriter.this) {
        requireOwner();
        return SpoolWriter.this.finish();
      }
    }

    /** The frame bytes the upload has taken, this attempt's and those before it. */
    public long bytesReceived() {
      return SpoolWriter.this.bytesReceived();
    }

    /** The upload this attempt writes to. */
    public SpoolWriter writer() {
      return SpoolWriter.this;
    }

    private void requireOwner() throws ProtocolException {
      if (attempt != owner) {
        throw new ProtocolException(
            ErrorCode.DUPLICATE_SUBMISSION,
            round,
            "a resumed upload of "
                + siloId
                + "'s masked vector for round "
                + round
                + " took over from this one");
      }
    }
  }

  /**
   * A resumption at an offset other than the bytes the upload has taken: a part of the frame would
   * be missing or taken twice. {@link #received()} is where to go on from.
   */
  public static final class OffsetMismatch extends Exception {
    private static final long serialVersionUID = 1L;
    private final long received;

    OffsetMismatch(long offered, long received) {
      super(
          "the upload goes on from byte "
              + received
              + " of the frame (the bytes it has taken), not from byte "
              + offered);
      this.received = received;
    }

    /** The bytes the upload has taken: the offset to go on from. */
    public long received() {
      return received;
    }
  }

  /**
   * Abandons an upload that did not finish (the connection broke, a deadline passed) and deletes
   * its file; does nothing after {@link #finish()} returned, a refusal or an earlier close.
   */
  @Override
  public synchronized void close() throws IOException {
    if (state == State.HEADER || state == State.BODY) {
      IOException failure = new IOException("could not discard the spool file " + file);
      discard(State.CLOSED, failure);
      if (failure.getSuppressed().length > 0) {
        throw failure;
      }
    }
  }

  /**
   * Abandons this upload, if it has not finished, because the same silo started another one for the
   * same round: the silo gave up on this one (a connection that stalled mid-vector) and retries on
   * a new connection. Only the silo's own certificate uploads as the silo, so nobody else can.
   * Later writes are refused with {@code DUPLICATE_SUBMISSION}.
   */
  synchronized void supersede() {
    if (state == State.HEADER || state == State.BODY) {
      discard(State.SUPERSEDED, new IOException("superseded by a newer upload"));
    }
  }

  /**
   * Abandons the upload, if it has not finished, because its round closed (its spool is being
   * deleted): later writes are refused with {@code ROUND_CLOSED}, an answer the silo understands,
   * rather than as misuse.
   */
  synchronized void roundClosed() {
    if (state == State.HEADER || state == State.BODY) {
      discard(State.ROUND_CLOSED, new IOException("the round closed"));
    }
  }

  private void requireRoundOpen() throws ProtocolException {
    if (state == State.ROUND_CLOSED) {
      throw new ProtocolException(
          ErrorCode.ROUND_CLOSED,
          round,
          "round " + round + " closed before " + siloId + "'s masked vector arrived whole");
    }
  }

  private void requireNotSuperseded() throws ProtocolException {
    if (state == State.SUPERSEDED) {
      throw new ProtocolException(
          ErrorCode.DUPLICATE_SUBMISSION,
          round,
          "a newer upload of "
              + siloId
              + "'s masked vector for round "
              + round
              + " replaced this one before it ended");
    }
  }

  private void discard(State next, Exception reason) {
    state = next;
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      reason.addSuppressed(e);
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      reason.addSuppressed(e);
    }
    channel = null;
  }

  private void requireReceiving() {
    if (state != State.HEADER && state != State.BODY) {
      throw new IllegalStateException(
          "the upload of "
              + siloId
              + "'s vector for round "
              + round
              + " is "
              + state.name().toLowerCase(Locale.ROOT));
    }
  }

  private ProtocolException malformed(String detail) {
    return new ProtocolException(ErrorCode.MALFORMED_MESSAGE, round, detail);
  }

  @Override
  public String toString() {
    return "SpoolWriter[" + siloId + ", round " + round + ", " + bytesReceived() + " bytes]";
  }
}
