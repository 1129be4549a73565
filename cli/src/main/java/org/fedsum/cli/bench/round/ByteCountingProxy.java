package org.fedsum.cli.bench.round;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 in front of the aggregator that counts the bytes going through it in
 * each direction: what one silo puts on the wire (TLS records, HTTP/2 frames, handshakes and all).
 * TLS stays end to end: the relay sees only ciphertext, and the silo still checks that the
 * aggregator's certificate names 127.0.0.1.
 */
final class ByteCountingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final List<Socket> sockets = new ArrayList<>();
  private final Thread acceptor;

  ByteCountingProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "byte-counting-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Bytes from the silo to the aggregator so far. */
  long bytesSent() {
    return sent.get();
  }

  /** Bytes from the aggregator to the silo so far. */
  long bytesReceived() {
    return received.get();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket silo = listener.accept();
        Socket aggregator = new Socket();
        aggregator.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
        synchronized (sockets) {
          sockets.add(silo);
          sockets.add(aggregator);
        }
        pump(silo, aggregator, sent);
        pump(aggregator, silo, received);
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void pump(Socket from, Socket to, AtomicLong counter) throws IOException {
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[1 << 16];
              try {
                int read;
                while ((read = in.read(buffer)) > 0) {
                  counter.addAndGet(read);
                  out.write(buffer, 0, read);
                }
              } catch (IOException e) {
                // The other side closed: the connection is over.
              } finally {
                try {
                  to.shutdownOutput();
                } catch (IOException e) {
                  // Already closed.
                }
              }
            },
            "byte-counting-pump");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    synchronized (sockets) {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }
}
