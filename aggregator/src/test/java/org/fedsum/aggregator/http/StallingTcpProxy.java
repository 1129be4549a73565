package org.fedsum.aggregator.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 that, once armed, stalls the first connection to carry a given number of
 * bytes from the client (or, with {@link #stallServerAfter}, the next connections to carry a given
 * number of bytes from the server): it stops forwarding in both directions mid-stream and keeps
 * both sockets open, the way a middlebox that lost its state or a half-dead link does. Neither end
 * hears a reset or a close: only its own timeout tells. Connections opened later are relayed
 * normally. TLS stays end to end: the relay sees only ciphertext. With {@link #cutAfter} it cuts a
 * connection instead (a reset both ways), as cli's {@code CuttingTcpProxy} does.
 */
final class StallingTcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger stalls = new AtomicInteger();

  /** Client bytes after which the next connection stalls once armed; negative when disarmed. */
  private final AtomicLong stallAfter = new AtomicLong(-1);

  /** Client bytes after which the next connection is cut once armed; negative when disarmed. */
  private final AtomicLong cutAfter = new AtomicLong(-1);

  /** Bytes relayed from clients, over every connection. */
  private final AtomicLong clientBytes = new AtomicLong();

  private final AtomicInteger cuts = new AtomicInteger();

  /** Server bytes after which a connection stalls; negative when disarmed. */
  private volatile long serverStallAfter = -1;

  /** How many more connections stall on their server bytes. */
  private final AtomicInteger serverStallsLeft = new AtomicInteger();

  private volatile boolean closed;

  StallingTcpProxy(int targetPort) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetPort = targetPort;
    Thread acceptor = new Thread(this::accept, "stalling-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Connections relayed so far. */
  int connections() {
    return connections.get();
  }

  /** Connections stalled so far. */
  int stalls() {
    return stalls.get();
  }

  /**
   * Stalls the first connection (open now or later) that has carried at least {@code clientBytes}
   * bytes from the client when it next carries any.
   */
  void armAfter(long clientBytes) {
    stallAfter.set(clientBytes);
  }

  /**
   * Cuts (resets both ways) the first connection (open now or later) whose client bytes reach
   * {@code clientBytes}: those before the threshold are relayed, the rest never.
   */
  void cutAfter(long clientBytes) {
    cutAfter.set(clientBytes);
  }

  /** Connections cut so far. */
  int cuts() {
    return cuts.get();
  }

  /** Bytes relayed from clients so far, over every connection. */
  long clientBytes() {
    return clientBytes.get();
  }

  /**
   * Stalls each of the next {@code count} connections once it has carried exactly {@code
   * serverBytes} bytes from the server (the TLS handshake, a reply's headers and the start of its
   * body): the client has what came before, and nothing after.
   */
  void stallServerAfter(long serverBytes, int count) {
    serverStallAfter = serverBytes;
    serverStallsLeft.set(count);
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(server);
        connections.incrementAndGet();
        Relay relay = new Relay();
        pump(client, server, relay, true);
        pump(server, client, relay, false);
      } catch (IOException e) {
        if (!closed) {
          // The target refused one connection: the client's socket is gone with it; go on.
          continue;
        }
      }
    }
  }

  /** One relayed connection: how many bytes its client sent, and whether it is stalled. */
  private final class Relay {
    private long clientBytes;
    private long serverBytes;
    private boolean stallsOnServerBytes;
    private volatile boolean stalled;

    /**
     * Counts {@code count} server bytes; returns how many of them to forward: all, or those up to
     * the server-side threshold (the connection stalls after them), or none once stalled.
     */
    synchronized int forwardFromServer(int count) {
      if (stalled) {
        return 0;
      }
      long threshold = serverStallAfter;
      if (serverBytes == 0 && threshold >= 0) {
        // A connection's first server bytes decide whether it is one of those to stall.
        stallsOnServerBytes = serverStallsLeft.getAndUpdate(left -> Math.max(0, left - 1)) > 0;
      }
      long before = serverBytes;
      serverBytes += count;
      if (stallsOnServerBytes && serverBytes >= threshold) {
        stalled = true;
        stalls.incrementAndGet();
        return (int) Math.max(0, threshold - before);
      }
      return count;
    }

    /**
     * How many of the next {@code count} client bytes to relay before the connection is cut, or -1
     * if it is not cut; disarms the cut when it takes it.
     */
    synchronized int cutWithin(int count) {
      long threshold = cutAfter.get();
      if (threshold < 0 || clientBytes + count < threshold) {
        return -1;
      }
      if (!cutAfter.compareAndSet(threshold, -1)) {
        return -1;
      }
      cuts.incrementAndGet();
      return (int) Math.max(0, threshold - clientBytes);
    }

    /** Counts {@code count} client bytes; true if the connection stalls now. */
    synchronized boolean stallsAfter(int count) {
      clientBytes += count;
      long threshold = stallAfter.get();
      if (!stalled && threshold >= 0 && clientBytes >= threshold) {
        // Only the first connection past the threshold stalls: disarm.
        if (stallAfter.compareAndSet(threshold, -1)) {
          stalled = true;
          stalls.incrementAndGet();
        }
      }
      return stalled;
    }
  }

  private void pump(Socket from, Socket to, Relay relay, boolean fromClient) {
    Thread pump =
        new Thread(
            () -> {
              byte[] buffer = new byte[4 << 10];
              try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) != -1) {
                  if (fromClient) {
                    int beforeCut = relay.cutWithin(read);
                    if (beforeCut >= 0) {
                      out.write(buffer, 0, beforeCut);
                      clientBytes.addAndGet(beforeCut);
                      reset(from);
                      reset(to);
                      return;
                    }
                    clientBytes.addAndGet(read);
                    if (relay.stallsAfter(read)) {
                      holdUntilClosed();
                      return;
                    }
                    out.write(buffer, 0, read);
                  } else {
                    int forward = relay.forwardFromServer(read);
                    out.write(buffer, 0, forward);
                    if (relay.stalled) {
                      holdUntilClosed();
                      return;
                    }
                  }
                }
              } catch (IOException endOfEitherSide) {
                // Closed by an end: close the other side below.
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              closeQuietly(from);
              closeQuietly(to);
            },
            "stalling-proxy-pump");
    pump.setDaemon(true);
    pump.start();
  }

  /** Keeps a stalled connection open, silent both ways, until the relay closes. */
  private void holdUntilClosed() throws InterruptedException {
    while (!closed) {
      Thread.sleep(100);
    }
  }

  /** Closes {@code socket} with a TCP reset rather than a clean close. */
  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException closedAlready) {
      // Nothing left to reset.
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException alreadyClosed) {
      // Nothing to release.
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    sockets.forEach(StallingTcpProxy::closeQuietly);
  }
}
