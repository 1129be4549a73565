package org.fedsum.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on 127.0.0.1 that cuts every connection it carries after a random lifetime, both ways
 * at once, the way a flaky network or a middlebox with a short idle timeout does. The kernel here
 * has no {@code tc netem}, so the faults are made in the test. TLS stays end to end: the relay sees
 * only ciphertext.
 */
final class CuttingTcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final Duration shortestLifetime;
  private final Duration longestLifetime;
  private final SplittableRandom random;
  private final ScheduledExecutorService cutter = Executors.newSingleThreadScheduledExecutor();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger cuts = new AtomicInteger();
  private volatile boolean closed;

  CuttingTcpProxy(int targetPort, Duration shortestLifetime, Duration longestLifetime, long seed)
      throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetPort = targetPort;
    this.shortestLifetime = shortestLifetime;
    this.longestLifetime = longestLifetime;
    this.random = new SplittableRandom(seed);
    Thread acceptor = new Thread(this::accept, "cutting-proxy-accept");
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

  /** Connections this relay cut while both ends still had them open. */
  int cuts() {
    return cuts.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(server);
        connections.incrementAndGet();
        pump(client, server);
        pump(server, client);
        long lifetime;
        synchronized (random) {
          lifetime = random.nextLong(shortestLifetime.toMillis(), longestLifetime.toMillis() + 1);
        }
        cutter.schedule(() -> cut(client, server), lifetime, TimeUnit.MILLISECONDS);
      } catch (IOException e) {
        if (!closed) {
          // The target refused one connection: the client's socket is gone with it; go on.
          continue;
        }
      }
    }
  }

  private void cut(Socket client, Socket server) {
    if (!client.isClosed() && !server.isClosed()) {
      cuts.incrementAndGet();
    }
    closeQuietly(client);
    closeQuietly(server);
  }

  private void pump(Socket from, Socket to) {
    Thread pump =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 << 10];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) != -1) {
                  out.write(buffer, 0, read);
                }
              } catch (IOException endOfEitherSide) {
                // Cut, or closed by an end: close the other side below.
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "cutting-proxy-pump");
    pump.setDaemon(true);
    pump.start();
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
    cutter.shutdownNow();
    sockets.forEach(CuttingTcpProxy::closeQuietly);
  }
}
