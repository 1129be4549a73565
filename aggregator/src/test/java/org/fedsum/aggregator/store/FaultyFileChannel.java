package org.fedsum.aggregator.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file channel that passes everything to a real one, except that it can fail on demand the way a
 * full disk or a failing device does: a write that stores only part of its bytes and then fails, an
 * fsync that fails, a truncate that fails.
 */
final class FaultyFileChannel extends FileChannel {
  private final FileChannel delegate;

  /** When non-negative, the next write stores at most this many bytes and then throws. */
  volatile int failWriteAfterBytes = -1;

  volatile boolean failForce;
  volatile boolean failTruncate;

  FaultyFileChannel(FileChannel delegate) {
    this.delegate = delegate;
  }

  private int faultyWrite(ByteBuffer source, long position) throws IOException {
    int allowed = failWriteAfterBytes;
    if (allowed < 0) {
      return position < 0 ? delegate.write(source) : delegate.write(source, position);
    }
    ByteBuffer part = source.duplicate();
    part.limit(part.position() + Math.min(allowed, part.remaining()));
    int written = position < 0 ? delegate.write(part) : delegate.write(part, position);
    source.position(source.position() + written);
    throw new IOException("No space left on device (simulated after " + written + " bytes)");
  }

  @Override
  public int write(ByteBuffer source) throws IOException {
    return faultyWrite(source, -1);
  }

  @Override
  public int write(ByteBuffer source, long position) throws IOException {
    return faultyWrite(source, position);
  }

  @Override
  public long write(ByteBuffer[] sources, int offset, int length) throws IOException {
    if (failWriteAfterBytes >= 0) {
      throw new IOException("No space left on device (simulated)");
    }
    return delegate.write(sources, offset, length);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    if (failForce) {
      throw new IOException("Input/output error (simulated fsync failure)");
    }
    delegate.force(metaData);
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    if (failTruncate) {
      throw new IOException("Input/output error (simulated truncate failure)");
    }
    delegate.truncate(size);
    return this;
  }

  @Override
  public int read(ByteBuffer destination) throws IOException {
    return delegate.read(destination);
  }

  @Override
  public long read(ByteBuffer[] destinations, int offset, int length) throws IOException {
    return delegate.read(destinations, offset, length);
  }

  @Override
  public int read(ByteBuffer destination, long position) throws IOException {
    return delegate.read(destination, position);
  }

  @Override
  public long position() throws IOException {
    return delegate.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    delegate.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return delegate.size();
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return delegate.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel source, long position, long count)
      throws IOException {
    return delegate.transferFrom(source, position, count);
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return delegate.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return delegate.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return delegate.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    delegate.close();
  }
}
