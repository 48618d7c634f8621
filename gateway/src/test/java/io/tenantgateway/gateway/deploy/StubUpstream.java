package io.tenantgateway.gateway.deploy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test fixture: a scripted HTTP/1.1 server on 127.0.0.1 standing in for the gateway behind nginx,
 * with keep-alive, recording every request it gets and the connection it came on.
 *
 * <ul>
 *   <li>{@code /accel}: answers with {@code X-Accel-Redirect: /secret} and its own body;</li>
 *   <li>{@code /secret}: what an acted-on X-Accel-Redirect would fetch;</li>
 *   <li>{@code /stream}: sends a first chunk, then waits for {@link #releaseStream()};</li>
 *   <li>{@code /upload}: reports {@link #uploadStarted()} once the head and the first 5 body bytes
 *       arrived, then reads the rest;</li>
 *   <li>{@code /big}: {@link #BIG} bytes, then reports {@link #bigSent()};</li>
 *   <li>anything else: 200 {@code ok}.</li>
 * </ul>
 */
final class StubUpstream implements AutoCloseable {

  /**
   * A request as the upstream got it.
   *
   * @param line the request line
   * @param headers header name (lower case) to value; repeated headers joined with {@code ", "}
   * @param body the body
   * @param connection the number of the connection it came on (1, 2, ...)
   */
  record Request(String line, Map<String, String> headers, byte[] body, int connection) {
  }

  /** Size of the {@code /big} response: more than every socket buffer between the stub and a client. */
  static final int BIG = 64 << 20;

  private final ServerSocket server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final CountDownLatch streamRelease = new CountDownLatch(1);
  private final CountDownLatch uploadStarted = new CountDownLatch(1);
  private final CountDownLatch bigSent = new CountDownLatch(1);
  private final Thread acceptor;

  StubUpstream() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::accept, "stub-upstream");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** @return the port */
  int port() {
    return server.getLocalPort();
  }

  /** @return every request so far */
  List<Request> requests() {
    return requests;
  }

  /** Lets {@code /stream} send its second chunk and end. */
  void releaseStream() {
    streamRelease.countDown();
  }

  /** @return counted down when {@code /upload} has its head and first 5 body bytes */
  CountDownLatch uploadStarted() {
    return uploadStarted;
  }

  /** @return counted down once the whole {@code /big} response was written to the socket */
  CountDownLatch bigSent() {
    return bigSent;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        int number = connections.incrementAndGet();
        Thread serve = new Thread(() -> serve(socket, number), "stub-upstream-" + number);
        serve.setDaemon(true);
        serve.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket socket, int number) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (true) {
        String line = line(in);
        if (line == null) {
          return;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String header;
        while ((header = line(in)) != null && !header.isEmpty()) {
          int colon = header.indexOf(':');
          headers.merge(header.substring(0, colon).trim().toLowerCase(), header.substring(colon + 1).trim(),
            (a, b) -> a + ", " + b);
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        String path = line.split(" ")[1];
        byte[] body;
        if (path.equals("/upload")) {
          byte[] start = in.readNBytes(Math.min(5, length));
          uploadStarted.countDown();
          ByteArrayOutputStream all = new ByteArrayOutputStream();
          all.write(start);
          all.write(in.readNBytes(length - start.length));
          body = all.toByteArray();
        } else {
          body = in.readNBytes(length);
        }
        requests.add(new Request(line, headers, body, number));
        switch (path) {
          case "/accel" -> respond(out, "X-Accel-Redirect: /secret\r\n", "from upstream\n");
          case "/secret" -> respond(out, "", "SECRET\n");
          case "/upload" -> respond(out, "", "got " + body.length + "\n");
          case "/stream" -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
              + chunk("part1\n")).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            if (!streamRelease.await(20, TimeUnit.SECONDS)) {
              return;
            }
            out.write((chunk("part2\n") + "0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
          }
          case "/big" -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + BIG
              + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] block = new byte[1 << 16];
            for (int sent = 0; sent < BIG; sent += block.length) {
              out.write(block);
            }
            out.flush();
            bigSent.countDown();
          }
          default -> respond(out, "", "ok\n");
        }
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      // the connection ends; nginx opens another one when it needs to
    }
  }

  private static String chunk(String text) {
    return Integer.toHexString(text.length()) + "\r\n" + text + "\r\n";
  }

  private static void respond(OutputStream out, String extraHeaders, String body) throws IOException {
    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n"
      + extraHeaders + "\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    streamRelease.countDown();
    server.close();
  }
}
